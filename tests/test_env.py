"""DATABASE_URL to DATABASES: every form the README documents, and the loud failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from archive.env import database_from_url, replica_databases, replica_timings
from tests.base import PROJECT, manage, subprocess_env

SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}


def test_default_sqlite_url_is_relative_to_the_project(tmp_path: Path):
    conf = database_from_url("sqlite:///var/archive.sqlite3", tmp_path)
    assert conf == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "var" / "archive.sqlite3"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": SQLITE_OPTIONS,
    }
    assert (tmp_path / "var").is_dir(), "the database's folder is created"


def test_relative_sqlite_url_ignores_the_current_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir("/")
    conf = database_from_url("sqlite:///relative.db", tmp_path)
    assert conf["NAME"] == str(tmp_path / "relative.db")


def test_absolute_sqlite_url(tmp_path: Path):
    conf = database_from_url(f"sqlite:///{tmp_path}/sub/absolute.db", Path("/elsewhere"))
    assert conf["NAME"] == str(tmp_path / "sub" / "absolute.db")
    assert conf["OPTIONS"] == SQLITE_OPTIONS
    assert (conf["CONN_MAX_AGE"], conf["CONN_HEALTH_CHECKS"]) == (60, True)


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://:memory:"])
def test_in_memory_sqlite_is_not_kept_between_requests(tmp_path: Path, url: str):
    conf = database_from_url(url, tmp_path)
    assert conf["NAME"] == ":memory:"
    assert conf["CONN_MAX_AGE"] == 0
    assert conf["OPTIONS"] == SQLITE_OPTIONS


def test_sqlite_url_parameters_are_options(tmp_path: Path):
    conf = database_from_url("sqlite:///a.db?timeout=5", tmp_path)
    assert conf["OPTIONS"] == {**SQLITE_OPTIONS, "timeout": 5}
    # A busy timeout in fractions of a second (sqlite3 refused the text "0.5").
    conf = database_from_url("sqlite:///a.db?timeout=0.5", tmp_path)
    assert conf["OPTIONS"] == {**SQLITE_OPTIONS, "timeout": 0.5}


def test_postgres_url_with_host_and_port(tmp_path: Path):
    conf = database_from_url("postgres://user:pass%40word@db.example.org:5432/name", tmp_path)
    assert conf == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "name",
        "USER": "user",
        "PASSWORD": "pass@word",
        "HOST": "db.example.org",
        "PORT": "5432",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {},
    }


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql"])
def test_postgres_url_without_port(tmp_path: Path, scheme: str):
    conf = database_from_url(f"{scheme}://archive:secret@localhost/archive", tmp_path)
    assert conf["ENGINE"] == "django.db.backends.postgresql"
    assert (conf["HOST"], conf["PORT"], conf["USER"], conf["PASSWORD"], conf["NAME"]) == (
        "localhost",
        "",
        "archive",
        "secret",
        "archive",
    )


def test_postgres_socket_as_a_parameter(tmp_path: Path):
    # The README's form, and the one tests/pg_cluster.py and tests/base.py hand out.
    conf = database_from_url("postgres://user@/name?host=/var/run/postgresql&port=5433", tmp_path)
    assert (conf["HOST"], conf["PORT"], conf["USER"], conf["NAME"]) == (
        "/var/run/postgresql",
        "5433",
        "user",
        "name",
    )
    assert conf["OPTIONS"] == {}, "host and port are not passed twice"
    assert (conf["CONN_MAX_AGE"], conf["CONN_HEALTH_CHECKS"]) == (60, True)


def test_postgres_socket_percent_encoded_keeps_its_case(tmp_path: Path):
    conf = database_from_url("postgres://user@%2FSrv%2Fpg:5433/name", tmp_path)
    assert (conf["HOST"], conf["PORT"]) == ("/Srv/pg", "5433")


def test_postgres_parameters_are_options(tmp_path: Path):
    conf = database_from_url("postgres://u@h/db?sslmode=require&connect_timeout=10", tmp_path)
    assert conf["OPTIONS"] == {"sslmode": "require", "connect_timeout": 10}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://u@h/db", "unsupported scheme 'mysql'"),
        ("postgis://u@h/db", "unsupported scheme 'postgis'"),
        ("spatialite:///a.db", "unsupported scheme 'spatialite'"),
        ("nosuch://u@h/db", "unknown scheme 'nosuch'"),
        ("archive.sqlite3", "unknown scheme ''"),
        ("sqlite://", "names no SQLite file"),
        ("sqlite:///", "names no SQLite file"),
        ("sqlite://var/archive.sqlite3", "a SQLite URL has no host"),
        ("sqlite:///a.db?timeout=soon", "timeout='soon' is not a number of seconds"),
        ("postgres://u@h/", "names no database"),
        ("postgres://u@h", "names no database"),
        ("postgres://u@h:port/db", "Port could not be cast to integer"),
        ("postgres://u@h:99999/db", "Port out of range"),
    ],
)
def test_unusable_urls_stop_start_up_naming_the_problem(tmp_path: Path, url: str, problem: str):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL=") as failure:
        database_from_url(url, tmp_path)
    assert problem in str(failure.value)
    assert list(tmp_path.iterdir()) == [], "nothing is created for a URL that is refused"


def test_error_messages_hide_the_password(tmp_path: Path):
    with pytest.raises(ImproperlyConfigured) as failure:
        database_from_url("mysql://archive:s3cret@h/db", tmp_path)
    assert "s3cret" not in str(failure.value)
    assert "archive:***@h" in str(failure.value)


def test_pool_mode_transaction_turns_server_side_cursors_off(tmp_path: Path):
    url = "postgres://u@127.0.0.1:6432/db?pool_mode=transaction&sslmode=disable"
    conf = database_from_url(url, tmp_path)
    assert conf["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert conf["OPTIONS"] == {"sslmode": "disable"}, "pool_mode is ours, not libpq's"
    assert "DISABLE_SERVER_SIDE_CURSORS" not in database_from_url("postgres://u@h/db", tmp_path)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("pool_mode=statement", "pool_mode='statement' is not one we run on"),
        ("pool_mode=transaction&prepare_threshold=5", "prepare_threshold cannot work"),
        ("pool_mode=transaction&server_side_binding=true", "server_side_binding cannot work"),
    ],
)
def test_pool_modes_we_cannot_run_on_are_refused(tmp_path: Path, query: str, problem: str):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL=") as failure:
        database_from_url(f"postgres://u@h/db?{query}", tmp_path)
    assert problem in str(failure.value)


PRIMARY = {"ENGINE": "django.db.backends.postgresql"}


def test_no_replica_urls_no_replicas(tmp_path: Path):
    assert replica_databases("", PRIMARY, tmp_path) == {}
    assert replica_databases(" , ", PRIMARY, tmp_path) == {}
    assert replica_databases("", {"ENGINE": "django.db.backends.sqlite3"}, tmp_path) == {}


def test_replica_urls_separated_by_commas_or_spaces(tmp_path: Path):
    replicas = replica_databases(
        "postgres://r@/archive?host=/run/one, postgres://r@two.example:5433/archive\n"
        "postgres://r@three.example/archive?connect_timeout=10",
        PRIMARY,
        tmp_path,
    )
    assert list(replicas) == ["replica1", "replica2", "replica3"]
    one, two, three = replicas.values()
    assert (one["HOST"], two["HOST"], two["PORT"]) == ("/run/one", "two.example", "5433")
    assert [r["OPTIONS"]["connect_timeout"] for r in (one, two, three)] == [3, 3, 10]
    # A test run reads them from its own test database, where they are no standby.
    assert one["TEST"] == {"MIRROR": "default"}


@pytest.mark.parametrize(
    ("raw", "primary", "problem"),
    [
        ("postgres://r@h/db", {"ENGINE": "django.db.backends.sqlite3"}, "PostgreSQL primary"),
        ("postgres://r@h/db,sqlite:///r.db", PRIMARY, "(URL 2)='sqlite:///r.db': a replica is"),
        ("postgres://r@h/db postgres://r@h:port/db", PRIMARY, "(URL 2)='postgres://r@h:port/db'"),
        ("postgres://r@h/", PRIMARY, "(URL 1)='postgres://r@h/' names no database"),
        ("postgres://r:s3cret@h/db?pool_mode=x", PRIMARY, "(URL 1)='postgres://r:***@h/db"),
    ],
)
def test_unusable_replica_urls_stop_start_up(tmp_path: Path, raw, primary, problem):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URLS") as failure:
        replica_databases(raw, primary, tmp_path)
    assert problem in str(failure.value)
    assert "s3cret" not in str(failure.value)
    assert list(tmp_path.iterdir()) == [], "nothing is created for a URL that is refused"


def test_read_your_writes_must_outlast_the_lag_a_replica_may_have(monkeypatch):
    assert replica_timings(1) == (5, 2, 10)
    monkeypatch.setenv("ARCHIVE_READ_YOUR_WRITES_SECONDS", "6")
    with pytest.raises(ImproperlyConfigured, match="ARCHIVE_READ_YOUR_WRITES_SECONDS=6 is shorter"):
        replica_timings(1)
    assert replica_timings(0) == (5, 2, 6), "without replicas the window is not used"
    monkeypatch.setenv("ARCHIVE_REPLICA_MAX_LAG_SECONDS", "-1")
    with pytest.raises(ImproperlyConfigured, match="0 or more"):
        replica_timings(0)


def test_without_replicas_nothing_is_routed():
    from django.conf import settings

    assert settings.ARCHIVE_REPLICAS == []
    assert settings.DATABASE_ROUTERS == []
    assert not any("read_routing" in m for m in settings.MIDDLEWARE)


SHOW_ROUTING = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.ARCHIVE_REPLICAS, s.DATABASE_ROUTERS, s.MIDDLEWARE]))"
)


def test_replicas_install_the_router_and_the_middleware():
    env = subprocess_env(
        {
            "DJANGO_SETTINGS_MODULE": "archive.settings",
            "DEBUG": "1",
            "DATABASE_URL": "postgres://archive@db.example/archive",
            "DATABASE_REPLICA_URLS": "postgres://archive@r1.example/archive,"
            "postgres://archive@r2.example/archive",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", SHOW_ROUTING], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    replicas, routers, middleware = json.loads(done.stdout)
    assert replicas == ["replica1", "replica2"]
    assert routers == ["archive.db_routers.PrimaryReplicaRouter"]
    # Before sessions and API tokens are read, after static files.
    routing = middleware.index("archive.read_routing.ReadRoutingMiddleware")
    assert middleware[routing - 1] == "whitenoise.middleware.WhiteNoiseMiddleware"
    assert middleware.index("django.contrib.sessions.middleware.SessionMiddleware") > routing
    assert middleware.index("annotations.auth.TokenAuthenticationMiddleware") > routing


def test_replicas_of_an_sqlite_archive_stop_start_up_with_a_clear_message():
    result = manage(
        "check",
        env={
            "DEBUG": "1",
            "DATABASE_URL": "sqlite:///:memory:",
            "DATABASE_REPLICA_URLS": "postgres://archive@r1.example/archive",
        },
        check=False,
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URLS needs a PostgreSQL primary" in result.stderr
    assert "Traceback" not in result.stderr
