"""Undoing a change from the history: a rename, a merge, a note's deletion. Each undo runs in
one transaction with its own history entry (kind "undo", pointing at what it undid); an undo that
later changes would turn into a guess is refused with the reason (UndoConflict), and nothing is
changed."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from annotations.notes import Restored, restore_note
from archive.hashtags import unmerge, unrename
from archive.history import Kind, UndoConflict, record_action
from archive.models import HistoryEntry

UNDOABLE = (Kind.HASHTAG_RENAMED, Kind.HASHTAG_MERGED, Kind.NOTE_DELETED)


def is_undoable(entry: HistoryEntry) -> bool:
    """Of a kind that can be undone, and not undone yet (`undone_by` read with the entry)."""
    return entry.kind in UNDOABLE and not hasattr(entry, "undone_by")


@transaction.atomic
def undo(entry_id: int, user) -> tuple[HistoryEntry, str]:
    """Undo one entry as `user`; returns the undo's own entry and what to tell the curator."""
    entry = HistoryEntry.objects.select_for_update().get(pk=entry_id)
    if entry.kind not in UNDOABLE:
        raise UndoConflict(_("This kind of change cannot be undone."))
    if HistoryEntry.objects.filter(undoes=entry).exists():
        raise UndoConflict(_("This change was undone already."))
    targets = {"hashtag_id": entry.hashtag_id, "article_id": entry.article_id}
    if entry.kind == Kind.HASHTAG_RENAMED:
        tag = unrename(entry.hashtag_id, entry.before, entry.after)
        message = _("#%(new)s is #%(old)s again.") % {"new": entry.after["name"], "old": tag.name}
        how = {"name": tag.name}
    elif entry.kind == Kind.HASHTAG_MERGED:
        source, target = unmerge(entry.before, entry.after)
        targets["hashtag_id"] = source.pk
        message = ngettext(
            "#%(source)s is back, on %(count)d article; #%(target)s keeps the others.",
            "#%(source)s is back, on %(count)d articles; #%(target)s keeps the others.",
            source.usage_count,
        ) % {"source": source.name, "count": source.usage_count, "target": target.name}
        how = {"source": source.name, "articles": source.usage_count, "target": target.name}
    else:
        note, where = restore_note(entry.before)
        targets["note_id"] = note.pk
        message = {
            Restored.ANCHORED: _("The note is back."),
            Restored.MOVED: _("The note is back, anchored to its passage as the text reads now."),
            Restored.LOST: _(
                "The note is back, but its passage is no longer in the article's text: it is "
                "kept and marked as lost, with the passage it quoted."
            ),
        }[where]
        how = {"anchor": where}
    done = record_action(
        Kind.UNDO,
        user,
        label=entry.label,
        before=entry.after,
        after=how,
        undoes=entry,
        **targets,
    )
    return done, message
