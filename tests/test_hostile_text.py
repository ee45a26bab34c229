"""Text from dumps and commentary is never trusted: every page type shows it escaped."""

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from annotations.notes import create_note
from archive.models import Article, Hashtag
from tests.base import PROJECT, BaseTestCase

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = PROJECT / "tests" / "data" / "hostile_text.txt"


class ActiveContentFinder(HTMLParser):
    """Collects markup the hostile dump tries to inject (every payload calls alert)."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") and "alert" in (value or ""):
                self.problems.append(f"<{tag} {name}={value}>")
            if (
                name in {"href", "src", "action", "formaction"}
                and value
                and value.strip().lower().startswith(("javascript:", "vbscript:"))
            ):
                self.problems.append(f"<{tag} {name}={value}>")
            if name == "src" and value in {"x", "//evil"}:
                self.problems.append(f"<{tag} src={value}>")
        self.in_script = tag == "script"

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script and "alert" in data:
            self.problems.append("injected <script>")


def active_content(html: str) -> list[str]:
    finder = ActiveContentFinder()
    finder.feed(html)
    return finder.problems


class HostileTextTests(BaseTestCase):
    dumps = (HOSTILE,)

    def setUp(self):
        self.article = Article.objects.get()
        create_note(
            self.article,
            self.alice,
            '<script>alert("note")</script> #note<b>',
            quote="<script>alert(3)</script>",
        )

    def assert_safe(self, url: str, **params):
        response = self.client.get(url, params, follow=True)
        self.assertEqual(response.status_code, 200, url)
        body = response.content.decode()
        self.assertEqual(active_content(body), [], url)
        return body

    def test_every_page_type_escapes(self):
        self.client.force_login(self.charlie)  # sees curator controls and the admin too
        tag = Hashtag.objects.get(key="surveillance")
        pages = [
            "/",
            self.article.get_absolute_url(),
            "/tags/",
            tag.get_absolute_url(),
            "/admin/archive/article/",
            f"/admin/archive/article/{self.article.pk}/change/",
            "/admin/annotations/commentary/",
            "/admin/archive/hashtag/",
        ]
        for url in pages:
            self.assert_safe(url)
        for query in ["alert", "script", "<script>alert(1)</script>", '"><img src=x>']:
            body = self.assert_safe("/search/", q=query)
            self.assertNotIn("<script>alert", body)
        body = self.assert_safe(self.article.get_absolute_url(), q="alert script")
        self.assertIn("&lt;", body)

    def test_links_only_for_http_and_https(self):
        body = self.assert_safe(self.article.get_absolute_url())
        self.assertNotIn('href="javascript', body)
        self.assertIn('href="https://example.org/ok?a=1&amp;b="', body)  # a URL stops at "<"
        self.assertIn("&lt;svg/onload=alert(6)&gt;", body)

    def test_hashtags_stop_at_markup(self):
        keys = set(Hashtag.objects.values_list("key", flat=True))
        self.assertTrue({"tag", "surveillance", "ok", "réponse", "note"} <= keys)
        self.assertFalse(any("<" in k or '"' in k for k in keys))

    def test_json_and_feeds_escape(self):
        data = self.client.get(f"/api/articles/{self.article.pk}/").json()
        self.assertIn("<script>", data["title"])  # JSON carries the text as data…
        raw = self.client.get(f"/api/articles/{self.article.pk}/").content.decode()
        self.assertEqual(json.loads(raw)["title"], data["title"])
        self.assertEqual(
            self.client.get(f"/api/articles/{self.article.pk}/")["Content-Type"], "application/json"
        )  # …never as HTML
        search = self.client.get("/api/search/", {"q": "alert"}).json()
        self.assertNotIn("<script>", search["results"][0]["snippet"])
        for url in ["/feed/", "/tags/surveillance/feed/", "/search/feed/?q=alert"]:
            feed = self.client.get(url).content.decode()
            self.assertNotIn("<script>", feed, url)
            # As a feed reader reads it: the markup is the text of a type="text" summary.
            [entry] = ET.fromstring(feed).findall(f"{ATOM}entry")
            self.assertIn('<script>alert("title")</script>', entry.find(f"{ATOM}title").text)
            summary = entry.find(f"{ATOM}summary")
            self.assertEqual(summary.get("type"), "text", url)
            self.assertIn("Texte avec <script>alert(3)</script>", summary.text, url)
