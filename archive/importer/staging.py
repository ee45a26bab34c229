"""A file's import on SQLite: written in short transactions, hidden until it is published whole.

SQLite lets one writer in at a time. A file imported in one transaction kept every page's and
curator's write waiting for the whole file (a 150,000-post file: 39 s), so on SQLite a file is
imported in steps:

1. `UnfinishedImport` row, committed (the import lock, lock.py, keeps other imports out).
2. Its new articles, with their hashtag uses, replies and search rows, in short transactions
   (pacing.py: the write lock is given back between them). Each batch's ids are recorded in an
   `UnpublishedArticles` range in the same transaction (the previous batch's range grows when
   the ids follow on, as they do unless someone else added an article meanwhile): every
   reader's query leaves those articles out (archive/models.py `published()`: the default
   managers of Article and Commentary; the search backends' SQL), so nothing of the file shows
   yet. Posts that change
   existing articles are kept aside (spool.py): writing them now would show them.
3. One short transaction publishes the file: the changed articles written, hashtag usage counts
   moved by the file's increments, the ranges and the `UnfinishedImport` row deleted, the change
   recorded (archive/changes.py). Everything appears at once.

An import that fails deletes what it wrote; one that was killed leaves rows no one sees, deleted
by the next import or `manage.py discard_unfinished_imports` (discard_unfinished()).

PostgreSQL keeps one transaction per file (Staging(batched=False) does nothing): MVCC lets
others read and write meanwhile, and the advisory lock keeps imports apart.
"""

from __future__ import annotations

import contextlib

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from annotations.models import TaggedCommentary
from archive.importer.lock import lock_imports, sqlite_import_lock
from archive.models import (
    Article,
    Hashtag,
    HashtagAlias,
    HashtagRemoval,
    TaggedArticle,
    UnfinishedImport,
    UnpublishedArticles,
)

DISCARD_CHUNK = 500  # articles deleted per transaction by the clean-up


class Staging:
    """What one file's import has written and not yet published."""

    def __init__(self, *, batched: bool) -> None:
        self.batched = batched
        self.unfinished: UnfinishedImport | None = None

    def begin(self) -> None:
        if not self.batched:
            return
        last_tag = Hashtag.objects.aggregate(last=Max("pk"))["last"] or 0
        with transaction.atomic():
            self.unfinished = UnfinishedImport.objects.create(
                started=timezone.now(), last_hashtag_id=last_tag
            )

    def hide(self, ids: list[int]) -> None:
        """Inside the transaction writing the articles `ids` (consecutive): no reader sees them
        until publish()."""
        if self.batched and ids:
            assert ids[-1] - ids[0] == len(ids) - 1, "a batch's ids are consecutive"
            # Batch after batch, the ids follow on: one range grows (readers leave each range
            # out by a comparison, so the fewer the better).
            grown = UnpublishedArticles.objects.filter(
                unfinished_import=self.unfinished, last_id=ids[0] - 1
            ).update(last_id=ids[-1])
            if not grown:
                UnpublishedArticles.objects.create(
                    unfinished_import=self.unfinished, first_id=ids[0], last_id=ids[-1]
                )

    def publish(self) -> None:
        """Inside the publishing transaction: the file's articles are seen from its commit on."""
        if self.unfinished is not None:
            UnpublishedArticles.objects.filter(unfinished_import=self.unfinished).delete()
            UnfinishedImport.objects.filter(pk=self.unfinished.pk).delete()
            self.unfinished = None

    def discard(self) -> None:
        """After an error: delete what this import wrote (what a killed one leaves stays hidden
        until discard_unfinished())."""
        if self.unfinished is not None:
            _discard(self.unfinished)
            self.unfinished = None

    @contextlib.contextmanager
    def publishing(self):
        """The transaction that publishes the file (on PostgreSQL, the file's own)."""
        if not self.batched:
            yield
            self.publish()
            return
        with transaction.atomic():
            yield
            self.publish()


@contextlib.contextmanager
def file_import():
    """Around one file's import: one import at a time; yields its Staging.

    PostgreSQL: the file's transaction and the advisory lock. SQLite: the import lock, what a
    killed import left deleted, and what this one wrote deleted if it fails.
    """
    if connection.vendor != "sqlite":
        with transaction.atomic():
            lock_imports()
            yield Staging(batched=False)
        return
    with sqlite_import_lock():
        _discard_all()
        staging = Staging(batched=True)
        staging.begin()
        try:
            yield staging
        except BaseException:
            with contextlib.suppress(Exception):  # if it cannot, the next import will
                staging.discard()
            raise


def discard_unfinished(*, wait: bool = True) -> int:
    """Delete what killed imports left (SQLite; nothing to do on PostgreSQL). Returns how many
    articles were deleted. Without `wait`, does nothing while an import is running."""
    if connection.vendor != "sqlite":
        return 0
    with sqlite_import_lock(wait=wait) as held:
        return _discard_all() if held else 0


def _discard_all() -> int:
    """With the import lock held: every UnfinishedImport is a killed import's."""
    return sum(_discard(unfinished) for unfinished in UnfinishedImport.objects.order_by("pk"))


def _discard(unfinished: UnfinishedImport) -> int:
    """Delete an unfinished import's articles (with all that hangs on them: hashtag uses, replies,
    search rows, heads), the hashtags it made that nothing uses, then its own rows. In short
    transactions: what is left stays hidden until the last one."""
    deleted = 0
    for first, last in list(
        UnpublishedArticles.objects.filter(unfinished_import=unfinished).values_list(
            "first_id", "last_id"
        )
    ):
        while True:
            with transaction.atomic():
                chunk = list(
                    Article.all_objects.filter(pk__gte=first, pk__lte=last)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:DISCARD_CHUNK]
                )
                if not chunk:
                    break
                Article.all_objects.filter(pk__in=chunk).delete()
                deleted += len(chunk)
    with transaction.atomic():
        Hashtag.objects.filter(pk__gt=unfinished.last_hashtag_id, usage_count=0).exclude(
            Exists(TaggedArticle.objects.filter(tag=OuterRef("pk")))
        ).exclude(Exists(TaggedCommentary.objects.filter(tag=OuterRef("pk")))).exclude(
            Exists(HashtagAlias.objects.filter(tag=OuterRef("pk")))
        ).exclude(Exists(HashtagRemoval.objects.filter(tag=OuterRef("pk")))).delete()
        UnpublishedArticles.objects.filter(unfinished_import=unfinished).delete()
        UnfinishedImport.objects.filter(pk=unfinished.pk).delete()
    return deleted
