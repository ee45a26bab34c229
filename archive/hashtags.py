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
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count

from annotations.models import Commentary, TaggedCommentary
from archive.changes import record_change
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
def set_article_hashtags(article: Article, names: Iterable[str]) -> None:
    """Replace an article's hashtags (a curator's edit). What the curator adds is theirs; a dump
    hashtag they take off stays off when the dump is imported again."""
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
    record_change([article.pk])


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
def rename(tag: Hashtag, new_name: str) -> Hashtag:
    """Rename; if another hashtag already has that name (case-insensitively), merge into it.

    Every use takes the new spelling, so the name stays what the curator chose. Returns the
    hashtag that now carries the name.
    """
    old_key, new_key = tag.key, hashtag_key(new_name)
    existing = Hashtag.objects.filter(key=new_key).exclude(pk=tag.pk).first()
    if existing:
        _move_uses(tag, existing)
        target = existing
    else:
        if new_key != old_key:
            HashtagAlias.objects.filter(key=new_key).delete()  # the name is a hashtag's again
            HashtagAlias.objects.update_or_create(key=old_key, defaults={"tag": tag})
        tag.name = new_name
        tag.slug = unique_slug(hashtag_key(new_name), exclude_pk=tag.pk)
        tag.save()
        target = tag
    TaggedArticle.objects.filter(tag=target).update(spelling=new_name)
    TaggedCommentary.objects.filter(tag=target).update(spelling=new_name)
    refresh_hashtags([target.pk])
    target.refresh_from_db()
    record_change(_article_ids(target))
    return target


@transaction.atomic
def merge(source: Hashtag, target: Hashtag) -> None:
    """Move every use of `source` onto `target`, then delete `source`."""
    if target.pk == source.pk:
        return
    moved = _article_ids(source)
    _move_uses(source, target)
    refresh_hashtags([target.pk])
    record_change(moved)


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
