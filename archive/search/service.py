"""The search service: parse the query, ask the database's backend, rank, and cut snippets.

results = search("credit social #Chine", page=1)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from annotations.models import Commentary
from archive.models import Article, TaggedArticle
from archive.search.backends import get_backend
from archive.search.query import Query, parse
from archive.search.snippets import Matcher, snippet


@dataclass
class Hit:
    article: object
    score: float
    snippet: str = ""


@dataclass
class SearchResults:
    query: Query
    page: int
    page_size: int
    total: int = 0
    total_is_capped: bool = False
    hits: list[Hit] = field(default_factory=list)
    reachable: int = 0  # results that can be paged to (ranked candidates)

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < min(self.total, self.reachable or self.total)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def search(
    raw: str | None,
    *,
    page: int = 1,
    page_size: int | None = None,
    language: str | None = None,
    using: str = "default",
) -> SearchResults:
    query = parse(raw)
    page_size = page_size or settings.ARCHIVE_PAGE_SIZE
    page = max(1, page)
    results = SearchResults(query=query, page=page, page_size=page_size)
    if query.is_empty:
        return results
    backend = get_backend(using)
    offset = (page - 1) * page_size
    count_limit = settings.ARCHIVE_SEARCH_COUNT_LIMIT
    if query.has_text:
        found = backend.candidates(
            query,
            language=language or None,
            limit=settings.ARCHIVE_SEARCH_CANDIDATES,
            count_limit=count_limit,
        )
        ranked = sorted(found.items, key=lambda c: (-c.score, -c.article_id))
        window = ranked[offset : offset + page_size]
        ids = [c.article_id for c in window]
        scores = {c.article_id: c.score for c in window}
        # Pages past the ranked candidates are not reachable: say how many we can show.
        results.total = found.total
        results.total_is_capped = found.total_is_capped
        # Only the ranked candidates can be paged through.
        results.reachable = len(found.items)
    else:
        ids, results.total, results.total_is_capped = backend.filter_only(
            query,
            language=language or None,
            offset=offset,
            limit=page_size,
            count_limit=count_limit,
        )
        scores = dict.fromkeys(ids, 0.0)
    articles = Article.objects.in_bulk(ids)
    commentary: dict[int, list[str]] = {}
    for article_id, text in Commentary.objects.filter(article_id__in=ids).values_list(
        "article_id", "text"
    ):
        commentary.setdefault(article_id, []).append(text)
    tag_names = _tags_for(ids)
    matcher = Matcher(query)
    for article_id in ids:
        article = articles.get(article_id)
        if article is None:
            continue
        article.tag_list = tag_names.get(article_id, [])
        texts = [p["text"] for p in article.paragraphs] + commentary.get(article_id, [])
        results.hits.append(
            Hit(article, round(scores[article_id], 4), snippet(texts, query, matcher))
        )
    return results


def _tags_for(ids: list[int]) -> dict[int, list]:
    tags: dict[int, list] = {}
    for item in TaggedArticle.objects.filter(content_object_id__in=ids).select_related("tag"):
        tags.setdefault(item.content_object_id, []).append(item.tag)
    return tags
