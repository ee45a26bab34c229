"""API tokens keep only a SHA-256 digest of their key; existing keys are hashed, so they work on."""

import hashlib

from django.db import migrations, models


def hash_keys(apps, schema_editor):
    ApiToken = apps.get_model("annotations", "ApiToken")
    for token in ApiToken.objects.all():
        token.key_hash = hashlib.sha256(token.key.encode()).hexdigest()
        token.prefix = token.key[:8]
        token.save(update_fields=["key_hash", "prefix"])


def forget_tokens(apps, schema_editor):
    # Going back: a digest cannot be turned back into its key, so the tokens go (issue new ones).
    apps.get_model("annotations", "ApiToken").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("annotations", "0003_commentary_anchor_follows_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="prefix",
            field=models.CharField(default="", editable=False, max_length=8),
            preserve_default=False,
        ),
        migrations.RunPython(hash_keys, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="apitoken",
            name="key",
        ),
        # Undone before `key` comes back, so that no row is left without one.
        migrations.RunPython(migrations.RunPython.noop, forget_tokens),
        migrations.AlterField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.CreateModel(
            name="FailedTokenAttempts",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("client", models.CharField(max_length=45, unique=True)),
                ("since", models.DateTimeField(db_index=True)),
                ("count", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "failed API token attempts",
                "verbose_name_plural": "failed API token attempts",
            },
        ),
    ]
