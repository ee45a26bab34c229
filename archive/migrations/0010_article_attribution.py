from django.db import migrations, models

from archive.search.backends.sqlite.schema import DELETE_TRIGGER_SQL


def restore_search_trigger(apps, schema_editor):
    """SQLite adds this column by rebuilding archive_article, which drops the table's triggers:
    the search index's delete trigger (migration 0002) is created again."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(DELETE_TRIGGER_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0009_curator_hashtags'),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='attribution',
            field=models.CharField(blank=True, help_text='Whom the post came from: "@name" of "via @name".', max_length=200),
        ),
        migrations.RunPython(restore_search_trigger, migrations.RunPython.noop),
    ]
