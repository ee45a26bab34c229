"""Writing the FTS5 table: one row per article, rowid = article id. Each function takes a
cursor of the connection to write on."""

from __future__ import annotations

from archive.search.backends.base import IndexDocument
from archive.search.backends.sqlite.schema import COLUMNS, PAIRS_COLUMN, TABLE, pair_token
from archive.search.pairs import word_pairs

DELETE_CHUNK = 500  # ids per DELETE statement (SQLite's limit on parameters is higher)
INSERT_SQL = (
    f"INSERT INTO {TABLE}(rowid, {', '.join(COLUMNS)}, {PAIRS_COLUMN}) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)


def pairs_text(*columns: str) -> str:
    """A row's pairs column: the pair tokens of each text column (a phrase never spans two),
    each once, sorted so that the same text always gives the same row."""
    pairs = set()
    for column in columns:
        if column:
            pairs |= word_pairs(column.split())
    return " ".join(sorted(pair_token(*pair) for pair in pairs))


def insert(cursor, documents: list[IndexDocument]) -> None:
    """Rows for articles known to have none yet."""
    cursor.executemany(
        INSERT_SQL,
        [
            (
                d.article_id,
                d.title,
                d.tags,
                d.commentary,
                d.body,
                pairs_text(d.title, d.tags, d.commentary, d.body),
            )
            for d in documents
        ],
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
