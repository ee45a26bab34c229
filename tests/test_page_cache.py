"""The page cache: anonymous readers get repeat pages without a render, never a stale one."""

from __future__ import annotations

import re
import tempfile
import threading
import unittest
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from annotations.notes import create_note
from archive.importer.lock import lock_imports
from archive.models import ArchiveRevision, Article, Hashtag
from archive.pagecache import current_revision
from tests.base import SEENTHIS_DUMP, BaseTestCase, run_import

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
FR = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def without_tokens(content: bytes) -> str:
    return TOKEN.sub("TOKEN", content.decode())


class PageCacheTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def setUp(self):
        super().setUp()
        self.article = Article.objects.get(title__startswith="Le monde selon")
        self.curator = Client()
        self.curator.force_login(self.alice)

    def get(self, url: str, client: Client | None = None, **headers):
        """A GET and the number of queries it ran."""
        with CaptureQueriesContext(connection) as queries:
            response = (client or self.client).get(url, **headers)
        return response, len(queries)

    def assert_rendered(self, url: str, client: Client | None = None, **headers):
        response, queries = self.get(url, client, **headers)
        self.assertEqual(response.status_code, 200, url)
        self.assertGreater(queries, 1, f"{url} was not rendered")
        return response

    def assert_cached(self, url: str, client: Client | None = None, **headers):
        response, queries = self.get(url, client, **headers)
        self.assertEqual(response.status_code, 200, url)
        self.assertEqual(queries, 1, f"{url} was rendered again")  # the revision, nothing else
        return response

    def reader_urls(self) -> list[str]:
        return [
            "/",
            "/?page=1",
            self.article.get_absolute_url(),
            self.article.get_absolute_url() + "?q=hambantota",
            "/tags/",
            "/tags/?q=chine",
            "/tags/cr%C3%A9dit_social/",
            "/tags/cr%C3%A9dit_social/feed/",
            "/feed/",
            "/sitemap.xml",
            "/api/articles/",
            f"/api/articles/{self.article.pk}/",
            "/api/tags/",
        ]

    def test_a_second_view_is_served_without_rendering(self):
        for url in self.reader_urls():
            with self.subTest(url=url):
                first = self.assert_rendered(url)
                second = self.assert_cached(url)
                self.assertEqual(without_tokens(second.content), without_tokens(first.content))
                self.assertEqual(second["Content-Type"], first["Content-Type"])

    def test_search_and_curator_screens_are_not_cached(self):
        for url in ["/search/?q=surveillance", "/api/search/?q=surveillance"]:
            self.assert_rendered(url)
            self.assert_rendered(url)
        url = f"/articles/{self.article.pk}/notes/new/"
        self.assert_rendered(url, self.curator)
        self.assert_rendered(url, self.curator)

    def test_cached_pages_keep_the_security_headers(self):
        url = self.article.get_absolute_url()
        first = self.assert_rendered(url)
        second = self.assert_cached(url)
        for name in [
            "Content-Security-Policy",
            "X-Frame-Options",
            "X-Content-Type-Options",
            "Referrer-Policy",
            "Content-Language",
        ]:
            self.assertEqual(second.get(name), first.get(name), name)
        self.assertEqual(second["Content-Security-Policy"], settings.CONTENT_SECURITY_POLICY)
        self.assertIn("Cookie", second["Vary"])
        self.assertIn("Accept-Language", second["Vary"])

    def test_each_visitor_gets_a_csrf_token_of_their_own(self):
        self.assert_rendered("/")
        visitor = Client(enforce_csrf_checks=True)
        page = self.assert_cached("/", visitor)
        token = TOKEN.search(page.content.decode()).group(1)
        self.assertNotEqual(token, TOKEN.search(self.client.get("/").content.decode()).group(1))
        # The language switcher of the cached page works for this visitor.
        response = visitor.post(
            "/i18n/setlang/", {"language": "fr", "next": "/", "csrfmiddlewaretoken": token}
        )
        self.assertEqual(response.status_code, 302)
        self.assertContains(visitor.get("/"), '<html lang="fr">')

    def test_french_and_english_pages_are_not_mixed(self):
        url = self.article.get_absolute_url()
        self.assertContains(self.assert_rendered(url, **FR), '<html lang="fr">')
        self.assertContains(self.assert_rendered(url, **EN), '<html lang="en">')
        french = self.assert_cached(url, **FR)
        english = self.assert_cached(url, **EN)
        self.assertContains(french, '<html lang="fr">')
        self.assertEqual(french["Content-Language"], "fr")
        self.assertContains(english, '<html lang="en">')
        self.assertEqual(english["Content-Language"], "en")
        # The language cookie of the switcher is resolved the same way.
        chooser = Client()
        chooser.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        self.assertContains(self.assert_cached(url, chooser, **EN), '<html lang="fr">')

    def test_a_curator_never_gets_a_cached_page_nor_fills_the_cache(self):
        url = self.article.get_absolute_url()
        self.assert_rendered(url)  # cached for anonymous readers
        mine = self.assert_rendered(url, self.curator)
        self.assertContains(mine, 'id="note-form"')
        self.assertContains(self.assert_rendered(url, self.curator), 'id="note-form"')
        self.assertNotContains(self.assert_cached(url), 'id="note-form"')
        # The other way round: the curator's page is never what an anonymous reader gets.
        tag_url = "/tags/cr%C3%A9dit_social/"
        self.assertContains(self.assert_rendered(tag_url, self.curator), 'class="curator"')
        self.assertNotContains(self.assert_rendered(tag_url), 'class="curator"')

    def test_visitors_with_a_session_are_not_served_from_the_cache(self):
        self.assert_rendered("/")
        self.assert_cached("/")
        with_session = Client()
        with_session.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
        self.assert_rendered("/", with_session)
        self.assert_rendered("/", with_session)

    def test_a_new_note_shows_at_once(self):
        url = self.article.get_absolute_url()
        self.assert_rendered(url)
        self.assert_rendered("/")
        self.assert_cached(url)
        response = self.curator.post(
            f"/articles/{self.article.pk}/notes/new/", {"text": "Une note toute fraîche"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertContains(self.assert_rendered(url), "Une note toute fraîche")
        self.assert_cached(url)
        # The API and the note's edits and deletion too.
        api = f"/api/articles/{self.article.pk}/"
        self.assert_rendered(api)
        note = self.article.commentary.get(origin="note")
        self.curator.post(f"/notes/{note.pk}/edit/", {"text": "Une note corrigée"})
        notes = self.assert_rendered(api).json()["commentary"]
        self.assertIn("Une note corrigée", [n["text"] for n in notes])
        self.assertContains(self.assert_rendered(url), "Une note corrigée")
        self.curator.post(f"/notes/{note.pk}/delete/")
        self.assertNotContains(self.assert_rendered(url), "Une note corrigée")

    def test_hashtag_edits_show_at_once(self):
        url = self.article.get_absolute_url()
        self.assert_rendered(url)
        self.assert_rendered("/tags/")
        response = self.curator.post(
            f"/articles/{self.article.pk}/hashtags/", {"hashtags": "#Chine #Routes_de_la_soie"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertContains(self.assert_rendered(url), 'href="/tags/routes_de_la_soie/"')
        self.assertContains(self.assert_rendered("/tags/"), "Routes_de_la_soie")
        self.assertContains(self.assert_rendered("/tags/routes_de_la_soie/"), "Le monde selon")

    def test_a_rename_shows_at_once(self):
        self.assert_rendered("/tags/hambantota/")
        self.assert_rendered("/")
        self.assert_rendered(self.article.get_absolute_url())
        self.curator.post("/tags/hambantota/rename/", {"name": "Port_de_Hambantota"})
        self.assertEqual(self.client.get("/tags/hambantota/").status_code, 404)
        self.assertContains(self.assert_rendered("/tags/port_de_hambantota/"), "Port_de_Hambantota")
        self.assertContains(
            self.assert_rendered(self.article.get_absolute_url()), "#Port_de_Hambantota"
        )

    def test_an_import_shows_at_once(self):
        self.assert_rendered("/")
        self.assert_rendered("/api/articles/")
        self.assert_rendered("/feed/")
        with tempfile.TemporaryDirectory() as folder:
            dump = Path(folder) / "new.txt"
            dump.write_text(
                "Un article tout juste importé\n\nSon texte, avec #Nouveauté_importée.\n",
                encoding="utf-8",
            )
            run_import(dump)
        self.assertContains(self.assert_rendered("/"), "Un article tout juste importé")
        newest = self.assert_rendered("/api/articles/").json()["results"][0]
        self.assertEqual(newest["title"], "Un article tout juste importé")
        self.assertContains(self.assert_rendered("/feed/"), "Un article tout juste importé")

    def test_a_deleted_article_disappears_at_once(self):
        url = self.article.get_absolute_url()
        self.assert_rendered(url)
        self.assertContains(self.assert_rendered("/tags/"), "Hambantota")
        self.assertContains(self.assert_rendered("/sitemap.xml"), url)
        admin = Client()
        admin.force_login(self.charlie)
        deleted = admin.post(f"/admin/archive/article/{self.article.pk}/delete/", {"post": "yes"})
        self.assertEqual(deleted.status_code, 302)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertNotContains(self.assert_rendered("/sitemap.xml"), url)
        # Deleting a hashtag in the admin.
        self.assert_rendered("/tags/")
        self.assert_cached("/tags/")
        tag = Hashtag.objects.get(key="hambantota")
        deleted = admin.post(f"/admin/archive/hashtag/{tag.pk}/delete/", {"post": "yes"})
        self.assertEqual(deleted.status_code, 302)
        self.assertNotContains(self.assert_rendered("/tags/"), ">#Hambantota<")

    def test_the_admin_bulk_delete_refreshes_pages_and_counts(self):
        tag = Hashtag.objects.get(key="chine")
        on_tag = list(Article.objects.filter(hashtags=tag).values_list("pk", flat=True))
        self.assertGreater(len(on_tag), 1)
        gone = Article.objects.get(pk=on_tag[0]).get_absolute_url()
        self.assertContains(self.assert_rendered(tag.get_absolute_url()), gone)
        self.assert_cached(tag.get_absolute_url())
        admin = Client()
        admin.force_login(self.charlie)
        deleted = admin.post(
            "/admin/archive/article/",
            {"action": "delete_selected", "_selected_action": on_tag[:1], "post": "yes"},
        )
        self.assertEqual(deleted.status_code, 302)
        tag.refresh_from_db()
        self.assertEqual(tag.usage_count, len(on_tag) - 1)
        self.assertNotContains(self.assert_rendered(tag.get_absolute_url()), gone)

    def test_any_write_path_bumps_the_revision(self):
        before = current_revision()
        create_note(self.article, self.alice, "Une note")
        self.assertGreater(current_revision(), before)

    def test_feeds_answer_if_none_match(self):
        first = self.assert_rendered("/feed/")
        etag = first["ETag"]
        again = self.client.get("/feed/", HTTP_IF_NONE_MATCH=etag)
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again["Content-Security-Policy"], settings.CONTENT_SECURITY_POLICY)
        # An HTML page carries the visitor's CSRF token: no ETag, always the whole page.
        self.assert_rendered("/")
        self.assertNotIn("ETag", self.assert_cached("/"))

    @override_settings(ARCHIVE_PAGE_CACHE_SECONDS=0)
    def test_the_cache_can_be_turned_off(self):
        self.assert_rendered("/")
        self.assert_rendered("/")


def in_own_transaction(work):
    """Run `work` in a thread, on a connection of its own: its commits are real ones."""
    result: list = []

    def run():
        try:
            result.append(work())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return result[0]


@unittest.skipUnless(connection.vendor == "postgresql", "SQLite lets one writer in at a time")
class ConcurrentWritersTests(TestCase):
    """On PostgreSQL, bumping the revision never makes a writer wait for another.

    The writers run in threads, each in a real transaction on a connection of its own; the test
    deletes the hashtag they share afterwards (the revision only ever goes up).
    """

    def test_no_deadlock_with_an_import_holding_its_lock(self):
        """An import holds the import lock and the revision, then needs a hashtag row that a
        curator's transaction holds while it bumps the revision: both must commit."""
        tag = in_own_transaction(lambda: Hashtag.objects.create(name="partagé_entre_deux"))
        self.addCleanup(in_own_transaction, Hashtag.objects.filter(pk=tag.pk).delete)
        before = current_revision()
        import_holds_revision, curator_holds_tag = threading.Event(), threading.Event()
        errors: list[BaseException] = []

        def import_like():
            try:
                with transaction.atomic():
                    lock_imports()
                    ArchiveRevision.bump()
                    import_holds_revision.set()
                    curator_holds_tag.wait(10)
                    Hashtag.objects.filter(pk=tag.pk).update(usage_count=7)  # waits for it
            except BaseException as error:  # reported by the test
                errors.append(error)
            finally:
                import_holds_revision.set()
                connection.close()

        def curator_like():
            try:
                import_holds_revision.wait(10)
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '5s'")
                    Hashtag.objects.filter(pk=tag.pk).update(usage_count=3)
                    curator_holds_tag.set()
                    ArchiveRevision.bump()  # the import holds a revision row: must not wait for it
            except BaseException as error:  # reported by the test
                errors.append(error)
            finally:
                curator_holds_tag.set()
                connection.close()

        threads = [threading.Thread(target=import_like), threading.Thread(target=curator_like)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(current_revision(), before + 2)
        tag.refresh_from_db()
        self.assertEqual(tag.usage_count, 7)  # the import went on once the curator committed
