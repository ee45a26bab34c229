"""Article cards of the home and tag pages, kept as HTML until the archive changes.

A card (templates/includes/article_card.html) is the same for every visitor, curators included,
and rendering twenty of them was most of a list page's time. Each is kept in a local-memory
cache of its own (CACHES["cards"], per process, ARCHIVE_CARD_CACHE_SECONDS and _ENTRIES) under
the archive's revision, read before anything the card shows (pagecache.request_revision): every
write bumps it inside its own transaction, so a card read before a write is never served once
that write has committed. The key also holds what else the HTML depends on: the active language
(translated strings and month names), time zone (dates) and script prefix (links).

A page asks for its cards by id: the hits cost neither queries nor rendering, the misses are
read, given their hashtags and commentary counts, rendered and kept. Search results have their own
markup with per-query snippets and never come here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from archive.pagecache import request_revision
from archive.queries import articles_in_order, attach_commentary_counts, attach_tags

CACHE_ALIAS = "cards"
CARD_TEMPLATE = "includes/article_card.html"
T = TypeVar("T")


def article_cards(request, ids: list[int]) -> list[SafeString]:
    """The cards of the articles with these ids, in this order (ids no longer found are left
    out). One query for the revision at most (none when the page cache read it), and for the
    cards not kept yet one query each for articles, hashtags and commentary counts."""
    seconds = settings.ARCHIVE_CARD_CACHE_SECONDS
    if seconds <= 0:
        return list(_render(ids).values())
    cache = caches[CACHE_ALIAS]
    keys = _keys(request, ids)
    kept = cache.get_many(keys.values())
    missing = [pk for pk in ids if keys[pk] not in kept]
    if missing:
        fresh = _render(missing)
        cache.set_many({keys[pk]: str(html) for pk, html in fresh.items()}, seconds)
        kept.update((keys[pk], html) for pk, html in fresh.items())
    return [mark_safe(kept[keys[pk]]) for pk in ids if keys[pk] in kept]


def kept_part(request, name: str, build: Callable[[], T]) -> T:
    """Another part of a page that is the same for every visitor (a tag page's ids, its
    commentary's HTML), kept like the cards: `build()` runs only when the part is not kept for
    this revision, language, time zone and script prefix. `name` says which part, of what."""
    seconds = settings.ARCHIVE_CARD_CACHE_SECONDS
    if seconds <= 0:
        return build()
    cache = caches[CACHE_ALIAS]
    key = f"part:{_scope(request)}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, seconds)
    return value


def _scope(request) -> str:
    # Read the revision before anything kept under it: a part kept under it is never older.
    return ":".join(
        [
            str(request_revision(request)),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
            get_script_prefix(),
        ]
    )


def _keys(request, ids: list[int]) -> dict[int, str]:
    scope = _scope(request)
    return {pk: f"card:{scope}:{pk}" for pk in ids}


def _render(ids: list[int]) -> dict[int, SafeString]:
    """Read and render these articles' cards (as the page's {% include %} of the card did)."""
    if not ids:
        return {}
    articles = attach_commentary_counts(attach_tags(articles_in_order(ids)))
    template = get_template(CARD_TEMPLATE)
    # No request: the card uses only `article`, so the context processors need not run.
    return {article.pk: template.render({"article": article}) for article in articles}
