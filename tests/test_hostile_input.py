"""Hostile requests: control characters, NUL, lone surrogates and absurd nesting in what a visitor
sends end in a clear 400 (archive/middleware.py), never in a server error; feeds carry only what
XML can; links from a dump are links only when they are http(s). See docs/security.md."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from annotations.models import Commentary
from annotations.notes import create_note
from archive.models import Article
from tests.base import BaseTestCase, run_import, temporary_folder

ATOM = "{http://www.w3.org/2005/Atom}"
CONTROLS = ["%00", "%01", "%08", "%0B", "%0C", "%1B", "%1F"]
# What a title or a text may hold after an import (a JSON export carries any character but NUL).
ESCAPES = "\x1b[31m\x0b\x08"


def import_json(case, articles: list[dict]) -> None:
    path = temporary_folder(case) / "dump.json"
    path.write_text(json.dumps(articles), encoding="utf-8")
    run_import(path)


class Hrefs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [value for name, value in attrs if tag == "a" and name == "href"]


def hrefs(html: str) -> list[str]:
    parser = Hrefs()
    parser.feed(html)
    return parser.hrefs


class ControlCharacterRequestTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        import_json(
            self,
            [
                {
                    "title": "Un article",
                    "url": "https://example.org/a",
                    "paragraphs": [{"text": "Du texte sur la surveillance.", "lang": "fr"}],
                    "hashtags": ["surveillance"],
                }
            ],
        )
        self.article = Article.objects.get()

    def assert_refused(self, url: str) -> None:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 400, url)
        if url.startswith("/api/"):
            self.assertIn("control character", response.json()["detail"], url)
        else:
            self.assertTrue(response["Content-Type"].startswith("text/plain"), url)
            self.assertIn("control character", response.content.decode(), url)

    def test_control_characters_in_query_strings_are_refused(self):
        for char in CONTROLS:
            for url in [
                f"/search/feed/?q={char}",
                f"/search/feed/?q=surveillance{char}x",
                f"/search/?q={char}",
                f"/tags/?q={char}",
                f"/api/search/?q=x&lang={char}",
                f"/api/articles/?tag={char}",
                f"/?page={char}",
                f"/search/?{char}=x",
            ]:
                self.assert_refused(url)

    def test_control_characters_in_the_path_are_refused(self):
        for char in [*CONTROLS, "%09", "%0A", "%0D"]:
            for url in [f"/tags/{char}/", f"/tags/{char}/feed/", f"/api/{char}/"]:
                self.assert_refused(url)

    def test_control_characters_in_headers_and_cookies(self):
        # A quoted cookie's octal escape is a NUL once parsed: the cookie is ignored.
        self.client.cookies.load('sessionid="\\000aaaaaaaaaaaa"')
        self.assertEqual(self.client.get("/").status_code, 200)
        self.assertEqual(self.client.get("/api/articles/").json()["count"], 1)
        response = self.client.get("/api/articles/", HTTP_AUTHORIZATION="Token \x00abc")
        self.assertEqual(response.status_code, 400)
        self.assertIn("control character", response.json()["detail"])

    def test_tab_and_line_breaks_in_query_values_are_harmless(self):
        for url in ["/search/?q=la%09surveillance", "/search/feed/?q=la%0D%0Asurveillance"]:
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, url)
        self.assertEqual(self.client.get("/api/search/?q=la%0Asurveillance").json()["count"], 1)

    def test_notes_with_nul_or_lone_surrogates_are_refused(self):
        self.client.force_login(self.alice)
        create_url = f"/api/articles/{self.article.pk}/commentary/"
        note = create_note(self.article, self.alice, "Une note")
        for body in [
            json.dumps({"text": "a\x00b"}),
            json.dumps({"text": "a\ud800"}),  # '"a\\ud800"': valid JSON, not valid text
            json.dumps({"text": "ok", "quote": "\udfff"}),
            json.dumps({"text\x00": "ok"}),
        ]:
            for method, url in [("post", create_url), ("patch", f"/api/commentary/{note.pk}/")]:
                response = getattr(self.client, method)(url, body, content_type="application/json")
                self.assertEqual(response.status_code, 400, (method, body))
                self.assertIn("not allowed", response.json()["detail"])
        response = self.client.post(
            f"/articles/{self.article.pk}/notes/new/", {"text": "a\x00b", "quote": ""}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("control character", response.content.decode())
        response = self.client.post(f"/notes/{note.pk}/edit/", {"text": "a\x00b"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            list(Commentary.objects.filter(origin="note").values_list("text", flat=True)),
            ["Une note"],
        )

    def test_deeply_nested_json_is_refused(self):
        self.client.force_login(self.alice)
        url = f"/api/articles/{self.article.pk}/commentary/"
        for body in [
            "[" * 100_000 + "]" * 100_000,
            '{"text": "x", "quote": ' + "[" * 100_000 + "]" * 100_000 + "}",
            '{"text": "x", "a": ' + "[" * 40 + "]" * 40 + "}",
        ]:
            response = self.client.post(url, body, content_type="application/json")
            self.assertEqual(response.status_code, 400)
            self.assertIn("nested", response.json()["detail"])
        # The same body sent as text/plain reaches the same check (the API reads any body).
        response = self.client.post(url, "[" * 100_000, content_type="text/plain")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Commentary.objects.exists())


class FeedXmlTests(BaseTestCase):
    """Feeds hold only characters XML 1.0 can carry, and text comes out as text."""

    TITLE = f"Titre {ESCAPES}<script>alert(1)</script> & fin\ufffe"
    TEXT = f"<img src=x onerror=alert(2)> {ESCAPES}<b>gras</b> &amp; surveillance"

    def setUp(self):
        super().setUp()
        import_json(
            self,
            [
                {
                    "title": self.TITLE,
                    "url": "https://example.org/a",
                    "paragraphs": [{"text": self.TEXT, "lang": "fr"}],
                    "hashtags": ["surveillance", "b\x1bad"],
                }
            ],
        )

    def entries(self, url: str) -> list[ET.Element]:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        root = ET.fromstring(response.content)  # a real XML parser: well-formed or an error
        return root.findall(f"{ATOM}entry")

    def test_feeds_drop_what_xml_cannot_carry_and_send_text_as_text(self):
        for url in ["/feed/", "/tags/surveillance/feed/", "/search/feed/?q=surveillance"]:
            [entry] = self.entries(url)
            title = entry.find(f"{ATOM}title")
            self.assertIn(title.get("type"), (None, "text"), url)  # Atom's default is text
            self.assertEqual(title.text, "Titre [31m<script>alert(1)</script> & fin", url)
            summary = entry.find(f"{ATOM}summary")
            self.assertEqual(summary.get("type"), "text", url)
            self.assertEqual(
                summary.text, "<img src=x onerror=alert(2)> [31m<b>gras</b> &amp; surveillance"
            )
            terms = {c.get("term") for c in entry.findall(f"{ATOM}category")}
            self.assertIn("surveillance", terms)
            self.assertFalse(any("\x1b" in term for term in terms), url)


class ImportedLinkTests(BaseTestCase):
    """Only http(s) addresses are ever links, whatever the dump says."""

    def test_javascript_and_data_links_from_a_json_dump_are_text(self):
        hostile = [
            "javascript:alert(1)",
            " JavaScript:alert(2)",
            "data:text/html,<script>alert(3)</script>",
            "vbscript:msgbox(4)",
            "httpx:alert(5)",
            "//evil.example/6",
        ]
        import_json(
            self,
            [
                {
                    "title": "Liens",
                    "url": "javascript:alert(0)",
                    "paragraphs": [{"text": "Texte.", "lang": "fr"}],
                    "links": [*hostile, "https://example.org/ok", "HTTP://example.org/up"],
                },
                {
                    "title": "Données",
                    "url": "data:text/html,<script>alert(7)</script>",
                    "paragraphs": [{"text": "Texte.", "lang": "fr"}],
                },
            ],
        )
        article = Article.objects.get(title="Liens")
        body = self.client.get(article.get_absolute_url()).content.decode()
        external = [h for h in hrefs(body) if not h.startswith(("/", "#"))]
        self.assertEqual(external, ["https://example.org/ok", "HTTP://example.org/up"])
        self.assertIn("javascript:alert(1)", body)  # still shown, as text
        self.assertIn("data:text/html,&lt;script&gt;alert(3)&lt;/script&gt;", body)
        body = self.client.get(Article.objects.get(title="Données").get_absolute_url())
        self.assertNotIn("data:", " ".join(hrefs(body.content.decode())))
