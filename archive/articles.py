"""Deleting articles: commentary and index rows go with them; their hashtags are recounted."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from archive.changes import record_change
from archive.hashtags import refresh_hashtags
from archive.models import Article, TaggedArticle

CHUNK = 500


@transaction.atomic
def delete_articles(article_ids: Iterable[int]) -> int:
    """Delete these articles; return how many there were."""
    ids = list(article_ids)
    tag_ids: set[int] = set()
    deleted = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        tag_ids.update(
            TaggedArticle.objects.filter(content_object_id__in=chunk).values_list(
                "tag_id", flat=True
            )
        )
        deleted += Article.objects.filter(pk__in=chunk).delete()[1].get(Article._meta.label, 0)
    refresh_hashtags(tag_ids)
    record_change(ids)  # the index drops the rows of articles that no longer exist
    return deleted
