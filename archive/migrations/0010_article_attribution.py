
from django.db import migrations, models


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
    ]
