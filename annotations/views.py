"""Curator screens: notes on articles, hashtag edits, renames and merges."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from annotations.comments_split import (
    SplitError,
    current_split,
    join_comment,
    split_comments,
    unsplit_comments,
)
from annotations.decorators import curator_required, tag_editor_required
from annotations.models import Commentary
from annotations.notes import (
    AmbiguousPassage,
    NoteError,
    create_note,
    delete_commentary,
    update_note,
)
from annotations.permissions import can_delete_commentary, can_edit_commentary
from archive.hashtags import rename, set_article_hashtags
from archive.models import Article, Hashtag, TaggedArticle
from archive.text import find_hashtags, hashtag_fits, hashtag_key

SHOWN_CHOICES = 20  # occurrences of an ambiguous passage offered on the form


def _hint(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _anchor_values(request: HttpRequest) -> dict:
    """The passage's position and surroundings, as the article page's selection script or the
    form's choice of occurrence sends them (the API takes the same)."""
    return {
        "hint": _hint(request.POST.get("quote_start")),
        "prefix": request.POST.get("quote_prefix", ""),
        "suffix": request.POST.get("quote_suffix", ""),
    }


def _form_error(exc: NoteError) -> tuple[str, list[dict]]:
    choices = exc.choices[:SHOWN_CHOICES] if isinstance(exc, AmbiguousPassage) else []
    return str(exc), choices


def _get_note_for_editor(request: HttpRequest, pk: int) -> Commentary:
    note = get_object_or_404(Commentary.objects.select_related("article"), pk=pk)
    if not can_edit_commentary(request.user, note):
        raise PermissionDenied
    return note


@curator_required
@require_http_methods(["GET", "POST"])
def note_create(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    values = {
        "text": request.POST.get("text", ""),
        "quote": request.POST.get("quote", request.GET.get("quote", "")),
        "quote_start": request.POST.get("quote_start", ""),
    }
    error, choices = None, []
    if request.method == "POST":
        try:
            note = create_note(
                article,
                request.user,
                values["text"],
                values["quote"],
                **_anchor_values(request),
            )
        except NoteError as exc:
            error, choices = _form_error(exc)
        else:
            messages.success(request, _("Your note is saved."))
            return redirect(f"{article.get_absolute_url()}#note-{note.pk}")
    return render(
        request,
        "annotations/note_form.html",
        {"article": article, "values": values, "error": error, "choices": choices},
        status=400 if error else 200,
    )


@curator_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    note = _get_note_for_editor(request, pk)
    values = {
        "text": request.POST.get("text", note.text),
        "quote": request.POST.get("quote", note.quote_exact),
        "quote_start": "",
    }
    error, choices = None, []
    if request.method == "POST":
        anchor = _anchor_values(request)
        try:
            update_note(
                note,
                values["text"],
                values["quote"],
                **anchor,
                by=request.user,
                # A passage chosen among several, or changed: anchored anew.
                change_quote=values["quote"].strip() != note.quote_exact.strip()
                or anchor["hint"] is not None,
            )
        except NoteError as exc:
            error, choices = _form_error(exc)
        else:
            messages.success(request, _("Your note is saved."))
            return redirect(f"{note.article.get_absolute_url()}#note-{note.pk}")
    return render(
        request,
        "annotations/note_form.html",
        {
            "article": note.article,
            "note": note,
            "values": values,
            "error": error,
            "choices": choices,
        },
        status=400 if error else 200,
    )


@curator_required
@require_http_methods(["GET", "POST"])
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(Commentary.objects.select_related("article"), pk=pk)
    if not can_delete_commentary(request.user, note):
        raise PermissionDenied
    if request.method == "POST":
        article = note.article
        delete_commentary(note, by=request.user)
        messages.success(request, _("The note is deleted."))
        return redirect(article.get_absolute_url())
    return render(request, "annotations/note_delete.html", {"note": note})


def parse_hashtag_field(raw: str) -> list[str]:
    """'#Chine, crédit_social #Surveillance' → ['Chine', 'crédit_social', 'Surveillance']."""
    names = []
    for part in raw.replace(",", " ").split():
        name = part.strip().lstrip("#").rstrip("-")
        # Whatever a dump would read as this one hashtag (archive/text.py's rules).
        if name and hashtag_fits(name) and find_hashtags(f"#{name}") == [name]:
            names.append(name)
    return names


@tag_editor_required
@require_POST
def article_hashtags(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    set_article_hashtags(
        article, parse_hashtag_field(request.POST.get("hashtags", "")), by=request.user
    )
    messages.success(request, _("Hashtags saved."))
    return redirect(article.get_absolute_url())


@tag_editor_required
@require_POST
def hashtag_rename(request: HttpRequest, slug: str) -> HttpResponse:
    """Rename a hashtag; a name another hashtag has merges the two, once confirmed on a page
    that says what the merge will do."""
    tag = get_object_or_404(Hashtag, slug=slug)
    names = parse_hashtag_field(request.POST.get("name", ""))
    if len(names) != 1:
        messages.error(
            request, _("Give one hashtag: letters, digits, _ or -, starting with a letter.")
        )
        return redirect(tag.get_absolute_url())
    into = Hashtag.objects.filter(key=hashtag_key(names[0])).exclude(pk=tag.pk).first()
    if into is not None and request.POST.get("confirm") != "merge":
        return render(
            request,
            "annotations/merge_confirm.html",
            {
                "tag": tag,
                "into": into,
                "name": names[0],
                "articles": TaggedArticle.objects.filter(tag__in=[tag, into])
                .values("content_object_id")
                .distinct()
                .count(),
            },
        )
    result = rename(tag, names[0], by=request.user)
    if result.pk != tag.pk:
        messages.success(
            request, _("#%(old)s is merged into #%(new)s.") % {"old": tag.name, "new": result.name}
        )
    else:
        messages.success(request, _("Renamed to #%(new)s.") % {"new": result.name})
    return redirect(result.get_absolute_url())


@curator_required
@require_http_methods(["GET", "POST"])
def comments_start(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """ "Reader comments start here": the paragraphs from this one on become reader comments."""
    article = get_object_or_404(Article, pk=pk)
    paragraphs = article.paragraphs
    if current_split(article) or not 1 <= index < len(paragraphs):
        messages.error(request, _("There is no such paragraph to start the comments at."))
        return redirect(article.get_absolute_url())
    if request.method == "POST":
        try:
            count = split_comments(article, index)
        except SplitError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d paragraph is now a reader comment.",
                    "%(count)d paragraphs are now reader comments.",
                    count,
                )
                % {"count": count},
            )
        return redirect(f"{article.get_absolute_url()}#commentary")
    return render(
        request,
        "annotations/comments_start.html",
        {
            "article": article,
            "first": paragraphs[index]["text"],
            "count": len(paragraphs) - index,
            "kept": index,
        },
    )


@curator_required
@require_POST
def comments_unsplit(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    unsplit_comments(article)
    messages.success(request, _("The reader comments are back in the article's text."))
    return redirect(article.get_absolute_url())


@curator_required
@require_POST
def comment_join(request: HttpRequest, pk: int) -> HttpResponse:
    reply = get_object_or_404(Commentary.objects.select_related("article"), pk=pk)
    try:
        joined = join_comment(reply)
    except SplitError as exc:
        messages.error(request, str(exc))
        return redirect(reply.article.get_absolute_url())
    messages.success(request, _("The comment is joined to the one before it."))
    return redirect(f"{reply.article.get_absolute_url()}#note-{joined.pk}")
