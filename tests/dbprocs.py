"""Real processes against a real, file-backed database, for the crash and concurrency tests.

pytest-django's SQLite test database lives in memory, where another process cannot see it. These
tests instead make a fresh database of the same kind the suite runs on: a SQLite file in a
temporary folder, or a new database on the same PostgreSQL server (CREATE DATABASE), migrate it
with `manage.py migrate`, and run `manage.py import_dump` and readers as separate processes.

Run as a script, this module is the other side: `python -m tests.dbprocs snapshot` prints what a
user could see of the archive (and every row stored); `python -m tests.dbprocs note TITLE` writes
a curator's note on an article; `python -m tests.dbprocs reader STOPFILE` searches and requests
pages until STOPFILE exists, then prints how many calls succeeded, when each round of calls
started and ended (time.monotonic(), comparable across processes), and every error;
`upload FILE...` uploads files as a curator would (the run's id and folder) and `import-pages
RUN` prints what a curator sees of an import.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def suite_database_url() -> str:
    """The kind of database the suite runs on: DATABASE_URL's, or SQLite by default."""
    return os.environ.get("DATABASE_URL", "sqlite:///var/archive.sqlite3")


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme.lower() in {"postgres", "postgresql", "pgsql"}


def env_for(url: str) -> dict:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DEBUG="0",
        PYTHONPATH=str(PROJECT),
    )
    env.setdefault("SECRET_KEY", "test-suite-only-secret-key-not-for-production-0123456789")
    return env


def pg_connect(url: str, dbname: str):
    import psycopg

    from archive.env import database_from_url

    conf = database_from_url(url, PROJECT)
    params = {
        "dbname": dbname,
        "user": conf["USER"] or None,
        "host": conf["HOST"] or None,
        "port": conf["PORT"] or None,
        "password": conf["PASSWORD"] or None,
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


@contextlib.contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A new, migrated, empty database of the suite's kind; its DATABASE_URL."""
    base = suite_database_url()
    if is_postgres(base):
        name = f"archive_proc_{uuid.uuid4().hex[:10]}"
        with pg_connect(base, "postgres") as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(base)
        url = urlunsplit(parts._replace(path=f"/{name}"))
    else:
        name = ""
        url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"  # sqlite:////abs/path
    try:
        manage(url, "migrate", "--noinput", "-v0", check=True)
        yield url
    finally:
        if name:
            with pg_connect(base, "postgres") as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(
    url: str, *args: str, check: bool = False, timeout: float = 120
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=PROJECT,
        env=env_for(url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def start_manage(url: str, *args: str, **popen) -> subprocess.Popen:
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
        [PYTHON, "manage.py", *args], cwd=PROJECT, env=env_for(url), text=True, **popen
    )


def snapshot(url: str) -> dict:
    """Counts and a digest of every row users see: articles, commentary, hashtags, taggings."""
    return run_here(url, "snapshot")


def run_here(url: str, *args: str) -> dict:
    """`python -m tests.dbprocs ARGS` (snapshot, upload, import-pages): its JSON answer."""
    done = subprocess.run(
        [PYTHON, "-m", "tests.dbprocs", *args],
        cwd=PROJECT,
        env=env_for(url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def write_note(url: str, title: str) -> subprocess.CompletedProcess:
    """A curator's note on the article `title`, written by another process."""
    return subprocess.run(
        [PYTHON, "-m", "tests.dbprocs", "note", title],
        cwd=PROJECT,
        env=env_for(url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_reader(url: str, stop_file: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "tests.dbprocs", "reader", str(stop_file)],
        cwd=PROJECT,
        env=env_for(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def gunicorn_server(url: str, log_path: Path, workers: int = 2, **env: str) -> Iterator[str]:
    """gunicorn serving the archive in `url` on a free local port; yields its base address.

    Its log (stderr: gunicorn's lines and ours) goes to `log_path`. Stopped afterwards.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "archive.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", str(workers)],
            cwd=PROJECT,
            env={**env_for(url), **env},
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=10).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "gunicorn did not start:\n" + log_path.read_text()
                    ) from None
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(20)


# --- the other side: run inside a child process ----------------------------------------


def snapshot_here() -> dict:
    from annotations.models import Commentary, TaggedCommentary
    from archive.models import Article, Hashtag, TaggedArticle

    out = {}
    for model in (Article, Commentary, Hashtag, TaggedArticle, TaggedCommentary):
        # What readers see (the default managers), and every stored row.
        for key, manager in (
            (model.__name__, model.objects),
            (f"stored:{model.__name__}", model._base_manager),
        ):
            digest = hashlib.sha256()
            count = 0
            for row in manager.order_by("pk").values_list().iterator(chunk_size=2000):
                digest.update(repr(row).encode())
                count += 1
            out[key] = [count, digest.hexdigest()]
    from archive.search.service import search

    out["search:surveillance"] = search("surveillance").total
    return out


READER_PAGES = [
    "/",
    "/search/?q=surveillance",
    "/tags/",
    "/api/articles/",
    "/api/search/?q=surveillance",
]


def _reader(stop_file: Path) -> dict:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from archive.search.service import search

    setup_test_environment()  # lets the test client's "testserver" host in
    client = Client()
    calls, errors, rounds = {"search": 0, "pages": 0}, [], []
    print("ready", flush=True)
    while not stop_file.exists():
        started = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
        try:
            search("surveillance crédit")
            search("#generated")
            calls["search"] += 1
        except Exception as error:  # noqa: BLE001 - every failure is reported
            errors.append(f"search: {type(error).__name__}: {error}")
        for page in READER_PAGES:
            try:
                response = client.get(page)
                if response.status_code != 200:
                    errors.append(f"{page}: HTTP {response.status_code}")
                calls["pages"] += 1
            except Exception as error:  # noqa: BLE001
                errors.append(f"{page}: {type(error).__name__}: {error}")
        rounds.append((started, time.monotonic()))
        time.sleep(0.05)
    return {"calls": calls, "rounds": rounds, "errors": errors[:20], "error_count": len(errors)}


def _note(title: str) -> int:
    """A curator's note on the first article whose title starts so (its author made first)."""
    from django.contrib.auth.models import User

    from annotations.notes import create_note
    from archive.models import Article

    author, _ = User.objects.get_or_create(username="dbprocs-curator")
    article = Article.objects.filter(title__startswith=title).order_by("pk").first()
    return create_note(article, author, "A note written meanwhile").pk


def _curator_client():
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    from annotations.permissions import make_curator

    setup_test_environment()  # lets the test client's "testserver" host in
    curator, _ = User.objects.get_or_create(username="dbprocs-importer")
    make_curator(curator)
    client = Client()
    client.force_login(curator)
    return client


def _upload(paths: list[str]) -> dict:
    """A curator uploads these files (to ARCHIVE_UPLOAD_DIR), as the browser would: the run."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from archive.models import ImportRun

    files = [SimpleUploadedFile(Path(p).name, Path(p).read_bytes()) for p in paths]
    response = _curator_client().post("/imports/new/", {"dumps": files})
    assert response.status_code == 302, response.content[:2000]
    run = ImportRun.objects.latest("pk")
    return {"run": run.pk, "folder": run.upload_folder}


def _import_pages(run_id: int) -> dict:
    """What a curator sees of an import: its status (JSON), its page and the history, in English
    and in French (the pages' text, without tags)."""
    import re

    client = _curator_client()
    seen = {"status": json.loads(client.get(f"/imports/{run_id}/status/").content)}
    for language in ("en", "fr"):
        for name, page in (("page", f"/imports/{run_id}/"), ("history", "/imports/")):
            html = client.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
            seen[f"{name}:{language}"] = text
    return seen


def main(argv: list[str]) -> int:
    import django

    django.setup()
    if argv[0] == "snapshot":
        print(json.dumps(snapshot_here()))
    elif argv[0] == "note":
        print(_note(argv[1]))
    elif argv[0] == "upload":
        print(json.dumps(_upload(argv[1:])))
    elif argv[0] == "import-pages":
        print(json.dumps(_import_pages(int(argv[1]))))
    elif argv[0] == "reader":
        print(json.dumps(_reader(Path(argv[1]))), flush=True)
    else:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
