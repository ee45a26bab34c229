"""Commentary's rules in one place: creating, changing and deleting curator notes (the forms, the
API and the admin all come here), and what saving any commentary means for the rest of the
archive (its hashtags, the search index, the revision)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from annotations.anchoring import make_quote
from annotations.models import Commentary
from archive.changes import record_change
from archive.hashtags import refresh_hashtags, set_commentary_hashtags
from archive.models import Article
from archive.text import find_hashtags, hashtag_fits

MAX_NOTE_CHARS = 20_000


class NoteError(ValueError):
    """A note that cannot be saved; the message is shown to the curator."""


def note_hashtags(text: str) -> list[str]:
    """The hashtags written in a note's text: they become the note's hashtags."""
    return [name for name in find_hashtags(text) if hashtag_fits(name)]


@transaction.atomic
def save_commentary(note: Commentary) -> None:
    """Save a commentary, take its hashtags from its text, and record the change."""
    note.save()
    set_commentary_hashtags(note, note_hashtags(note.text))
    record_change([note.article_id])


@transaction.atomic
def delete_commentary(note: Commentary) -> None:
    article_id = note.article_id
    tag_ids = list(note.hashtags.values_list("pk", flat=True))
    note.delete()
    refresh_hashtags(tag_ids)  # a spelling only this note used may have been the display name
    record_change([article_id])


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
    save_commentary(note)
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
    save_commentary(note)
    return note
