"""Addresses of hashtags and articles, remembered: a list page links over a hundred of them."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.text import slugify

# Entries are short strings (~200 bytes with their key): a few MB per process at most.
REMEMBERED = 16384


@lru_cache(maxsize=REMEMBERED)
def _reverse(urlconf: str, prefix: str, name: str, args: tuple) -> str:
    # `prefix` is only part of the key: reverse() reads the same script prefix itself.
    return reverse(name, urlconf=urlconf, args=args)


def reverse_cached(name: str, *args: str | int) -> str:
    """reverse(name, args=args), remembered per URLconf and script prefix (all else an address
    depends on). reverse() matches the route's regular expression on every call (~15 µs): the
    home page called it 130 times, a fifth of its rendering."""
    return _reverse(get_urlconf(settings.ROOT_URLCONF), get_script_prefix(), name, args)


@lru_cache(maxsize=REMEMBERED)
def title_slug(title: str) -> str:
    """The readable part of an article's address."""
    return slugify(title, allow_unicode=True)[:60]
