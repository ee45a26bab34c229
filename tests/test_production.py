"""Production: gunicorn serves the archive with DEBUG off, hardened headers, hashed static files."""

import io
import logging
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from tests.base import DEMO_DUMPS, PROJECT, manage, scratch_database_url, subprocess_env

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "production-test-secret-key-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,archive.example.org",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_check_deploy_is_clean():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_refuses_to_start_without_secret_key():
    env = dict(PRODUCTION, SECRET_KEY="")
    result = manage("check", env=env, check=False)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_refused_host_is_logged_on_one_line():
    """The log as configured (settings.LOGGING): every stream handler a refusal can reach."""
    written = io.StringIO()
    loggers = [logging.getLogger(), logging.getLogger("django.security.DisallowedHost")]
    # Ours, not pytest's capturing handlers (subclasses).
    handlers = [h for lg in loggers for h in lg.handlers if type(h) is logging.StreamHandler]
    assert handlers
    streams = [h.setStream(written) for h in handlers]
    try:
        response = Client().get("/", HTTP_HOST="evil-" + "a" * 8000 + ".example")
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)
    assert response.status_code == 400
    log = written.getvalue()
    assert log.startswith("Invalid HTTP_HOST header: 'evil-aaaa"), log[:200]
    assert log.count("\n") == 1 and len(log) < 1000, log.replace("a" * 50, "")
    assert "Traceback" not in log


@pytest.mark.parametrize(
    "key",
    ["short", "a" * 60, "abcd" * 15, "django-insecure-" + "0123456789" * 5, "x" * 20 + "0123"],
)
def test_refuses_to_start_with_a_weak_secret_key(key):
    result = manage("check", env=dict(PRODUCTION, SECRET_KEY=key), check=False)
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr
    assert "at least 50 characters, 5 of them different" in result.stderr
    assert key not in result.stderr  # a key is never printed, even a bad one
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_gunicorn_serves_pages_with_security_headers():
    with (
        tempfile.TemporaryDirectory(prefix="archive-static-") as folder,
        scratch_database_url() as url,
    ):
        static_root = Path(folder)
        env = dict(PRODUCTION, DATABASE_URL=url, STATIC_ROOT=str(static_root), BEHIND_TLS_PROXY="1")
        manage("migrate", "--noinput", env=env)
        manage("import_dump", str(DEMO_DUMPS), env=env)
        manage("collectstatic", "--noinput", env=env)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "archive.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
            ],
            cwd=PROJECT,
            env=subprocess_env(env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:

            def get(path: str):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}{path}",
                    headers={"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"},
                )
                return urllib.request.urlopen(request, timeout=10)

            for _ in range(100):
                try:
                    home = get("/")
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("gunicorn did not answer: " + server.stderr.read1().decode())
            body = home.read().decode()
            assert "La vidéosurveillance algorithmique" in body
            assert "script-src 'self'" in home.headers["Content-Security-Policy"]
            assert "max-age=31536000" in home.headers["Strict-Transport-Security"]
            assert home.headers["X-Frame-Options"] == "DENY"
            # Static files under hashed names, compressed, cached for long.
            css = body.split('href="/static/css/site.')[1].split('"')[0]
            assert css.endswith(".css") and len(css) > len("css")
            asset = get(f"/static/css/site.{css}")
            assert asset.headers["Content-Encoding"] == "gzip"
            assert "max-age=315360000" in asset.headers["Cache-Control"]
            assert get("/tags/surveillance/").status == 200
            assert get("/search/?q=surveillance").status == 200
        finally:
            server.terminate()
            server.wait(10)


def test_gunicorn_refuses_to_serve_in_debug_mode():
    env = {"DEBUG": "1", "SECRET_KEY": "", "DATABASE_URL": "sqlite:////tmp/unused.sqlite3"}
    result = subprocess.run(
        [sys.executable, "-c", "import archive.wsgi"],
        cwd=PROJECT,
        env=subprocess_env(env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DEBUG is on: set DEBUG=0 and SECRET_KEY" in result.stderr


def test_migrate_works_in_a_bare_environment():
    with tempfile.TemporaryDirectory() as folder:
        env = subprocess_env({"DATABASE_URL": f"sqlite:///{folder}/fresh.sqlite3"})
        bare = {k: v for k, v in env.items() if k not in ("DEBUG", "SECRET_KEY")}
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=PROJECT,
            env=bare,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
