"""Who may do what. Every permission check of the site goes through these functions."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group, Permission, User

from archive.models import HistoryEntry

CURATORS = "curators"
CURATOR_PERMISSIONS = [
    ("annotations", "add_commentary"),
    ("annotations", "change_commentary"),
    ("annotations", "delete_commentary"),
    ("archive", "edit_hashtags"),
    ("archive", "import_dumps"),
    # Articles added and edited in the browser (annotations/article_views.py).
    ("archive", "add_article"),
    ("archive", "change_article"),
]


def _has(user: User | AnonymousUser, permission: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(permission))


def is_curator(user: User | AnonymousUser) -> bool:
    return _has(user, "annotations.add_commentary")


def can_edit_hashtags(user: User | AnonymousUser) -> bool:
    return _has(user, "archive.edit_hashtags")


def can_import(user: User | AnonymousUser) -> bool:
    """Upload dumps and read the import history."""
    return _has(user, "archive.import_dumps")


def can_add_articles(user: User | AnonymousUser) -> bool:
    return _has(user, "archive.add_article")


def can_edit_articles(user: User | AnonymousUser) -> bool:
    return _has(user, "archive.change_article")


def _may_touch_note(user: User | AnonymousUser, commentary, own_permission: str) -> bool:
    """Anyone with edit_any_commentary; otherwise the note's author, with the permission."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.has_perm("annotations.edit_any_commentary"):
        return True
    return commentary.author_id == user.pk and user.has_perm(own_permission)


def can_edit_commentary(user: User | AnonymousUser, commentary) -> bool:
    return _may_touch_note(user, commentary, "annotations.change_commentary")


def can_delete_commentary(user: User | AnonymousUser, commentary) -> bool:
    return _may_touch_note(user, commentary, "annotations.delete_commentary")


def can_see_history(user: User | AnonymousUser) -> bool:
    return is_curator(user)


def can_undo(user: User | AnonymousUser, entry: HistoryEntry) -> bool:
    """Hashtag renames and merges: whoever may edit hashtags. A deleted note: whoever may touch
    anyone's notes, its author, or the curator who deleted it."""
    if not is_curator(user):
        return False
    if entry.kind in (HistoryEntry.Kind.HASHTAG_RENAMED, HistoryEntry.Kind.HASHTAG_MERGED):
        return can_edit_hashtags(user)
    if entry.kind == HistoryEntry.Kind.NOTE_DELETED:
        return (
            user.has_perm("annotations.edit_any_commentary")
            or entry.user_id == user.pk
            or entry.before.get("author_id") == user.pk
        )
    return False


def ensure_curators_group(**kwargs) -> Group:
    """Create the curators group with its permissions (run after every migrate)."""
    group, _ = Group.objects.get_or_create(name=CURATORS)
    wanted = [
        Permission.objects.filter(content_type__app_label=app, codename=codename).first()
        for app, codename in CURATOR_PERMISSIONS
    ]
    group.permissions.add(*[p for p in wanted if p is not None])
    return group


def make_curator(user: User) -> None:
    user.groups.add(ensure_curators_group())
