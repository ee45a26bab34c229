"""PostgreSQL: keep search documents in the table's rows (see postgres.INLINE_DOCUMENTS_SQL).

This changes where new and rewritten documents go. Documents already in the TOAST table move
when rewritten: `manage.py reindex`, or `VACUUM FULL archive_searchdoc` (3 minutes at a million
posts, locking the table meanwhile).
"""

from django.db import migrations


def inline(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from archive.search.backends.postgres.schema import INLINE_DOCUMENTS_SQL

        for statement in INLINE_DOCUMENTS_SQL:
            schema_editor.execute(statement)


def default_storage(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE archive_searchdoc RESET (toast_tuple_target)")
        schema_editor.execute(
            "ALTER TABLE archive_searchdoc ALTER COLUMN document SET STORAGE EXTENDED"
        )


class Migration(migrations.Migration):
    dependencies = [("archive", "0005_taggedarticle_fewer_indexes")]
    operations = [migrations.RunPython(inline, default_storage)]
