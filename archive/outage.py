"""When the database cannot be reached: 503 with Retry-After, and one log line per burst.

PostgreSQL stopped or restarting, or a SQLite file locked by a writer for longer than its busy
timeout: every request that needs the database fails alike. Each such request is answered 503
with Retry-After (JSON under /api/, a static page elsewhere: rendering ours could need the
database again), and the log gets one line when a burst of failures starts, then at most one
line every LOG_EVERY_SECONDS with how many more requests failed (per server process). Nothing
is kept: the next request opens a new connection (CONN_HEALTH_CHECKS), so the archive answers
again as soon as the database does.

Other database errors (a missing table, a bad query) stay server errors: they are bugs.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views import defaults

RETRY_AFTER_SECONDS = 5
LOG_EVERY_SECONDS = 10
MAX_ERROR_TEXT = 300
# PostgreSQL error classes of a server that is gone, starting, stopping or out of connections:
# 08 connection exception, 53 insufficient resources, 57 operator intervention (admin shutdown).
UNAVAILABLE_SQLSTATE_CLASSES = {"08", "53", "57"}
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # primary result codes (the low byte of an extended one)

logger = logging.getLogger(__name__)


def database_unavailable(error: BaseException) -> bool:
    """Whether an error means "cannot reach the database now" rather than a bug."""
    if isinstance(error, InterfaceError):  # psycopg: the connection is closed
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if hasattr(cause, "sqlite_errorcode"):
        return cause.sqlite_errorcode & 0xFF in {SQLITE_BUSY, SQLITE_LOCKED}
    if hasattr(cause, "sqlstate"):  # psycopg: no SQLSTATE when no server answered at all
        return cause.sqlstate is None or cause.sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES
    return False


class DatabaseUnavailableMiddleware:
    """Turns "database unavailable" errors raised by views (and their templates) into 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if database_unavailable(exception):
            return unavailable_response(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database unavailable outside a view (a middleware saving the session or
    its messages after the view, say) is a 503 too; anything else is Django's 500 page."""
    error = sys.exc_info()[1]
    if error is not None and database_unavailable(error):
        return unavailable_response(request, error)
    return defaults.server_error(request)


def unavailable_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    """The 503 for a request that failed because the database is unavailable; logs the burst."""
    line = _burst.failed(error, time.monotonic())
    if line:
        logger.error(line)
    # Django logs every 5xx response on its own (django.request); archive.logs.NotOutage drops
    # the line for these, which the burst has counted.
    request.database_unavailable = True
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {"detail": "The database is unavailable. Try again in a few seconds."}, status=503
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class _Burst:
    """Failures close together are one burst: its first one is logged, then a count at most
    every LOG_EVERY_SECONDS; a failure after a quiet LOG_EVERY_SECONDS starts a new burst."""

    def __init__(self):
        self._lock = threading.Lock()  # gunicorn's threaded workers share this
        self._last_failure: float | None = None
        self._last_line = 0.0
        self._unlogged = 0

    def failed(self, error: BaseException, now: float) -> str | None:
        with self._lock:
            quiet = self._last_failure is None or now - self._last_failure > LOG_EVERY_SECONDS
            self._last_failure = now
            if quiet:
                self._last_line, self._unlogged = now, 0
                return (
                    f"Database unavailable, answering 503 until it is back: {_one_line(error)}"
                    f" (then at most one line every {LOG_EVERY_SECONDS} s)"
                )
            self._unlogged += 1
            if now - self._last_line < LOG_EVERY_SECONDS:
                return None
            line = (
                f"Database still unavailable: {self._unlogged} more requests answered 503 in "
                f"{now - self._last_line:.0f} s: {_one_line(error)}"
            )
            self._last_line, self._unlogged = now, 0
            return line


def _one_line(error: BaseException) -> str:
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "…"


_burst = _Burst()
