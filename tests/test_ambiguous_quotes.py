"""A passage quoted more than once: the write API and the note form ask which one is meant.

The API takes `quote_start` (the occurrence nearest to it) and `quote_prefix` / `quote_suffix`
(the text just before or after it), as the note form does; an ambiguous quote is refused with
400 and its occurrences, never anchored silently to the first. The form offers the occurrences
to choose from. Through the real import command, views and API, on either database.
"""

from __future__ import annotations

import json

from annotations.models import Commentary
from archive.models import Article
from tests.base import BaseTestCase, run_import, temporary_folder

TITLE = "Two speeches on security"
TEXT = (
    "The prefect spoke first and said that security comes first, whatever it costs.\n\n"
    "The mayor answered that security comes first too, but not at any price."
)
QUOTE = "security comes first"


class AmbiguousQuoteTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        folder = temporary_folder(self)
        path = folder / "speeches.txt"
        body = "".join(f"    {p}\n\n" for p in TEXT.split("\n\n"))
        path.write_text(f"• {TITLE}\n    https://example.org/speeches\n\n{body}", encoding="utf-8")
        run_import(path)
        self.article = Article.objects.get(title=TITLE)
        self.assertEqual(self.article.text, TEXT)
        self.first, self.second = TEXT.index(QUOTE), TEXT.rindex(QUOTE)
        self.client.force_login(self.alice)

    def post(self, data: dict):
        return self.client.post(
            f"/api/articles/{self.article.pk}/commentary/",
            json.dumps(data),
            content_type="application/json",
        )

    def patch(self, pk: int, data: dict):
        return self.client.patch(
            f"/api/commentary/{pk}/", json.dumps(data), content_type="application/json"
        )

    def test_the_api_refuses_an_ambiguous_quote_and_lists_its_occurrences(self):
        response = self.post({"text": "Which one?", "quote": QUOTE})
        self.assertEqual(response.status_code, 400)
        data = response.json()
        self.assertEqual(data["code"], "ambiguous_quote")
        self.assertIn("appears 2 times", data["detail"])
        self.assertIn("quote_start", data["detail"])
        self.assertIn("quote_prefix", data["detail"])
        self.assertEqual([o["quote_start"] for o in data["occurrences"]], [self.first, self.second])
        self.assertTrue(data["occurrences"][1]["quote_prefix"].endswith("answered that "))
        self.assertEqual(data["occurrences"][0]["quote_suffix"][:18], ", whatever it cost")
        self.assertFalse(Commentary.objects.filter(origin="note").exists())

    def test_the_api_takes_a_position_or_the_surroundings(self):
        for data, start in [
            ({"quote_start": self.second}, self.second),
            ({"quote_start": self.second - 4}, self.second),  # nearest
            ({"quote_start": self.first}, self.first),
            ({"quote_prefix": "The mayor answered that"}, self.second),
            ({"quote_suffix": ", whatever"}, self.first),
            ({"quote_prefix": "answered that ", "quote_suffix": " too"}, self.second),
        ]:
            with self.subTest(data=data):
                response = self.post({"text": "This one", "quote": QUOTE, **data})
                self.assertEqual(response.status_code, 201, response.content)
                self.assertEqual(response.json()["quote_start"], start)
                note = Commentary.objects.get(pk=response.json()["id"])
                self.assertEqual(note.quote_start, start)
                self.assertEqual(TEXT[start : start + len(QUOTE)], note.quote_exact)
        page = self.client.get(self.article.get_absolute_url()).content.decode()
        self.assertEqual(page.count('<mark class="anchored"'), 2)  # both occurrences

    def test_the_api_refuses_positions_and_surroundings_that_say_nothing(self):
        for data, message in [
            ({"quote_start": -1}, "whole number"),
            ({"quote_start": "12"}, "whole number"),
            ({"quote_start": True}, "whole number"),
            ({"quote_start": len(TEXT) + 1}, f"between 0 and {len(TEXT)}"),
            ({"quote_prefix": 5}, "must be a string"),
            ({"quote_prefix": "Nobody said that"}, "not next to"),
        ]:
            with self.subTest(data=data):
                response = self.post({"text": "x", "quote": QUOTE, **data})
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.json()["detail"])
        self.assertFalse(Commentary.objects.filter(origin="note").exists())
        # A quote found once needs nothing more.
        response = self.post({"text": "x", "quote": "not at any price"})
        self.assertEqual(response.status_code, 201)

    def test_patch_moves_an_anchor_to_another_occurrence(self):
        note_id = self.post({"text": "x", "quote": QUOTE, "quote_start": 0}).json()["id"]
        self.assertEqual(Commentary.objects.get(pk=note_id).quote_start, self.first)
        response = self.patch(note_id, {"quote_start": self.second})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Commentary.objects.get(pk=note_id).quote_start, self.second)
        response = self.patch(note_id, {"quote": "security"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["code"], "ambiguous_quote")
        self.assertEqual(Commentary.objects.get(pk=note_id).quote_start, self.second)
        response = self.patch(note_id, {"text": "only the text"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Commentary.objects.get(pk=note_id).quote_start, self.second)

    def test_the_form_offers_the_occurrences_and_takes_the_one_chosen(self):
        url = f"/articles/{self.article.pk}/notes/new/"
        response = self.client.post(url, {"text": "Which one?", "quote": QUOTE})
        self.assertEqual(response.status_code, 400)
        page = response.content.decode()
        self.assertIn("The passage appears 2 times in the article", page)
        self.assertIn(f'name="quote_start" value="{self.first}"', page)
        self.assertIn(f'name="quote_start" value="{self.second}"', page)
        self.assertIn(f"<mark>{QUOTE}</mark>, but not at any", page.replace(" too", ""))
        self.assertFalse(Commentary.objects.filter(origin="note").exists())
        response = self.client.post(
            url, {"text": "The mayor's", "quote": QUOTE, "quote_start": str(self.second)}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Commentary.objects.get(text="The mayor's").quote_start, self.second)

    def test_the_form_takes_the_position_of_a_selection_and_refuses_a_wrong_one(self):
        url = f"/articles/{self.article.pk}/notes/new/"
        response = self.client.post(
            url, {"text": "Selected", "quote": QUOTE, "quote_start": str(self.second)}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Commentary.objects.get(text="Selected").quote_start, self.second)
        response = self.client.post(url, {"text": "x", "quote": QUOTE, "quote_start": "-3"})
        self.assertContains(response, "between 0 and", status_code=400)

    def test_editing_a_note_to_an_ambiguous_quote_asks_which_one(self):
        note_id = self.post({"text": "x", "quote": "not at any price"}).json()["id"]
        url = f"/notes/{note_id}/edit/"
        response = self.client.post(url, {"text": "x", "quote": QUOTE})
        self.assertContains(response, f'value="{self.second}"', status_code=400)
        self.assertEqual(Commentary.objects.get(pk=note_id).quote_exact, "not at any price")
        response = self.client.post(
            url, {"text": "x", "quote": QUOTE, "quote_start": str(self.second)}
        )
        self.assertEqual(response.status_code, 302)
        note = Commentary.objects.get(pk=note_id)
        self.assertEqual((note.quote_exact, note.quote_start), (QUOTE, self.second))
