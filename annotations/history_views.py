"""Recent changes: the history of curator actions and imports, for curators, with undo."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from annotations.decorators import history_required
from annotations.models import Commentary
from annotations.permissions import can_undo
from archive.history import Kind, UndoConflict
from archive.models import Article, Hashtag, HistoryEntry
from archive.pagination import page_number, paginate
from archive.undo import is_undoable, undo

PER_PAGE = 50
KIND_LABELS = {
    Kind.NOTE_ADDED: _("Note added"),
    Kind.NOTE_EDITED: _("Note edited"),
    Kind.NOTE_DELETED: _("Note deleted"),
    Kind.ARTICLE_HASHTAGS: _("Article's hashtags edited"),
    Kind.ARTICLE_ADDED: _("Article added"),
    Kind.ARTICLE_EDITED: _("Article edited"),
    Kind.HASHTAG_RENAMED: _("Hashtag renamed"),
    Kind.HASHTAG_MERGED: _("Hashtags merged"),
    Kind.FILE_IMPORTED: _("File imported"),
    Kind.FILE_REFUSED: _("File refused"),
    Kind.UNDO: _("Undone"),
}


def _filters(request: HttpRequest) -> dict:
    """The user and kind asked for; an unknown kind is ignored rather than refused."""
    kind = request.GET.get("kind", "")
    return {
        "user": request.GET.get("user", "").strip(),
        "kind": kind if kind in KIND_LABELS else "",
    }


def _links(entries: list[HistoryEntry]) -> dict[int, tuple[str, str]]:
    """Each entry's link to what it changed, as it is now (one query per kind of thing): the
    note on its article, the article, the hashtag's page. Things gone since get no link."""
    article_ids = {e.article_id for e in entries if e.article_id}
    hashtag_ids = {e.hashtag_id for e in entries if e.hashtag_id}
    note_ids = {e.note_id for e in entries if e.note_id}
    articles = Article.objects.only("pk", "title").in_bulk(article_ids)
    hashtags = Hashtag.objects.only("pk", "name", "slug").in_bulk(hashtag_ids)
    notes = set(Commentary.objects.filter(pk__in=note_ids).values_list("pk", flat=True))
    links = {}
    for entry in entries:
        article = articles.get(entry.article_id)
        if entry.note_id in notes and article is not None:
            links[entry.pk] = (f"{article.get_absolute_url()}#note-{entry.note_id}", article.title)
        elif article is not None:
            links[entry.pk] = (article.get_absolute_url(), article.title)
        elif entry.hashtag_id in hashtags:
            tag = hashtags[entry.hashtag_id]
            links[entry.pk] = (tag.get_absolute_url(), f"#{tag.name}")
    return links


@history_required
@require_GET
def recent_changes(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    entries = HistoryEntry.objects.select_related("undone_by", "undoes")
    if filters["user"]:
        entries = entries.filter(actor=filters["user"])
    if filters["kind"]:
        entries = entries.filter(kind=filters["kind"])
    page = paginate(entries, page_number(request), PER_PAGE, counted=False)
    links = _links(page.items)
    rows = [
        {
            "entry": entry,
            "kind": KIND_LABELS.get(entry.kind, entry.kind),
            "link": links.get(entry.pk),
            "undoable": is_undoable(entry) and can_undo(request.user, entry),
        }
        for entry in page.items
    ]
    actors = HistoryEntry.objects.order_by("actor").values_list("actor", flat=True).distinct()[:200]
    return render(
        request,
        "annotations/recent_changes.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "kinds": list(KIND_LABELS.items()),
            "actors": list(actors),
            "back": urlencode(
                {k: v for k, v in filters.items() if v}
                | ({"page": page.number} if page.number > 1 else {})
            ),
        },
    )


@history_required
@require_POST
def undo_change(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(HistoryEntry, pk=pk)
    if not can_undo(request.user, entry):
        raise PermissionDenied
    try:
        _done, message = undo(entry.pk, request.user)
    except UndoConflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(request, message)
    # Back to the page as it was filtered: only its own parameters, re-encoded, so that the
    # field can never send the curator elsewhere.
    back = QueryDict(request.POST.get("back", "").removeprefix("?"))
    query = urlencode({k: back[k] for k in ("user", "kind", "page") if back.get(k)})
    return redirect(reverse("recent_changes") + (f"?{query}" if query else ""))
