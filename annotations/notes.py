"""Commentary's rules in one place: creating, changing and deleting curator notes (the forms, the
API and the admin all come here), and what saving any commentary means for the rest of the
archive (its hashtags, the search index, the revision, the history). A deleted note is kept
whole in the history, so that `restore_note` can put it back."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
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
from annotations.reanchoring import follow_anchor
from archive.changes import record_change
from archive.hashtags import refresh_hashtags, set_commentary_hashtags
from archive.history import Kind, UndoConflict, record_action
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


# What the history keeps of a note: all of it, to put a deleted one back as it was.
NOTE_FIELDS = (
    "article_id",
    "text",
    "author_id",
    "author_name",
    "origin",
    "quote_exact",
    "quote_prefix",
    "quote_suffix",
    "quote_start",
    "quote_original",
    "quote_lost",
    "external_key",
    "position",
    "source_line",
)


def note_state(note: Commentary) -> dict:
    state = {name: getattr(note, name) for name in NOTE_FIELDS}
    state["id"] = note.pk
    state["created"] = note.created.isoformat()
    state["updated"] = note.updated.isoformat()
    return state


def _shown(state: dict | None) -> dict:
    """What the history page shows of a note before or after an edit."""
    if state is None:
        return {}
    return {"text": state["text"], "quote": state["quote_exact"]}


@transaction.atomic
def save_commentary(note: Commentary, *, by=None, recorded: bool = True) -> None:
    """Save a commentary, take its hashtags from its text, and record the change (in the
    history too, as the user `by`'s, unless the caller records it itself)."""
    was = Commentary.objects.filter(pk=note.pk).first() if note.pk else None
    before = note_state(was) if was is not None else None
    note.save()
    set_commentary_hashtags(note, note_hashtags(note.text))
    after = note_state(note)
    if recorded and _shown(before) != _shown(after):
        record_action(
            Kind.NOTE_ADDED if before is None else Kind.NOTE_EDITED,
            by,
            article_id=note.article_id,
            note_id=note.pk,
            label=note.text[:200],
            before=_shown(before),
            after=_shown(after),
        )
    record_change([note.article_id])


@transaction.atomic
def delete_commentary(note: Commentary, *, by=None) -> None:
    article_id = note.article_id
    tag_ids = list(note.hashtags.values_list("pk", flat=True))
    record_action(
        Kind.NOTE_DELETED,
        by,
        article_id=article_id,
        note_id=note.pk,
        label=note.text[:200],
        before=note_state(note),
    )
    note.delete()
    refresh_hashtags(tag_ids)  # a spelling only this note used may have been the display name
    record_change([article_id])


class Restored:
    """How a deleted note came back: where its passage is now."""

    ANCHORED = "anchored"  # as it was (or not anchored at all)
    MOVED = "moved"  # its passage is elsewhere in the text, or reads differently now
    LOST = "lost"  # its passage is no longer in the text: kept, marked lost


@transaction.atomic
def restore_note(state: dict) -> tuple[Commentary, str]:
    """Put a deleted note back (its id, text, author, dates, hashtags). Its anchor follows the
    article's text as it is now: a passage no longer there leaves the note marked lost rather
    than refused, so that the curator's words are not lost twice. Refused when the article is
    gone, or an imported reply with the same key came back meanwhile."""
    article = Article.objects.filter(pk=state["article_id"]).first()
    if article is None:
        raise UndoConflict(
            _("The note's article was deleted since: there is nothing to put the note back on.")
        )
    if (
        state["external_key"]
        and Commentary.objects.filter(external_key=state["external_key"]).exists()
    ):
        raise UndoConflict(
            _("This reply is in the archive again (imported since): it is not put back twice.")
        )
    note = Commentary(**{name: state[name] for name in NOTE_FIELDS})
    note.created = datetime.fromisoformat(state["created"])
    note.updated = datetime.fromisoformat(state["updated"])
    if note.author_id and not get_user_model().objects.filter(pk=note.author_id).exists():
        note.author_id = None
    if not Commentary.objects.filter(pk=state["id"]).exists():
        note.pk = state["id"]  # the same id: links to it still work
    how = Restored.ANCHORED
    if note.quote_exact and follow_anchor(note, article.text) is not None:
        how = Restored.LOST if note.quote_lost else Restored.MOVED
    save_commentary(note, recorded=False)
    return note, how


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
    """A curator note by `author` (recorded in the history as theirs)."""
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
    save_commentary(note, by=author)
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
    by=None,
) -> Commentary:
    if text is not None:
        note.text = _clean(text)
    if change_quote:
        _anchor(note, note.article, quote, hint, prefix, suffix)
    note.updated = timezone.now()
    save_commentary(note, by=by)
    return note
