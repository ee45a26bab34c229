"""The search index's size on disk (run by bench/run.py after an import; DATABASE_URL set).

SQLite: the pages of the FTS5 table and its shadow tables (dbstat); PostgreSQL: the search
table with its GIN index and TOAST (pg_total_relation_size). The vocabulary table
(archive_searchword) is counted apart. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys

import django


def main() -> int:
    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name = 'archive_search'"
                " OR name LIKE 'archive\\_search\\_%' ESCAPE '\\'"
            )
            index = cursor.fetchone()[0] or 0
            cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'archive_searchword%'")
            vocabulary = cursor.fetchone()[0] or 0
        else:
            cursor.execute("SELECT pg_total_relation_size('archive_searchdoc')")
            index = cursor.fetchone()[0]
            cursor.execute("SELECT pg_total_relation_size('archive_searchword')")
            vocabulary = cursor.fetchone()[0]
    mb = 1 << 20
    print(
        json.dumps({"index_mb": round(index / mb, 1), "vocabulary_mb": round(vocabulary / mb, 1)})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
