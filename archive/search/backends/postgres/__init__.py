"""PostgreSQL: a stored, weighted tsvector per article with a GIN index.

    schema.py     the search table and its GIN index (migrations 0002, 0006)
    documents.py  what a document holds: weighted words, hashtag and common-word-pair lexemes
    query.py      tsquery SQL from the parsed query (nothing typed is tsquery syntax), weights
    writes.py     inserting and deleting documents
    backend.py    PostgresBackend, which puts them together

Each module imports only those above it in this list.
"""

from archive.search.backends.postgres.backend import PostgresBackend

__all__ = ["PostgresBackend"]
