"""One import writing at a time."""

from __future__ import annotations

from django.db import connection

IMPORT_LOCK = 0x61726368  # "arch"


def lock_imports() -> None:
    """Inside a file's transaction, wait until no other import is writing (PostgreSQL).

    Two imports of the same posts at once would both insert the same external_key and the second
    would fail on the unique index; with the lock, the second waits, then finds the posts there.
    On SQLite, IMMEDIATE transactions already let one writer in at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
