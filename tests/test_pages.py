"""Reading pages, feeds and the read API, on the real dumps."""

import re
from html import unescape

from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from annotations.models import Commentary
from archive.changes import record_change
from archive.hashtags import refresh_hashtags, set_article_hashtags
from archive.models import Article, Hashtag
from tests.base import SEENTHIS_DUMP, BaseTestCase

TAGS_PAGE_SIZE = 50


def card_titles(body: str) -> list[str]:
    """The titles of a list page's article cards, in order, as a reader sees them."""
    return [unescape(title) for title in CARD_TITLE.findall(body)]


CARD_TITLE = re.compile(r'<article class="card">\s*<h2><a href="[^"]*">([^<]*)</a></h2>')


class ReadingPagesTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def article(self, start: str) -> Article:
        return Article.objects.get(title__startswith=start)

    def test_home_lists_newest_articles_and_top_hashtags(self):
        response = self.client.get("/")
        self.assertContains(response, "China blacklists millions")
        self.assertContains(response, 'href="/tags/cr%C3%A9dit_social/"', html=False)
        self.assertContains(response, "berliner-zeitung.de")
        self.assertContains(response, "commentary (1)")

    def test_article_page(self):
        article = self.article("Le monde selon")
        response = self.client.get(article.get_absolute_url())
        self.assertContains(response, '<p lang="fr">', html=False)
        # Inline hashtags link to their tag page, URLs become safe links.
        self.assertContains(response, 'href="/tags/chine/">#Chine</a>', html=False)
        self.assertContains(
            response,
            '<a href="https://www.arte.tv/fr/videos/078193-000-A/le-monde-selon-xi-jinping"',
            html=False,
        )

    def test_article_without_slug_redirects(self):
        article = self.article("Le monde selon")
        response = self.client.get(f"/articles/{article.pk}/")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response["Location"], article.get_absolute_url())

    def test_article_commentary_thread(self):
        article = self.article("Le système de crédit social chinois")
        response = self.client.get(article.get_absolute_url())
        self.assertContains(response, "Reply (imported)")
        self.assertContains(response, "Et pourtant")

    def test_search_highlight_on_article(self):
        article = self.article("Le monde selon")
        response = self.client.get(article.get_absolute_url(), {"q": "hambantota"})
        self.assertContains(
            response,
            '<mark id="match"><a class="hashtag" href="/tags/hambantota/">#Hambantota</a></mark>',
            html=False,
        )
        response = self.client.get(article.get_absolute_url(), {"q": "revanche imperiale"})
        self.assertContains(response, '<mark id="match">Impériale revanche</mark>', html=False)

    def test_phrase_highlight_marks_only_the_phrase(self):
        article = self.article("Le monde selon")
        response = self.client.get(article.get_absolute_url(), {"q": '"la superpuissance du XXIe"'})
        body = response.content.decode()
        self.assertIn('<mark id="match">la superpuissance du XXIe</mark>', body)
        self.assertEqual(body.count("<mark"), 1)  # "la" and "du" elsewhere stay plain

    def test_tag_page(self):
        response = self.client.get("/tags/crédit_social/")
        self.assertContains(response, "13 articles")
        self.assertContains(response, "#Crédit_social")
        self.assertContains(response, "Related hashtags")
        self.assertContains(response, "#Chine")
        self.assertContains(response, "/tags/cr%C3%A9dit_social/feed/")

    def test_rare_and_popular_hashtags_list_the_same_articles(self):
        from unittest import mock

        from archive import queries

        tag = Hashtag.objects.get(key="surveillance")
        rare = list(queries.articles_with_tag(tag).order_by("-created", "id"))
        with mock.patch.object(queries, "RARE_TAG_USES", 0):
            popular = list(queries.articles_with_tag(tag).order_by("-created", "id"))
        self.assertEqual(rare, popular)
        self.assertEqual(len(rare), tag.usage_count)

    def test_tag_page_lists_the_same_articles_either_way(self):
        from unittest import mock

        from archive import queries

        tag = Hashtag.objects.get(key="crédit_social")
        newest = list(
            queries.articles_with_tag(tag)
            .order_by("-created", "id")
            .values_list("title", flat=True)
        )
        for rare_uses in (queries.RARE_TAG_USES, 0):
            with (
                mock.patch.object(queries, "RARE_TAG_USES", rare_uses),
                self.settings(ARCHIVE_PAGE_SIZE=5, ARCHIVE_PAGE_CACHE_SECONDS=0),
            ):
                shown, listed = [], []
                for number in (1, 2, 3):
                    response = self.client.get("/tags/crédit_social/", {"page": number})
                    shown += card_titles(response.content.decode())
                    api = self.client.get(
                        "/api/articles/", {"tag": "crédit_social", "page": number}
                    ).json()
                    listed += [a["title"] for a in api["results"]]
                feed = self.client.get("/tags/crédit_social/feed/").content.decode()
            self.assertEqual(shown, newest)
            self.assertEqual(listed, newest)
            entries = [e.split("</title>")[0] for e in feed.split("<entry><title>")[1:]]
            self.assertEqual(entries, [escape(t) for t in newest])

    def test_tag_page_shows_the_newest_commentary_with_the_hashtag_either_way(self):
        from datetime import timedelta
        from unittest import mock

        from django.utils import timezone

        from annotations.models import Commentary
        from archive import queries

        tag = Hashtag.objects.get(key="crédit_social")
        article = self.article("China blacklists")
        start = timezone.now()
        for n in range(40):
            note = Commentary.objects.create(
                article=article,
                text=f"Note {n}",
                created=start + timedelta(minutes=(n * 7) % 40),
                updated=start,
            )
            if n % 3:
                note.hashtags.add(tag)
        expected = [
            f"Note {n}"
            for n in sorted((n for n in range(40) if n % 3), key=lambda n: ((n * 7) % 40, n))
        ][::-1][:20]
        for rare_uses in (queries.RARE_COMMENTARY_TAG_USES, 0):
            with (
                mock.patch.object(queries, "RARE_COMMENTARY_TAG_USES", rare_uses),
                self.settings(ARCHIVE_PAGE_CACHE_SECONDS=0, ARCHIVE_CARD_CACHE_SECONDS=0),
            ):
                response = self.client.get("/tags/crédit_social/")
            shown = re.findall(r'<p class="note-text">([^<]*)</p>', response.content.decode())
            self.assertEqual(shown, expected)

    def test_card_shows_twelve_hashtags_then_how_many_more(self):
        article = self.article("China blacklists")
        set_article_hashtags(article, [f"extra_{n:02d}" for n in range(14)])
        body = self.client.get("/tags/extra_00/").content.decode()
        card = body[body.index('<article class="card">') :]
        card = card[: card.index("</article>")]
        self.assertEqual(card.count('class="hashtag"'), 12)
        self.assertIn('href="/tags/extra_11/">#extra_11</a></li><li class="count">+2</li>', card)
        self.assertNotIn("extra_12", card)

    def test_remembered_addresses_are_those_of_reverse(self):
        from django.urls import reverse, set_script_prefix
        from django.utils.text import slugify

        from archive.links import reverse_cached

        tag = Hashtag.objects.get(key="crédit_social")
        article = self.article("Le monde selon")
        try:
            for prefix in ("/", "/archive/"):
                set_script_prefix(prefix)
                self.assertEqual(tag.get_absolute_url(), reverse("tag_detail", args=[tag.slug]))
                self.assertTrue(tag.get_absolute_url().startswith(f"{prefix}tags/cr%C3%A9dit"))
                self.assertEqual(
                    article.get_absolute_url(),
                    reverse(
                        "article_detail_slug",
                        args=[article.pk, slugify(article.title, allow_unicode=True)[:60]],
                    ),
                )
        finally:
            set_script_prefix("/")
        self.assertEqual(reverse_cached("article_detail", 7), "/articles/7/")

    def test_tag_page_finds_other_spellings(self):
        response = self.client.get("/tags/Crédit_Social/")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response["Location"], "/tags/cr%C3%A9dit_social/")

    def test_prefixed_hashtags(self):
        response = self.client.get("/tags/surveillance/")
        self.assertContains(response, "Longer hashtags")
        self.assertContains(response, "#surveillance_de_masse")

    def test_prefixed_hashtags_are_every_longer_hashtag(self):
        from archive.queries import prefixed_hashtags

        used = list(Hashtag.objects.filter(usage_count__gt=0))
        for tag in used:
            expected = sorted(
                (t for t in used if t.search_key.startswith(tag.search_key) and t.pk != tag.pk),
                key=lambda t: (-t.usage_count, t.key),
            )[:20]
            self.assertEqual(prefixed_hashtags(tag), expected, tag.key)

    def test_tag_list(self):
        response = self.client.get("/tags/")
        self.assertContains(response, "#Xi_Jinping")
        filtered = self.client.get("/tags/", {"q": "credit"})
        self.assertContains(filtered, "#Crédit_social")
        self.assertNotContains(filtered, 'data-key="xi_jinping"', html=False)

    def test_feeds(self):
        feed = self.client.get("/feed/")
        self.assertEqual(feed["Content-Type"], "application/atom+xml; charset=utf-8")
        self.assertContains(feed, "China blacklists millions")
        self.assertContains(self.client.get("/tags/microsoft/feed/"), "Workplace Analytics")
        self.assertContains(self.client.get("/search/feed/", {"q": "Hambantota"}), "Le monde selon")
        self.assertContains(self.client.get("/sitemap.xml"), "/tags/")

    def test_head_requests_answer_like_get_without_a_body(self):
        # Link checkers and feed readers ask HEAD first; a 405 made them drop the link.
        tag = Hashtag.objects.get(key="crédit_social")
        for path in ["/", "/tags/", tag.get_absolute_url(), "/feed/", "/api/articles/"]:
            with self.subTest(path=path):
                got = self.client.get(path)
                head = self.client.head(path)
                self.assertEqual(head.status_code, 200)
                self.assertEqual(head["Content-Type"], got["Content-Type"])
                self.assertEqual(head.content, b"")
        self.assertEqual(self.client.post("/").status_code, 405)

    def test_missing_pages(self):
        response = self.client.get("/articles/999999/")
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "Annotated archive", status_code=404)
        self.assertEqual(self.client.get("/tags/nope/").status_code, 404)
        self.assertEqual(self.client.get("/", {"page": "99"}).status_code, 404)
        self.assertEqual(self.client.get("/", {"page": "x"}).status_code, 404)

    def test_list_pages_run_a_constant_number_of_queries(self):
        def count(url: str) -> int:
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.client.get(url).status_code, 200)
            return len(queries)

        urls = ["/", "/tags/chine/", "/search/?q=china", "/api/articles/", "/feed/"]
        for url in urls:  # warm the caches (article count, related hashtags)
            count(url)
        before = {url: count(url) for url in urls}
        # Grow the archive: more articles, tags and commentary on the same pages.
        source = Article.objects.get(title__startswith="China blacklists")
        tags = list(source.hashtags.all())
        for n in range(15):
            clone = Article.objects.create(
                title=f"China copy {n}",
                paragraphs=source.paragraphs,
                external_key=f"copy-{n}",
                created=source.created,
                updated=source.updated,
            )
            clone.hashtags.add(*tags)
            Commentary.objects.create(
                article=clone, text="note", created=source.created, updated=source.updated
            )
        refresh_hashtags([t.pk for t in tags])
        record_change(Article.objects.values_list("pk", flat=True))
        cache.clear()
        for url in urls:
            count(url)
        after = {url: count(url) for url in urls}
        self.assertEqual(before, after)


class ReadApiTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def test_articles(self):
        data = self.client.get("/api/articles/").json()
        self.assertEqual(data["count"], 15)
        self.assertEqual(len(data["results"]), 15)
        first = data["results"][0]
        self.assertEqual(
            set(first), {"id", "title", "url", "language", "tags", "published", "created"}
        )

    def test_articles_by_tag_and_pages(self):
        with self.settings(ARCHIVE_PAGE_SIZE=5):
            data = self.client.get("/api/articles/", {"tag": "Crédit_social"}).json()
            self.assertEqual(data["count"], 13)
            self.assertEqual(len(data["results"]), 5)
            self.assertIn("page=2", data["next"])
            second = self.client.get(data["next"]).json()
            self.assertIn("page=1", second["previous"])
        self.assertEqual(self.client.get("/api/articles/", {"tag": "nope"}).json()["count"], 0)

    def test_one_article(self):
        article = Article.objects.get(title__startswith="Analyse du temps")
        data = self.client.get(f"/api/articles/{article.pk}/").json()
        self.assertEqual(data["title"], article.title)
        self.assertIn("\n\n", data["text"])
        self.assertEqual(data["commentary"][0]["origin"], "reply")
        self.assertEqual(
            set(data["commentary"][0]),
            {"id", "text", "author", "origin", "quote", "quote_start", "passage_lost", "created"},
        )
        self.assertEqual(self.client.get("/api/articles/999999/").status_code, 404)

    @override_settings(ARCHIVE_TAGS_PAGE_SIZE=TAGS_PAGE_SIZE)
    def test_tags(self):
        data = self.client.get("/api/tags/").json()
        top = data["results"][0]
        self.assertEqual(top, {"name": "Crédit_social", "slug": "crédit_social", "count": 13})
        in_use = Hashtag.objects.filter(usage_count__gt=0).count()
        self.assertGreater(in_use, TAGS_PAGE_SIZE)  # more than one page
        self.assertEqual(data["count"], in_use)
        self.assertEqual(len(data["results"]), TAGS_PAGE_SIZE)
        self.assertIsNone(data["previous"])
        names = [t["name"] for t in data["results"]]
        while data["next"]:
            data = self.client.get(data["next"]).json()
            names += [t["name"] for t in data["results"]]
        self.assertEqual(len(names), in_use)
        self.assertEqual(len(set(names)), in_use)
        self.assertEqual(self.client.get("/api/tags/?page=x").status_code, 404)
