"""Large imports prepare posts in a second process (archive/importer/worker.py).

The archive must come out the same whichever way a dump is imported, and an error, in the dump
or in the worker, must still keep nothing from the file.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections import defaultdict
from pathlib import Path
from unittest import mock

from django.db import connection
from django.test import override_settings

from annotations.models import Commentary
from archive.importer.run import import_paths
from archive.importer.worker import WorkerError
from archive.models import Article, Hashtag, TaggedArticle
from archive.search.index import reindex_all
from archive.search.service import search
from archive.search.spelling import forget_all
from tests.base import DEMO_DUMPS, PLAIN_DUMP, SEENTHIS_DUMP, BaseTestCase, run_import
from tests.dumpgen import write_bulleted

WITH_WORKER = override_settings(ARCHIVE_IMPORT_WORKER=True, ARCHIVE_IMPORT_WORKER_BYTES=0)
WITHOUT_WORKER = override_settings(ARCHIVE_IMPORT_WORKER=False)


def archive_rows() -> dict:
    """Everything an import writes, without ids: articles, hashtags, replies, the index."""
    tags = defaultdict(list)
    for article_id, name, spelling in TaggedArticle.objects.values_list(
        "content_object_id", "tag__name", "spelling"
    ):
        tags[article_id].append((name, spelling))
    articles = []
    for article in Article.objects.order_by("external_key").prefetch_related("commentary"):
        articles.append(
            (
                article.external_key,
                article.title,
                article.url,
                article.paragraphs,
                article.language,
                article.links,
                article.mentions,
                article.content_hash,
                article.source_line,
                sorted(tags[article.pk]),
                [(c.text, c.position, c.origin) for c in article.commentary.all()],
            )
        )
    hashtags = sorted(Hashtag.objects.values_list("key", "name", "usage_count"))
    return {"articles": articles, "hashtags": hashtags, "index": index_rows()}


def index_rows() -> list:
    keys = dict(Article.objects.values_list("id", "external_key"))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT article_id, document::text FROM archive_searchdoc")
        else:
            cursor.execute("SELECT rowid, title, tags, commentary, body FROM archive_search")
        return sorted((keys[row[0]], *row[1:]) for row in cursor.fetchall())


def vocabulary() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM archive_searchword")
        return {row[0] for row in cursor.fetchall()}


def worker_processes() -> list[int]:
    """Children of this process running the import worker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"archive.importer.worker" in command:
            found.append(int(entry.name))
    return found


class WorkerImportTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        folder = tempfile.TemporaryDirectory(prefix="archive-worker-")
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)
        self.big = write_bulleted(self.folder / "big.txt", 1300, seed=3)

    def all_dumps(self):
        return [SEENTHIS_DUMP, PLAIN_DUMP, DEMO_DUMPS, self.big]

    def test_same_archive_with_or_without_the_worker(self):
        with WITH_WORKER:
            run_import(*self.all_dumps())
        with_worker = archive_rows()
        self.assertEqual(len(with_worker["articles"]), Article.objects.count())
        self.assertGreater(Article.objects.count(), 1300)

        words = vocabulary()
        Article.objects.all().delete()
        Hashtag.objects.all().delete()
        forget_all(connection)
        with WITHOUT_WORKER:
            run_import(*self.all_dumps())
        self.assertEqual(archive_rows(), with_worker)
        self.assertEqual(vocabulary(), words)

    def test_index_written_from_prepared_posts_equals_a_reindex(self):
        with WITH_WORKER:
            run_import(*self.all_dumps())
        before, words = index_rows(), vocabulary()
        self.assertIn("hangzhou", words)
        reindex_all()
        self.assertEqual(index_rows(), before)
        self.assertEqual(vocabulary(), words)  # the import's vocabulary is the index's
        # PostgreSQL writes documents in statements of a bounded size: cut small, the same rows.
        with mock.patch("archive.search.backends.postgres.writes.WRITE_CHUNK_CHARS", 20_000):
            reindex_all()
        self.assertEqual(index_rows(), before)
        # And search finds imported words, stems and replies.
        self.assertGreater(search("surveillance").total, 0)
        self.assertGreater(search('"reply to post 1200"').total, 0)

    def test_a_reimport_with_the_worker_changes_nothing(self):
        with WITH_WORKER:
            run_import(*self.all_dumps())
            before = archive_rows()
            out, _ = run_import(self.big)
        self.assertIn("0 new, 0 updated, 1300 unchanged", out)
        self.assertEqual(archive_rows(), before)

    def test_an_error_late_in_a_file_keeps_nothing_and_the_next_file_imports(self):
        bad = self.folder / "bad.txt"
        text = self.big.read_text(encoding="utf-8")
        bad.write_text(text + "  • A last post\x00\n", encoding="utf-8")
        last_line = len(text.splitlines()) + 1
        with WITH_WORKER:
            summary = import_paths([bad, SEENTHIS_DUMP])
        self.assertEqual(len(summary.errors), 1)
        self.assertIn(f"bad.txt:{last_line}", str(summary.errors[0]))
        self.assertIn("NUL byte", str(summary.errors[0]))
        # The bad file's 1,300 good posts were not kept; the next file, after it, was whole.
        self.assertEqual(Article.objects.count(), 15)
        self.assertEqual(Commentary.objects.count(), 2)
        self.assertEqual(summary.total("new"), 15)
        self.assertEqual(worker_processes(), [])  # the worker was stopped at the end
        # The words the refused file met first are in the vocabulary once a kept file has them.
        words = vocabulary()
        reindex_all()
        self.assertEqual(vocabulary(), words)

    def test_the_worker_yields_the_cores_to_pages_and_the_importer_does_not(self):
        # The worker's CPU-bound preparing runs at a lower priority (a higher niceness); the
        # importer, which holds SQLite's write lock while it writes, keeps its own.
        seen = []

        def look(name, done, total, posts):
            if posts >= 600 and not seen:  # written: the worker has answered
                seen.extend(os.getpriority(os.PRIO_PROCESS, pid) for pid in worker_processes())

        mine = os.getpriority(os.PRIO_PROCESS, 0)
        with WITH_WORKER, override_settings(ARCHIVE_IMPORT_WORKER_NICENESS=7):
            summary = import_paths([self.big], progress=look)
        self.assertFalse(summary.errors)
        self.assertEqual(seen, [min(mine + 7, 19)])
        self.assertEqual(os.getpriority(os.PRIO_PROCESS, 0), mine)

    def test_a_dead_worker_is_a_clear_error_and_keeps_nothing(self):
        run_import(SEENTHIS_DUMP)
        before = archive_rows()
        killed = []

        def kill_worker(name, done, total, posts):
            if posts >= 600 and not killed:
                for pid in worker_processes():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

        with WITH_WORKER, self.assertRaisesMessage(WorkerError, "worker process stopped"):
            import_paths([self.big], progress=kill_worker)
        self.assertTrue(killed)
        self.assertEqual(archive_rows(), before)
