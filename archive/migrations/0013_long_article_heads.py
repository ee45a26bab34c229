import django.db.models.deletion
from django.db import migrations, models
from django.db.models.functions import Cast, Length

from archive.search.heads import HEAD_CHARS, head_of


def write_heads(apps, schema_editor):
    """The heads of the long articles already in the archive (archive/search/heads.py): their
    JSON is at least as long as their text, so only those with long JSON are read."""
    Article = apps.get_model("archive", "Article")
    ArticleHead = apps.get_model("archive", "ArticleHead")
    long_ids = list(
        Article.objects.annotate(size=Length(Cast("paragraphs", models.TextField())))
        .filter(size__gt=HEAD_CHARS)
        .values_list("pk", flat=True)
    )
    for pk in long_ids:
        paragraphs = Article.objects.values_list("paragraphs", flat=True).get(pk=pk)
        head = head_of([p["text"] for p in paragraphs])
        if head is not None:
            ArticleHead.objects.create(article_id=pk, texts=head)


class Migration(migrations.Migration):

    dependencies = [
        ("archive", "0012_search_vocabulary"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArticleHead",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="head",
                        serialize=False,
                        to="archive.article",
                    ),
                ),
                ("texts", models.JSONField(default=list)),
            ],
        ),
        migrations.RunPython(write_heads, migrations.RunPython.noop),
    ]
