"""Running an import over files and folders: each file lands whole or not at all (in one
transaction, or on SQLite hidden until published: staging.py); one import writes at a time;
large imports prepare their posts in a worker process."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

from archive.changes import record_change
from archive.hashtags import refresh_hashtags
from archive.history import Kind, record_action
from archive.importer import jsonformat
from archive.importer.decode import LegacyEncoding, TextSource, open_dump
from archive.importer.errors import DumpError
from archive.importer.history import ImportHistory
from archive.importer.parse import BULLETED, ParsedPost, detect_format, parse_bulleted, parse_plain
from archive.importer.results import FileResult, ImportSummary, Progress
from archive.importer.staging import file_import
from archive.importer.worker import PreparationWorker, WorkerError
from archive.importer.writer import BatchWriter
from archive.models import ImportRun
from archive.search.analysis import forget as forget_analysed_words
from archive.search.spelling import forget_pending
from archive.text import hashtag_key

IMPORT_CACHE_KIB = 128 * 1024


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = raw if isinstance(raw, Path) else Path(raw)  # keeps an uploads.ShownPath
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            )
        elif path.is_file():
            found.append(path)
        elif path.exists():
            # A FIFO or a device would block open() (or be read for ever): folders skip them.
            raise DumpError(path, None, "not a regular file")
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
    comments_from: int | None = None,
    user=None,
    run: ImportRun | None = None,
) -> ImportSummary:
    """Import files and folders; each file lands whole or not at all. `comments_from`: for one
    plain article, the line where its reader comments start. Each file imported or refused is
    recorded in the history of changes as `user`'s (None: the command line), and in the import
    history: in `run` (an upload's, queued), or a new entry."""
    started = time.perf_counter()
    summary = ImportSummary()
    files = expand_paths(paths)
    if comments_from is not None and len(files) != 1:
        raise DumpError(
            ", ".join(map(str, files)) or "(no file)",
            None,
            "--comments-from applies to one plain article: name a single file",
        )
    history = ImportHistory.begin(run, len(files), user)
    try:
        with preparation_worker(sum(_size(p) for p in files)) as worker, _bulk_load_cache():
            for path in files:
                try:
                    summary.files.append(
                        import_file(
                            path,
                            title=title,
                            url=url,
                            tags=tags,
                            progress=progress,
                            worker=worker,
                            comments_from=comments_from,
                            user=user,
                        )
                    )
                    history.imported(summary.files[-1])
                except DumpError as error:
                    summary.errors.append(error)
                    record_action(
                        Kind.FILE_REFUSED,
                        user,
                        label=error.path,
                        after={"line": error.line, "reason": error.message},
                    )
                    history.refused(error)
    except BaseException as error:
        history.stopped(str(error) or type(error).__name__)
        raise
    summary.seconds = time.perf_counter() - started
    history.finish(summary)
    return summary


@contextlib.contextmanager
def _bulk_load_cache():
    """SQLite: a larger page cache while importing (128 MB instead of 2 MB).

    Inserting into the article, hashtag and full-text B-trees then rereads far fewer pages
    and spills less to the WAL mid-transaction: a 40,000-post import took 23 s instead of 33.
    """
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
    worker = PreparationWorker(settings.ARCHIVE_IMPORT_WORKER_NICENESS)
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
    comments_from: int | None = None,
    user=None,
) -> FileResult:
    """Import one file: all of it, or nothing (DumpError)."""
    source = open_dump(path)
    options = {"title": title, "url": url, "tags": tags, "progress": progress, "worker": worker}
    options.update(comments_from=comments_from, user=user)
    for _ in range(2):  # UTF-8, then cp1252 or latin-1, then latin-1, which reads any byte
        try:
            return _import_source(source, **options)
        except LegacyEncoding as legacy:  # nothing of the file was kept: read it again
            source = legacy.retry
    return _import_source(source, **options)


def _import_source(
    source: TextSource, *, title, url, tags, progress, worker, comments_from, user
) -> FileResult:
    path = source.path
    result = FileResult(path=str(path), warnings=source.warnings)
    extra_tags = [t.lstrip("#") for t in tags if t.strip("# ")]
    with _forgotten_if_rolled_back(worker), file_import() as staging:
        writer = BatchWriter(path, result, worker, staging)
        try:
            for post in read_posts(
                source, result, title=title, url=url, comments_from=comments_from
            ):
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
        source.check_unchanged()  # a file still being written: refused, nothing kept
        with staging.publishing():
            writer.publish()  # posts changing existing articles, kept aside on SQLite
            refresh_hashtags(
                result.tags, usage_deltas=writer.usage_deltas, names_for=writer.renamed
            )
            _record_import(result, user)
            record_change()  # every article was indexed as its batch was written
    if progress:
        progress(path.name, source.size, source.size, writer.seen)
    return result


def _record_import(result: FileResult, user) -> None:
    """The file's line in the history: its summary counts, no more (a file may hold a million
    posts)."""
    counts = ("new", "updated", "unchanged", "replies", "curated", "curator_fields")
    record_action(
        Kind.FILE_IMPORTED,
        user,
        label=result.path,
        after={
            "format": result.format,
            **{name: getattr(result, name) for name in counts},
            "reanchored": len(result.reanchored),
            "lost": len(result.lost),
            "warnings": len(result.warnings),
        },
    )


@contextlib.contextmanager
def _forgotten_if_rolled_back(worker: PreparationWorker | None):
    """When a file is rolled back, the words its analysis met for the first time were not kept
    in the search vocabulary: the analysis forgets them, to report them again."""
    try:
        yield
    except BaseException:
        forget_analysed_words()
        forget_pending(connection)
        if worker is not None:
            with contextlib.suppress(WorkerError):
                worker.forget()
        raise


def read_posts(
    source: TextSource, result: FileResult, *, title, url, comments_from: int | None = None
) -> Iterator[ParsedPost]:
    """The posts of a file, whatever its format: a JSON export (archive/exporter.py) is restored,
    a bulleted or plain text dump is parsed."""
    if jsonformat.is_json(source):
        if comments_from is not None:
            raise DumpError(source.path, None, "--comments-from applies to a plain article")
        result.format = jsonformat.JSON
        yield from jsonformat.read_posts(source)
        return
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
        if comments_from is not None:
            raise DumpError(source.path, None, "--comments-from applies to a plain article")
        yield from parse_bulleted(source.path, all_lines())
    else:
        yield from parse_plain(
            source.path, all_lines(), title=title, url=url, comments_from=comments_from
        )
