"""The search vocabulary (archive/search/spelling.py): one table, the same on both databases,
filled from the words already indexed."""

from django.db import migrations

from archive.search import spelling
from archive.search.backends.postgres.schema import TABLE as POSTGRES_TABLE
from archive.search.backends.sqlite.schema import TABLE as SQLITE_TABLE

# The terms of the existing index. Stems and words alike, as remember_words() stores them;
# PostgreSQL's extra lexemes ("#key", "sur le") are left out by words_of().
TERMS_SQL = {
    "sqlite": [
        f"CREATE VIRTUAL TABLE temp.archive_search_terms USING fts5vocab(main, {SQLITE_TABLE}, row)",
        "SELECT term FROM temp.archive_search_terms",
    ],
    "postgresql": [f"SELECT word FROM ts_stat('SELECT document FROM {POSTGRES_TABLE}')"],
}


def create(apps, schema_editor):
    for statement in spelling.create_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)
    statements = TERMS_SQL.get(schema_editor.connection.vendor)
    if not statements:
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        words = spelling.words_of(row[0] for row in cursor.fetchall())
        words = {w for w in words if w.isalnum()}
        cursor.executemany(spelling.INSERT_SQL, spelling.rows(words))
        if schema_editor.connection.vendor == "sqlite":
            cursor.execute("DROP TABLE temp.archive_search_terms")


def drop(apps, schema_editor):
    for statement in spelling.DROP_SQL:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("archive", "0011_curator_comments_split_and_fields")]
    operations = [migrations.RunPython(create, drop)]
