from __future__ import annotations

import math
import shlex
from urllib.parse import unquote, urlencode

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from annotations.anchoring import TextQuote, locate
from annotations.comments_split import current_split
from annotations.models import Commentary
from annotations.permissions import (
    can_edit_articles,
    can_edit_commentary,
    can_edit_hashtags,
    is_curator,
)
from archive.cards import article_cards, kept_part
from archive.models import Article, Hashtag
from archive.pagecache import page_cache
from archive.pagination import page_number, page_url, paginate
from archive.parts import article_parts, part_of, part_paragraphs
from archive.queries import (
    attach_commentary_counts,
    attach_tags,
    newest_commentary_with_tag,
    newest_ids_with_tag,
    prefixed_hashtags,
    related_hashtags,
    top_hashtags,
)
from archive.rendering import AnchorRange, render_inline, render_paragraphs
from archive.search.query import parse
from archive.search.service import SORTS, search
from archive.search.snippets import Matcher
from archive.text import fold, hashtag_key

COMMENTARY_ON_TAG_PAGE = 20
LANGUAGE_NAMES = {
    "fr": "français",
    "de": "Deutsch",
    "en": "English",
    "it": "italiano",
    "es": "español",
    "pt": "português",
    "nl": "Nederlands",
}


@page_cache
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # Ids only (the newest-first index has them): the cards kept need no article row.
    page = paginate(
        Article.objects.order_by("-sort_date", "id").values_list("pk", flat=True),
        page_number(request),
        settings.ARCHIVE_PAGE_SIZE,
        counted=False,
    )
    return render(
        request,
        "archive/home.html",
        {"page": page, "cards": article_cards(request, page.items), "top_tags": top_hashtags(30)},
    )


def _get_article(pk: int) -> Article:
    return get_object_or_404(Article, pk=pk)


@page_cache
@require_safe
def article_detail(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    article = _get_article(pk)
    canonical = article.get_absolute_url()
    if request.path != unquote(canonical):
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(canonical + (f"?{query}" if query else ""))
    attach_tags([article])
    slugs = {t.key: t.slug for t in article.tag_list}
    # Imported replies and curator notes alike: each `item` is one or the other.
    commentary = list(article.commentary.select_related("author"))
    # The hashtags of all its commentary in one query: taggit's prefetch_related builds a
    # queryset per note (0.2 s for an article with 400 notes).
    slugs.update(
        Hashtag.objects.filter(commentary_items__content_object__article=article)
        .values_list("key", "slug")
        .distinct()
    )
    text = article.text
    anchors = []
    for item in commentary:
        item.located = None
        if item.quote_exact and not item.quote_lost:
            # The stored anchor follows the text (annotations/reanchoring.py): checked exactly,
            # never searched for approximately here.
            item.located = locate(
                text,
                TextQuote(item.quote_exact, item.quote_prefix, item.quote_suffix, item.quote_start),
                approximate=False,
            )
            if item.located:
                anchors.append(AnchorRange(item.located.start, item.located.end, item.pk))
        item.html = render_inline(item.text, slugs)
        item.can_edit = can_edit_commentary(request.user, item)
    split = current_split(article)
    for item in commentary:
        item.reader_comment = (
            bool(split)
            and item.origin == Commentary.Origin.REPLY
            and item.external_key is not None
            and item.position >= split.first_reply
        )
        item.joinable = item.reader_comment and item.position > split.first_reply
    # A note whose passage is no longer in the text is shown apart, after the others.
    lost = [item for item in commentary if item.quote_exact and not item.located]
    lost_ids = {item.pk for item in lost}
    curator = is_curator(request.user)
    query = parse(request.GET.get("q", ""))
    matcher = Matcher(query) if query.has_text else None
    parts, part = _shown_part(request, article.paragraphs)
    for item in commentary:  # a passage in another part of a long article: a link there
        located = getattr(item, "located", None)
        number = part_of(parts, located.start) if located else part.number
        item.passage_link = "" if number == part.number else page_url(request, number, "part")
    shown, starts = part_paragraphs(article.paragraphs, part)
    paragraphs = render_paragraphs(shown, slugs, anchors, matcher, starts)
    return render(
        request,
        "archive/article_detail.html",
        {
            "article": article,
            "paragraphs": paragraphs,
            "part": part,
            "parts": len(parts),
            "previous_part": page_url(request, part.number - 1, "part"),
            "next_part": page_url(request, part.number + 1, "part"),
            "commentary": [item for item in commentary if item.pk not in lost_ids],
            "commentary_count": len(commentary),
            "lost": lost,
            "reanchored": [item for item in commentary if item.located and item.is_reanchored]
            if curator
            else [],
            "query": request.GET.get("q", ""),
            "language_name": LANGUAGE_NAMES.get(article.language, article.language),
            "curator": curator,
            "comments_split": bool(split),
            "paragraph_start": part.pieces[0][0],  # the index of the first paragraph shown
            "part_continues": part.pieces[0][1] > 0,  # it starts inside that paragraph
            "tag_editor": can_edit_hashtags(request.user),
            "article_editor": can_edit_articles(request.user),
        },
    )


def _shown_part(request: HttpRequest, paragraphs: list[dict]):
    """All the parts of an article's text (archive/parts.py), and the one this page shows
    (?part=, from 1)."""
    parts = article_parts([p["text"] for p in paragraphs])
    number = page_number(request, "part")
    if number > len(parts):
        raise Http404("No such part")
    return parts, parts[number - 1]


@page_cache
@require_safe
def tag_list(request: HttpRequest) -> HttpResponse:
    needle = request.GET.get("q", "").strip().lstrip("#")[:100]
    # A–Z as a reader expects it: accents do not send #évaluation after #Xinjiang.
    tags = Hashtag.objects.filter(usage_count__gt=0).order_by("search_key", "key")
    if needle:
        tags = tags.filter(
            Q(search_key__contains=fold(needle)) | Q(key__contains=needle.casefold())
        )
    page = paginate(tags, page_number(request), 300)
    cloud = top_hashtags(60)
    if cloud:
        top, bottom = math.log(cloud[0].usage_count + 1), math.log(cloud[-1].usage_count + 1)
        for tag in cloud:
            weight = (math.log(tag.usage_count + 1) - bottom) / ((top - bottom) or 1)
            tag.cloud_size = 1 + round(weight * 4)
        cloud.sort(key=lambda t: (t.search_key, t.key))
    return render(
        request, "archive/tag_list.html", {"page": page, "cloud": cloud, "needle": needle}
    )


def _get_tag(slug: str) -> Hashtag:
    tag = Hashtag.objects.filter(slug=slug).first()
    if tag is None:  # /tags/Crédit_social/ or an old spelling still finds the tag
        tag = get_object_or_404(Hashtag, key=hashtag_key(slug))
    return tag


@page_cache
@require_safe
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = _get_tag(slug)
    if tag.slug != slug:
        return HttpResponsePermanentRedirect(tag.get_absolute_url())
    number, size = page_number(request), settings.ARCHIVE_PAGE_SIZE
    # The page's ids (sorting a hashtag's articles by date: ~9 ms for 3,000 uses at 1M posts)
    # and the commentary (its template: ~8 ms) are the same for everyone: kept like the cards.
    page = kept_part(
        request,
        f"tag-page:{tag.pk}:{number}:{size}",
        lambda: paginate(newest_ids_with_tag(tag), number, size, count=tag.usage_count),
    )
    commentary = kept_part(
        request,
        f"tag-commentary:{tag.pk}",
        lambda: render_to_string(
            "includes/tag_commentary.html",
            {"tag": tag, "commentary": newest_commentary_with_tag(tag, COMMENTARY_ON_TAG_PAGE)},
        ),
    )
    return render(
        request,
        "archive/tag_detail.html",
        {
            "tag": tag,
            "page": page,
            "cards": article_cards(request, page.items),
            "related": related_hashtags(tag),
            "commentary": commentary,
            "prefixed": prefixed_hashtags(tag),
            "tag_editor": can_edit_hashtags(request.user),
        },
    )


@require_safe
def search_view(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    language = request.GET.get("lang", "")
    if language not in LANGUAGE_NAMES:
        language = ""
    tag = request.GET.get("tag", "").strip().lstrip("#")
    query = f"{raw} #{tag}" if tag else raw
    exact = request.GET.get("exact") == "1"
    sort = request.GET.get("sort", "relevance")
    sort = sort if sort in SORTS else "relevance"
    results = search(
        query,
        page=page_number(request),
        language=language or None,
        exact=exact,
        sort=sort,
        facets=True,
    )
    if results.page > 1 and not results.hits and results.total:
        raise Http404("No such page")
    attach_commentary_counts([h.article for h in results.hits])
    return render(
        request,
        "archive/search.html",
        {
            "raw": raw,
            "tag": tag,
            "searched": query.strip(),
            "results": results,
            "exact": exact,
            "sort": sort,
            "facet_links": _facet_links(raw, tag, language, sort, results.facets),
            "feed_params": urlencode(
                {"q": query.strip(), **({"sort": sort} if sort != "relevance" else {})}
            ),
            "language": language,
            "languages": sorted(LANGUAGE_NAMES.items()),
            "suggestions": _suggestions(query, results)
            if query.strip() and not results.hits
            else [],
        },
    )


def _facet_links(raw: str, tag: str, language: str, sort: str, facets) -> dict:
    """Each facet as (label, count, address of the narrowed search)."""
    if facets is None:
        return {}

    def address(q: str, lang: str) -> str:
        params = {"q": q, "tag": tag, "lang": lang, "sort": sort if sort != "relevance" else ""}
        return "?" + urlencode({k: v for k, v in params.items() if v})

    return {
        "hashtags": [
            (f"#{name}", n, address(f"{raw} #{name}".strip(), language))
            for name, _slug, n in facets.hashtags
        ],
        "languages": [
            (LANGUAGE_NAMES.get(code, code), n, address(raw, code))
            for code, n in facets.languages
            if code != language
        ],
        "sample": facets.sample,
        "complete": facets.complete,
    }


def _suggestions(raw: str, results) -> list[tuple[str, str]]:
    """Ways out of an empty result: drop one word, phrase or hashtag at a time."""
    try:
        parts = shlex.split(raw)
    except ValueError:
        parts = raw.replace('"', " ").split()
    parts = [p for p in parts if p.strip()]
    suggestions = []
    if len(parts) > 1:
        for i, part in enumerate(parts[:8]):
            rest = [(f'"{p}"' if " " in p else p) for j, p in enumerate(parts) if j != i]
            suggestions.append((" ".join(rest), part))
    elif '"' in raw:
        suggestions.append((raw.replace('"', ""), '"'))
    return suggestions
