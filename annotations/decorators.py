from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse

from annotations.permissions import (
    can_add_articles,
    can_edit_articles,
    can_edit_hashtags,
    can_import,
    can_see_history,
    is_curator,
)


def _page_guard(allowed):
    """Pages: anonymous visitors go to the login page, users without the right get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


curator_required = _page_guard(is_curator)
tag_editor_required = _page_guard(can_edit_hashtags)
history_required = _page_guard(can_see_history)
importer_required = _page_guard(can_import)
article_adder_required = _page_guard(can_add_articles)
article_editor_required = _page_guard(can_edit_articles)


def api_curator_required(view):
    """API: 401 without credentials, 403 for users who are not curators."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse(
                {"detail": "Authentication required (session or Token)."},
                status=401,
                headers={"WWW-Authenticate": "Token"},
            )
        if not is_curator(request.user):
            return JsonResponse({"detail": "Only curators may do this."}, status=403)
        return view(request, *args, **kwargs)

    return wrapper
