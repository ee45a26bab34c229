"""Write API for curators: add, change and delete commentary.

A note's passage is given as `quote`; when it is in the article more than once, `quote_start`
(where it starts in the article's text) or `quote_prefix` / `quote_suffix` (the text just before
or after it) say which occurrence is meant, else the answer is 400 with the occurrences.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from annotations.decorators import api_curator_required
from annotations.models import Commentary
from annotations.notes import (
    AmbiguousPassage,
    NoteError,
    create_note,
    delete_commentary,
    update_note,
)
from annotations.permissions import can_delete_commentary, can_edit_commentary
from archive.api import commentary_json
from archive.models import Article

QUOTE_FIELDS = ("quote", "quote_prefix", "quote_suffix")
SHOWN_OCCURRENCES = 100  # of an ambiguous quote, in the answer


def _json_body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise NoteError("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise NoteError('Send a JSON object, e.g. {"text": "…", "quote": "…"}.')
    for field in ("text", *QUOTE_FIELDS):
        if field in data and data[field] is not None and not isinstance(data[field], str):
            raise NoteError(f"“{field}” must be a string.")
    start = data.get("quote_start")
    if start is not None and (isinstance(start, bool) or not isinstance(start, int) or start < 0):
        raise NoteError(
            "“quote_start” must be a whole number, 0 or more: where the passage starts in the "
            "article's text."
        )
    return data


def _anchor_options(data: dict) -> dict:
    return {
        "hint": data.get("quote_start"),
        "prefix": data.get("quote_prefix") or "",
        "suffix": data.get("quote_suffix") or "",
    }


def _bad(error: NoteError) -> JsonResponse:
    if isinstance(error, AmbiguousPassage):
        return JsonResponse(
            {
                "detail": f"{error} Give “quote_start” (where the passage starts in the "
                "article's text) or “quote_prefix” / “quote_suffix” (the text just before or "
                "after it), or quote a longer passage.",
                "code": "ambiguous_quote",
                "occurrences": [
                    {
                        "quote_start": c["start"],
                        "quote_prefix": c["before"],
                        "quote_suffix": c["after"],
                    }
                    for c in error.choices[:SHOWN_OCCURRENCES]
                ],
            },
            status=400,
        )
    return JsonResponse({"detail": str(error)}, status=400)


@api_curator_required
@require_http_methods(["POST"])
def commentary_create(request: HttpRequest, pk: int) -> JsonResponse:
    article = Article.objects.filter(pk=pk).first()
    if article is None:
        return JsonResponse({"detail": "No article with this id."}, status=404)
    try:
        data = _json_body(request)
        note = create_note(
            article, request.user, data.get("text"), data.get("quote"), **_anchor_options(data)
        )
    except NoteError as error:
        return _bad(error)
    return JsonResponse(commentary_json(note), status=201)


@api_curator_required
@require_http_methods(["PATCH", "DELETE"])
def commentary_detail(request: HttpRequest, pk: int) -> JsonResponse:
    # An imported reply or a curator note: either may be changed or deleted by who may.
    item = get_object_or_404(Commentary.objects.select_related("article", "author"), pk=pk)
    if request.method == "DELETE":
        if not can_delete_commentary(request.user, item):
            return JsonResponse({"detail": "You may not delete this note."}, status=403)
        delete_commentary(item, by=request.user)
        return HttpResponse(status=204)
    if not can_edit_commentary(request.user, item):
        return JsonResponse({"detail": "You may not change this note."}, status=403)
    try:
        data = _json_body(request)
        moved = any(field in data for field in (*QUOTE_FIELDS, "quote_start"))
        update_note(
            item,
            data.get("text"),
            data["quote"] if "quote" in data else item.quote_exact,
            **_anchor_options(data),
            change_quote=moved,
            by=request.user,
        )
    except NoteError as error:
        return _bad(error)
    return JsonResponse(commentary_json(item))
