# An unfinished import's articles, hidden from readers (archive/importer/staging.py).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0016_article_publication_date'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="article",
            options={
                "default_manager_name": "objects",
                "ordering": ["-sort_date", "id"],
                "permissions": [("edit_hashtags", "Can add, remove, rename and merge hashtags")],
            },
        ),
        migrations.CreateModel(
            name='UnfinishedImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started', models.DateTimeField()),
                ('last_hashtag_id', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='UnpublishedArticles',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('first_id', models.BigIntegerField()),
                ('last_id', models.BigIntegerField()),
                ('unfinished_import', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ranges', to='archive.unfinishedimport')),
            ],
            options={
                'indexes': [models.Index(fields=['first_id', 'last_id'], name='unpublished_range')],
            },
        ),
    ]
