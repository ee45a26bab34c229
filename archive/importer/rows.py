"""Writing many rows fast: ids handed out in one query, rows sent without the ORM.

The ORM's bulk_create spends most of an import's write time turning each field of each object
into SQL parameters. The importer already holds plain values, so it sends them as they are:
COPY on PostgreSQL, executemany on SQLite. Only for tables whose values need no conversion
beyond what the callers do (see store.py).
"""

from __future__ import annotations

from django.db import connection


def allocate_ids(table: str, count: int) -> list[int]:
    """`count` fresh primary keys for `table`, as its own auto-increment would give them.

    Inside the import's transaction: on SQLite it holds the write lock (IMMEDIATE), so no one
    else can insert meanwhile; on PostgreSQL the sequence hands out ids to one caller only.
    """
    if count == 0:
        return []
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # AUTOINCREMENT never reuses an id, even a deleted one's: start past both.
        cursor.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"
            f" coalesce((SELECT max(id) FROM {qn(table)}), 0))",
            [table],
        )
        last = cursor.fetchone()[0]
    return list(range(last + 1, last + 1 + count))


def insert_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """INSERT rows of database-ready values (strings, numbers, datetimes, JSON as text)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({placeholders})", rows)
