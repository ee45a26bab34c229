"""Write API for curators: add, change and delete commentary."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from annotations.decorators import api_curator_required
from annotations.models import Commentary
from annotations.notes import NoteError, create_note, delete_commentary, update_note
from annotations.permissions import can_delete_commentary, can_edit_commentary
from archive.api import commentary_json
from archive.models import Article


def _json_body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise NoteError("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise NoteError('Send a JSON object, e.g. {"text": "…", "quote": "…"}.')
    for field in ("text", "quote"):
        if field in data and data[field] is not None and not isinstance(data[field], str):
            raise NoteError(f"“{field}” must be a string.")
    return data


def _bad(error: NoteError) -> JsonResponse:
    return JsonResponse({"detail": str(error)}, status=400)


@api_curator_required
@require_http_methods(["POST"])
def commentary_create(request: HttpRequest, pk: int) -> JsonResponse:
    article = Article.objects.filter(pk=pk).first()
    if article is None:
        return JsonResponse({"detail": "No article with this id."}, status=404)
    try:
        data = _json_body(request)
        note = create_note(article, request.user, data.get("text"), data.get("quote"))
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
        delete_commentary(item)
        return HttpResponse(status=204)
    if not can_edit_commentary(request.user, item):
        return JsonResponse({"detail": "You may not change this note."}, status=403)
    try:
        data = _json_body(request)
        update_note(item, data.get("text"), data.get("quote"), change_quote="quote" in data)
    except NoteError as error:
        return _bad(error)
    return JsonResponse(commentary_json(item))
