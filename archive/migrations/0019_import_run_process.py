# Which process runs an import, so that one whose process was killed can be marked stopped
# (archive/processes.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0018_search_pairs_column_sqlite'),
    ]

    operations = [
        migrations.AddField(
            model_name='importrun',
            name='process',
            field=models.CharField(blank=True, help_text='The process that runs it (archive/processes.py).', max_length=200),
        ),
    ]
