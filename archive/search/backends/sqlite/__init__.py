"""SQLite FTS5: one virtual table, rowid = article id, four weighted columns.

    schema.py    the FTS5 table and its trigger (migration 0002), FTS5's shadow tables
    query.py     FTS5 MATCH expressions from the parsed query: everything typed stays quoted
    writes.py    inserting and deleting index rows
    scoring.py   FTS5's bm25(), computed from the index's figures and the candidates' text,
                 and the self-check that compares it with bm25() before the first score
    backend.py   SQLiteBackend, which puts them together

Each module imports only those above it in this list.
"""

from archive.search.backends.sqlite.backend import SQLiteBackend

__all__ = ["SQLiteBackend"]
