"""Using the archive while a large import runs: a curator's notes, logins and anonymous pages.

    .venv/bin/python bench/import_contention.py --posts 50000 --database sqlite
    .venv/bin/python bench/import_contention.py --posts 50000 --database postgres
    .venv/bin/python bench/import_contention.py --posts 50000 --code /path/to/other/checkout

Writes one dump file of `--posts` posts (tests/dumpgen.py: one file is one publication, the
hardest case), makes a fresh database (a SQLite file under /tmp, or a throwaway PostgreSQL
cluster), imports a small demo dump and makes a curator, then serves the archive with gunicorn
(3 sync workers, production settings) on 127.0.0.1. While `manage.py import_dump` imports the
big file, a curator (logged in) saves a note every 0.5 s, a second client logs in every 3 s,
and two anonymous readers load pages (home, article, tag, search) one after the other. It
prints the import's time, notes and logins saved/failed with their longest wait, and the pages'
p50/p95/max; and when a search for a word only the file's posts hold first found them, in
seconds before the import's process ended (its last commit and exit take a moment: more than
that is a partial file seen). `--code` runs another checkout's code (gunicorn and the import),
e.g. a `git worktree` of main, for comparison. Never passes or fails on a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "bench"))
sys.path.insert(0, str(HERE / "tests"))

from dumpgen import write_bulleted  # noqa: E402
from run import _free_port, _wait_for_port, django_env, machine  # noqa: E402

PY = sys.executable
NOTE_EVERY = 0.5
LOGIN_EVERY = 3.0
PASSWORD = "a-curator-password-for-benchmarks"
# A word only the big file's posts hold ("Paragraph 0 of post 12: …"): found by search only
# once the file is published.
FILE_WORD = "paragraph"
FILE_TITLE = re.compile(r"Post \d+: ")


def env_for(url: str, code: Path) -> dict:
    return django_env(url) | {"PYTHONPATH": str(code)}


def manage(code: Path, url: str, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args],
        cwd=code,
        env=env_for(url, code) | (env or {}),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Client:
    """Keeps its cookies; sends the CSRF token back; never follows redirects."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return raw.status, text

    def log_in(self, username: str) -> int:
        self.cookies.clear()
        self.request("GET", "/accounts/login/")
        status, _ = self.request(
            "POST", "/accounts/login/", {"username": username, "password": PASSWORD}
        )
        return status


class Timings:
    def __init__(self) -> None:
        self.ok: list[float] = []
        self.failed: list[tuple[int, float]] = []
        self.lock = threading.Lock()

    def add(self, good: bool, status: int, seconds: float) -> None:
        with self.lock:
            (self.ok.append(seconds) if good else self.failed.append((status, seconds)))

    def summary(self) -> dict:
        every = sorted(self.ok + [s for _, s in self.failed])
        if not every:
            return {"ok": 0, "failed": 0}
        quantiles = statistics.quantiles(every, n=100) if len(every) > 1 else every * 99
        return {
            "ok": len(self.ok),
            "failed": len(self.failed),
            "failed_statuses": sorted({s for s, _ in self.failed}),
            "p50_ms": round(quantiles[49] * 1000, 1),
            "p95_ms": round(quantiles[94] * 1000, 1),
            "max_ms": round(every[-1] * 1000, 1),
        }


def curator_notes(port: int, article: int, stop: threading.Event, out: Timings) -> None:
    client = Client(port)
    assert client.log_in("alice") == 302, "the curator could not log in"
    n = 0
    while not stop.is_set():
        started = time.monotonic()
        n += 1
        try:
            status, _ = client.request(
                "POST", f"/articles/{article}/notes/new/", {"text": f"note {n} #bench"}
            )
        except OSError:
            status = 0
        out.add(status == 302, status, time.monotonic() - started)
        stop.wait(max(0.0, NOTE_EVERY - (time.monotonic() - started)))


def logins(port: int, stop: threading.Event, out: Timings) -> None:
    while not stop.wait(LOGIN_EVERY):
        started = time.monotonic()
        try:
            status = Client(port).log_in("alice")
        except OSError:
            status = 0
        out.add(status == 302, status, time.monotonic() - started)


def reader(
    port: int,
    paths: list[str],
    stop: threading.Event,
    out: Timings,
    seen: list,
    by_page: dict[str, Timings],
) -> None:
    client = Client(port)
    i = 0
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        started = time.monotonic()
        try:
            status, text = client.request("GET", path)
        except OSError:
            status, text = 0, ""
        out.add(status == 200, status, time.monotonic() - started)
        by_page[path].add(status == 200, status, time.monotonic() - started)
        if "search" in path and status == 200 and FILE_TITLE.search(text):
            seen.append(time.monotonic())


def run(args) -> dict:
    code = Path(args.code).resolve()
    out = HERE / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    dump = out / f"contention-{args.posts}.txt"
    if not dump.exists():
        write_bulleted(dump, args.posts, seed=42)
    with contextlib.ExitStack() as stack:
        if args.database == "postgres":
            # Only when asked: a PostgreSQL cluster needs its binaries (tests/pg_cluster.py).
            from pg_cluster import PG_BIN, throwaway_cluster

            from archive.env import database_from_url

            url = stack.enter_context(throwaway_cluster(()))
            host = database_from_url(url, HERE)["HOST"]
            subprocess.run(
                [str(PG_BIN / "createdb"), "-h", host, "-U", "postgres", "archive"], check=True
            )
        else:
            path = Path("/tmp") / f"archive-contention-{os.getpid()}.sqlite3"
            url = f"sqlite:///{path}"
            stack.callback(_remove_sqlite, path)
        return prepared_and_measured(code, url, dump, args)


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".import-lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def prepared_and_measured(code: Path, url: str, dump: Path, args) -> dict:
    manage(code, url, "migrate", "--noinput", "-v0")
    manage(code, url, "import_dump", "--no-progress", str(HERE / "fixtures" / "dumps"))
    manage(
        code,
        url,
        "createsuperuser",
        "--noinput",
        "--username",
        "alice",
        "--email",
        "alice@example.org",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )
    manage(code, url, "make_curator", "alice")
    return measure(code, url, dump, args)


def measure(code: Path, url: str, dump: Path, args) -> dict:
    port = _free_port()
    env = env_for(url, code)
    log = open(HERE / "bench" / "out" / "contention-gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [PY, "-m", "gunicorn", "archive.wsgi", "-b", f"127.0.0.1:{port}", "-w", "3"]
        + ["--chdir", str(code), "--log-level", "warning"],
        cwd=code,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        _wait_for_port(port)
        probe = Client(port)
        _, home = probe.request("GET", "/")
        article_path = "/articles/" + home.split('href="/articles/', 1)[1].split('"', 1)[0]
        article = int(article_path.split("/")[2])
        _, tags = probe.request("GET", "/tags/")
        tag = tags.split('href="/tags/', 1)[1].split('"', 1)[0]
        paths = ["/", article_path, f"/tags/{tag}", f"/search/?q={FILE_WORD}"]
        for path in paths:  # warm each worker a little
            probe.request("GET", path)
        notes, logged, pages, seen = Timings(), Timings(), Timings(), []
        by_page = {path: Timings() for path in paths}
        stop = threading.Event()
        threads = [
            threading.Thread(target=curator_notes, args=(port, article, stop, notes)),
            threading.Thread(target=logins, args=(port, stop, logged)),
        ] + [
            threading.Thread(target=reader, args=(port, paths, stop, pages, seen, by_page))
            for _ in range(args.readers)
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        started = time.monotonic()
        importer = subprocess.run(
            [PY, "manage.py", "import_dump", "--no-progress", str(dump)],
            cwd=code,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        finished = time.monotonic()
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(180)
        if importer.returncode:
            raise SystemExit(f"the import failed:\n{importer.stdout}\n{importer.stderr}")
        return {
            "database": args.database,
            "posts": args.posts,
            "code": str(code),
            "import_seconds": round(finished - started, 1),
            "import_summary": importer.stdout.strip().splitlines()[0],
            "notes": notes.summary(),
            "logins": logged.summary(),
            "pages": pages.summary(),
            "each_page": {path: timings.summary() for path, timings in by_page.items()},
            # The file committed (or published) a moment before its process ended: a search
            # that found it well before that found a partial file.
            "file_first_seen_seconds_before_import_ended": round(finished - min(seen), 1)
            if seen
            else None,
        }
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--code", default=str(HERE), help="the checkout whose code runs")
    parser.add_argument("--readers", type=int, default=2)
    args = parser.parse_args(argv)
    result = run(args)
    result["machine"] = machine()
    print(json.dumps(result, indent=1))
    n, lg, p = result["notes"], result["logins"], result["pages"]
    print(
        f"| {result['posts']:,} | {result['database']} | {result['import_seconds']} | "
        f"{n['ok']}/{n['failed']} | {n.get('max_ms')} | {lg['ok']}/{lg['failed']} | "
        f"{lg.get('max_ms')} | {p.get('p50_ms')} / {p.get('p95_ms')} / {p.get('max_ms')} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
