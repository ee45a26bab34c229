"""API tokens: `Authorization: Token <key>` authenticates requests to the JSON API, and only them.

Anywhere else (pages, the admin) the header is ignored: a token never stands in for a session
there, and never lifts CSRF protection. Wrong tokens are counted per client address in the
database (shared by every server process): after TOKEN_FAILURE_LIMIT of them within
TOKEN_FAILURE_WINDOW, that address gets 429 with Retry-After until the window ends, right
tokens included, so that nobody can keep guessing.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.db import Error, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from annotations.models import ApiToken, FailedTokenAttempts
from archive.clientaddress import client_address
from archive.outage import database_unavailable, unavailable_response

API_PREFIX = "/api/"
TOKEN_FAILURE_LIMIT = 10
TOKEN_FAILURE_WINDOW = timedelta(minutes=15)
LAST_USED_EVERY = timedelta(minutes=5)  # `last_used` is written at most this often


class TokenAuthenticationMiddleware:
    """Authenticates /api/ requests that carry `Authorization: Token <key>`.

    A token request carries no cookie a browser could replay, so CSRF does not apply to it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if not (request.path_info.startswith(API_PREFIX) and header.startswith("Token ")):
            return self.get_response(request)
        try:
            refusal = authenticate(request, header.removeprefix("Token ").strip())
        except Error as error:  # InterfaceError is no DatabaseError
            # Raised here, in a middleware, Django's process_exception hooks never see it.
            if not database_unavailable(error):
                raise
            return unavailable_response(request, error)
        return refusal or self.get_response(request)


def authenticate(request: HttpRequest, key: str) -> HttpResponse | None:
    """Set request.user from the token; or the response refusing it (401, 429)."""
    client = client_address(request) or "unknown"
    wait = seconds_to_wait(client)
    if wait:
        return too_many_failures(wait)
    token = ApiToken.find(key)
    if token is None or not token.user.is_active:
        record_failure(client)
        return JsonResponse(
            {"detail": "Invalid token."}, status=401, headers={"WWW-Authenticate": "Token"}
        )
    request.user = token.user
    request._dont_enforce_csrf_checks = True
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return None


def seconds_to_wait(client: str) -> int:
    """How long `client` must wait before sending a token again (0: it may now)."""
    now = timezone.now()
    since = (
        FailedTokenAttempts.objects.filter(
            client=client, count__gte=TOKEN_FAILURE_LIMIT, since__gt=now - TOKEN_FAILURE_WINDOW
        )
        .values_list("since", flat=True)
        .first()
    )
    if since is None:
        return 0
    return max(1, math.ceil((since + TOKEN_FAILURE_WINDOW - now).total_seconds()))


def record_failure(client: str) -> None:
    """Count one wrong token from `client`: a new window starts when the last one is over."""
    now = timezone.now()
    with transaction.atomic():
        row, created = FailedTokenAttempts.objects.select_for_update().get_or_create(
            client=client, defaults={"since": now, "count": 1}
        )
        if not created:
            if row.since <= now - TOKEN_FAILURE_WINDOW:
                row.since, row.count = now, 1
            else:
                row.count += 1
            row.save(update_fields=["since", "count"])
    if created:  # rows of windows long over are of no use: the table stays small
        FailedTokenAttempts.objects.filter(since__lte=now - TOKEN_FAILURE_WINDOW).delete()


def too_many_failures(wait: int) -> JsonResponse:
    return JsonResponse(
        {"detail": f"Too many wrong API tokens from your address. Try again in {wait} seconds."},
        status=429,
        headers={"Retry-After": str(wait)},
    )
