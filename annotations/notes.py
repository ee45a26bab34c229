"""Writing curator notes: one place for the rules shared by the forms and the API."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from annotations.anchoring import make_quote
from annotations.models import Commentary, TaggedCommentary
from archive.models import Article, refresh_hashtags
from archive.text import find_hashtags, hashtag_fits, hashtag_key

MAX_NOTE_CHARS = 20_000


class NoteError(ValueError):
    """A note that cannot be saved; the message is shown to the curator."""


def sync_note_hashtags(note: Commentary) -> None:
    """Hashtags written in a note become the note's hashtags."""
    from archive.importer.store import get_or_create_hashtags

    spellings: dict[str, str] = {}
    for name in find_hashtags(note.text):
        if hashtag_fits(name):
            spellings.setdefault(hashtag_key(name), name)
    before = set(
        TaggedCommentary.objects.filter(content_object=note).values_list("tag_id", flat=True)
    )
    TaggedCommentary.objects.filter(content_object=note).delete()
    tags = get_or_create_hashtags(spellings.values()) if spellings else {}
    TaggedCommentary.objects.bulk_create(
        TaggedCommentary(content_object=note, tag=tags[k], spelling=s) for k, s in spellings.items()
    )
    refresh_hashtags(before | {t.pk for t in tags.values()})


def _clean(text: str | None) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise NoteError(_("The note is empty."))
    if len(text) > MAX_NOTE_CHARS:
        raise NoteError(
            _("The note is too long (at most %(limit)s characters).")
            % {"limit": number_format(MAX_NOTE_CHARS, force_grouping=True)}
        )
    return text


def _anchor(note: Commentary, article: Article, quote: str | None, hint: int | None) -> None:
    quote = (quote or "").strip()
    if not quote:
        note.quote_exact = note.quote_prefix = note.quote_suffix = ""
        note.quote_start = None
        return
    found = make_quote(article.text, quote, hint)
    if found is None:
        raise NoteError(_("The quoted passage is not in the article."))
    note.quote_exact, note.quote_prefix, note.quote_suffix = found.exact, found.prefix, found.suffix
    note.quote_start = found.start


@transaction.atomic
def create_note(
    article: Article, author, text: str, quote: str | None = None, hint: int | None = None
) -> Commentary:
    now = timezone.now()
    note = Commentary(
        article=article,
        author=author,
        text=_clean(text),
        origin=Commentary.Origin.NOTE,
        created=now,
        updated=now,
    )
    _anchor(note, article, quote, hint)
    note.save_and_index()
    return note


@transaction.atomic
def update_note(
    note: Commentary,
    text: str | None = None,
    quote: str | None = None,
    hint: int | None = None,
    *,
    change_quote: bool = False,
) -> Commentary:
    if text is not None:
        note.text = _clean(text)
    if change_quote:
        _anchor(note, note.article, quote, hint)
    note.updated = timezone.now()
    note.save_and_index()
    return note
