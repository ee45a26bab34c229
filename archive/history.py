"""The history of curator actions and imports: one entry per action, written in the action's own
transaction by the service that makes the change (hashtags.py, annotations/notes.py, the
importer), so that every way in (pages, API, admin, command line) is recorded the same.

`record_action` is the one way to add an entry; a new kind of action adds its name to
`HistoryEntry.Kind` and calls it. Undoing an entry is archive/undo.py's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.utils import timezone

from archive.models import HistoryEntry

COMMAND_LINE = "command line"  # the actor of an action no logged-in user made
Kind = HistoryEntry.Kind


class UndoConflict(Exception):
    """An undo that later changes make a guess: the message says what changed and is shown to
    the curator; nothing was undone."""


def actor_name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return COMMAND_LINE
    return user.get_username()


def record_action(
    kind: str,
    user=None,
    *,
    article_id: int | None = None,
    note_id: int | None = None,
    hashtag_id: int | None = None,
    label: str = "",
    before: dict | None = None,
    after: dict | None = None,
    undoes: HistoryEntry | None = None,
) -> HistoryEntry:
    """Add one entry to the history. `user` is who did it (None: the command line);
    `before` and `after` are JSON-ready dicts of what changed."""
    return HistoryEntry.objects.create(
        created=timezone.now(),
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        actor=actor_name(user),
        kind=kind,
        article_id=article_id,
        note_id=note_id,
        hashtag_id=hashtag_id,
        label=label,
        before=before or {},
        after=after or {},
        undoes=undoes,
    )


def ids_digest(ids: Iterable[int]) -> str:
    """A short fingerprint of a set of ids: tells whether a hashtag's articles changed since an
    entry was written without keeping the whole list twice."""
    joined = ",".join(str(i) for i in sorted(set(ids)))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]
