"""Read-only JSON API: articles, one article with its commentary, hashtags, search."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from archive.models import Article, Hashtag
from archive.pagecache import page_cache, request_revision
from archive.pagination import page_number, paginate
from archive.queries import article_count, articles_in_order, attach_tags, newest_ids_with_tag
from archive.search.service import search
from archive.text import hashtag_key


def _page_links(request: HttpRequest, page) -> tuple[str | None, str | None]:
    def link(number: int) -> str:
        params = request.GET.copy()
        params["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return (
        link(page.next_number) if page.has_next else None,
        link(page.previous_number) if page.has_previous else None,
    )


def article_summary(article: Article) -> dict:
    return {
        "id": article.pk,
        "title": article.title,
        "url": article.url,
        "language": article.language,
        "tags": [t.name for t in article.tag_list],
        # When the source published it ("YYYY-MM-DD"), or null when not known; lists are
        # ordered by it, or by `created` when it is null.
        "published": article.published.isoformat() if article.published else None,
        # When it entered the archive (imported, or added by a curator).
        "created": article.created.isoformat(),
    }


def commentary_json(item) -> dict:
    """One imported reply or curator note (its `origin` says which)."""
    return {
        "id": item.pk,
        "text": item.text,
        "author": item.author_display or None,
        "origin": item.origin,
        "quote": item.quote_exact or None,
        # Where the passage starts in the article's text, and whether it is still there.
        "quote_start": item.quote_start if item.quote_exact else None,
        "passage_lost": item.quote_lost,
        "created": item.created.isoformat(),
    }


def article_full(article: Article) -> dict:
    data = article_summary(article)
    data.update(
        {
            "text": article.text,
            "links": article.links,
            "commentary": [commentary_json(c) for c in article.commentary.select_related("author")],
        }
    )
    return data


@page_cache
@require_safe
def articles(request: HttpRequest) -> JsonResponse:
    queryset = Article.objects.order_by("-sort_date", "id")
    count = article_count(request_revision(request))
    tag_name = request.GET.get("tag", "").strip().lstrip("#")
    if tag_name:
        tag = (
            Hashtag.objects.filter(key=hashtag_key(tag_name)).first()
            or Hashtag.objects.filter(slug=tag_name).first()
        )
        if tag is None:
            return JsonResponse({"count": 0, "next": None, "previous": None, "results": []})
        queryset, count = newest_ids_with_tag(tag), tag.usage_count
    page = paginate(queryset, page_number(request), settings.ARCHIVE_PAGE_SIZE, count=count)
    if tag_name:
        page.items = articles_in_order(page.items)
    attach_tags(page.items)
    next_url, previous_url = _page_links(request, page)
    return JsonResponse(
        {
            "count": page.count,
            "next": next_url,
            "previous": previous_url,
            "results": [article_summary(a) for a in page.items],
        }
    )


@page_cache
@require_safe
def article(request: HttpRequest, pk: int) -> JsonResponse:
    found = Article.objects.filter(pk=pk).first()
    if found is None:
        return JsonResponse({"detail": "No article with this id."}, status=404)
    attach_tags([found])
    return JsonResponse(article_full(found))


@page_cache
@require_safe
def tags(request: HttpRequest) -> JsonResponse:
    """The hashtags on at least one article, most used first, a page at a time (an archive
    may have tens of thousands)."""
    rows = Hashtag.objects.filter(usage_count__gt=0).order_by("-usage_count", "key")
    page = paginate(
        rows.only("name", "slug", "usage_count"),
        page_number(request),
        settings.ARCHIVE_TAGS_PAGE_SIZE,
    )
    next_url, previous_url = _page_links(request, page)
    return JsonResponse(
        {
            "count": page.count,
            "next": next_url,
            "previous": previous_url,
            "results": [
                {"name": t.name, "slug": t.slug, "count": t.usage_count} for t in page.items
            ],
        }
    )


@require_safe
def search_api(request: HttpRequest) -> JsonResponse:
    results = search(
        request.GET.get("q", ""),
        page=page_number(request),
        language=request.GET.get("lang") or None,
        exact=request.GET.get("exact") == "1",
        sort=request.GET.get("sort", "relevance"),
        facets=request.GET.get("facets") == "1",
    )

    def link(number: int) -> str:
        params = request.GET.copy()
        params["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return JsonResponse(
        {
            "count": results.total,
            "count_is_lower_bound": results.total_is_capped,
            # Only the newest matches are ranked: pages reach this many of the `count`.
            "reachable": results.reachable or results.total,
            "next": link(results.page + 1) if results.has_next else None,
            "previous": link(results.page - 1) if results.has_previous else None,
            # Typos forgiven (not with "exact=1"): the query as corrected when words the archive
            # does not hold were replaced, close spellings of rare words also matched (their
            # results come after the exact ones), words close to a query that found nothing.
            "corrected_query": results.corrected.raw
            if results.corrected and results.corrected.replaced
            else None,
            "also_matched": results.corrected.added_words if results.corrected else [],
            "also_searched": results.also_searched,  # other readings (compounds)
            "close_words": results.close_words,
            # With facets=1: the matches' hashtags and languages (counted over `sample`).
            **(
                {
                    "facets": {
                        "hashtags": [
                            {"name": name, "slug": slug, "count": n}
                            for name, slug, n in results.facets.hashtags
                        ],
                        "languages": [
                            {"language": code, "count": n} for code, n in results.facets.languages
                        ],
                        "sample": results.facets.sample,
                        "complete": results.facets.complete,
                    }
                }
                if results.facets
                else {}
            ),
            "results": [
                {
                    "id": hit.article.pk,
                    "title": hit.article.title,
                    "url": hit.article.url,
                    "language": hit.article.language,
                    "tags": [t.name for t in hit.article.tag_list],
                    "snippet": str(hit.snippet),
                    "score": hit.score,
                }
                for hit in results.hits
            ],
        }
    )
