"""Whole pages for anonymous readers, kept until the archive changes.

The archive has a revision (ArchiveRevision) that every write path raises once inside its own
transaction (archive/changes.py: imports, notes, hashtag edits, renames, merges, the admin's
saves and deletes). This module only reads it. A cached page's key holds the revision it was read
at, so the first request after a commit reads the new revision and renders afresh: a page is
never older than the last committed write. ARCHIVE_PAGE_CACHE_SECONDS bounds how long a page is
kept (0 turns the cache off); it is also the last line for writes that bypass the services
(raw SQL, a shell, a user's changed display name).

The revision is read first, the page afterwards: each query sees the data committed when it runs,
so a page stored under a revision is never older than that revision.

What is cached: the response of a decorated view (the middleware still runs on every response, so
security headers, CSP, Content-Language and cookies are those of the request at hand), for GET and
HEAD from visitors with no session cookie and no pending messages, when it is a 200 that sets no
cookie and does not vary on more than the key holds. The key: revision, method, resolved language,
scheme, host, and path with query string. The CSRF token that a page's forms carry (the language
switcher is on every page) is not stored: it is cut out before storing and each response gets the
visitor's own, exactly as a fresh render would; a page with a token anywhere else is not stored.
Pages without a token also get an ETag and answer If-None-Match with 304.
"""

from __future__ import annotations

import hashlib
import re
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.cache import get_conditional_response, quote_etag

from archive.models import ArchiveRevision

CACHE_ALIAS = "pages"
# Larger responses (a big sitemap) are not kept: the cache is bounded in entries, not bytes,
# so a process holds at most ARCHIVE_PAGE_CACHE_ENTRIES × this (pages are mostly 4–30 KB).
MAX_BODY_BYTES = 256 * 1024
# The keys a cached page may vary on; a response varying on anything else is not stored.
KEYED_VARY = {"cookie", "accept-language"}

_TOKEN_INPUT = re.compile(
    rb'(<input type="hidden" name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{64}(">)'
)
_TOKEN_LIKE = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")
_PLACEHOLDER = b"\x00archive-csrf-token\x00"


def current_revision(using: str | None = None) -> int:
    return ArchiveRevision.current(using)


def request_revision(request) -> int:
    """The revision as this request first read it: the page cache reads it before the view runs,
    and the view's cached parts (archive/cards.py) use the same one, one query in all. It is read
    from the database the request reads its page from (a replica, or the primary: see
    archive/db_routers.py), so a page is never kept under a revision newer than what it shows."""
    revision = getattr(request, "archive_revision", None)
    if revision is None:
        revision = request.archive_revision = current_revision()
    return revision


def _anonymous_reader(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    # A session may hold a logged-in user (finding out costs a query) or messages: not ours.
    if settings.SESSION_COOKIE_NAME in request.COOKIES or CookieStorage.cookie_name in (
        request.COOKIES
    ):
        return False
    user = getattr(request, "user", None)  # without a session cookie: no query
    return user is None or not user.is_authenticated


def _key(request, revision: int) -> str:
    raw = "\n".join(
        [request.method, translation.get_language() or "", request.build_absolute_uri()]
    )
    return f"page:{revision}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _entry(request, response) -> tuple | None:
    """What to keep of a fresh response, or None when it must not be kept."""
    if response.status_code != 200 or response.streaming:
        return None
    if getattr(response, "is_rendered", True) is False:
        response.render()
    if response.cookies:
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return None
    if len(get_messages(request)):
        return None
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return None
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    if vary - KEYED_VARY:
        return None
    body = response.content
    if len(body) > MAX_BODY_BYTES or _PLACEHOLDER in body:
        return None
    has_token = False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # get_token() was called: forms in it
        body, replaced = _TOKEN_INPUT.subn(rb"\1" + _PLACEHOLDER + rb"\2", body)
        if _TOKEN_LIKE.search(body):  # something like a token elsewhere: never store it
            return None
        has_token = replaced > 0
    headers = tuple(
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in {"content-length", "etag"}
    )
    etag = None if has_token else quote_etag(hashlib.blake2b(body, digest_size=16).hexdigest())
    return body, headers, has_token, etag


def _replay(request, entry: tuple) -> HttpResponse:
    body, headers, has_token, etag = entry
    if has_token:
        body = body.replace(_PLACEHOLDER, get_token(request).encode("ascii"))
    response = HttpResponse(body)
    for name, value in headers:
        response.headers[name] = value
    if etag:
        response.headers["ETag"] = etag
        return get_conditional_response(request, etag=etag, response=response)
    return response


def page_cache(view):
    """Serve repeat GETs of a reader page to anonymous visitors without running the view."""

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        seconds = settings.ARCHIVE_PAGE_CACHE_SECONDS
        if seconds <= 0 or not _anonymous_reader(request):
            return view(request, *args, **kwargs)
        cache = caches[CACHE_ALIAS]
        key = _key(request, request_revision(request))
        entry = cache.get(key)
        if entry is not None:
            return _replay(request, entry)
        response = view(request, *args, **kwargs)
        entry = _entry(request, response)
        if entry is not None:
            cache.set(key, entry, seconds)
            if entry[3]:
                response.headers["ETag"] = entry[3]
        return response

    return cached_view
