"""Hashtags: creating, setting, renaming and merging them, and keeping their names and counts.

The one place that changes which hashtags an article or a commentary has, and the only one that
writes `Hashtag.usage_count` (the number of articles a hashtag is on) and `Hashtag.name` (the most
common spelling among its uses). The importer, the curator screens, the admin and the notes all
come here.

A curator's work outlives re-imports. An article's hashtags are the dump's (TaggedArticle with
origin "dump", replaced by each import of the post) and the curators' (origin "curator", never
touched by an import); a dump hashtag a curator took off is remembered (HashtagRemoval) and not
put back. A renamed or merged hashtag leaves its old spelling as an alias (HashtagAlias): any
later dump, note or export that writes it lands on the hashtag it became.

Each curator action here is recorded in the history (archive/history.py) with what an undo needs:
a merge keeps the merged-away hashtag's uses (article, spelling, origin), removals and aliases, so
`unmerge` gives back exactly what it had; `unrename` puts a name, its slug, aliases and spellings
back. Either refuses (UndoConflict) when later changes make the old state a guess.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from annotations.models import Commentary, TaggedCommentary
from archive.changes import record_change
from archive.history import Kind, UndoConflict, ids_digest, record_action
from archive.models import (
    Article,
    Hashtag,
    HashtagAlias,
    HashtagRemoval,
    TaggedArticle,
    published,
)
from archive.text import fold, hashtag_key

CHUNK = 500


def get_or_create_hashtags(spellings: Iterable[str], *, aliases: bool = True) -> dict[str, Hashtag]:
    """Hashtags by the key of each spelling, creating the missing ones in bulk (slugs kept
    unique). An old spelling of a renamed or merged hashtag gives the hashtag it became
    (`aliases=False`: the caller knows the archive has no alias)."""
    wanted: dict[str, str] = {}
    for spelling in spellings:
        wanted.setdefault(hashtag_key(spelling), spelling)
    found = {t.key: t for t in Hashtag.objects.filter(key__in=list(wanted))}
    aliased = {}
    if aliases:
        aliased = dict(
            HashtagAlias.objects.filter(key__in=[k for k in wanted if k not in found]).values_list(
                "key", "tag_id"
            )
        )
    if aliased:
        targets = Hashtag.objects.in_bulk(set(aliased.values()))
        found.update({key: targets[tag_id] for key, tag_id in aliased.items()})
    missing = [k for k in wanted if k not in found]
    if missing:
        new = [Hashtag(name=wanted[k], key=k) for k in missing]
        for tag in new:
            tag.search_key = fold(tag.key)
            tag.slug = tag.slugify(tag.key)
        taken = set(
            Hashtag.objects.filter(slug__in=[t.slug for t in new]).values_list("slug", flat=True)
        )
        for tag in new:
            base, n = tag.slug, 1
            while tag.slug in taken:
                n += 1
                tag.slug = tag.slugify(base, n)
            taken.add(tag.slug)
        Hashtag.objects.bulk_create(new, ignore_conflicts=True)
        found.update({t.key: t for t in Hashtag.objects.filter(key__in=missing)})
        for key in missing:
            if key not in found:  # its slug clashed with a suffixed one: find a free slug
                tag = Hashtag(name=wanted[key], slug=unique_slug(key))
                tag.save()
                found[key] = tag
    return found


def use_spelling(spelling: str, tag: Hashtag) -> str:
    """How a use of `tag` written `spelling` is recorded: an alias takes the hashtag's own name,
    so an old spelling never pulls a renamed hashtag's name back."""
    return spelling if hashtag_key(spelling) == tag.key else tag.name


def unique_slug(key: str, exclude_pk: int | None = None, taken: set[str] | None = None) -> str:
    """A readable slug for a hashtag key (accents kept), made unique with a numeric suffix."""
    base = Hashtag().slugify(key)
    slug, n = base, 1
    while True:
        clash = (taken is not None and slug in taken) or (
            Hashtag.objects.filter(slug=slug).exclude(pk=exclude_pk).exists()
        )
        if not clash:
            return slug
        n += 1
        slug = Hashtag().slugify(base, n)


def refresh_hashtags(
    tag_ids: Iterable[int],
    *,
    usage_deltas: dict[int, int] | None = None,
    names_for: Iterable[int] | None = None,
) -> None:
    """Keep usage counts and display names (the most common spelling) of hashtags true.

    Small edits recount; the importer knows exactly how many uses it added or removed per hashtag
    (`usage_deltas`) and which hashtags met a new spelling (`names_for`), so a large archive is
    not recounted after every file. The caller records the change (archive/changes.py).
    """
    tag_ids = list(tag_ids)
    name_ids = list(tag_ids if names_for is None else names_for)
    for start in range(0, len(name_ids), CHUNK):
        _rename_to_most_common(name_ids[start : start + CHUNK])
    if usage_deltas is not None:
        _add_usage(usage_deltas)
        return
    for start in range(0, len(tag_ids), CHUNK):
        chunk = tag_ids[start : start + CHUNK]
        # Published articles only: an unfinished import's uses are counted when it publishes.
        usage = dict(
            TaggedArticle.objects.filter(published("content_object_id"), tag_id__in=chunk)
            .values_list("tag_id")
            .annotate(n=Count("id"))
        )
        recounted = []
        for tag in Hashtag.objects.filter(pk__in=chunk).only("pk", "usage_count"):
            if usage.get(tag.pk, 0) != tag.usage_count:
                tag.usage_count = usage.get(tag.pk, 0)
                recounted.append(tag)
        Hashtag.objects.bulk_update(recounted, ["usage_count"])


def _rename_to_most_common(tag_ids: list[int]) -> None:
    counts: dict[int, dict[str, int]] = {}
    for model in (TaggedArticle, TaggedCommentary):
        rows = (
            model.objects.filter(tag_id__in=tag_ids)
            .exclude(spelling="")
            .values_list("tag_id", "spelling")
            .annotate(n=Count("id"))
        )
        for tag_id, spelling, n in rows:
            per_tag = counts.setdefault(tag_id, {})
            per_tag[spelling] = per_tag.get(spelling, 0) + n
    renamed = []
    for tag in Hashtag.objects.filter(pk__in=list(counts)):
        name = min(counts[tag.pk].items(), key=lambda item: (-item[1], item[0]))[0]
        if name != tag.name:
            tag.name = name
            renamed.append(tag)
    Hashtag.objects.bulk_update(renamed, ["name"])


def _add_usage(usage_deltas: dict[int, int]) -> None:
    changes = [(delta, tag_id) for tag_id, delta in usage_deltas.items() if delta]
    table = Hashtag._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and changes:
            # One statement: one per hashtag took 0.7 s of a 20,000-post file's 20 s.
            deltas, ids = map(list, zip(*changes, strict=True))
            cursor.execute(
                f"UPDATE {table} t SET usage_count = t.usage_count + d.delta "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, delta) WHERE t.id = d.id",
                [ids, deltas],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET usage_count = usage_count + %s WHERE id = %s", changes
            )


@transaction.atomic
def set_article_hashtags(article: Article, names: Iterable[str], *, by=None) -> None:
    """Replace an article's hashtags (a curator's edit, by the user `by`). What the curator adds
    is theirs; a dump hashtag they take off stays off when the dump is imported again."""
    before = article_hashtag_names(article.pk)
    wanted = {hashtag_key(n): n for n in names if n.strip()}
    tags = get_or_create_hashtags(wanted.values())
    kept = {tags[k].pk for k in wanted}
    uses = TaggedArticle.objects.filter(content_object=article)
    removed = dict(uses.exclude(tag_id__in=kept).values_list("tag_id", "origin"))
    HashtagRemoval.objects.bulk_create(
        [
            HashtagRemoval(article=article, tag_id=tag_id)
            for tag_id, origin in removed.items()
            if origin == TaggedArticle.Origin.DUMP
        ],
        ignore_conflicts=True,
    )
    uses.filter(tag_id__in=removed).delete()
    HashtagRemoval.objects.filter(article=article, tag_id__in=kept).delete()
    have = set(uses.values_list("tag_id", flat=True))
    added = {}
    for key, spelling in wanted.items():
        tag = tags[key]
        if tag.pk not in have:
            added.setdefault(
                tag.pk,
                TaggedArticle(
                    content_object=article,
                    tag=tag,
                    spelling=use_spelling(spelling, tag),
                    origin=TaggedArticle.Origin.CURATOR,
                ),
            )
    TaggedArticle.objects.bulk_create(added.values())
    refresh_hashtags([*kept, *removed])
    record_hashtags_edit(article, before, by)
    record_change([article.pk])


def article_hashtag_names(article_id: int) -> list[str]:
    """An article's hashtags as written on it, sorted: what the history shows of them."""
    rows = TaggedArticle.objects.filter(content_object_id=article_id).values_list(
        "spelling", "tag__name"
    )
    return sorted(spelling or name for spelling, name in rows)


def record_hashtags_edit(article: Article, before: list[str], by) -> None:
    """Record an edit of an article's hashtags (here, or the admin's inline), if it changed them."""
    after = article_hashtag_names(article.pk)
    if after != before:
        record_action(
            Kind.ARTICLE_HASHTAGS,
            by,
            article_id=article.pk,
            label=article.title[:200],
            before={"hashtags": before},
            after={"hashtags": after},
        )


def set_commentary_hashtags(note: Commentary, spellings: Iterable[str]) -> None:
    """Replace a commentary's hashtags; the caller records the change (annotations/notes.py)."""
    wanted: dict[str, str] = {}
    for spelling in spellings:
        wanted.setdefault(hashtag_key(spelling), spelling)
    uses = TaggedCommentary.objects.filter(content_object=note)
    before = set(uses.values_list("tag_id", flat=True))
    uses.delete()
    tags = get_or_create_hashtags(wanted.values()) if wanted else {}
    TaggedCommentary.objects.bulk_create(
        {
            tags[k].pk: TaggedCommentary(
                content_object=note, tag=tags[k], spelling=use_spelling(s, tags[k])
            )
            for k, s in wanted.items()
        }.values()
    )
    refresh_hashtags(before | {t.pk for t in tags.values()})


@transaction.atomic
def rename(tag: Hashtag, new_name: str, *, by=None) -> Hashtag:
    """Rename; if another hashtag already has that name (case-insensitively), merge into it.

    Every use takes the new spelling, so the name stays what the curator chose. Returns the
    hashtag that now carries the name. Recorded in the history as a rename or a merge.
    """
    old_key, new_key = tag.key, hashtag_key(new_name)
    existing = Hashtag.objects.filter(key=new_key).exclude(pk=tag.pk).first()
    if existing:
        before = _merge_snapshot(tag, existing, with_target_spellings=True)
        _move_uses(tag, existing)
        target = existing
    else:
        before = {
            "name": tag.name,
            "key": tag.key,
            "slug": tag.slug,
            "spellings": _spelling_groups(tag, but=tag.name),
            "alias": None,
        }
        if new_key != old_key:
            replaced = HashtagAlias.objects.filter(key=new_key).first()
            if replaced is not None:  # the name is a hashtag's again
                before["alias"] = replaced.tag_id
                replaced.delete()
            HashtagAlias.objects.update_or_create(key=old_key, defaults={"tag": tag})
        tag.name = new_name
        tag.slug = unique_slug(hashtag_key(new_name), exclude_pk=tag.pk)
        tag.save()
        target = tag
    TaggedArticle.objects.filter(tag=target).update(spelling=new_name)
    TaggedCommentary.objects.filter(tag=target).update(spelling=new_name)
    refresh_hashtags([target.pk])
    target.refresh_from_db()
    article_ids = _article_ids(target)
    if existing:
        _record_merge(before, target, article_ids, by)
    else:
        record_action(
            Kind.HASHTAG_RENAMED,
            by,
            hashtag_id=tag.pk,
            label=f"#{before['name']} → #{tag.name}",
            before=before,
            after={"name": tag.name, "key": tag.key, "slug": tag.slug},
        )
    record_change(article_ids)
    return target


@transaction.atomic
def merge(source: Hashtag, target: Hashtag, *, by=None) -> None:
    """Move every use of `source` onto `target`, then delete `source`."""
    if target.pk == source.pk:
        return
    moved = _article_ids(source)
    before = _merge_snapshot(source, target, with_target_spellings=False)
    _move_uses(source, target)
    refresh_hashtags([target.pk])
    target.refresh_from_db()
    _record_merge(before, target, _article_ids(target), by)
    record_change(moved)


def _hashtag_state(tag: Hashtag) -> dict:
    return {
        "id": tag.pk,
        "name": tag.name,
        "key": tag.key,
        "slug": tag.slug,
        "usage_count": tag.usage_count,
    }


def _groups(rows: Iterable[tuple]) -> list[list]:
    """(id, *values) rows → [[*values, [ids]], …]: the uses that share a spelling (and origin)
    kept together, so that a hashtag on thousands of articles takes a few lines."""
    grouped: dict[tuple, list[int]] = {}
    for pk, *values in rows:
        grouped.setdefault(tuple(values), []).append(pk)
    return [[*values, sorted(ids)] for values, ids in sorted(grouped.items())]


def _spelling_groups(tag: Hashtag, *, but: str) -> dict:
    """The spellings of a hashtag's uses other than `but` (which all the others have)."""
    return {
        "articles": _groups(
            TaggedArticle.objects.filter(tag=tag)
            .exclude(spelling=but)
            .values_list("content_object_id", "spelling")
        ),
        "commentary": _groups(
            TaggedCommentary.objects.filter(tag=tag)
            .exclude(spelling=but)
            .values_list("content_object_id", "spelling")
        ),
    }


def _merge_snapshot(source: Hashtag, target: Hashtag, *, with_target_spellings: bool) -> dict:
    """What `source` had before it is merged into `target`: enough to give it all back. Uses on
    an article (or commentary) that also had `target` are deleted by the merge ("both"); the
    others move to `target` ("moved")."""
    on_target = set(_article_ids(target))
    uses = list(
        TaggedArticle.objects.filter(tag=source).values_list(
            "content_object_id", "spelling", "origin"
        )
    )
    notes_on_target = set(
        TaggedCommentary.objects.filter(tag=target).values_list("content_object_id", flat=True)
    )
    note_uses = list(
        TaggedCommentary.objects.filter(tag=source).values_list("content_object_id", "spelling")
    )
    removed_on_target = set(
        HashtagRemoval.objects.filter(tag=target).values_list("article_id", flat=True)
    )
    removals = list(HashtagRemoval.objects.filter(tag=source).values_list("article_id", flat=True))
    return {
        "source": _hashtag_state(source),
        "target": _hashtag_state(target),
        "articles_moved": _groups(u for u in uses if u[0] not in on_target),
        "articles_both": _groups(u for u in uses if u[0] in on_target),
        "commentary_moved": _groups(u for u in note_uses if u[0] not in notes_on_target),
        "commentary_both": _groups(u for u in note_uses if u[0] in notes_on_target),
        "removals_moved": sorted(a for a in removals if a not in removed_on_target),
        "removals_both": sorted(a for a in removals if a in removed_on_target),
        "aliases": sorted(HashtagAlias.objects.filter(tag=source).values_list("key", flat=True)),
        # A rename onto an existing name gives every use of the target that spelling.
        "target_spellings": (
            _spelling_groups(target, but=target.name) if with_target_spellings else None
        ),
    }


def _record_merge(before: dict, target: Hashtag, article_ids: list[int], by) -> None:
    record_action(
        Kind.HASHTAG_MERGED,
        by,
        hashtag_id=target.pk,
        label=f"#{before['source']['name']} → #{target.name}",
        before=before,
        after={
            "target": _hashtag_state(target),
            "articles": len(set(article_ids)),
            "articles_digest": ids_digest(article_ids),
        },
    )


def _move_uses(source: Hashtag, target: Hashtag) -> None:
    """Everything of `source` onto `target`; its name becomes an alias of `target`."""
    for model in (TaggedArticle, TaggedCommentary):
        on_target = model.objects.filter(tag=target).values("content_object_id")
        model.objects.filter(tag=source, content_object_id__in=on_target).delete()
        model.objects.filter(tag=source).update(tag=target)
    on_target = HashtagRemoval.objects.filter(tag=target).values("article_id")
    HashtagRemoval.objects.filter(tag=source, article_id__in=on_target).delete()
    HashtagRemoval.objects.filter(tag=source).update(tag=target)
    HashtagAlias.objects.filter(tag=source).update(tag=target)
    HashtagAlias.objects.filter(key=target.key).delete()
    HashtagAlias.objects.update_or_create(key=source.key, defaults={"tag": target})
    source.delete()


def _article_ids(tag: Hashtag) -> list[int]:
    return list(TaggedArticle.objects.filter(tag=tag).values_list("content_object_id", flat=True))


@transaction.atomic
def delete_hashtags(tag_ids: Iterable[int]) -> int:
    """Delete hashtags: the articles and commentary that had them keep everything else.
    Returns how many there were."""
    ids = list(tag_ids)
    articles: set[int] = set()
    deleted = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        articles.update(
            TaggedArticle.objects.filter(tag_id__in=chunk).values_list(
                "content_object_id", flat=True
            )
        )
        articles.update(
            TaggedCommentary.objects.filter(tag_id__in=chunk).values_list(
                "content_object__article_id", flat=True
            )
        )
        deleted += Hashtag.objects.filter(pk__in=chunk).delete()[1].get(Hashtag._meta.label, 0)
    record_change(articles)
    return deleted


@transaction.atomic
def recount_all() -> list[tuple[str, int, int]]:
    """Check every hashtag's count against its articles and repair drift (from writes that went
    around this module: raw SQL, a shell, an older version). Returns (name, was, is) for each
    hashtag repaired."""
    fixed: list[tuple[str, int, int]] = []
    last = 0
    while True:
        chunk = list(
            Hashtag.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK]
        )
        if not chunk:
            break
        last = chunk[-1]
        before = dict(Hashtag.objects.filter(pk__in=chunk).values_list("pk", "usage_count"))
        refresh_hashtags(chunk)
        for tag in Hashtag.objects.filter(pk__in=chunk).only("pk", "name", "usage_count"):
            if tag.usage_count != before[tag.pk]:
                fixed.append((tag.name, before[tag.pk], tag.usage_count))
    if fixed:
        record_change()
    return fixed


def _in_chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _restore_spellings(model, tag: Hashtag, name: str, groups: list[list]) -> None:
    """Every use of `tag` written `name`, but those of `groups` ([spelling, ids])."""
    model.objects.filter(tag=tag).exclude(spelling=name).update(spelling=name)
    for spelling, ids in groups:
        for chunk in _in_chunks(ids):
            model.objects.filter(tag=tag, content_object_id__in=chunk).update(spelling=spelling)


def _slug_back(slug: str, key: str, pk: int) -> str:
    """The slug a hashtag had, unless another hashtag took it since."""
    if Hashtag.objects.filter(slug=slug).exclude(pk=pk).exists():
        return unique_slug(key, exclude_pk=pk)
    return slug


@transaction.atomic
def unrename(tag_id: int, before: dict, after: dict) -> Hashtag:
    """Give a renamed hashtag its old name back: slug, aliases and its uses' spellings as they
    were. Refused when the hashtag is gone or renamed again, or the old name is another's now."""
    tag = Hashtag.objects.select_for_update().filter(pk=tag_id).first()
    if tag is None:
        raise UndoConflict(
            _("#%(name)s was deleted since: there is nothing to rename back.")
            % {"name": after["name"]}
        )
    if tag.key != after["key"]:
        raise UndoConflict(
            _("#%(name)s was renamed again since (it is #%(now)s now): undo that first.")
            % {"name": after["name"], "now": tag.name}
        )
    taken = Hashtag.objects.exclude(pk=tag.pk)
    if taken.filter(key=before["key"]).exists() or taken.filter(name=before["name"]).exists():
        raise UndoConflict(
            _(
                "The name #%(old)s is used by another hashtag now: renaming #%(name)s back would "
                "merge the two. Merge them yourself if that is what you want."
            )
            % {"old": before["name"], "name": tag.name}
        )
    if before["key"] != tag.key:
        HashtagAlias.objects.filter(key=before["key"], tag=tag).delete()
        # The name it leaves meant another hashtag before the rename: it does again.
        if before["alias"] and Hashtag.objects.filter(pk=before["alias"]).exists():
            HashtagAlias.objects.update_or_create(key=tag.key, defaults={"tag_id": before["alias"]})
    tag.name = before["name"]
    tag.slug = _slug_back(before["slug"], before["key"], tag.pk)
    tag.save()
    _restore_spellings(TaggedArticle, tag, before["name"], before["spellings"]["articles"])
    _restore_spellings(TaggedCommentary, tag, before["name"], before["spellings"]["commentary"])
    refresh_hashtags([tag.pk])
    tag.refresh_from_db()
    record_change(_article_ids(tag))
    return tag


@transaction.atomic
def unmerge(before: dict, after: dict) -> tuple[Hashtag, Hashtag]:
    """Give a merged-away hashtag back exactly what it had: its articles (each use's spelling
    and origin), commentary, removals and aliases; the hashtag it went into keeps the rest.
    Refused when that hashtag is gone, renamed, or on other articles than right after the merge,
    or when the old name is another hashtag's now. Returns (the hashtag back, the other)."""
    old, into = before["source"], after["target"]
    target = Hashtag.objects.select_for_update().filter(pk=into["id"]).first()
    if target is None:
        raise UndoConflict(
            _("#%(target)s was deleted since the merge: its articles cannot be split again.")
            % {"target": into["name"]}
        )
    if target.key != into["key"]:
        raise UndoConflict(
            _("#%(target)s was renamed since the merge (it is #%(now)s now): undo that first.")
            % {"target": into["name"], "now": target.name}
        )
    article_ids = _article_ids(target)
    if ids_digest(article_ids) != after["articles_digest"]:
        raise UndoConflict(
            _(
                "The articles of #%(target)s changed since the merge (%(then)s then, %(now)s "
                "now): undoing it would have to guess which of them #%(source)s should get back."
            )
            % {
                "target": target.name,
                "source": old["name"],
                "then": after["articles"],
                "now": len(set(article_ids)),
            }
        )
    if (
        Hashtag.objects.filter(key=old["key"]).exists()
        or Hashtag.objects.filter(name=old["name"]).exclude(pk=target.pk).exists()
    ):
        raise UndoConflict(
            _("The name #%(source)s is used by another hashtag now: it cannot come back.")
            % {"source": old["name"]}
        )
    # Names are unique, and the merged hashtag may be showing the old name (the most common
    # spelling of its uses): the hashtag comes back under a name no hashtag can have ("#"), and
    # takes its own once the other has its uses, and so its name, back.
    source = Hashtag(
        name=f"#{old['id']}",
        key=old["key"],
        search_key=fold(old["key"]),
        slug=_slug_back(old["slug"], old["key"], old["id"]),
        usage_count=0,
    )
    if not Hashtag.objects.filter(pk=old["id"]).exists():
        source.pk = old["id"]  # the same id: links to it (history, caches) still work
    (source,) = Hashtag.objects.bulk_create([source])
    HashtagAlias.objects.filter(key=source.key).delete()
    HashtagAlias.objects.filter(tag=target, key__in=before["aliases"]).update(tag=source)
    for model, moved, both in (
        (TaggedArticle, before["articles_moved"], before["articles_both"]),
        (TaggedCommentary, before["commentary_moved"], before["commentary_both"]),
    ):
        owners = Article if model is TaggedArticle else Commentary
        for *values, ids in moved:
            fields = dict(zip(("spelling", "origin"), values, strict=False))
            for chunk in _in_chunks(ids):
                model.objects.filter(tag=target, content_object_id__in=chunk).update(
                    tag=source, **fields
                )
        for *values, ids in both:
            fields = dict(zip(("spelling", "origin"), values, strict=False))
            for chunk in _in_chunks(ids):
                present = owners.objects.filter(pk__in=chunk).values_list("pk", flat=True)
                model.objects.bulk_create(
                    [model(content_object_id=pk, tag=source, **fields) for pk in present],
                    ignore_conflicts=True,
                )
    for chunk in _in_chunks(before["removals_moved"]):
        HashtagRemoval.objects.filter(tag=target, article_id__in=chunk).update(tag=source)
    for chunk in _in_chunks(before["removals_both"]):
        present = Article.objects.filter(pk__in=chunk).values_list("pk", flat=True)
        HashtagRemoval.objects.bulk_create(
            [HashtagRemoval(article_id=pk, tag=source) for pk in present], ignore_conflicts=True
        )
    spellings = before["target_spellings"]
    if spellings is not None:
        name = before["target"]["name"]
        _restore_spellings(TaggedArticle, target, name, spellings["articles"])
        _restore_spellings(TaggedCommentary, target, name, spellings["commentary"])
    refresh_hashtags([target.pk])
    Hashtag.objects.filter(pk=source.pk).update(name=old["name"])
    refresh_hashtags([source.pk])
    source.refresh_from_db()
    target.refresh_from_db()
    record_change(article_ids)
    return source, target
