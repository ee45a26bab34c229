"""Dates people can trust: an article's publication date apart from its import date.

Text dumps carry no publication date (the real dumps hold dates only inside quoted text): their
articles say "imported on". A curator's date, or a JSON export's, is shown as the article's
date, survives a re-import of the real command, comes back from an export, and orders the home
and tag pages, the feeds, the API and the search's sort by date.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from annotations.notes import create_note
from archive.articles import ArticleFields, edit_article
from archive.models import Article
from archive.search.service import search
from tests.base import DEMO_DUMPS, BaseTestCase, run_import, temporary_folder

DUMP = DEMO_DUMPS / "demo_seenthis_export.txt"
GARES = "La vidéosurveillance algorithmique arrive dans les gares"
SUDKREUZ = "Gesichtserkennung am Bahnhof Südkreuz: Abschlussbericht"
WORKER = "The quantified worker: productivity scores at the office"
PARIS = ZoneInfo(settings.TIME_ZONE)
IMPORTED = datetime(2025, 6, 15, 12, 0, tzinfo=PARIS)
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
ATOM = "{http://www.w3.org/2005/Atom}"


def dated(title: str, published: date | None) -> Article:
    """The article with this publication date, set as a curator does (archive/articles.py)."""
    article = Article.objects.get(title=title)
    texts = [p["text"] for p in article.paragraphs]
    tags = [t.name for t in article.hashtags.all()]
    edit_article(article, ArticleFields(article.title, article.url, texts, tags, published))
    return Article.objects.get(pk=article.pk)


def published(entry) -> datetime:
    return datetime.fromisoformat(entry.find(f"{ATOM}published").text)


class PublicationDateTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(IMPORTED, tick=False):
            run_import(DUMP)

    def setUp(self):
        super().setUp()
        self.tmp = temporary_folder(self)

    def page(self, url: str) -> str:
        response = self.client.get(url, **EN)
        self.assertEqual(response.status_code, 200, url)
        return response.content.decode()

    def test_an_imported_article_says_it_was_imported_on_that_day(self):
        article = Article.objects.get(title=GARES)
        self.assertIsNone(article.published)  # a text dump carries no date
        self.assertEqual(article.sort_date, IMPORTED)
        card = 'imported on <time datetime="2025-06-15T12:00:00+02:00">15 June 2025</time>'
        self.assertIn(card, self.page("/"))
        self.assertIn(card, self.page(article.get_absolute_url()))
        self.assertIn(card, self.page("/search/?q=gares"))
        first = self.client.get("/api/articles/").json()["results"][0]
        self.assertEqual(first["published"], None)
        self.assertEqual(datetime.fromisoformat(first["created"]), IMPORTED)

    def test_a_publication_date_is_the_article_s_date(self):
        article = dated(GARES, date(2019, 5, 14))
        self.assertEqual(article.created, IMPORTED)  # the import date stays what it was
        shown = '<time datetime="2019-05-14">14 May 2019</time>'
        detail = self.page(article.get_absolute_url())
        self.assertIn(shown, detail)
        self.assertNotIn("imported on", detail.split('class="meta"')[1].split("</p>")[0])
        self.assertIn(shown, self.page("/"))
        api = self.client.get(f"/api/articles/{article.pk}/").json()
        self.assertEqual(api["published"], "2019-05-14")
        self.assertEqual(datetime.fromisoformat(api["created"]), IMPORTED)

    def test_lists_feeds_the_api_and_the_search_order_by_the_publication_date(self):
        # Imported together, in the dump's order; then one dated long ago, one after the import.
        dated(GARES, date(2001, 1, 1))
        dated(WORKER, date(2025, 7, 1))
        gares, worker = Article.objects.get(title=GARES), Article.objects.get(title=WORKER)
        others = list(Article.objects.exclude(pk__in=[gares.pk, worker.pk]).order_by("pk"))
        newest_first = [worker.pk, *(a.pk for a in others), gares.pk]

        home = self.page("/")
        positions = [home.index(f'href="{a.get_absolute_url()}"') for a in (worker, gares)]
        self.assertLess(*positions)
        self.assertLess(positions[0], home.index(others[0].get_absolute_url()))
        self.assertGreater(positions[1], home.index(others[-1].get_absolute_url()))

        api = self.client.get("/api/articles/").json()["results"]
        self.assertEqual([r["id"] for r in api], newest_first)
        self.assertEqual(api[0]["published"], "2025-07-01")

        feed = ET.fromstring(self.client.get("/feed/").content)
        entries = feed.findall(f"{ATOM}entry")
        self.assertIn(worker.get_absolute_url(), entries[0].find(f"{ATOM}link").get("href"))
        self.assertEqual(published(entries[0]), datetime(2025, 7, 1, tzinfo=PARIS))
        self.assertIn(gares.get_absolute_url(), entries[-1].find(f"{ATOM}link").get("href"))
        self.assertEqual(published(entries[-1]), datetime(2001, 1, 1, tzinfo=PARIS))

        tag = gares.hashtags.get(name="surveillance")
        tag_feed = ET.fromstring(self.client.get(f"/tags/{tag.slug}/feed/").content)
        links = [e.find(f"{ATOM}link").get("href") for e in tag_feed.findall(f"{ATOM}entry")]
        self.assertIn(gares.get_absolute_url(), links[-1])
        tag_page = self.page(tag.get_absolute_url())
        self.assertGreater(
            tag_page.index(gares.get_absolute_url()), tag_page.index(worker.get_absolute_url())
        )

        # The search's sort by date: a text query (matches counted in id order, then dated) and
        # a hashtag alone (the engine orders by the date).
        for query in ("surveillance", "#surveillance"):
            newest = [h.article.pk for h in search(query, sort="newest").hits]
            oldest = [h.article.pk for h in search(query, sort="oldest").hits]
            self.assertIn(worker.pk, newest)
            self.assertEqual(newest[-1], gares.pk, query)
            self.assertEqual(oldest[0], gares.pk, query)
            self.assertEqual(oldest, newest[::-1], query)
        api = self.client.get("/api/search/", {"q": "surveillance", "sort": "oldest"}).json()
        self.assertEqual(api["results"][0]["id"], gares.pk)

    def test_the_sitemap_says_when_a_page_last_changed(self):
        """Not the publication date: an article imported today and published in 2001 has a page
        that changed today (a crawler reading 2001 would not come to see it)."""
        # Edited at 23:30 UTC, the next day in the archive's time zone (Europe/Paris): the
        # sitemap gives the archive's day, whatever the day and hour the test runs.
        edited_at = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
        with time_machine.travel(edited_at, tick=False):
            article = dated(GARES, date(2001, 1, 1))
            sitemap = self.client.get("/sitemap.xml").content.decode()
        self.assertEqual(article.updated, edited_at)
        entry = sitemap.split(article.get_absolute_url())[1].split("</url>")[0]
        local_day = timezone.localtime(article.updated).date().isoformat()
        self.assertIn(f"<lastmod>{local_day}</lastmod>", entry)
        self.assertNotIn("2001-01-01", entry)

    def test_a_curator_s_date_survives_a_reimport_of_an_edited_dump(self):
        dated(GARES, date(2019, 5, 14))
        edited = self.tmp / "edited.txt"
        text = DUMP.read_text(encoding="utf-8").replace("Les associations", "Des associations")
        edited.write_text(text, encoding="utf-8")
        out, _ = run_import(edited)
        article = Article.objects.get(title=GARES)
        self.assertIn("Des associations", article.text)  # the dump's text is re-imported
        self.assertEqual(article.published, date(2019, 5, 14))  # the curator's date stays
        self.assertEqual(article.curator_fields, ["published"])
        self.assertIn('<time datetime="2019-05-14">', self.page(article.get_absolute_url()))
        # An article nobody dated still has none.
        self.assertIsNone(Article.objects.get(title=SUDKREUZ).published)

    def test_the_json_export_carries_the_dates_back(self):
        dated(GARES, date(2019, 5, 14))
        before = Article.objects.get(title=GARES)
        out = self.tmp / "archive.json"
        call_command("export_dump", str(out), "--format", "json")
        exported = {a["title"]: a for a in json.loads(out.read_text(encoding="utf-8"))["articles"]}
        self.assertEqual(exported[GARES]["published"], "2019-05-14")
        self.assertEqual(datetime.fromisoformat(exported[GARES]["created"]), IMPORTED)
        self.assertEqual(exported[GARES]["curator_fields"], ["published"])
        self.assertIsNone(exported[SUDKREUZ]["published"])
        self.assertNotIn("curator_edited", exported[SUDKREUZ])
        Article.objects.all().delete()
        run_import(out)
        after = Article.objects.get(title=GARES)
        self.assertEqual(
            (after.published, after.created, after.sort_date, after.curator_edited),
            (before.published, before.created, before.sort_date, before.curator_edited),
        )
        self.assertEqual(after.curator_fields, ["published"])
        self.assertEqual(Article.objects.get(title=SUDKREUZ).sort_date, IMPORTED)
        # Restored, the date still wins over a later text dump of the article.
        run_import(DUMP)
        self.assertEqual(Article.objects.get(title=GARES).published, date(2019, 5, 14))

    def test_replies_have_no_time_of_day_notes_have_theirs(self):
        article = Article.objects.get(title=GARES)
        with time_machine.travel(datetime(2025, 8, 2, 9, 41, tzinfo=ZoneInfo("UTC")), tick=False):
            create_note(article, self.alice, "Une note datée.")
        html = self.page(article.get_absolute_url())
        reply = html.split('class="note reply"')[1].split("</p>")[0]
        self.assertIn('imported on <time datetime="2025-06-15">15 June 2025</time>', reply)
        self.assertNotIn("12:00", reply)  # neither shown nor in the time element
        note = html.split('class="note note"')[1].split("</p>")[0]
        self.assertIn(">2 Aug. 2025, 11:41</time>", note)  # Paris time


class JsonPublicationDateTests(BaseTestCase):
    """What a JSON export may say of a publication date, and what is refused."""

    def write(self, folder: Path, published) -> Path:
        path = folder / "dated.json"
        article = {"title": "Un article daté", "url": "https://example.org/a", "paragraphs": []}
        article["published"] = published
        path.write_text(json.dumps([article]), encoding="utf-8")
        return path

    def test_a_date_a_moment_or_nothing(self):
        folder = temporary_folder(self)
        for published, expected in (
            ("2024-03-12", date(2024, 3, 12)),
            ("2024-03-12T23:30:00+00:00", date(2024, 3, 13)),  # already the 13th in Paris
            (None, None),
        ):
            run_import(self.write(folder, published))
            article = Article.objects.get(title="Un article daté")
            self.assertEqual(article.published, expected, published)

    def test_not_a_date_is_refused_with_its_line(self):
        path = self.write(temporary_folder(self), "12/03/2024")
        err = io.StringIO()
        with self.assertRaises(CommandError):
            call_command(
                "import_dump", str(path), stderr=err, stdout=io.StringIO(), no_progress=True
            )
        self.assertIn(
            f"{path}:1: article 1: “published” is not a date (YYYY-MM-DD)", err.getvalue()
        )
        self.assertFalse(Article.objects.exists())
