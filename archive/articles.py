"""Articles as curators handle them: added in the browser, edited (there or in the admin), and
deleted (commentary and index rows go with them; their hashtags are recounted).

A field a curator edits is theirs from then on (Article.curator_fields): a re-import of the
article's dump keeps it (importer/writer.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from annotations.reanchoring import AnchorChange, follow_text
from archive.changes import record_change
from archive.hashtags import refresh_hashtags, set_article_hashtags
from archive.history import Kind, record_action
from archive.language import detect_paragraphs
from archive.models import CURATOR_KEY_PREFIX, Article, TaggedArticle
from archive.text import find_hashtags, split_spans, unique

CHUNK = 500


@transaction.atomic
def delete_articles(article_ids: Iterable[int]) -> int:
    """Delete these articles; return how many there were."""
    ids = list(article_ids)
    tag_ids: set[int] = set()
    deleted = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        tag_ids.update(
            TaggedArticle.objects.filter(content_object_id__in=chunk).values_list(
                "tag_id", flat=True
            )
        )
        deleted += Article.objects.filter(pk__in=chunk).delete()[1].get(Article._meta.label, 0)
    refresh_hashtags(tag_ids)
    record_change(ids)  # the index drops the rows of articles that no longer exist
    return deleted


# --- curators' edits -------------------------------------------------------------------------


@dataclass
class ArticleFields:
    """What a curator gives for an article: its text as paragraphs, hashtags as spelled."""

    title: str
    url: str
    paragraphs: list[str]
    hashtags: list[str]
    published: date | None


@dataclass
class Edit:
    """What an edit changed: the fields now the curators' (Article.curator_fields), and the
    notes whose passage moved or was lost with the text (annotations/reanchoring.py)."""

    article: Article
    fields: set[str]
    anchors: list[AnchorChange]


def mark_curator_edits(article: Article) -> set[str]:
    """The editable fields (Article.CURATOR_EDITABLE_FIELDS) whose values on `article` differ
    from its stored row: they are the curators' from now on (a re-import of the article's dump
    keeps them), and the article says when they were edited. For every curators' edit: the
    admin's and the article form's. Compared with the row as it was: a JSON field's form
    reports "[]" as changed."""
    names = Article.CURATOR_EDITABLE_FIELDS
    before = Article.objects.filter(pk=article.pk).values(*names).first()
    if before is None:
        return set()
    edited = {name for name in names if before[name] != getattr(article, name)}
    if edited:
        article.curator_fields = sorted(set(article.curator_fields) | edited)
        article.curator_edited = timezone.now()
    return edited


def _text_values(fields: ArticleFields, attribution: str = "") -> dict:
    """The fields an article's text decides: paragraphs with their languages, the article's
    language, the other links and the mentions in it (as an import finds them)."""
    langs, language = detect_paragraphs(fields.paragraphs)
    spans = [s for p in fields.paragraphs for s in split_spans(p)]
    return {
        "paragraphs": [
            {"text": text, "lang": lang}
            for text, lang in zip(fields.paragraphs, langs, strict=True)
        ],
        "language": language,
        "links": [u for u in unique(s.value for s in spans if s.kind == "url") if u != fields.url],
        "mentions": unique(
            [*(s.value for s in spans if s.kind == "mention"), *attribution.split()]
        ),
    }


def _written_hashtags(title: str, paragraphs: list[str]) -> list[str]:
    return [*find_hashtags(title), *(t for p in paragraphs for t in find_hashtags(p))]


@transaction.atomic
def add_article(fields: ArticleFields, *, by=None) -> Article:
    """An article a curator adds in the browser, without a dump. Its key cannot be a dump's
    (CURATOR_KEY_PREFIX); its hashtags are those given and those written in its text."""
    now = timezone.now()
    article = Article(
        title=fields.title,
        url=fields.url,
        published=fields.published,
        external_key=f"{CURATOR_KEY_PREFIX}{uuid.uuid4().hex}",
        created=now,
        updated=now,
        **_text_values(fields),
    )
    article.save()
    # record_change() is its last step: the article is indexed with its hashtags.
    record_action(Kind.ARTICLE_ADDED, by, article_id=article.pk, label=article.title)
    set_article_hashtags(
        article, [*fields.hashtags, *_written_hashtags(fields.title, fields.paragraphs)], by=by
    )
    return article


@transaction.atomic
def edit_article(article: Article, fields: ArticleFields, *, by=None) -> Edit:
    """A curator's edit of an article's title, URL, text, hashtags and publication date. The
    hashtags are those given, and any the new text writes that the old one did not."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    old_texts = [p["text"] for p in article.paragraphs]
    old_written = set(_written_hashtags(article.title, old_texts))
    text_changed = old_texts != fields.paragraphs
    article.title, article.published = fields.title, fields.published
    if text_changed or article.url != fields.url:
        values = _text_values(fields, article.attribution)
        if not text_changed:  # the same text: its languages stay as they were found
            values.pop("paragraphs")
            values.pop("language")
        for name, value in values.items():
            setattr(article, name, value)
    article.url = fields.url
    edited = mark_curator_edits(article)
    anchors: list[AnchorChange] = []
    if edited:
        article.updated = timezone.now()
        article.save()
        if "paragraphs" in edited:  # notes' anchors follow the text
            anchors = follow_text({article.pk: article.text})
        record_action(
            Kind.ARTICLE_EDITED,
            by,
            article_id=article.pk,
            label=article.title,
            after={"fields": sorted(edited)},
        )
    newly_written = [
        t for t in _written_hashtags(fields.title, fields.paragraphs) if t not in old_written
    ]
    # record_change() is its last step: the index and the revision follow the edit.
    set_article_hashtags(article, [*fields.hashtags, *newly_written], by=by)
    return Edit(article, edited, anchors)
