"""A real web server (gunicorn, production settings) in a child process, and a small browser
that keeps its cookies, for tests that need real HTTP against databases of their own
(tests/test_read_replicas.py, tests/test_pgbouncer.py).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from tests.base import PROJECT, subprocess_env

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "web-process-test-secret-key-" + "0123456789abcdef" * 2,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "ARCHIVE_PLAIN_STATIC": "1",
}
CURATOR, PASSWORD = "alice", "a-curator-password-for-tests"


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    """Run manage.py with production settings and `env`; its output, or an AssertionError."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=subprocess_env({**PRODUCTION, **env}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def make_curator(env: dict) -> None:
    manage(
        {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        "createsuperuser",
        "--noinput",
        "--username",
        CURATOR,
        "--email",
        "alice@example.org",
    )
    manage(env, "make_curator", CURATOR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict, workers: int = 1) -> Iterator[int]:
    """gunicorn serving the archive on 127.0.0.1 with `env`; yields its port once it answers
    connections (no request is made: a test decides what the first request is)."""
    port = free_port()
    log = Path(PROJECT / "test-artifacts")
    log.mkdir(exist_ok=True)
    with open(log / f"gunicorn-{port}.log", "w+b") as errors:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "archive.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--preload",  # settings and the app load before the port opens
            ],
            cwd=PROJECT,
            env=subprocess_env({**PRODUCTION, **env}),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                if server.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    raise AssertionError("gunicorn did not start:\n" + errors.read().decode())
                time.sleep(0.1)
            yield port
        finally:
            server.terminate()
            server.wait(30)
        (log / f"gunicorn-{port}.log").unlink()


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.text = body.decode("utf-8", "replace")


class Browser:
    """Keeps cookies (by name: one host), follows redirects, sends the CSRF token back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, form: dict[str, str]) -> Response:
        if "csrftoken" not in self.cookies:
            self.get("/")  # every page has a form (the language switcher): the cookie is set
        return self.request(
            "POST", path, form={**form, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        )

    def request(
        self,
        method: str,
        path: str,
        form: dict | None = None,
        headers: dict | None = None,
        body: str | None = None,
    ) -> Response:
        for _ in range(5):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            sent = {**(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if form is not None:
                body = urlencode(form)
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            response = Response(raw.status, raw.headers, raw.read())
            conn.close()
            self._keep_cookies(raw.headers.get_all("Set-Cookie") or [])
            if response.status not in (301, 302, 303):
                return response
            method, path, form, body = (
                "GET",
                response.headers["Location"].partition("#")[0],
                None,
                None,
            )
        raise AssertionError(f"too many redirects from {path}")

    def log_in(self, username: str = CURATOR, password: str = PASSWORD) -> None:
        page = self.post("/accounts/login/", {"username": username, "password": password})
        assert page.status == 200 and "sessionid" in self.cookies, page.text[:2000]

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
