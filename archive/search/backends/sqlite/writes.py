"""Writing the FTS5 table: one row per article, rowid = article id. Each function takes a
cursor of the connection to write on."""

from __future__ import annotations

from archive.search.backends.base import IndexDocument
from archive.search.backends.sqlite.schema import TABLE

DELETE_CHUNK = 500  # ids per DELETE statement (SQLite's limit on parameters is higher)


def insert(cursor, documents: list[IndexDocument]) -> None:
    """Rows for articles known to have none yet."""
    cursor.executemany(
        f"INSERT INTO {TABLE}(rowid, title, tags, commentary, body) VALUES (%s, %s, %s, %s, %s)",
        [(d.article_id, d.title, d.tags, d.commentary, d.body) for d in documents],
    )


def delete(cursor, article_ids: list[int]) -> None:
    for start in range(0, len(article_ids), DELETE_CHUNK):
        chunk = article_ids[start : start + DELETE_CHUNK]
        cursor.execute(
            f"DELETE FROM {TABLE} WHERE rowid IN ({', '.join(['%s'] * len(chunk))})", chunk
        )


def clear(cursor) -> None:
    cursor.execute(f"DELETE FROM {TABLE}")


def optimize(cursor) -> None:
    """Merge the index's segments into one (after a full reindex)."""
    cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('optimize')")
