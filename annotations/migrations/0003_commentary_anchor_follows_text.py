# Anchors follow the text (annotations/reanchoring.py): the wording first quoted and the lost
# mark, then every stored anchor moved to where its passage is now, since pages no longer search
# for it approximately on each view (earlier re-imports left anchors where the text used to be).

from django.db import migrations, models

from annotations.reanchoring import ANCHOR_FIELDS, follow_anchor


def move_anchors(apps, schema_editor):
    Commentary = apps.get_model("annotations", "Commentary")
    Article = apps.get_model("archive", "Article")
    anchored = Commentary.objects.exclude(quote_exact="").order_by("article_id", "pk")
    article_ids = set(anchored.values_list("article_id", flat=True))
    for article in Article.objects.filter(pk__in=article_ids).only("pk", "paragraphs").iterator():
        text = "\n\n".join(p["text"] for p in article.paragraphs)
        for item in anchored.filter(article_id=article.pk):
            if follow_anchor(item, text) is not None:
                item.save(update_fields=ANCHOR_FIELDS)


class Migration(migrations.Migration):

    dependencies = [
        ('annotations', '0002_api_token'),
    ]

    operations = [
        migrations.AddField(
            model_name='commentary',
            name='quote_lost',
            field=models.BooleanField(default=False, help_text="The quoted passage is no longer in the article's text.", verbose_name='passage lost'),
        ),
        migrations.AddField(
            model_name='commentary',
            name='quote_original',
            field=models.TextField(blank=True, help_text="Set when the article's text changed and the passage was found again reworded.", verbose_name='passage as first quoted'),
        ),
        migrations.RunPython(move_anchors, migrations.RunPython.noop),
    ]
