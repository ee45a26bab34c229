"""Everything through PgBouncer in transaction mode (docs/scaling.md, "Connection pooling").

In transaction mode a client holds a server connection only for one transaction: whatever a
session keeps (a session-level lock, a cursor kept open, a prepared statement, a SET) may be gone
at the next one, or seen by another client. Here PgBouncer runs in front of the suite's
PostgreSQL with so few server connections that every client shares them, and:

- two imports of the same file at once wait for each other (the importer's advisory lock is a
  transaction-level one: pg_advisory_xact_lock) and end with each post once;
- migrate, import, reading pages, search, the read API and feeds, logging in, a note from the
  web and from the write API, hashtag edits and renames, the admin and an export all work through
  it, with times right although the server's own time zone is not the archive's.

Runs on the PostgreSQL leg; skipped on SQLite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection

from tests.base import DEMO_DUMPS, PROJECT, subprocess_env
from tests.dumpgen import write_bulleted
from tests.pg_cluster import throwaway_pgbouncer
from tests.webproc import PRODUCTION, Browser, gunicorn, make_curator, manage

if connection.vendor != "postgresql":
    pytest.skip("PgBouncer pools PostgreSQL connections", allow_module_level=True)


def server_connect(dbname: str) -> psycopg.Connection:
    """A direct connection to the suite's server, around PgBouncer."""
    settings = connection.settings_dict
    params = {"host": settings["HOST"], "port": settings["PORT"], "user": settings["USER"]}
    params = {k: v for k, v in params.items() if v}
    if settings["PASSWORD"]:
        params["password"] = settings["PASSWORD"]
    return psycopg.connect(**params, dbname=dbname, autocommit=True)


@contextmanager
def database_through_pgbouncer(pool_size: int):
    """A new database on the suite's server whose server time zone is not the archive's (UTC
    inside Django), and its DATABASE_URL through a PgBouncer of `pool_size` server connections."""
    name = f"pooled_{uuid.uuid4().hex[:10]}"
    with server_connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f"ALTER DATABASE \"{name}\" SET timezone TO 'America/New_York'")
    settings = connection.settings_dict
    try:
        with throwaway_pgbouncer(
            settings["HOST"], port=settings["PORT"] or 5432, pool_size=pool_size
        ) as url:
            yield urlunsplit(urlsplit(url)._replace(path=f"/{name}")), name
    finally:
        with server_connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_import(env: dict, path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_dump", "--no-progress", str(path)],
        cwd=PROJECT,
        env=subprocess_env({**PRODUCTION, **env}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_imports_at_once_wait_for_each_other_through_pgbouncer(tmp_path):
    posts = 1200
    dump = write_bulleted(tmp_path / "dump.txt", posts, seed=11)
    with database_through_pgbouncer(pool_size=3) as (url, name):
        env = {"DATABASE_URL": url}
        manage(env, "migrate", "--noinput", "-v0")
        importers = [start_import(env, dump) for _ in range(2)]
        try:
            # A lock kept by a pooled server connection after its transaction would hold the
            # second import (or the first) for ever.
            outputs = [proc.communicate(timeout=180) for proc in importers]
        finally:
            for proc in importers:
                proc.kill()
                proc.wait()
        for proc, (out, err) in zip(importers, outputs, strict=True):
            assert proc.returncode == 0, out + err
            assert "Traceback" not in err, err
        reports = sorted(out.splitlines()[0].split(": ", 1)[1] for out, _ in outputs)
        assert reports == [
            f"bulleted, 0 new, 0 updated, {posts} unchanged, 0 replies",
            f"bulleted, {posts} new, 0 updated, 0 unchanged, {posts // 5} replies",
        ]
        with server_connect(name) as db:
            assert db.execute("SELECT count(*) FROM archive_article").fetchone()[0] == posts
            indexed = db.execute("SELECT count(*) FROM archive_searchdoc").fetchone()[0]
            assert indexed == posts


def test_every_feature_works_through_pgbouncer(tmp_path):
    with database_through_pgbouncer(pool_size=1) as (url, name):
        env = {"DATABASE_URL": url}
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "import_dump", "--no-progress", str(DEMO_DUMPS))
        make_curator(env)
        token = manage(env, "make_curator", "alice", "--token").strip().rsplit(" ", 1)[1]
        with server_connect(name) as db:
            article = db.execute("SELECT min(id) FROM archive_article").fetchone()[0]
        with gunicorn(env, workers=2) as port:
            reader = Browser(port)
            for path in (
                "/",
                f"/articles/{article}/",
                "/tags/",
                "/tags/surveillance/",
                "/search/?q=surveillance",
                "/search/feed/?q=surveillance",
                "/api/articles/",
                "/api/tags/",
                "/api/search/?q=surveillance",
                "/feed/",
                "/sitemap.xml",
            ):
                assert reader.get(path).status == 200, path

            curator = Browser(port)
            curator.log_in()
            text = "A note through the pooler: quintessentially pooled"
            page = curator.post(f"/articles/{article}/notes/new/", {"text": text})
            assert page.status == 200 and text in page.text
            tagged = curator.post(f"/articles/{article}/hashtags/", {"hashtags": "pooled"})
            assert tagged.status == 200
            assert curator.get("/tags/pooled/").status == 200
            renamed = curator.post("/tags/pooled/rename/", {"name": "pooling"})
            assert renamed.status == 200
            assert curator.get("/admin/archive/article/").status == 200
            assert f'href="/articles/{article}/' in reader.get("/search/?q=quintessentially").text

            created = reader.request(
                "POST",
                f"/api/articles/{article}/commentary/",
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
                body=json.dumps({"text": "And one from the write API"}),
            )
            assert created.status == 201, created.text
            shown = json.loads(reader.get(f"/api/articles/{article}/").text)

        # Times are the stored instants although the server's own time zone is New York and
        # each transaction may land on a connection another client used.
        with server_connect(name) as db:
            stored = dict(
                db.execute(
                    "SELECT text, created FROM annotations_commentary WHERE article_id = %s",
                    [article],
                ).fetchall()
            )
        by_text = {
            item["text"]: datetime.fromisoformat(item["created"]) for item in shown["commentary"]
        }
        assert by_text[text] == stored[text]
        assert by_text["And one from the write API"] == stored["And one from the write API"]
        assert "pooling" in shown["tags"]

        exported = tmp_path / "export.txt"
        manage(env, "export_dump", str(exported))
        assert "quintessentially pooled" in exported.read_text(encoding="utf-8")
