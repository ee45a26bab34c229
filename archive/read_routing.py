"""Which database each request reads from, when read replicas are configured (docs/scaling.md).

Installed by the settings only when DATABASE_REPLICA_URLS names replicas. A request reads from
the primary when:

- it may write (any method but GET, HEAD, OPTIONS, TRACE): what it reads must be what it changes;
- it carries an API token: a script that wrote through the write API may keep no cookie;
- its visitor made such a request less than ARCHIVE_READ_YOUR_WRITES_SECONDS ago (read your
  writes): after each non-safe request the response sets a signed cookie saying when, so the
  page a curator lands on after saving a note shows the note, whichever node serves it. The
  window covers the longest a replica in use may lag (archive/env.py: replica_timings);
- no replica is fit (archive/replica_health.py).

Otherwise it reads from one fit replica, chosen at random, for the whole request
(archive/db_routers.py). If a read on that replica fails (it stopped, or a recovery conflict
cancelled the query), the replica is skipped until its next check and the view runs again on the
primary: GET and HEAD change nothing, so running them twice is safe, and the visitor sees a page,
not an error. If the primary fails too, the first error is left to archive/outage.py (503).
"""

from __future__ import annotations

import random

from django.conf import settings
from django.core import signing
from django.db import InterfaceError, OperationalError, connections

from archive.db_routers import PRIMARY, read_from, reading_database, reading_from
from archive.replica_health import ReplicaHealth

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
WROTE_COOKIE = "archive_wrote"
WROTE_SALT = "archive.read_routing.wrote"


class ReadRoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.replicas = ReplicaHealth(
            settings.ARCHIVE_REPLICAS,
            max_lag=settings.ARCHIVE_REPLICA_MAX_LAG_SECONDS,
            check_every=settings.ARCHIVE_REPLICA_CHECK_SECONDS,
        )

    def __call__(self, request):
        with reading_from(self._database_for(request)):
            response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                WROTE_COOKIE,
                "1",
                salt=WROTE_SALT,
                max_age=settings.ARCHIVE_READ_YOUR_WRITES_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def _database_for(self, request) -> str:
        if (
            request.method not in SAFE_METHODS
            or request.headers.get("Authorization", "").startswith("Token ")
            or _wrote_recently(request)
        ):
            return PRIMARY
        fit = self.replicas.fit_replicas()
        return random.choice(fit) if fit else PRIMARY

    def process_exception(self, request, exception):
        alias = reading_database()
        if alias == PRIMARY or not isinstance(exception, OperationalError | InterfaceError):
            return None
        self.replicas.mark_down(alias, f"a request failed on it ({exception})".strip())
        try:
            connections[alias].close()
        except OperationalError:  # closing a broken connection may fail too: it is gone anyway
            pass
        read_from(PRIMARY)
        # The revision read on the replica does not describe what the primary shows.
        request.__dict__.pop("archive_revision", None)
        match = request.resolver_match
        try:
            return match.func(request, *match.args, **match.kwargs)
        except (OperationalError, InterfaceError):
            # The primary cannot answer either: the first error goes on to the middleware that
            # answers for an unavailable database (archive/outage.py: 503).
            return None


def _wrote_recently(request) -> bool:
    try:
        request.get_signed_cookie(
            WROTE_COOKIE, salt=WROTE_SALT, max_age=settings.ARCHIVE_READ_YOUR_WRITES_SECONDS
        )
    except (KeyError, signing.BadSignature):  # no cookie, forged, or older than the window
        return False
    return True
