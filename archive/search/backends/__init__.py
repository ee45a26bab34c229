"""One search interface, one backend per database engine."""

from django.db import connections

from archive.search.backends.base import Candidate, SearchBackend


def get_backend(using: str = "default") -> SearchBackend:
    connection = connections[using]
    if connection.vendor == "postgresql":
        from archive.search.backends.postgres import PostgresBackend

        return PostgresBackend(connection)
    if connection.vendor == "sqlite":
        from archive.search.backends.sqlite import SQLiteBackend

        return SQLiteBackend(connection)
    raise NotImplementedError(f"no search backend for {connection.vendor}")


__all__ = ["Candidate", "SearchBackend", "get_backend"]
