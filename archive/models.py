from __future__ import annotations

from urllib.parse import urlsplit

from django.db import connection, models, transaction
from django.db.models import Count
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from archive.links import reverse_cached, title_slug
from archive.text import fold, hashtag_key


class Hashtag(TagBase):
    """A hashtag. One row per case-insensitive spelling; `name` is the most used spelling."""

    key = models.CharField(max_length=100, unique=True, help_text="Case-folded name: the identity.")
    search_key = models.CharField(
        max_length=100, db_index=True, help_text="Case- and accent-folded name, for lookups."
    )
    usage_count = models.PositiveIntegerField(
        default=0, db_index=True, help_text="Articles with this hashtag (kept by refresh_hashtags)."
    )

    class Meta:
        verbose_name = "hashtag"
        verbose_name_plural = "hashtags"
        ordering = ["key"]

    def save(self, *args, **kwargs):
        self.key = hashtag_key(self.name)
        self.search_key = fold(self.key)
        super().save(*args, **kwargs)

    def slugify(self, tag, i=None):
        slug = slugify(tag, allow_unicode=True)[:95] or "tag"
        return f"{slug}_{i}" if i is not None else slug

    def get_absolute_url(self) -> str:
        return reverse_cached("tag_detail", self.slug)

    @transaction.atomic
    def merge_into(self, target: Hashtag) -> None:
        """Move every use of this hashtag onto `target`, then delete this one."""
        from annotations.models import TaggedCommentary
        from archive.search import index_articles

        if target.pk == self.pk:
            return
        article_ids = list(
            TaggedArticle.objects.filter(tag=self).values_list("content_object_id", flat=True)
        )
        already = set(
            TaggedArticle.objects.filter(tag=target, content_object_id__in=article_ids).values_list(
                "content_object_id", flat=True
            )
        )
        TaggedArticle.objects.filter(tag=self, content_object_id__in=already).delete()
        TaggedArticle.objects.filter(tag=self).update(tag=target)
        notes_already = set(
            TaggedCommentary.objects.filter(tag=target).values_list("content_object_id", flat=True)
        )
        TaggedCommentary.objects.filter(tag=self, content_object_id__in=notes_already).delete()
        TaggedCommentary.objects.filter(tag=self).update(tag=target)
        self.delete()
        refresh_hashtags([target.pk])
        index_articles(article_ids)

    @transaction.atomic
    def rename(self, new_name: str) -> Hashtag:
        """Rename; if another hashtag already has that name (case-insensitively), merge into it.

        Every use takes the new spelling, so the name stays what the curator chose.
        """
        from annotations.models import TaggedCommentary
        from archive.search import index_articles

        existing = Hashtag.objects.filter(key=hashtag_key(new_name)).exclude(pk=self.pk).first()
        if existing:
            self.merge_into(existing)
            target = existing
        else:
            self.name = new_name
            self.slug = unique_slug(hashtag_key(new_name), exclude_pk=self.pk)
            self.save()
            target = self
        TaggedArticle.objects.filter(tag=target).update(spelling=new_name)
        TaggedCommentary.objects.filter(tag=target).update(spelling=new_name)
        refresh_hashtags([target.pk])
        target.refresh_from_db()
        index_articles(
            TaggedArticle.objects.filter(tag=target).values_list("content_object_id", flat=True)
        )
        return target


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


class TaggedArticle(TaggedItemBase):
    # No single-column indexes: the unique (article, tag) and the (tag, article) indexes serve
    # every lookup by article or by tag, and each index slows the import's inserts.
    content_object = models.ForeignKey("Article", on_delete=models.CASCADE, db_index=False)
    tag = models.ForeignKey(
        Hashtag, on_delete=models.CASCADE, related_name="article_items", db_index=False
    )
    spelling = models.CharField(max_length=100, blank=True, help_text="As written in the post.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_article_tag")
        ]
        indexes = [models.Index(fields=["tag", "content_object"])]


def refresh_hashtags(
    tag_ids, *, usage_deltas: dict[int, int] | None = None, names_for=None
) -> None:
    """Keep usage counts and display names (the most common spelling) of hashtags true.

    Called by every path that changes hashtags (import, curator edits, rename, merge). Small
    edits recount; the importer knows exactly how many uses it added or removed per hashtag
    (`usage_deltas`) and which hashtags met a new spelling (`names_for`), so a large archive is
    not recounted after every file.
    """
    from annotations.models import TaggedCommentary
    from archive.pagecache import bump_revision

    # Names and counts show on every page, and every import ends its transaction here, whichever
    # way it refreshed the search index: cached pages must not outlive this write.
    bump_revision()
    tag_ids = list(tag_ids)
    name_ids = list(tag_ids if names_for is None else names_for)
    for start in range(0, len(name_ids), 500):
        chunk = name_ids[start : start + 500]
        counts: dict[int, dict[str, int]] = {}
        for model in (TaggedArticle, TaggedCommentary):
            rows = (
                model.objects.filter(tag_id__in=chunk)
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
    if usage_deltas is not None:
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
        return
    for start in range(0, len(tag_ids), 500):
        chunk = tag_ids[start : start + 500]
        usage = dict(
            TaggedArticle.objects.filter(tag_id__in=chunk)
            .values_list("tag_id")
            .annotate(n=Count("id"))
        )
        recounted = []
        for tag in Hashtag.objects.filter(pk__in=chunk).only("pk", "usage_count"):
            if usage.get(tag.pk, 0) != tag.usage_count:
                tag.usage_count = usage.get(tag.pk, 0)
                recounted.append(tag)
        Hashtag.objects.bulk_update(recounted, ["usage_count"])


class Article(models.Model):
    title = models.TextField()
    url = models.TextField(blank=True, help_text="Source URL, exactly as given in the dump.")
    paragraphs = models.JSONField(
        default=list, help_text='Ordered paragraphs: [{"text": "…", "lang": "fr"}, …].'
    )
    language = models.CharField(max_length=8, blank=True, db_index=True)
    links = models.JSONField(default=list, blank=True, help_text="Other URLs found in the text.")
    mentions = models.JSONField(default=list, blank=True)
    hashtags = TaggableManager(through=TaggedArticle, blank=True, verbose_name="hashtags")

    external_key = models.CharField(max_length=64, unique=True, help_text="Stable import key.")
    content_hash = models.CharField(max_length=64, blank=True)
    source_file = models.CharField(max_length=500, blank=True)
    source_line = models.PositiveIntegerField(null=True, blank=True)

    created = models.DateTimeField(db_index=True)
    updated = models.DateTimeField()

    class Meta:
        ordering = ["-created", "id"]
        indexes = [models.Index(fields=["-created", "id"], name="article_newest")]
        permissions = [("edit_hashtags", "Can add, remove, rename and merge hashtags")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        slug = title_slug(self.title)
        if slug:
            return reverse_cached("article_detail_slug", self.pk, slug)
        return reverse_cached("article_detail", self.pk)

    @property
    def text(self) -> str:
        return "\n\n".join(p["text"] for p in self.paragraphs)

    @property
    def site(self) -> str:
        if not self.url.startswith(("http://", "https://")):
            return ""
        return (urlsplit(self.url).hostname or "").removeprefix("www.")

    @property
    def first_lines(self) -> str:
        text = " ".join(p["text"] for p in self.paragraphs[:2])
        return text[:280] + ("…" if len(text) > 280 else "")

    @transaction.atomic
    def set_hashtags(self, names: list[str]) -> None:
        """Replace the article's hashtags (curator edit) and refresh the search index."""
        from archive.importer.store import get_or_create_hashtags
        from archive.search import index_articles

        wanted = {hashtag_key(n): n for n in names if n.strip()}
        tags = get_or_create_hashtags(wanted.values())
        TaggedArticle.objects.filter(content_object=self).exclude(
            tag__in=[tags[k] for k in wanted]
        ).delete()
        have = set(
            TaggedArticle.objects.filter(content_object=self).values_list("tag_id", flat=True)
        )
        TaggedArticle.objects.bulk_create(
            TaggedArticle(content_object=self, tag=tags[k], spelling=wanted[k])
            for k in wanted
            if tags[k].pk not in have
        )
        refresh_hashtags(t.pk for t in tags.values())
        index_articles([self.pk])


class ArchiveRevision(models.Model):
    """The archive's revision: it goes up with every write readers can see (archive/pagecache.py).

    The revision is the sum of `value` over the rows. There is one row, unless writers on
    PostgreSQL bumped at the same moment: each then bumps a row no one else holds (or adds one),
    so a write never waits for another to commit (see bump_revision).
    """

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "archive revision"

    def __str__(self) -> str:
        return f"revision part {self.pk}: {self.value}"
