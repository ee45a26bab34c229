"""SQLite: the FTS5 table gets a fifth column, the pairs of very common words of each row
(archive/search/pairs.py), so that a phrase of common words is narrowed by the index.

FTS5 cannot add a column: the table is built again from its own indexed text (%_content), with
the pairs computed by a SQL function, and renamed (FTS5 renames its shadow tables too). About
four minutes at a million posts on a 2-core machine. An archive created after this change has
the column from migration 0002 and is left alone. PostgreSQL's documents got their pairs in 0008.
"""

from django.db import migrations

from archive.search.backends.sqlite.schema import DELETE_TRIGGER_SQL
from archive.search.backends.sqlite.writes import pairs_text

TABLE = "archive_search"
NEW_TABLE = "archive_search_rebuilt"
TEXT_COLUMNS = "title, tags, commentary, body"
TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"


def _columns(cursor) -> list[str]:
    cursor.execute(f"SELECT * FROM {TABLE} LIMIT 0")
    return [column[0] for column in cursor.description]


def _rebuild(schema_editor, *, pairs: bool) -> None:
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        if ("pairs" in _columns(cursor)) == pairs:
            return
        connection.connection.create_function(
            "archive_pairs_text", 4, pairs_text, deterministic=True
        )
        extra_column, extra_value = (
            (", pairs", ", archive_pairs_text(c0, c1, c2, c3)") if pairs else ("", "")
        )
        cursor.execute(f"DROP TABLE IF EXISTS {NEW_TABLE}")
        cursor.execute(
            f"CREATE VIRTUAL TABLE {NEW_TABLE} USING fts5({TEXT_COLUMNS}{extra_column}, {TOKENIZE})"
        )
        cursor.execute(
            f"INSERT INTO {NEW_TABLE}(rowid, {TEXT_COLUMNS}{extra_column}) "
            f"SELECT id, c0, c1, c2, c3{extra_value} FROM {TABLE}_content ORDER BY id"
        )
        cursor.execute(f"INSERT INTO {NEW_TABLE}({NEW_TABLE}) VALUES ('optimize')")
        cursor.execute("DROP TRIGGER IF EXISTS archive_article_search_delete")
        cursor.execute(f"DROP TABLE {TABLE}")
        cursor.execute(f"ALTER TABLE {NEW_TABLE} RENAME TO {TABLE}")
        cursor.execute(DELETE_TRIGGER_SQL)


def add_pairs(apps, schema_editor):
    _rebuild(schema_editor, pairs=True)


def remove_pairs(apps, schema_editor):
    _rebuild(schema_editor, pairs=False)


class Migration(migrations.Migration):
    dependencies = [("archive", "0017_unfinished_imports")]
    operations = [migrations.RunPython(add_pairs, remove_pairs)]
