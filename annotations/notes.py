"""Commentary's rules in one place: creating, changing and deleting curator notes (the forms, the
API and the admin all come here), and what saving any commentary means for the rest of the
archive (its hashtags, the search index, the revision)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from annotations.anchoring import (
    CONTEXT,
    AmbiguousQuote,
    ContextNotFound,
    HintOutOfRange,
    QuoteNotFound,
    make_quote,
)
from annotations.models import Commentary
from archive.changes import record_change
from archive.hashtags import refresh_hashtags, set_commentary_hashtags
from archive.models import Article
from archive.text import find_hashtags, hashtag_fits

MAX_NOTE_CHARS = 20_000


class NoteError(ValueError):
    """A note that cannot be saved; the message is shown to the curator."""


class AmbiguousPassage(NoteError):
    """The quoted passage is in the article more than once: which one is meant?"""

    def __init__(self, message: str, choices: list[dict]) -> None:
        super().__init__(message)
        # Each occurrence: its start, and the text around it to tell them apart.
        self.choices = choices

    @property
    def starts(self) -> list[int]:
        return [choice["start"] for choice in self.choices]


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


def _anchor(
    note: Commentary,
    article: Article,
    quote: str | None,
    hint: int | None,
    prefix: str = "",
    suffix: str = "",
) -> None:
    """Anchor the note to a passage of the article; which occurrence of a passage found more
    than once is said by its position (hint) or the text around it (prefix, suffix)."""
    quote = (quote or "").strip()
    note.quote_original, note.quote_lost = "", False
    if not quote:
        note.quote_exact = note.quote_prefix = note.quote_suffix = ""
        note.quote_start = None
        return
    text = article.text
    try:
        found = make_quote(text, quote, hint, prefix or "", suffix or "")
    except HintOutOfRange:
        raise NoteError(
            _(
                "The position of the passage must be between 0 and %(length)s, the length of the "
                "article's text."
            )
            % {"length": len(text)}
        ) from None
    except ContextNotFound:
        raise NoteError(
            _("The quoted passage is in the article, but not next to the text given around it.")
        ) from None
    except QuoteNotFound:
        raise NoteError(_("The quoted passage is not in the article.")) from None
    except AmbiguousQuote as error:
        raise AmbiguousPassage(
            _("The passage appears %(count)s times in the article: say which one you mean.")
            % {"count": len(error.starts)},
            [
                {
                    "start": start,
                    "before": text[max(0, start - CONTEXT) : start],
                    "passage": text[start:end],
                    "after": text[end : end + CONTEXT],
                }
                for start, end in error.spans
            ],
        ) from None
    note.quote_exact, note.quote_prefix, note.quote_suffix = found.exact, found.prefix, found.suffix
    note.quote_start = found.start


@transaction.atomic
def create_note(
    article: Article,
    author,
    text: str,
    quote: str | None = None,
    hint: int | None = None,
    *,
    prefix: str = "",
    suffix: str = "",
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
    _anchor(note, article, quote, hint, prefix, suffix)
    save_commentary(note)
    return note


@transaction.atomic
def update_note(
    note: Commentary,
    text: str | None = None,
    quote: str | None = None,
    hint: int | None = None,
    *,
    prefix: str = "",
    suffix: str = "",
    change_quote: bool = False,
) -> Commentary:
    if text is not None:
        note.text = _clean(text)
    if change_quote:
        _anchor(note, note.article, quote, hint, prefix, suffix)
    note.updated = timezone.now()
    save_commentary(note)
    return note
