"""One search interface (base.SearchBackend), one backend package per database engine."""

from django.db import connections

from archive.search.backends.base import Candidate, SearchBackend
from archive.search.backends.postgres import PostgresBackend
from archive.search.backends.sqlite import SQLiteBackend

BACKENDS = {"postgresql": PostgresBackend, "sqlite": SQLiteBackend}  # by connection.vendor


def get_backend(using: str = "default") -> SearchBackend:
    connection = connections[using]
    backend = BACKENDS.get(connection.vendor)
    if backend is None:
        raise NotImplementedError(f"no search backend for {connection.vendor}")
    return backend(connection)


__all__ = ["Candidate", "SearchBackend", "get_backend"]
