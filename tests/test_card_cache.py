"""Article cards kept as HTML (archive/cards.py): the same pages, never a stale card."""

from __future__ import annotations

import re
import subprocess
import sys

from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from archive.hashtags import set_article_hashtags
from archive.models import Article
from tests.base import PROJECT, SEENTHIS_DUMP, BaseTestCase, subprocess_env

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"')
FR = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
TAG_URL = "/tags/cr%C3%A9dit_social/"


# Readers' pages rendered every time, as a curator's are: the cards are what is kept.
@override_settings(ARCHIVE_PAGE_CACHE_SECONDS=0)
class CardCacheTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def setUp(self):
        super().setUp()
        self.curator = Client()
        self.curator.force_login(self.alice)
        self.article = Article.objects.get(title__startswith="Le système de crédit social")

    def get(self, url: str, client: Client | None = None, **headers) -> tuple[str, list[str]]:
        """The page (CSRF tokens masked) and the SQL it ran."""
        with CaptureQueriesContext(connection) as queries:
            response = (client or self.client).get(url, **headers)
        self.assertEqual(response.status_code, 200, url)
        body = TOKEN.sub("TOKEN", response.content.decode())
        return body, [q["sql"] for q in queries.captured_queries]

    def card(self, url: str, article: Article, client: Client | None = None, **headers) -> str:
        body, _ = self.get(url, client, **headers)
        start = body.index(f'<article class="card">\n  <h2><a href="{article.get_absolute_url()}"')
        return body[start : body.index("</article>", start)]

    @override_settings(ARCHIVE_PAGE_SIZE=10)
    def test_pages_are_the_same_with_cards_kept_or_not(self):
        for url in ["/", "/?page=2", TAG_URL, "/tags/surveillance/"]:
            for client in (self.client, self.curator):
                for headers in (EN, FR):
                    with self.subTest(url=url, headers=headers, curator=client is self.curator):
                        with self.settings(ARCHIVE_CARD_CACHE_SECONDS=0):
                            rendered, _ = self.get(url, client, **headers)
                        cold, _ = self.get(url, client, **headers)
                        warm, _ = self.get(url, client, **headers)
                        self.assertGreater(rendered.count('<article class="card">'), 0)
                        self.assertEqual(cold, rendered)
                        self.assertEqual(warm, rendered)

    def test_kept_cards_cost_no_queries_and_are_shared_with_curators(self):
        for url in ["/", TAG_URL]:
            with self.subTest(url=url):
                caches["cards"].clear()  # the home page's cards are the tag page's too
                with self.settings(ARCHIVE_CARD_CACHE_SECONDS=0):
                    self.get(url)  # related hashtags are kept apart (Django's cache)
                _, cold = self.get(url)
                _, warm = self.get(url)
                _, curator = self.get(url, self.curator)
                # The articles, their hashtags and their commentary counts are not read again;
                # nor, on a tag page, its ids and commentary.
                self.assertEqual(len(warm), len(cold) - (3 if url == "/" else 5))
                self.assertFalse([sql for sql in warm + curator if '"paragraphs"' in sql])

    def test_a_new_note_shows_in_the_cards_at_once(self):
        for client in (self.client, self.curator):
            self.assertIn("commentary (1)<", self.card("/", self.article, client))
            self.assertIn("commentary (1)<", self.card(TAG_URL, self.article, client))
        response = self.curator.post(
            f"/articles/{self.article.pk}/notes/new/", {"text": "Une note toute fraîche"}
        )
        self.assertEqual(response.status_code, 302)
        for client in (self.client, self.curator):
            self.assertIn("commentary (2)<", self.card("/", self.article, client))
            self.assertIn("commentary (2)<", self.card(TAG_URL, self.article, client))

    def test_a_rename_shows_in_the_cards_at_once(self):
        old = 'href="/tags/chine/">#Chine</a>'
        new = 'href="/tags/chine_populaire/">#Chine_populaire</a>'
        self.assertIn(old, self.card("/", self.article))
        self.assertIn(old, self.card(TAG_URL, self.article, self.curator))
        response = self.curator.post("/tags/chine/rename/", {"name": "Chine_populaire"})
        self.assertEqual(response.status_code, 302)
        for client in (self.client, self.curator):
            for url in ["/", TAG_URL]:
                card = self.card(url, self.article, client)
                self.assertIn(new, card)
                self.assertNotIn(old, card)

    def test_a_tag_page_shows_a_newly_tagged_article_and_note_at_once(self):
        other = Article.objects.exclude(hashtags__key="crédit_social").order_by("pk").first()
        for client in (self.client, self.curator):
            body, _ = self.get(TAG_URL, client)
            self.assertNotIn(f'<h2><a href="{other.get_absolute_url()}"', body)
            self.assertNotIn("Note du jour sur le crédit", body)
        set_article_hashtags(other, [t.name for t in other.hashtags.all()] + ["crédit_social"])
        response = self.curator.post(
            f"/articles/{self.article.pk}/notes/new/",
            {"text": "Note du jour sur le crédit #crédit_social"},
        )
        self.assertEqual(response.status_code, 302)
        for client in (self.client, self.curator):
            body, _ = self.get(TAG_URL, client)
            self.assertIn(f'<h2><a href="{other.get_absolute_url()}"', body)
            self.assertIn("Note du jour sur le crédit", body)

    def test_french_and_english_cards_are_not_mixed(self):
        for _ in range(2):  # rendered, then kept
            english = self.card("/", self.article, **EN)
            french = self.card("/", self.article, **FR)
            self.assertIn("commentary (1)<", english)
            self.assertNotIn("commentaire", english)
            self.assertIn("1 commentaire<", french)

    def test_search_results_keep_their_own_cards(self):
        self.get("/")
        body, _ = self.get("/search/?q=hambantota")
        other = Article.objects.get(title__startswith="Le monde selon")
        self.assertIn(f'href="{other.get_absolute_url()}?q=hambantota#match"', body)
        self.assertIn('<p class="snippet">', body)
        self.assertIn("<mark>", body)


def settings_in_a_fresh_process(env: dict) -> subprocess.CompletedProcess:
    code = "from archive import settings; print(settings.CACHES['cards']['OPTIONS']['MAX_ENTRIES'])"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env=subprocess_env({"DEBUG": "1", **env}),
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_number_of_cards_kept_comes_from_the_environment():
    kept = settings_in_a_fresh_process({"ARCHIVE_CARD_CACHE_ENTRIES": "123"})
    assert kept.stdout.strip() == "123", kept.stderr
    refused = settings_in_a_fresh_process({"ARCHIVE_CARD_CACHE_ENTRIES": "0"})
    assert refused.returncode != 0
    assert "ARCHIVE_CARD_CACHE_ENTRIES 1 or more" in refused.stderr
