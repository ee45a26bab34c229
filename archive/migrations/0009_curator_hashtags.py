
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0008_search_common_word_pairs'),
    ]

    operations = [
        # Uses already in the archive came from dumps as far as anyone can tell now; new ones
        # made outside the importer (curator form, admin) are a curator's.
        migrations.AddField(
            model_name='taggedarticle',
            name='origin',
            field=models.CharField(choices=[('dump', 'from the dump'), ('curator', 'added by a curator')], default='dump', max_length=8),
        ),
        migrations.AlterField(
            model_name='taggedarticle',
            name='origin',
            field=models.CharField(choices=[('dump', 'from the dump'), ('curator', 'added by a curator')], default='curator', max_length=8),
        ),
        migrations.CreateModel(
            name='HashtagAlias',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(help_text='Case-folded old name.', max_length=100, unique=True)),
                ('tag', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='aliases', to='archive.hashtag')),
            ],
            options={
                'verbose_name_plural': 'hashtag aliases',
            },
        ),
        migrations.CreateModel(
            name='HashtagRemoval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('article', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='removals', to='archive.article')),
                ('tag', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='removals', to='archive.hashtag')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('article', 'tag'), name='unique_hashtag_removal')],
            },
        ),
    ]
