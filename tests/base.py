"""Shared test set-up: named users and the real dumps.

alice is a curator, bob has an account but no rights, charlie is a superuser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from io import StringIO
from pathlib import Path
from urllib.parse import quote

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import TestCase

from annotations.permissions import make_curator

PROJECT = Path(__file__).resolve().parent.parent
SHARED_DUMPS = Path(os.environ.get("ARCHIVE_SHARED_DUMPS", PROJECT.parent / "shared" / "dumps"))
SEENTHIS_DUMP = SHARED_DUMPS / "000_0f1913dad7b63a46.txt"
PLAIN_DUMP = SHARED_DUMPS / "003_b9a38b6793050bcf.txt"
DEMO_DUMPS = PROJECT / "fixtures" / "dumps"
HOSTILE_DUMPS = PROJECT / "tests" / "hostile"


def run_import(*paths, **options) -> tuple[str, str]:
    """Run the real import_dump command; return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command(
        "import_dump", *[str(p) for p in paths], stdout=out, stderr=err, no_progress=True, **options
    )
    return out.getvalue(), err.getvalue()


def temporary_folder(case) -> Path:
    """A new folder for one test, removed when it ends."""
    folder = Path(tempfile.mkdtemp(prefix="archive-test-"))
    case.addCleanup(shutil.rmtree, folder, True)
    return folder


def make_users(case) -> None:
    case.alice = User.objects.create_user("alice", "alice@example.org", "password")
    make_curator(case.alice)
    case.bob = User.objects.create_user("bob", "bob@example.org", "password")
    case.charlie = User.objects.create_superuser("charlie", "charlie@example.org", "password")


class BaseTestCase(TestCase):
    """Named users; subclasses set `dumps` to import real dump files once per class."""

    dumps: tuple[Path, ...] = ()

    def setUp(self):
        super().setUp()
        from django.core.cache import cache

        cache.clear()  # cached counts and related hashtags belong to one test's data

    @classmethod
    def setUpTestData(cls):
        make_users(cls)
        if cls.dumps:
            missing = [p for p in cls.dumps if not p.exists()]
            assert not missing, f"dump files missing (set ARCHIVE_SHARED_DUMPS?): {missing}"
            run_import(*cls.dumps)


@contextlib.contextmanager
def scratch_database_url():
    """A DATABASE_URL for an empty database of the engine under test, removed afterwards.

    For work done by subprocesses (gunicorn, a killed import): SQLite gets a temporary file,
    PostgreSQL a new database on the same server.
    """
    from django.db import connection

    if connection.vendor == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="archive-scratch-"))
        try:
            yield f"sqlite:///{folder}/archive.sqlite3"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg

    settings = connection.settings_dict
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    params = {"host": settings["HOST"], "user": settings["USER"], "dbname": "postgres"}
    if settings["PASSWORD"]:
        params["password"] = settings["PASSWORD"]
    if settings["PORT"]:
        params["port"] = settings["PORT"]
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    user = quote(settings["USER"] or "")
    password = f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else ""
    port = f"&port={settings['PORT']}" if settings["PORT"] else ""
    try:
        yield f"postgres://{user}{password}@/{name}?host={quote(settings['HOST'])}{port}"
    finally:
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def subprocess_env(env: dict) -> dict:
    """The environment for a manage.py or gunicorn subprocess: ours without the test defaults."""
    from tests.settings import TEST_ENVIRONMENT

    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in TEST_ENVIRONMENT and k != "DJANGO_SETTINGS_MODULE"
    }
    return {**full_env, "PYTHONUNBUFFERED": "1", **env}


def manage(*args: str, env: dict, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run manage.py in a subprocess with the given environment additions."""
    full_env = subprocess_env(env)
    return subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *args],
        env=full_env,
        cwd=PROJECT,
        check=check,
        capture_output=True,
        text=True,
        **kwargs,
    )
