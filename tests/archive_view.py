"""What a reader of the archive sees, as plain data, to compare an archive before and after an
export and a re-import."""

from __future__ import annotations

from annotations.models import Commentary
from archive.models import Article, Hashtag


def text_view() -> list[tuple]:
    """What the text export keeps: articles, paragraphs, hashtags, commentary texts in order."""
    out = []
    for article in Article.objects.order_by("external_key").prefetch_related("hashtags"):
        commentary = sorted(
            article.commentary.all(),
            key=lambda c: (
                c.origin != "reply",
                c.position if c.origin == "reply" else 0,
                c.created,
                c.pk,
            ),
        )
        out.append(
            (
                article.title,
                article.url,
                [p["text"] for p in article.paragraphs],
                sorted(t.key for t in article.hashtags.all()),
                [c.text for c in commentary],
            )
        )
    return out


def full_view() -> dict:
    """Everything the JSON export keeps, anchors included (keys rather than database ids)."""
    articles = []
    for article in Article.objects.order_by("external_key"):
        commentary = []
        for c in Commentary.objects.filter(article=article).order_by(
            "origin", "position", "created", "text"
        ):
            commentary.append(
                {
                    "key": c.external_key,
                    "origin": c.origin,
                    "text": c.text,
                    "author": c.author.username if c.author else None,
                    "author_name": c.author_name,
                    "anchor": (c.quote_exact, c.quote_prefix, c.quote_suffix, c.quote_start),
                    "position": c.position,
                    "source_line": c.source_line,
                    "created": c.created,
                    "updated": c.updated,
                    "hashtags": sorted(
                        (t.content_object_id and t.tag.key, t.spelling)
                        for t in c.hashtags.through.objects.filter(content_object=c)
                    ),
                }
            )
        articles.append(
            {
                "key": article.external_key,
                "title": article.title,
                "url": article.url,
                "paragraphs": article.paragraphs,
                "language": article.language,
                "links": article.links,
                "mentions": article.mentions,
                "content_hash": article.content_hash,
                "source_file": article.source_file,
                "source_line": article.source_line,
                "created": article.created,
                "updated": article.updated,
                "published": article.published,
                "sort_date": article.sort_date,
                "curator_edited": article.curator_edited,
                "curator_fields": article.curator_fields,
                "hashtags": sorted(
                    (t.tag.key, t.spelling, t.origin)
                    for t in article.hashtags.through.objects.filter(content_object=article)
                ),
                "removed_hashtags": sorted(article.removals.values_list("tag__key", flat=True)),
                "commentary": commentary,
            }
        )
    return {
        "articles": articles,
        "hashtags": sorted(Hashtag.objects.values_list("key", "name")),
    }


def wipe() -> None:
    Article.objects.all().delete()  # commentary and taggings go with their article
    Hashtag.objects.all().delete()
