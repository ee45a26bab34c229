"""Curator screens for articles: add one without a dump, edit one's fields.

The writes are archive/articles.py's (add_article, edit_article): an edited field becomes the
curators' (a re-import of the dump keeps it), notes follow an edited text, the search index and
the archive's revision follow every save.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from annotations.article_forms import FORM_TEXT_CHARS, ArticleForm
from annotations.decorators import article_adder_required, article_editor_required
from archive.articles import add_article, edit_article
from archive.models import Article
from archive.queries import attach_tags


@article_adder_required
@require_http_methods(["GET", "POST"])
def article_add(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        article = add_article(form.article_fields(), by=request.user)
        messages.success(request, _("The article is added."))
        return redirect(article.get_absolute_url())
    return render(
        request,
        "annotations/article_form.html",
        {"form": form, "article": None},
        status=400 if form.errors else 200,
    )


@article_editor_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    text = article.text
    text_editable = len(text) <= FORM_TEXT_CHARS
    attach_tags([article])
    initial = {
        "title": article.title,
        "url": article.url,
        "published": article.published,
        "text": text if text_editable else "",
        "hashtags": " ".join(f"#{tag.name}" for tag in article.tag_list),
    }
    data = request.POST if request.method == "POST" else None
    form = ArticleForm(data, initial=initial, text_editable=text_editable)
    if request.method == "POST" and form.is_valid():
        kept = [p["text"] for p in article.paragraphs]
        edit = edit_article(article, form.article_fields(kept), by=request.user)
        messages.success(request, _("The article is saved."))
        for moved in edit.anchors:
            if moved.lost:
                message = _("Note %(id)s: its passage is no longer in the text.")
            else:
                message = _("Note %(id)s: re-anchored to its passage as it now reads.")
            messages.info(request, message % {"id": moved.commentary_id})
        return redirect(edit.article.get_absolute_url())
    return render(
        request,
        "annotations/article_form.html",
        {"form": form, "article": article, "text_editable": text_editable},
        status=400 if form.errors else 200,
    )
