from __future__ import annotations

from datetime import date, datetime, time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from archive.links import reverse_cached, title_slug
from archive.processes import is_gone as process_is_gone
from archive.text import fold, hashtag_key

# Fields and each row's own state only. What a write means for other rows (hashtag counts, the
# search index, the archive's revision) is in the services: hashtags.py, changes.py,
# annotations/notes.py.


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


class TaggedArticle(TaggedItemBase):
    # No single-column indexes: the unique (article, tag) and the (tag, article) indexes serve
    # every lookup by article or by tag, and each index slows the import's inserts.
    content_object = models.ForeignKey("Article", on_delete=models.CASCADE, db_index=False)
    tag = models.ForeignKey(
        Hashtag, on_delete=models.CASCADE, related_name="article_items", db_index=False
    )
    spelling = models.CharField(max_length=100, blank=True, help_text="As written in the post.")

    class Origin(models.TextChoices):
        DUMP = "dump", "from the dump"
        CURATOR = "curator", "added by a curator"

    # A re-import replaces the dump's hashtags and keeps the curators' (archive/hashtags.py).
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.CURATOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_article_tag")
        ]
        indexes = [models.Index(fields=["tag", "content_object"])]


class HashtagRemoval(models.Model):
    """A curator took this hashtag off this article: a re-import does not put it back."""

    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="removals")
    tag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="removals")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "tag"], name="unique_hashtag_removal")
        ]

    def __str__(self) -> str:
        return f"#{self.tag_id} off article {self.article_id}"


class HashtagAlias(models.Model):
    """A spelling that now means another hashtag, after a curator renamed or merged it: a later
    dump (or note, or text export) that writes the old spelling lands on the hashtag it became."""

    key = models.CharField(max_length=100, unique=True, help_text="Case-folded old name.")
    tag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name_plural = "hashtag aliases"

    def __str__(self) -> str:
        return f"#{self.key} → #{self.tag_id}"


# The key of an article added in the browser: a dump's keys are hexadecimal (importer/posts.py
# stable_key), so none can start with this.
CURATOR_KEY_PREFIX = "curator:"


def sort_date_for(published: date | None, created: datetime) -> datetime:
    """An article's date for ordering: its publication date (the start of that day in the
    archive's time zone) when known, else when it entered the archive."""
    if published is None:
        return created
    return datetime.combine(published, time.min, tzinfo=timezone.get_default_timezone())


class UnfinishedImport(models.Model):
    """A file being imported on SQLite (archive/importer/staging.py): its new articles are
    written in short transactions, hidden from every reader until the import publishes them by
    deleting this row. A row left by an import that was killed marks what it wrote, deleted at
    the next import (or `manage.py discard_unfinished_imports`)."""

    started = models.DateTimeField()
    # Hashtags with a larger id were made since: those the import made and no one used are
    # deleted with its articles.
    last_hashtag_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"unfinished import {self.pk}"


class UnpublishedArticles(models.Model):
    """Ids of articles an unfinished import wrote (one range per batch: each batch's ids are
    consecutive, handed out while it holds the write lock). No reader sees them."""

    unfinished_import = models.ForeignKey(
        UnfinishedImport, on_delete=models.CASCADE, related_name="ranges"
    )
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["first_id", "last_id"], name="unpublished_range")]

    def __str__(self) -> str:
        return f"articles {self.first_id}–{self.last_id} (unpublished)"


UNPUBLISHED_TABLE = "archive_unpublishedarticles"


def published(article_id: str = "pk") -> LessThan:
    """A filter true where the article `article_id` names is published: not in a range an
    unfinished import wrote (for writers inside their transaction: readers use
    PublishedManager). Ranges never overlap, so the one that could hold an id is the last
    starting at or before it: one index lookup per row."""
    holding = UnpublishedArticles.objects.filter(first_id__lte=OuterRef(article_id)).order_by(
        "-first_id"
    )
    return LessThan(Coalesce(Subquery(holding.values("last_id")[:1]), Value(-1)), F(article_id))


# The smallest interval holding every unfinished import's ids (plain SQL for the search
# backends): each subquery runs once per statement, so a row costs two comparisons. Empty: no
# id is between 0 and -1.
HIDDEN_FIRST_SQL = f"coalesce((SELECT min(first_id) FROM {UNPUBLISHED_TABLE}), 0)"
HIDDEN_LAST_SQL = f"coalesce((SELECT max(last_id) FROM {UNPUBLISHED_TABLE}), -1)"


def hidden_interval() -> tuple[Coalesce, Coalesce]:
    """HIDDEN_FIRST_SQL and HIDDEN_LAST_SQL as ORM expressions."""
    ranges = UnpublishedArticles.objects.order_by()
    first = ranges.order_by("first_id").values("first_id")[:1]
    last = ranges.order_by("-last_id").values("last_id")[:1]
    return Coalesce(Subquery(first), Value(0)), Coalesce(Subquery(last), Value(-1))


class PublishedManager(models.Manager):
    """Rows of published articles only: what every page, feed, API, search and export reads.

    An import commits its articles and their range together and publishes by deleting the
    range, so one statement sees exactly the published ones. The ids between the first and the
    last unpublished one are left out by two comparisons per row (an article someone added
    between two of an import's batches waits for its publication too): a walk through the
    newest articles skips an import's 100,000 hidden rows at an index read each.
    """

    # The field naming the article (a class attribute: Django makes related managers by
    # subclassing the default manager's class and calls them with other arguments).
    article_id = "pk"

    def get_queryset(self):
        queryset = super().get_queryset()
        if connections[self.db].vendor == "postgresql":
            # A PostgreSQL import is one transaction: no one else sees its rows before it
            # commits, so there is never anything to leave out (importer/staging.py).
            return queryset
        first, last = hidden_interval()
        return queryset.exclude(
            **{f"{self.article_id}__gte": first, f"{self.article_id}__lte": last}
        )


class PublishedCommentaryManager(PublishedManager):
    """Commentary on published articles only."""

    article_id = "article_id"


class Article(models.Model):
    # The fields of a dump that a curator may edit (admin, article form).
    CURATOR_EDITABLE_FIELDS = (
        "title",
        "url",
        "attribution",
        "paragraphs",
        "language",
        "links",
        "mentions",
        "published",
    )

    title = models.TextField()
    url = models.TextField(blank=True, help_text="Source URL, exactly as given in the dump.")
    attribution = models.CharField(
        max_length=200, blank=True, help_text='Whom the post came from: "@name" of "via @name".'
    )
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
    # What curators decided, which a re-import of the article's dump keeps:
    # where its reader comments start (archive/reader_comments.py CommentsSplit, as JSON),
    curator_comments_split = models.JSONField(default=dict, blank=True)
    # and which of the dump's fields they edited (CURATOR_EDITABLE_FIELDS), kept as they left them.
    curator_fields = models.JSONField(default=list, blank=True)

    # When the source published it, if known (a JSON export or a curator says; text dumps carry
    # no date), and when it entered the archive (import, or a curator's "Add an article").
    published = models.DateField(null=True, blank=True)
    created = models.DateTimeField(db_index=True)
    updated = models.DateTimeField()
    # What lists, feeds and the search's sort by date order by: sort_date_for(published,
    # created), written with them by every write (save(), the importer's rows). Nullable only so
    # that adding it does not rebuild a large SQLite table; no write leaves it empty.
    sort_date = models.DateTimeField(null=True, editable=False)
    # When curators last edited the article's fields (admin, article form), if they did.
    curator_edited = models.DateTimeField(null=True, blank=True)

    # Every row, an unfinished import's too: for the importer, the index and the clean-up.
    all_objects = models.Manager()
    objects = PublishedManager()  # the default (Meta): what readers see

    class Meta:
        ordering = ["-sort_date", "id"]
        default_manager_name = "objects"
        indexes = [
            models.Index(fields=["-sort_date", "id"], name="article_newest"),
            # A search sorted by date reads its matches' dates here rather than from their rows
            # (SearchBackend.by_date: twice as fast at 100,000 articles, bench/date_sort.py).
            models.Index(fields=["id", "sort_date"], name="article_id_date"),
        ]
        permissions = [("edit_hashtags", "Can add, remove, rename and merge hashtags")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.sort_date = sort_date_for(self.published, self.created)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"published", "created"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "sort_date"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        slug = title_slug(self.title)
        if slug:
            return reverse_cached("article_detail_slug", self.pk, slug)
        return reverse_cached("article_detail", self.pk)

    @property
    def added_by_curators(self) -> bool:
        return self.external_key.startswith(CURATOR_KEY_PREFIX)

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


class ArticleHead(models.Model):
    """The beginning of a long article's text: its first paragraphs' texts, about
    archive/search/heads.py's HEAD_CHARS characters. Only an article longer than that has one.
    Search results cut their snippets from it: a search never reads a very long text whole."""

    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="head"
    )
    texts = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"head of article {self.article_id}"


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

    @classmethod
    def current(cls, using: str | None = None) -> int:
        """The revision, read where this request reads its pages (the router's answer)."""
        connection = connections[using or router.db_for_read(cls)]
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT SUM(value) FROM {table}")
            total = cursor.fetchone()[0]
        return int(total or 0)

    @classmethod
    def bump(cls, using: str = DEFAULT_DB_ALIAS) -> None:
        """Raise the revision, inside the caller's transaction (so it counts only if that commits).

        On PostgreSQL, a transaction bumps a row that no other open transaction holds (SKIP
        LOCKED), or adds a row when all are held: it never waits, so it cannot deadlock with the
        import lock or with the rows a concurrent import or curator edit has locked. The sum over
        the rows goes up with every commit that bumped. SQLite lets one writer in at a time anyway.
        """
        connection = connections[using]
        table = connection.ops.quote_name(cls._meta.db_table)
        if connection.features.has_select_for_update_skip_locked:
            pick = f"SELECT id FROM {table} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
        else:
            pick = f"SELECT MIN(id) FROM {table}"
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET value = value + 1 WHERE id = ({pick})")
            if cursor.rowcount == 0:
                cursor.execute(f"INSERT INTO {table} (value) VALUES (1)")


class HistoryEntry(models.Model):
    """One curator action, or one imported (or refused) file, as the history page lists it
    (archive/history.py writes them). What it touched is kept as plain ids, not foreign keys:
    the entry outlives the article, note or hashtag. `before` and `after` hold what an undo
    needs (archive/undo.py) and what the page shows."""

    class Kind(models.TextChoices):
        NOTE_ADDED = "note_added", "note added"
        NOTE_EDITED = "note_edited", "note edited"
        NOTE_DELETED = "note_deleted", "note deleted"
        ARTICLE_HASHTAGS = "article_hashtags", "article's hashtags edited"
        ARTICLE_ADDED = "article_added", "article added"
        ARTICLE_EDITED = "article_edited", "article edited"
        HASHTAG_RENAMED = "hashtag_renamed", "hashtag renamed"
        HASHTAG_MERGED = "hashtag_merged", "hashtags merged"
        FILE_IMPORTED = "file_imported", "file imported"
        FILE_REFUSED = "file_refused", "file refused"
        UNDO = "undo", "undone"

    created = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="history_entries",
    )
    # Who, as shown: the user's name when the entry was made, or "command line".
    actor = models.CharField(max_length=150)
    kind = models.CharField(max_length=32, db_index=True)
    article_id = models.BigIntegerField(null=True, blank=True)
    note_id = models.BigIntegerField(null=True, blank=True)
    hashtag_id = models.BigIntegerField(null=True, blank=True)
    # A short description of what it touched (an article's title, a hashtag's name, a file).
    label = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    undoes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undone_by"
    )

    class Meta:
        verbose_name = "history entry"
        verbose_name_plural = "history entries"
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["-created", "-id"], name="history_newest")]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor} {self.kind} {self.label[:40]}"


class ImportRun(models.Model):
    """One import: from the command line, or a curator's upload (run in the background).
    Written by archive/importer/history.py, which archive/importer/run.py calls."""

    class Source(models.TextChoices):
        COMMAND = "command", "command line"
        BROWSER = "browser", "browser"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    source = models.CharField(max_length=8, choices=Source.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    who = models.CharField(max_length=150, blank=True, help_text="User name (kept if deleted).")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    files_total = models.PositiveIntegerField(default=0)
    # An upload's folder under ARCHIVE_UPLOAD_DIR while it waits for the worker, and its files:
    # [{"name": as uploaded, "stored": path in the folder}].
    upload_folder = models.CharField(max_length=64, blank=True)
    uploaded = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True, help_text="As the import command prints it.")
    error = models.TextField(blank=True, help_text="Why the import stopped, if it did.")
    process = models.CharField(
        max_length=200, blank=True, help_text="The process that runs it (archive/processes.py)."
    )

    # The error of an import whose process ended before it could say why (shown_error).
    PROCESS_GONE = "process gone"

    class Meta:
        ordering = ["-created", "-id"]
        permissions = [("import_dumps", "Can import dumps and see the import history")]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.source}, {self.status})"

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def shown_error(self) -> str:
        if self.error == self.PROCESS_GONE:
            return gettext(
                "its process ended before the import did (it was stopped or crashed); "
                "import the file again"
            )
        return self.error

    def stop_if_process_gone(self) -> bool:
        """Mark a running import as stopped if its process has ended (killed, crashed, the
        machine restarted): nothing else ever would. Whether it was; only a process known to
        have ended counts (processes.is_gone)."""
        if self.status != self.Status.RUNNING or process_is_gone(self.process) is not True:
            return False
        now = timezone.now()
        # Still running, by the same process: another reader may have stopped it meanwhile.
        stopped = ImportRun.objects.filter(
            pk=self.pk, status=self.Status.RUNNING, process=self.process
        ).update(status=self.Status.FAILED, error=self.PROCESS_GONE, finished=now)
        if stopped:
            self.status, self.error, self.finished = self.Status.FAILED, self.PROCESS_GONE, now
        return bool(stopped)


class ImportedFile(models.Model):
    """One file of an import: what it changed, or why it was refused (nothing kept)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField()
    name = models.TextField(help_text="As given to the command, or as uploaded.")
    format = models.CharField(max_length=16, blank=True)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    refused = models.TextField(blank=True, help_text='"name:line: reason"; nothing was kept.')
    warnings = models.JSONField(default=list, blank=True)
    reanchored = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    anchor_lines = models.JSONField(default=list, blank=True)
    # The articles this file added and changed (ids), for the history's link to them.
    new_articles = models.JSONField(default=list, blank=True)
    updated_articles = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="unique_imported_file")
        ]

    def __str__(self) -> str:
        return self.name
