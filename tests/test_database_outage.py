"""The database goes away under traffic: every request that needs it answers 503 with
Retry-After (JSON under /api/), the log gets one line per burst rather than a traceback per
request, and the archive answers again by itself once the database is back.

Real parts: gunicorn serving a real database, which the test stops and starts again. Each test
makes its own database: a throwaway PostgreSQL cluster (run on the suite's PostgreSQL leg), a
SQLite file locked by another connection (run on the SQLite leg).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import psycopg
import pytest
from django.db import Error, OperationalError
from django.db.utils import DatabaseErrorWrapper

from archive.outage import (
    LOG_EVERY_SECONDS,
    RETRY_AFTER_SECONDS,
    _Burst,
    database_unavailable,
    server_error,
)
from tests.base import DEMO_DUMPS
from tests.dbprocs import gunicorn_server, is_postgres, manage, suite_database_url
from tests.pg_cluster import PG_BIN, cluster_at

WORKERS = 2
PAGES = ["/", "/tags/", "/tags/surveillance/", "/search/?q=surveillance", "/feed/"]
API = ["/api/articles/", "/api/tags/", "/api/search/?q=surveillance"]


class Browser:
    """A visitor over real HTTP: keeps cookies, follows no redirect."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, dict):
            body = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, content

    def get(self, path: str, **headers):
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: dict):
        self.get("/accounts/login/")  # the CSRF cookie
        token = self.cookies["csrftoken"]
        return self.request("POST", path, {**fields, "csrfmiddlewaretoken": token})

    def post_json(self, path: str, data: dict, key: str):
        headers = {"Content-Type": "application/json", "Authorization": f"Token {key}"}
        return self.request("POST", path, json.dumps(data).encode(), headers)

    def log_in(self, username: str, password: str) -> None:
        status, _headers, _body = self.post_form(
            "/accounts/login/", {"username": username, "password": password}
        )
        assert status == 302, status


class Traffic:
    """Another visitor requesting pages in a loop, in a thread, counting answers by status."""

    MAX_REQUESTS = 20_000

    def __init__(self, base: str, paths: list[str]):
        self.browser, self.paths = Browser(base), paths
        self.statuses: Counter[int | str] = Counter()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(60)

    def _run(self) -> None:
        for n in range(self.MAX_REQUESTS):
            if self._done.is_set():
                return
            try:
                status = self.browser.get(self.paths[n % len(self.paths)])[0]
            except OSError as error:  # the connection reset, refused...: counted, by name
                status = type(error).__name__
            self.statuses[status] += 1


def new_token(url: str, username: str, *create: str) -> str:
    done = manage(url, "make_curator", username, *create, "--token", check=True)
    return re.search(r"API token[^:]*: (\S+)", done.stdout).group(1)


def assert_unavailable(status: int, headers, body: bytes, path: str) -> None:
    assert status == 503, (path, status, body[:300])
    assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS), path
    if path.startswith("/api/"):
        assert headers["Content-Type"] == "application/json", path
        assert "database is unavailable" in json.loads(body)["detail"], path
    else:
        assert headers["Content-Type"].startswith("text/html"), path
        assert b"Back in a moment" in body and "Réessayez".encode() in body, path


def article_page(browser: Browser, article: int) -> str:
    """The article's page address (/articles/<id>/ redirects to the one with its slug)."""
    status, headers, _body = browser.get(f"/articles/{article}/")
    assert status == 301, status
    return urlsplit(headers["Location"]).path


def outage_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Database" in line and "unavailable" in line]


@pytest.mark.skipif(
    not is_postgres(suite_database_url()), reason="the PostgreSQL leg runs it (its own cluster)"
)
def test_postgresql_stopped_under_traffic(tmp_path: Path):
    root = Path(tempfile.mkdtemp(prefix="archive-outage-"))  # the server user must reach it
    log_path = tmp_path / "gunicorn.log"
    servers = contextlib.ExitStack()
    traffic = None
    try:
        with cluster_at(root) as url:
            sockets = url.split("host=")[1]
            subprocess.run(
                [str(PG_BIN / "createdb"), "-h", sockets, "-U", "postgres", "archive"], check=True
            )
            manage(url, "migrate", "--noinput", "-v0", check=True)
            manage(url, "import_dump", str(DEMO_DUMPS), "--no-progress", check=True)
            key = new_token(url, "alice", "--create")
            manage(url, "shell", "--no-imports", "-c", SET_PASSWORD, check=True)
            base = servers.enter_context(gunicorn_server(url, log_path, workers=WORKERS))
            visitor, curator = Browser(base), Browser(base)
            article = json.loads(visitor.get("/api/articles/")[2])["results"][0]["id"]
            notes = f"/api/articles/{article}/commentary/"
            page = article_page(visitor, article)
            pages = [*PAGES, page]
            for path in pages + API:
                assert visitor.get(path)[0] == 200, path
            curator.log_in("alice", "password")
            assert curator.post_json(notes, {"text": "avant"}, key)[0] == 201
            traffic = Traffic(base, pages + API)
            traffic.start()  # requests all along: as the cluster stops, while down, as it starts
            before = len(log_path.read_text())
            started = time.monotonic()
        # The cluster is stopped ("fast": sessions are cut), the archive still serves.
        with servers:
            requests = 0
            for _ in range(10):
                for path in pages + API:
                    assert_unavailable(*visitor.get(path), path)
                    requests += 1
                assert_unavailable(*curator.get(page), page)
                assert_unavailable(*curator.post_json(notes, {"text": "perdue"}, key), notes)
                login = Browser(base).post_form(
                    "/accounts/login/", {"username": "alice", "password": "password"}
                )
                assert_unavailable(*login, "/accounts/login/")
                requests += 3
            elapsed = time.monotonic() - started
            log = log_path.read_text()[before:]
            lines = outage_lines(log)
            print(f"\n{requests} requests in {elapsed:.1f} s while stopped: {len(lines)} log lines")
            assert "Traceback" not in log and "Internal Server Error" not in log, log[:3000]
            assert "Service Unavailable" not in log, log[:3000]
            assert any("Database unavailable, answering 503" in line for line in lines), log
            # One line when each worker's burst starts, then one at most every LOG_EVERY_SECONDS.
            assert len(lines) <= WORKERS * (1 + int(elapsed // LOG_EVERY_SECONDS)), lines
            assert len(log.splitlines()) == len(lines), log

            with cluster_at(root):
                traffic.stop()
                # Back: the very next requests are served (each worker reconnects by itself).
                after = len(log_path.read_text())
                for path in pages + API:
                    assert visitor.get(path)[0] == 200, path
                assert curator.get(page)[0] == 200
                status, _headers, body = curator.post_json(notes, {"text": "après"}, key)
                assert status == 201, body
                texts = [
                    c["text"]
                    for c in json.loads(visitor.get(f"/api/articles/{article}/")[2])["commentary"]
                ]
                assert "avant" in texts and "après" in texts and "perdue" not in texts
                assert "Traceback" not in log_path.read_text()[after:]
                print(f"background traffic: {dict(traffic.statuses)}")
                assert set(traffic.statuses) <= {200, 503}, traffic.statuses
                assert traffic.statuses[503] > 0, traffic.statuses
    finally:
        if traffic is not None:
            traffic.stop()
        shutil.rmtree(root, ignore_errors=True)


SET_PASSWORD = (
    "from django.contrib.auth.models import User; "
    "u = User.objects.get(username='alice'); u.set_password('password'); u.save()"
)


@pytest.mark.skipif(
    is_postgres(suite_database_url()), reason="the SQLite leg runs it (its own file)"
)
def test_a_sqlite_file_locked_too_long_answers_503(tmp_path: Path):
    path = tmp_path / "archive.sqlite3"
    url = f"sqlite:///{path}"
    manage(url, "migrate", "--noinput", "-v0", check=True)
    manage(url, "import_dump", str(DEMO_DUMPS), "--no-progress", check=True)
    used_key = new_token(url, "alice", "--create")
    fresh_key = new_token(url, "alice")
    manage(url, "shell", "--no-imports", "-c", SET_PASSWORD, check=True)
    log_path = tmp_path / "gunicorn.log"
    with gunicorn_server(f"{url}?timeout=0.5", log_path, workers=WORKERS) as base:
        visitor, curator = Browser(base), Browser(base)
        article = json.loads(visitor.get("/api/articles/")[2])["results"][0]["id"]
        notes = f"/api/articles/{article}/commentary/"
        curator.log_in("alice", "password")
        assert curator.post_json(notes, {"text": "avant"}, used_key)[0] == 201
        before = len(log_path.read_text())

        writer = sqlite3.connect(path, isolation_level=None)  # an import, say, holding the lock
        writer.execute("BEGIN IMMEDIATE")
        try:
            # Reading goes on (WAL); writing waits 0.5 s for the lock, then gets 503.
            assert visitor.get("/")[0] == 200
            assert visitor.get(article_page(visitor, article))[0] == 200
            for key in (used_key, fresh_key):  # the view's write; the token's `last_used`
                assert_unavailable(*curator.post_json(notes, {"text": "bloquée"}, key), notes)
            form = curator.post_form(f"/articles/{article}/notes/new/", {"text": "bloquée"})
            assert_unavailable(*form, "/articles/…/notes/new/")
            # Logging in writes too (the session, last_login, django-axes' log).
            login = Browser(base).post_form(
                "/accounts/login/", {"username": "alice", "password": "password"}
            )
            assert_unavailable(*login, "/accounts/login/")
        finally:
            writer.rollback()
            writer.close()

        assert curator.post_json(notes, {"text": "après"}, used_key)[0] == 201
        assert (
            curator.post_form(f"/articles/{article}/notes/new/", {"text": "formulaire"})[0] == 302
        )
        log = log_path.read_text()[before:]
        assert "Traceback" not in log and "Internal Server Error" not in log, log[:3000]
        lines = outage_lines(log)
        assert 1 <= len(lines) <= WORKERS, log
        assert all("database is locked" in line for line in lines), lines
        texts = [
            c["text"] for c in json.loads(visitor.get(f"/api/articles/{article}/")[2])["commentary"]
        ]
        assert {"avant", "après", "formulaire"} <= set(texts) and "bloquée" not in texts


# --- what counts as "unavailable", and how a burst is logged (no server needed) -----------


def as_django_error(driver_module, driver_error: Exception) -> Error:
    """The error as Django raises it: its own class, the driver's error as the cause."""
    try:
        with DatabaseErrorWrapper(SimpleNamespace(Database=driver_module)):
            raise driver_error
    except Error as error:  # InterfaceError is no DatabaseError
        return error
    raise AssertionError("not wrapped")


def sqlite_error(tmp_path: Path, sql: str, lock: bool = False) -> Exception:
    holder = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    if lock:
        holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(tmp_path / "db.sqlite3", timeout=0, isolation_level=None)
    try:
        other.execute(sql)
    except sqlite3.Error as error:
        return error
    finally:
        other.close()
        holder.close()
    raise AssertionError(f"{sql} did not fail")


def psycopg_connection_error(tmp_path: Path) -> Exception:
    try:
        psycopg.connect(host=str(tmp_path / "no-server-here"), dbname="x", connect_timeout=2)
    except psycopg.Error as error:
        return error
    raise AssertionError("connected to nothing")


def test_a_database_locked_after_the_view_answers_503_not_500(tmp_path: Path, rf, settings):
    """A middleware's write after the view (the session, messages kept in it) that finds the
    database locked reaches handler500: it answers 503 like the views do."""
    settings.DEBUG = False
    locked = as_django_error(sqlite3, sqlite_error(tmp_path, "BEGIN IMMEDIATE", lock=True))
    for path in ("/articles/1/notes/new/", "/api/articles/1/commentary/"):
        try:
            raise locked
        except OperationalError:
            response = server_error(rf.post(path))
        assert response.status_code == 503, path
        assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(rf.get("/")).status_code == 500


def test_which_database_errors_mean_unavailable(tmp_path: Path):
    locked = sqlite_error(tmp_path, "BEGIN IMMEDIATE", lock=True)
    assert "database is locked" in str(locked)
    assert database_unavailable(as_django_error(sqlite3, locked))
    # A bug is not an outage: it stays a server error, with its traceback.
    assert not database_unavailable(
        as_django_error(sqlite3, sqlite_error(tmp_path, "SELECT * FROM nope"))
    )
    assert database_unavailable(as_django_error(psycopg, psycopg_connection_error(tmp_path)))
    for cause in (
        psycopg.errors.AdminShutdown(),
        psycopg.errors.CannotConnectNow(),
        psycopg.errors.TooManyConnections(),
        psycopg.errors.DiskFull(),
    ):
        assert database_unavailable(as_django_error(psycopg, cause)), cause
    for cause in (
        psycopg.errors.UndefinedTable(),
        psycopg.errors.SerializationFailure(),
        psycopg.errors.UniqueViolation(),
        psycopg.errors.DataError(),
    ):
        assert not database_unavailable(as_django_error(psycopg, cause)), cause
    assert database_unavailable(as_django_error(psycopg, psycopg.InterfaceError("closed")))


def test_a_burst_is_logged_once_then_counted():
    burst, error = _Burst(), OperationalError("database is locked")
    first = burst.failed(error, 100.0)
    assert first.startswith("Database unavailable, answering 503 until it is back: ")
    assert "OperationalError: database is locked" in first
    assert [burst.failed(error, 100.0 + t) for t in range(1, LOG_EVERY_SECONDS)] == [None] * 9
    assert burst.failed(error, 110.5) == (
        "Database still unavailable: 10 more requests answered 503 in 10 s: "
        "OperationalError: database is locked"
    )
    assert burst.failed(error, 111.0) is None
    # Quiet for longer than LOG_EVERY_SECONDS: the next failure starts a new burst.
    assert burst.failed(error, 125.0).startswith("Database unavailable, answering 503")


def test_a_long_error_is_one_short_line():
    line = _Burst().failed(OperationalError("x\n\tIs the server running?" + "y" * 5000), 0.0)
    assert "\n" not in line and "\t" not in line and len(line) < 500
