"""Query helpers shared by pages, feeds and the API: each runs a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef

from annotations.models import Commentary, TaggedCommentary
from archive.models import Article, Hashtag, TaggedArticle

RELATED_SAMPLE = 2000  # related hashtags are counted over the tag's newest articles
RELATED_CACHE_SECONDS = 600
RARE_TAG_USES = 5000
COUNT_CACHE_SECONDS = 60
ARTICLE_COUNT_KEY = "archive:article-count"


def attach_tags(articles: list[Article]) -> list[Article]:
    """Give each article `tag_list` (hashtags by name) in one query."""
    by_article: dict[int, list[Hashtag]] = defaultdict(list)
    # Hashtags with their article's id, not TaggedArticle rows: half the objects to build.
    tags = (
        Hashtag.objects.filter(article_items__content_object__in=[a.pk for a in articles])
        .annotate(article_id=F("article_items__content_object"))
        .order_by()
    )
    for tag in tags:
        by_article[tag.article_id].append(tag)
    for article in articles:
        article.tag_list = sorted(by_article[article.pk], key=lambda t: t.key)
    return articles


def attach_commentary_counts(articles: list[Article]) -> list[Article]:
    """Give each article `commentary_count` (imported replies and curator notes) in one query."""
    counts = dict(
        Commentary.objects.filter(article__in=[a.pk for a in articles])
        .values_list("article")
        .annotate(n=Count("id"))
    )
    for article in articles:
        article.commentary_count = counts.get(article.pk, 0)
    return articles


def articles_with_tag(tag: Hashtag):
    """Articles with this hashtag, for newest-first pages.

    A popular hashtag is found by walking the newest articles (a match comes every few rows);
    on SQLite a rare one is read from its own uses, so a page never walks a whole large archive.
    PostgreSQL's planner makes that choice itself from the EXISTS (measured: as fast or faster
    than the id list for hashtags on 19 to 2,960 of 40,000 articles).
    """
    uses = TaggedArticle.objects.filter(tag=tag)
    if connection.vendor == "sqlite" and tag.usage_count <= RARE_TAG_USES:
        # A subquery, not a list of ids: Django prepared each of thousands of parameters in
        # Python, more time than SQLite took to read the rows.
        return Article.objects.filter(pk__in=uses.values("content_object_id"))
    return Article.objects.filter(Exists(uses.filter(content_object=OuterRef("pk"))))


# A hashtag on at most this much commentary: its tag page reads it all and sorts it.
RARE_COMMENTARY_TAG_USES = 1000


def newest_commentary_with_tag(tag: Hashtag, limit: int) -> list:
    """The newest commentary (imported replies and curator notes) carrying this hashtag, with
    its article and author.

    Both databases walk the newest commentary testing each for the hashtag, which reads all of
    it for a hashtag on little commentary (43 ms with 120,000 replies, growing with them). So a rare
    hashtag's commentary is fetched by id instead; a common one's are met in the first rows.
    """
    commentary = (
        Commentary.objects.select_related("article", "author")
        .defer("article__paragraphs", "article__links", "article__mentions")
        .order_by("-created", "-id")
    )
    uses = TaggedCommentary.objects.filter(tag=tag).values_list("content_object_id", flat=True)
    ids = list(uses[: RARE_COMMENTARY_TAG_USES + 1])
    if len(ids) <= RARE_COMMENTARY_TAG_USES:
        return list(commentary.filter(pk__in=ids)[:limit]) if ids else []
    return list(commentary.filter(hashtags=tag)[:limit])


def newest_ids_with_tag(tag: Hashtag):
    """Ids of the hashtag's articles, newest first. Sorting ids, then reading only the rows
    shown, is twice as fast as sorting whole rows (text and all) for a rare hashtag."""
    return articles_with_tag(tag).order_by("-sort_date", "id").values_list("pk", flat=True)


def articles_in_order(ids: list[int]) -> list[Article]:
    """The articles with these ids, in this order (one query)."""
    found = Article.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def article_count(revision: int) -> int:
    """The number of articles at this revision of the archive (archive/pagecache.py): counted
    once per revision and process (COUNT(*) is slow on big tables), never older than the list it
    goes with."""
    return cache.get_or_set(
        f"{ARTICLE_COUNT_KEY}:{revision}", Article.objects.count, COUNT_CACHE_SECONDS
    )


def related_hashtags(tag: Hashtag, limit: int = 12) -> list[tuple[Hashtag, int]]:
    """Hashtags that appear most often with this one (over its newest articles).

    Cached for a while per hashtag and use count: it reads thousands of rows.
    """
    key = f"archive:related:{tag.pk}:{tag.usage_count}:{limit}"
    found = cache.get(key)
    if found is None:
        found = _related_hashtag_counts(tag, limit)
        cache.set(key, found, RELATED_CACHE_SECONDS)
    tags = Hashtag.objects.in_bulk([pk for pk, _ in found])
    return [(tags[pk], n) for pk, n in found if pk in tags]


def _related_hashtag_counts(tag: Hashtag, limit: int) -> list[tuple[int, int]]:
    recent = articles_with_tag(tag).order_by("-sort_date", "-id").values("pk")[:RELATED_SAMPLE]
    rows = (
        TaggedArticle.objects.filter(content_object__in=recent)
        .exclude(tag=tag)
        .values("tag")
        .annotate(n=Count("id"))
        .order_by("-n", "tag")[:limit]
    )
    return [(row["tag"], row["n"]) for row in rows]


def prefixed_hashtags(tag: Hashtag, limit: int = 20) -> list[Hashtag]:
    """Hashtags that extend this one (#crédit → #crédit_social), as seenthis readers expect."""
    tags = Hashtag.objects.filter(search_key__startswith=tag.search_key, usage_count__gt=0)
    if connection.vendor == "sqlite":
        # SQLite's LIKE ignores case, so it cannot use the search_key index and read every
        # hashtag; the same prefix as a range of the (binary) collation can.
        tags = tags.filter(
            search_key__gte=tag.search_key, search_key__lt=tag.search_key + "\U0010ffff"
        )
    return list(tags.exclude(pk=tag.pk).order_by("-usage_count", "key")[:limit])


def top_hashtags(limit: int = 30) -> list[Hashtag]:
    return list(Hashtag.objects.filter(usage_count__gt=0).order_by("-usage_count", "key")[:limit])
