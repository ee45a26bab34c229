"""While a file is being imported, nothing of it shows, and the archive stays writable.

On SQLite the importer commits a file's new articles in short transactions, hidden from every
reader until the file is published in one last transaction (archive/importer/staging.py).
These tests stop an import mid-file and look through every way a reader has in: the managers,
search, pages, feeds, the sitemap, the API and hashtag counts; then check that a curator's note
saves meanwhile, from another process, and that a failed import leaves no row behind.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from annotations.models import Commentary
from archive.articles import ArticleFields, add_article
from archive.importer.run import import_paths
from archive.models import Article, Hashtag, UnfinishedImport, UnpublishedArticles
from archive.search.service import search
from tests.base import DEMO_DUMPS, BaseTestCase, temporary_folder
from tests.dbprocs import fresh_database, is_postgres, manage, snapshot, start_manage, write_note
from tests.dumpgen import write_bulleted

POSTS = 1500
FILE_TITLE = re.compile(r"Post \d+: ")  # the generated posts' titles (tests/dumpgen.py)


class Paused(Exception):
    """Raised by a progress callback to stop an import where it is."""


class ReadPathsTests(BaseTestCase):
    """In this process, mid-file: every read path leaves the unfinished import's articles out."""

    dumps = (DEMO_DUMPS,)

    def setUp(self):
        super().setUp()
        if connection.vendor != "sqlite":
            self.skipTest("PostgreSQL imports a file in one transaction: this connection sees it")
        self.dump = write_bulleted(temporary_folder(self) / "big.txt", POSTS, seed=21)
        self.before = {
            "articles": Article.objects.count(),
            "commentary": Commentary.objects.count(),
            "surveillance": sorted(hit.article.pk for hit in search("surveillance").hits),
        }
        self.checked = []
        self.added = []

    def pages(self) -> dict[str, str]:
        found = {}
        for path in [
            "/",
            "/feed/",
            "/tags/",
            "/tags/generated/",
            "/tags/generated/feed/",
            "/sitemap.xml",
            "/search/?q=paragraph",
            "/api/articles/",
            "/api/tags/",
            "/api/search/?q=paragraph",
        ]:
            response = self.client.get(path)
            assert response.status_code in (200, 404), (path, response.status_code)
            found[path] = response.content.decode()
        return found

    def look(self, name, done, total, posts) -> None:
        """The progress callback: once the import has hidden articles, look everywhere."""
        hidden = list(Article.all_objects.exclude(pk__in=Article.objects.values("pk")))
        if not hidden or self.checked:
            return
        self.checked.append(len(hidden))
        assert UnpublishedArticles.objects.exists()
        # The managers
        assert Article.objects.count() == self.before["articles"]
        assert Commentary.objects.count() == self.before["commentary"]
        assert Commentary.all_objects.count() > self.before["commentary"]
        # Search, with words and with a hashtag only the file has
        assert search("paragraph").total == 0
        assert search("#generated").total == 0
        # ... and the published articles on both sides of the hidden ones: older ones, and one
        # a curator adds now, after the file's articles so far (search skips the hidden ids
        # as a range: archive/search/backends/sqlite/backend.py).
        found = sorted(hit.article.pk for hit in search("surveillance").hits)
        assert found == self.before["surveillance"]
        added = add_article(
            ArticleFields(
                "Quokkalogie", "https://example.org/q", ["Sur la quokkalogie."], [], None
            ),
            by=self.alice,
        )
        self.added.append(added.pk)
        assert added.pk > max(h.pk for h in hidden)
        assert [hit.article.pk for hit in search("quokkalogie").hits] == [added.pk]
        assert [hit.article.pk for hit in search('"sur la quokkalogie"').hits] == [added.pk]
        # Hashtag counts: the file's uses are counted when it is published
        generated = Hashtag.objects.filter(key="generated").first()
        assert generated is None or generated.usage_count == 0
        # Pages, feeds, sitemap, API
        for path, body in self.pages().items():
            assert not FILE_TITLE.search(body), path
        one = hidden[0]
        for path in (f"/articles/{one.pk}/", f"/api/articles/{one.pk}/"):
            assert self.client.get(path).status_code == 404, path
        self.client.force_login(self.alice)  # a curator cannot reach it either
        assert self.client.get(f"/articles/{one.pk}/notes/new/").status_code == 404
        self.client.logout()

    def test_nothing_of_an_unfinished_file_is_seen_and_all_of_it_once_published(self):
        summary = import_paths([self.dump], progress=self.look)
        assert not summary.errors, summary.errors
        assert self.checked, "the import never had hidden articles"
        assert Article.objects.count() == self.before["articles"] + POSTS + 1
        assert [hit.article.pk for hit in search("quokkalogie").hits] == self.added
        assert search("#generated").total == POSTS
        assert Hashtag.objects.get(key="generated").usage_count == POSTS
        assert not UnfinishedImport.objects.exists()
        assert FILE_TITLE.search(self.client.get("/api/search/?q=paragraph").content.decode())


class FailedImportTests(BaseTestCase):
    def test_an_import_failing_mid_file_leaves_no_row(self):
        dump = write_bulleted(temporary_folder(self) / "big.txt", POSTS, seed=23)
        counts = {m: m._base_manager.count() for m in (Article, Commentary, Hashtag)}
        written = []

        def fail(name, done, total, posts):
            if Article.all_objects.count() > counts[Article] or posts >= POSTS - 200:
                written.append(Article.all_objects.count() - counts[Article])
                raise Paused

        with pytest.raises(Paused):
            import_paths([dump], progress=fail)
        if connection.vendor == "sqlite":
            assert written[0] > 0, "nothing was written before the failure"
        assert {m: m._base_manager.count() for m in counts} == counts
        assert not UnfinishedImport.objects.exists()
        # And the file imports whole afterwards.
        assert import_paths([dump]).files[0].new == POSTS


# --- real processes: an import stopped mid-file ------------------------------------------------


def _stop_between_transactions(proc, url: str) -> None:
    """SIGSTOP the import; on SQLite, at a moment it holds no write transaction."""
    if is_postgres(url):
        proc.send_signal(signal.SIGSTOP)
        return
    path = urlsplit(url).path
    for _ in range(200):
        proc.send_signal(signal.SIGSTOP)
        time.sleep(0.05)
        db = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
            return
        except sqlite3.OperationalError:
            proc.send_signal(signal.SIGCONT)
            time.sleep(0.02)
        finally:
            db.close()
    raise AssertionError("the import never let the write lock go")


def _hidden_articles(url: str) -> int:
    if is_postgres(url):
        return 0
    with sqlite3.connect(urlsplit(url).path) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM archive_article a WHERE EXISTS (SELECT 1 FROM "
            "archive_unpublishedarticles u WHERE a.id BETWEEN u.first_id AND u.last_id)"
        ).fetchone()
    return count


def test_a_note_saves_while_an_import_is_stopped_mid_file(tmp_path: Path):
    dump = write_bulleted(tmp_path / "big.txt", 6000, seed=24)
    with fresh_database(tmp_path) as url:
        write_bulleted(tmp_path / "first.txt", 20, seed=25)
        manage(url, "import_dump", "--no-progress", str(tmp_path / "first.txt"), check=True)
        before = snapshot(url)
        importer = start_manage(url, "import_dump", "--no-progress", str(dump))
        try:
            deadline = time.monotonic() + 120
            while not is_postgres(url) and _hidden_articles(url) == 0:
                assert importer.poll() is None, importer.communicate()
                assert time.monotonic() < deadline, "no hidden article in 120 s"
                time.sleep(0.05)
            if is_postgres(url):
                time.sleep(2)  # well into its transaction
            _stop_between_transactions(importer, url)
            # Another process writes a curator's note, with little patience for locks.
            short = f"{url}?timeout=5" if not is_postgres(url) else url
            note = write_note(short, "Post 3: ")
            assert note.returncode == 0, note.stderr[-2000:]
            meanwhile = snapshot(url)
            assert meanwhile["Article"] == before["Article"]
            assert meanwhile["search:surveillance"] == before["search:surveillance"]
            assert meanwhile["Commentary"][0] == before["Commentary"][0] + 1
        finally:
            importer.send_signal(signal.SIGCONT)
        out, err = importer.communicate(timeout=300)
        assert importer.returncode == 0, err
        assert "6000 new" in out
        after = snapshot(url)
        assert after["Article"][0] == before["Article"][0] + 6000
        assert after["Commentary"][0] == before["Commentary"][0] + 1 + 6000 // 5
        assert after["stored:Article"] == after["Article"]
