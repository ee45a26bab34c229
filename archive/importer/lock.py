"""One import writing at a time."""

from __future__ import annotations

import contextlib
import fcntl
import os

from django.db import connection

IMPORT_LOCK = 0x61726368  # "arch"


def lock_imports() -> None:
    """Inside a file's transaction, wait until no other import is writing (PostgreSQL).

    Two imports of the same posts at once would both insert the same external_key and the second
    would fail on the unique index; with the lock, the second waits, then finds the posts there.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


@contextlib.contextmanager
def sqlite_import_lock(*, wait: bool = True):
    """SQLite: hold the import lock (a file lock next to the database) around a file's import.

    The importer gives the database's write lock back between its batches (staging.py), so the
    write lock no longer keeps two imports apart. This lock does; the system drops it when its
    process ends, even killed. Yields whether it is held (always, when `wait`). An in-memory
    database has no other process to keep out.
    """
    if connection.is_in_memory_db():
        yield True
        return
    path = f"{connection.settings_dict['NAME']}.import-lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
