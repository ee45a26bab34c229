"""PostgreSQL: a BRIN index of the search documents' ids (see postgres.schema.ID_RANGES_SQL).
About 3 seconds at a million posts."""

from django.db import migrations

from archive.search.backends.postgres.schema import DROP_ID_RANGES_SQL, ID_RANGES_SQL


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in ID_RANGES_SQL:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP_ID_RANGES_SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("archive", "0019_import_run_process")]
    operations = [migrations.RunPython(create, drop)]
