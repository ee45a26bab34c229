"""Which database a query goes to when read replicas are configured (DATABASE_REPLICA_URLS).

Writes always go to the primary ("default"). Reads go to the database chosen for the request at
hand (archive/read_routing.py): one database for the whole request, so that a page and the
archive revision it is cached under (archive/pagecache.py) are read from the same one. Outside a
request (imports, management commands, migrations, a shell) nothing is chosen and everything
reads from the primary. Inside a transaction on the primary, reads stay on it: they may depend on
what the transaction wrote. Raw SQL that reads asks `django.db.router.db_for_read()` too
(ArchiveRevision.current, the search service).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

PRIMARY = DEFAULT_DB_ALIAS

_reading_from: ContextVar[str] = ContextVar("archive_reading_from", default=PRIMARY)


def reading_database() -> str:
    """The database the current request reads from (the primary outside a request)."""
    return _reading_from.get()


def read_from(alias: str) -> None:
    """From now on in this request, read from `alias` (a failed replica hands over to the
    primary); the request's `reading_from` block restores what was before it."""
    _reading_from.set(alias)


@contextlib.contextmanager
def reading_from(alias: str) -> Iterator[None]:
    token = _reading_from.set(alias)
    try:
        yield
    finally:
        _reading_from.reset(token)


class PrimaryReplicaRouter:
    """Django's DATABASE_ROUTERS entry: reads where the request reads, writes to the primary."""

    def db_for_read(self, model, **hints) -> str:
        alias = _reading_from.get()
        if alias != PRIMARY and connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return alias

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # every database holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == PRIMARY  # standbys replay the primary's schema; they take no writes
