"""The search index lives in tables the ORM does not manage: an FTS5 table on SQLite, a
tsvector table with a GIN index on PostgreSQL. Each backend module owns its DDL."""

from django.db import migrations


def _ddl(schema_editor, attribute):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        from archive.search.backends.sqlite import schema as module
    elif vendor == "postgresql":
        from archive.search.backends.postgres import schema as module
    else:
        return
    for statement in getattr(module, attribute):
        schema_editor.execute(statement)


def create(apps, schema_editor):
    _ddl(schema_editor, "CREATE_SQL")


def drop(apps, schema_editor):
    _ddl(schema_editor, "DROP_SQL")


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
