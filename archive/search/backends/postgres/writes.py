"""Writing the search table: one document per article. Each function takes a cursor of the
connection to write on."""

from __future__ import annotations

from archive.search.backends.base import IndexDocument
from archive.search.backends.postgres.documents import DOCUMENT_SQL, extra_lexemes
from archive.search.backends.postgres.schema import TABLE

# Documents are written in statements of at most about this much text (often 500 documents).
WRITE_CHUNK_CHARS = 4_000_000
UPSERT = "ON CONFLICT (article_id) DO UPDATE SET document = excluded.document"


def write(cursor, documents: list[IndexDocument], on_conflict: str) -> None:
    """Insert the documents; `on_conflict` is "" (new articles) or UPSERT."""
    # One statement per chunk, the columns sent as arrays: 500 INSERTs of one row each
    # (executemany) took 0.40 ms a document, this 0.31 (docs/performance.md). Callers
    # pass each article once (index_articles), as ON CONFLICT needs within one statement.
    chunk: list[tuple] = []
    size = 0
    for d in documents:
        # Within the index's budget (analysis.TERMS_PER_ARTICLE, BYTES_PER_ARTICLE): a
        # tsvector's 1 MB and 16,383 positions are never reached.
        row = (d.article_id, d.title, d.tags, d.commentary, d.body, extra_lexemes(d))
        chunk.append(row)
        size += sum(map(len, row[1:]))
        if size >= WRITE_CHUNK_CHARS:
            write_rows(cursor, chunk, on_conflict)
            chunk, size = [], 0
    if chunk:
        write_rows(cursor, chunk, on_conflict)


def write_rows(cursor, rows: list[tuple], on_conflict: str) -> None:
    """One INSERT of rows (id, title, tags, commentary, body, extra lexemes)."""
    cursor.execute(
        f"INSERT INTO {TABLE} (article_id, document) SELECT s.id, {DOCUMENT_SQL} "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], "
        "%s::text[]) AS s(id, title, tags, commentary, body, extra) " + on_conflict,
        [list(column) for column in zip(*rows, strict=True)],
    )


def delete(cursor, article_ids: list[int]) -> None:
    cursor.execute(f"DELETE FROM {TABLE} WHERE article_id = ANY(%s)", [list(article_ids)])


def clear(cursor) -> None:
    cursor.execute(f"TRUNCATE {TABLE}")
