"""Errors under /api/ answer JSON, as the README promises, whatever raised them: a page or a
note that does not exist (404), a write without credentials that Django's CSRF check stopped
before the view (401 for an anonymous client, 403 for a session without its token). Elsewhere
Django's own pages answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if not _is_api(request):
        return csrf.csrf_failure(request, reason)
    if not request.user.is_authenticated:
        return JsonResponse(
            {"detail": "Authentication required (session or Token)."},
            status=401,
            headers={"WWW-Authenticate": "Token"},
        )
    return JsonResponse(
        {"detail": "CSRF check failed: send the X-CSRFToken header, or use a Token."}, status=403
    )
