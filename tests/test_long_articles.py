"""A very long article: its page comes in parts (notes anchored in a later part still listed,
and linked there), and a search that finds it never reads its whole text. Imported with the real
import_dump command; the same on both databases. (Memory and speed with a 30 MB paragraph are
measured by bench/long_article.py.)"""

from __future__ import annotations

import random
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Commentary
from archive.models import Article, ArticleHead
from archive.parts import PART_CHARS
from tests.base import SEENTHIS_DUMP, BaseTestCase, run_import, temporary_folder

WORDS = "surveillance données contrôle réseau travail citoyen liberté caméra état".split()
PASSAGE = "un passage unique au milieu du texte"


def long_text(chars: int, seed: int = 1) -> str:
    """About `chars` characters of words, PASSAGE in the middle, "fin du texte" at the end."""
    rng = random.Random(seed)
    words = [rng.choice(WORDS) for _ in range(chars // 8)]
    middle = len(words) // 2
    return " ".join([*words[:middle], PASSAGE, *words[middle:], "fin du texte"])


TEXT = "panoptikon " + long_text(12 * PART_CHARS)


class LongArticleTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def setUp(self):
        super().setUp()
        self.dump = temporary_folder(self) / "long.txt"
        self.dump.write_text(
            "• Un article très long\n    https://example.org/very-long\n"
            f"    {TEXT}\n\n    Un second paragraphe, court.\n\n    • Une réponse\n",
            encoding="utf-8",
        )
        run_import(self.dump)
        self.article = Article.objects.get(url="https://example.org/very-long")
        self.url = self.article.get_absolute_url()

    def page(self, query: str = "") -> str:
        response = self.client.get(self.url + query)
        self.assertEqual(response.status_code, 200, query)
        return response.content.decode()

    def test_the_page_comes_in_parts(self):
        first = self.page()
        found = re.search(r"Part 1 of (\d+)", first)
        self.assertIsNotNone(found, "no parts")
        parts = int(found.group(1))
        self.assertGreaterEqual(parts, 12)
        self.assertLess(len(first), 3 * PART_CHARS)
        self.assertIn('href="?part=2" rel="next"', first)
        self.assertIn("panoptikon", first)
        self.assertNotIn("fin du texte", first)
        last = self.page(f"?part={parts}")
        self.assertIn("fin du texte", last)
        self.assertIn("Un second paragraphe, court.", last)
        self.assertIn(f'href="?part={parts - 1}" rel="prev"', last)
        self.assertNotIn('rel="next"', last)
        # The passage in the middle is on one part only, whole.
        holding = [n for n in range(1, parts + 1) if PASSAGE in self.page(f"?part={n}")]
        self.assertEqual(len(holding), 1)
        for missing in ["?part=0", f"?part={parts + 1}", "?part=x"]:
            self.assertEqual(self.client.get(self.url + missing).status_code, 404, missing)

    def test_a_note_anchored_in_a_later_part(self):
        number = next(n for n in range(2, 100) if PASSAGE in self.page(f"?part={n}"))
        self.client.force_login(self.alice)
        start = self.article.text.index(PASSAGE)
        self.client.post(
            f"/articles/{self.article.pk}/notes/new/",
            {"text": "Une note sur ce passage", "quote": PASSAGE, "quote_start": str(start)},
        )
        note = Commentary.objects.get(origin="note")
        self.assertEqual(note.quote_start, start)
        self.client.logout()
        first = self.page()
        # Listed on the first part, linked to the part that shows its passage…
        self.assertIn("Une note sur ce passage", first)
        self.assertTrue(f'href="?part={number}#passage-{note.pk}"' in first, number)
        # …which marks the passage.
        self.assertIn(
            f'<mark class="anchored" data-note="{note.pk}" id="passage-{note.pk}">',
            self.page(f"?part={number}"),
        )

    def test_search_reads_a_long_article_only_from_its_head(self):
        self.assertTrue(ArticleHead.objects.filter(article=self.article).exists())
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get("/api/search/", {"q": "panoptikon"})
        [hit] = response.json()["results"]
        self.assertEqual(hit["id"], self.article.pk)
        self.assertIn("<mark>panoptikon</mark>", hit["snippet"])
        self.assertLess(len(hit["snippet"]), 600)
        read_text = [q["sql"] for q in queries if '"archive_article"."paragraphs"' in q["sql"]]
        self.assertEqual(read_text, [])
        page = self.client.get("/search/", {"q": "panoptikon"}).content.decode()
        self.assertIn("<mark>panoptikon</mark>", page)
        # Highlighted on the article's page, in the part it shows.
        self.assertIn('<mark id="match">panoptikon</mark>', self.page("?q=panoptikon"))

    def test_the_head_follows_the_text(self):
        """Imported again with a short text, the article has no head; long again, it has."""
        self.dump.write_text(
            "• Un article très long\n    https://example.org/very-long\n    panoptikon court.\n",
            encoding="utf-8",
        )
        run_import(self.dump)
        self.assertFalse(ArticleHead.objects.filter(article=self.article).exists())
        [hit] = self.client.get("/api/search/", {"q": "panoptikon"}).json()["results"]
        self.assertEqual(hit["snippet"], "<mark>panoptikon</mark> court.")
        self.assertNotIn("Part 1 of", self.page())
