"""Storing parsed posts: batched, idempotent, one transaction per file."""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from archive.importer import jsonformat
from archive.importer.decode import TextSource, open_dump
from archive.importer.errors import DumpError
from archive.importer.fields import IMPORTED_ARTICLE_FIELDS
from archive.importer.parse import BULLETED, ParsedPost, detect_format, parse_bulleted, parse_plain
from archive.importer.prepare import PreparedPost, inputs, prepare_batch, prepared
from archive.importer.rows import allocate_ids, insert_rows
from archive.importer.worker import PreparationWorker
from archive.pagecache import bump_revision
from archive.queries import forget_article_count
from archive.text import HASHTAG_MAX, fold, hashtag_key

BATCH_SIZE = 500
IMPORT_CACHE_KIB = 128 * 1024
ARTICLE_FIELDS = IMPORTED_ARTICLE_FIELDS


@dataclass
class FileResult:
    path: str
    format: str = ""
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    replies: int = 0
    tags: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)
    errors: list[DumpError] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def tag_count(self) -> int:
        return len(set().union(*(f.tags for f in self.files))) if self.files else 0

    def describe(self) -> str:
        articles = self.total("new") + self.total("updated") + self.total("unchanged")
        return (
            f"{len(self.files)} file(s) imported, {len(self.errors)} refused: "
            f"{articles} articles ({self.total('new')} new, {self.total('updated')} updated, "
            f"{self.total('unchanged')} unchanged), {self.total('replies')} replies, "
            f"{self.tag_count} hashtags, in {self.seconds:.1f} s"
        )


Progress = Callable[[str, int, int, int], None]  # (file name, bytes done, bytes total, posts)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            )
        elif path.exists():
            found.append(path)
        else:
            raise DumpError(path, None, "no such file or folder")
    return found


def import_paths(
    paths: Iterable[str | Path],
    *,
    title: str | None = None,
    url: str = "",
    tags: Iterable[str] = (),
    progress: Progress | None = None,
) -> ImportSummary:
    """Import files and folders; each file lands whole or not at all."""
    started = time.perf_counter()
    summary = ImportSummary()
    files = expand_paths(paths)
    with preparation_worker(sum(_size(p) for p in files)) as worker, _bulk_load_cache():
        for path in files:
            try:
                summary.files.append(
                    import_file(
                        path, title=title, url=url, tags=tags, progress=progress, worker=worker
                    )
                )
            except DumpError as error:
                summary.errors.append(error)
    summary.seconds = time.perf_counter() - started
    return summary


@contextlib.contextmanager
def _bulk_load_cache():
    """SQLite: a larger page cache while importing (128 MB instead of 2 MB).

    Inserting into the article, hashtag and full-text B-trees then rereads far fewer pages
    and spills less to the WAL mid-transaction: a 40,000-post import took 23 s instead of 33.
    """
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@contextlib.contextmanager
def preparation_worker(total_bytes: int):
    """A worker process for the CPU-bound part of large imports (None for small ones).

    Language detection and analysis then run on a second core while this process parses and
    writes. Starting a worker costs about a second, so small imports run in one process.
    """
    if not settings.ARCHIVE_IMPORT_WORKER or total_bytes < settings.ARCHIVE_IMPORT_WORKER_BYTES:
        yield None
        return
    worker = PreparationWorker()
    try:
        yield worker
    finally:
        worker.close()


def import_file(
    path: Path,
    *,
    title: str | None = None,
    url: str = "",
    tags: Iterable[str] = (),
    progress: Progress | None = None,
    worker: PreparationWorker | None = None,
) -> FileResult:
    source = open_dump(path)
    result = FileResult(path=str(path), warnings=list(source.warnings))
    if jsonformat.is_json(source):  # a JSON export (archive/exporter.py): restore it
        return jsonformat.import_json(source, result, tags=tags, progress=progress)
    extra_tags = [t.lstrip("#") for t in tags if t.strip("# ")]
    with transaction.atomic():
        lock_imports()
        bump_revision()  # cached pages are stale once this file commits
        writer = _BatchWriter(source, result, worker)
        try:
            for post in _posts(source, result, title=title, url=url):
                if extra_tags:
                    post.hashtags += [
                        t
                        for t in extra_tags
                        if hashtag_key(t) not in {hashtag_key(h) for h in post.hashtags}
                    ]
                writer.add(post)
                if progress and writer.seen % 200 == 0:
                    progress(path.name, source.bytes_read(), source.size, writer.seen)
            writer.flush()
        finally:
            writer.abandon()  # after an error: drop the batches still being prepared
        from archive.models import refresh_hashtags

        refresh_hashtags(
            result.tags, usage_deltas=writer.usage_deltas, names_for=writer.new_spellings
        )
    forget_article_count()
    if progress:
        progress(path.name, source.size, source.size, writer.seen)
    return result


IMPORT_LOCK = 0x61726368  # "arch"


def lock_imports() -> None:
    """Inside a file's transaction, wait until no other import is writing (PostgreSQL).

    Two imports of the same posts at once would both insert the same external_key and the second
    would fail on the unique index; with the lock, the second waits, then finds the posts there.
    On SQLite, IMMEDIATE transactions already let one writer in at a time.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def _posts(source: TextSource, result: FileResult, *, title, url) -> Iterator[ParsedPost]:
    lines = source.lines()
    first: list[tuple[int, str]] = []
    for number, line in lines:
        first.append((number, line))
        if line.strip():
            break
    if not first or not first[-1][1].strip():
        raise DumpError(source.path, None, "the file is empty")
    result.format = detect_format(first[-1][1])

    def all_lines():
        yield from first
        yield from lines

    if result.format == BULLETED:
        yield from parse_bulleted(source.path, all_lines())
    else:
        yield from parse_plain(source.path, all_lines(), title=title, url=url)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _paragraphs(post: ParsedPost, item: PreparedPost) -> list[dict]:
    langs = item.paragraph_langs
    return [{"text": t, "lang": lang} for t, lang in zip(post.paragraphs, langs, strict=True)]


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def get_or_create_hashtags(spellings: Iterable[str]) -> dict:
    """Hashtags by key, creating the missing ones in bulk (slugs kept unique)."""
    from archive.models import Hashtag

    wanted: dict[str, str] = {}
    for spelling in spellings:
        wanted.setdefault(hashtag_key(spelling), spelling)
    found = {t.key: t for t in Hashtag.objects.filter(key__in=list(wanted))}
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
                from archive.models import unique_slug

                tag = Hashtag(name=wanted[key], slug=unique_slug(key))
                tag.save()
                found[key] = tag
    return found


class _BatchWriter:
    """Posts in, rows out: batches are prepared (importer/prepare.py), then written in order.

    With a worker process, up to IN_FLIGHT batches are prepared there while this process parses
    the next posts and writes the previous batch.
    """

    IN_FLIGHT = 2

    def __init__(self, source: TextSource, result: FileResult, worker=None):
        self.source = source
        self.result = result
        self.worker = worker
        # (posts, prepared posts or None while the worker has them, their rows in the archive)
        self.pending: deque = deque()
        self.batch: list[ParsedPost] = []
        self.keys_in_file: dict[str, int] = {}
        self.seen = 0
        self.now = timezone.now()
        self.usage_deltas: Counter[int] = Counter()  # articles added minus removed, per hashtag
        self.new_spellings: set[int] = set()  # hashtags written other than their current name
        # Hashtags by key, as found or created in this file's transaction: most batches use the
        # same common hashtags again.
        self.hashtags: dict = {}

    def add(self, post: ParsedPost) -> None:
        for tag in post.hashtags:
            if len(tag) > HASHTAG_MAX:
                raise DumpError(self.source.path, post.line, f"hashtag #{tag[:40]}… is too long")
        base = _key("post", post.identity())
        n = self.keys_in_file.get(base, 0) + 1
        self.keys_in_file[base] = n
        post.key = base if n == 1 else _key(base, str(n))
        self.batch.append(post)
        self.seen += 1
        if len(self.batch) >= BATCH_SIZE:
            self._submit(self.batch)
            self.batch = []

    def flush(self) -> None:
        if self.batch:
            self._submit(self.batch)
            self.batch = []
        while self.pending:
            self._write_next()

    def abandon(self) -> None:
        if self.worker is not None:
            self.worker.discard()
        self.pending.clear()

    def _submit(self, posts: list[ParsedPost]) -> None:
        from archive.models import Article

        # Keys are unique within a file, so an earlier batch still in flight cannot add one of
        # these: looking them up now is safe.
        existing = {
            key: (pk, digest)
            for key, pk, digest in Article.objects.filter(
                external_key__in=[p.key for p in posts]
            ).values_list("external_key", "pk", "content_hash")
        }
        changed = []
        for post in posts:
            post.digest = post.content_hash()
            known = existing.get(post.key)
            if known and known[1] == post.digest:
                self.result.unchanged += 1
            else:
                changed.append(post)
        if not changed:
            return
        if self.worker is None:
            self.pending.append((changed, prepare_batch(changed), existing))
        else:
            self.worker.submit(inputs(changed))
            self.pending.append((changed, None, existing))
        while len(self.pending) > (self.IN_FLIGHT if self.worker else 0):
            self._write_next()

    def _write_next(self) -> None:
        posts, ready, existing = self.pending.popleft()
        self._write(
            ready if ready is not None else prepared(posts, self.worker.next_result()), existing
        )

    def _write(self, prepared: list[PreparedPost], existing: dict) -> None:
        from annotations.models import Commentary, TaggedCommentary
        from archive.models import Article, TaggedArticle
        from archive.search import index_articles
        from archive.search.backends import get_backend
        from archive.search.backends.base import IndexDocument

        source_file = str(self.source.path)[-500:]
        new_items = [item for item in prepared if item.post.key not in existing]
        new_ids = self._insert_articles(new_items, source_file)
        to_update = []
        for item in prepared:
            post = item.post
            known = existing.get(post.key)
            if known:
                to_update.append(
                    Article(
                        pk=known[0],
                        title=post.title,
                        url=post.url,
                        paragraphs=_paragraphs(post, item),
                        language=item.language,
                        links=post.links,
                        mentions=post.mentions,
                        external_key=post.key,
                        content_hash=post.digest,
                        source_file=source_file,
                        source_line=post.line,
                        created=self.now,
                        updated=self.now,
                    )
                )
        Article.objects.bulk_update(to_update, ARTICLE_FIELDS)
        self.result.new += len(new_items)
        self.result.updated += len(to_update)
        updated_ids = [a.pk for a in to_update]
        updated_left, new_left = iter(updated_ids), iter(new_ids)
        # (post, article id) in file order
        changed_posts = [
            (item.post, next(updated_left) if item.post.key in existing else next(new_left))
            for item in prepared
        ]

        spellings = [t for post, _ in changed_posts for t in post.hashtags]
        spellings += [
            t
            for post, _ in changed_posts
            for r in post.replies
            for t in r.hashtags
            if len(t) <= HASHTAG_MAX
        ]
        missing = [t for t in spellings if hashtag_key(t) not in self.hashtags]
        if missing:
            self.hashtags.update(get_or_create_hashtags(missing))
        tags = self.hashtags
        old_uses = TaggedArticle.objects.filter(content_object_id__in=updated_ids)
        for tag_id in old_uses.values_list("tag_id", flat=True):
            self.usage_deltas[tag_id] -= 1
        old_uses.delete()
        uses = [
            (article_id, tags[hashtag_key(t)].pk, t)
            for post, article_id in changed_posts
            for t in post.hashtags
        ]
        insert_rows(TaggedArticle._meta.db_table, ["content_object_id", "tag_id", "spelling"], uses)
        for _, tag_id, _ in uses:
            self.usage_deltas[tag_id] += 1
        for spelling in spellings:
            tag = tags[hashtag_key(spelling)]
            self.result.tags.add(tag.pk)
            if spelling != tag.name:  # only then can the most common spelling change
                self.new_spellings.add(tag.pk)
        self._write_replies(changed_posts, tags, Commentary, TaggedCommentary)
        # New articles are indexed from what was prepared (they have no index row yet);
        # updated ones from the database, since they may carry curator notes too.
        get_backend().insert(
            [
                IndexDocument(
                    article_id=article_id,
                    title=item.index_title,
                    tags=item.index_tags,
                    commentary=item.index_commentary,
                    body=item.index_body,
                    tag_keys=tuple(
                        dict.fromkeys(tags[hashtag_key(t)].search_key for t in item.post.hashtags)
                    ),
                )
                for item, article_id in zip(new_items, new_ids, strict=True)
            ]
        )
        if updated_ids:
            index_articles(updated_ids)

    def _insert_articles(self, items: list[PreparedPost], source_file: str) -> list[int]:
        """Rows for the new articles, without the ORM; their ids."""
        from django.db import connection

        from archive.models import Article

        table = Article._meta.db_table
        now = connection.ops.adapt_datetimefield_value(self.now)
        ids = allocate_ids(table, len(items))
        insert_rows(
            table,
            [
                "id", "title", "url", "paragraphs", "language", "links", "mentions",
                "external_key", "content_hash", "source_file", "source_line", "created", "updated",
            ],
            [
                (
                    pk, p.title, p.url, _json(_paragraphs(p, item)), item.language, _json(p.links),
                    _json(p.mentions), p.key, p.digest, source_file, p.line, now, now,
                )
                for pk, item in zip(ids, items, strict=True)
                for p in (item.post,)
            ],
        )  # fmt: skip
        return ids

    def _write_replies(self, changed_posts, tags, Commentary, TaggedCommentary) -> None:
        from django.db import connection

        keyed = {
            f"{post.key}:{n}": (article_id, reply, n)
            for post, article_id in changed_posts
            for n, reply in enumerate(post.replies, start=1)
        }
        if not keyed:
            return
        existing = {
            c.external_key: c for c in Commentary.objects.filter(external_key__in=list(keyed))
        }
        new_keys = [key for key in keyed if key not in existing]
        note_ids = dict(
            zip(new_keys, allocate_ids(Commentary._meta.db_table, len(new_keys)), strict=True)
        )
        now = connection.ops.adapt_datetimefield_value(self.now)
        # New replies as plain rows (see rows.py); the columns not listed keep their defaults.
        insert_rows(
            Commentary._meta.db_table,
            [
                "id", "article_id", "text", "author_name", "origin", "quote_exact",
                "quote_prefix", "quote_suffix", "external_key", "position", "source_line",
                "created", "updated",
            ],
            [
                (
                    note_ids[key], keyed[key][0], keyed[key][1].text, "",
                    Commentary.Origin.REPLY.value, "", "", "", key, keyed[key][2],
                    keyed[key][1].line, now, now,
                )
                for key in new_keys
            ],
        )  # fmt: skip
        to_update = []
        for key, note in existing.items():
            _, reply, _ = keyed[key]
            if note.text != reply.text:
                note.text, note.updated, note.source_line = reply.text, self.now, reply.line
                to_update.append(note)
                note_ids[key] = note.pk
        Commentary.objects.bulk_update(to_update, ["text", "updated", "source_line"])
        self.result.replies += len(keyed)
        TaggedCommentary.objects.filter(content_object__in=to_update).delete()
        insert_rows(
            TaggedCommentary._meta.db_table,
            ["content_object_id", "tag_id", "spelling"],
            [
                (note_ids[key], tags[hashtag_key(t)].pk, t)
                for key, (_, reply, _) in keyed.items()
                if key in note_ids
                for t in reply.hashtags
                if hashtag_key(t) in tags
            ],
        )
