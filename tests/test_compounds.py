"""German compounds, and "e-mail"/"email", are found from their parts and the other way round,
through the real import command and the search service, on whichever database the suite runs on.
"""

from __future__ import annotations

from archive.search.service import search
from tests.base import SEENTHIS_DUMP, BaseTestCase, run_import
from tests.test_hostile_input import import_json

TEXTS = {
    "gesetz": "Das neue Datenschutzgesetz gilt ab Mai.",
    "schutz": "Datenschutz ist ein Grundrecht.",
    "dsgvo": "Die Datenschutzgrundverordnung der Europäischen Union.",
    "hyphen": "Eine Datenschutz-Organisation klagt gegen Meta.",
    "joined": "Die Datenschutzorganisation noyb hat Beschwerde eingelegt.",
    "e-mail": "Please send us an e-mail about it.",
    "email": "Our email address changed last week.",
    "another": "Please send us another letter.",
    "an other": "The lake had an other-worldly glow.",
}


class CompoundTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        run_import(SEENTHIS_DUMP)  # a real archive around them

    def setUp(self):
        super().setUp()
        import_json(
            self,
            [
                {
                    "title": f"Artikel {name}",
                    "url": f"https://example.org/{name}",
                    "paragraphs": [{"text": text, "lang": "de"}],
                }
                for name, text in TEXTS.items()
            ],
        )

    def found(self, raw: str, **options) -> list[str]:
        names = {f"Artikel {name}": name for name in TEXTS}
        hits = search(raw, page_size=100, **options).hits
        return [names[h.article.title] for h in hits if h.article.title in names]

    def test_a_leading_part_finds_its_compounds(self):
        self.assertEqual(
            set(self.found("Datenschutz")), {"gesetz", "schutz", "dsgvo", "hyphen", "joined"}
        )
        self.assertEqual(set(self.found("Datenschutz", exact=True)), {"schutz", "hyphen"})

    def test_a_trailing_part_finds_its_compounds(self):
        self.assertEqual(self.found("Grundverordnung"), ["dsgvo"])
        self.assertEqual(self.found("Grundverordnung", exact=True), [])

    def test_parts_written_apart_find_the_compound(self):
        self.assertEqual(self.found("Gesetz Datenschutz")[0], "gesetz")  # "gesetz" is a part too
        # "Daten" is too short to be a part of its own: the two words are joined instead.
        self.assertEqual(self.found("Daten Schutz", exact=True), [])
        self.assertIn("schutz", self.found("Daten Schutz"))
        self.assertEqual(search("Daten Schutz").also_searched, ["datenschutz"])
        page = self.client.get("/search/", {"q": "Daten Schutz"})
        self.assertContains(page, "Also showing results for <strong>datenschutz</strong>")

    def test_hyphenated_joined_and_apart_find_each_other(self):
        for raw in ("Datenschutz-Organisation", "Datenschutzorganisation"):
            self.assertEqual(set(self.found(raw)), {"hyphen", "joined"}, raw)
        exact_first = self.found("Datenschutzorganisation")
        self.assertEqual(exact_first[0], "joined")  # the exact match before the other reading

    def test_a_word_is_not_its_phrase_after_a_word_of_two_letters(self):
        # "another" is held, and "other" too: "an other" would be a split after two letters,
        # which only a word the archive does not hold gets (a typo, a compound written as one).
        self.assertEqual(self.found("another"), ["another"])
        self.assertEqual(self.found("other"), ["an other"])

    def test_e_mail_and_email_find_each_other(self):
        for raw in ("e-mail", "email"):
            self.assertEqual(set(self.found(raw)), {"e-mail", "email"}, raw)
        self.assertEqual(set(self.found("email", exact=True)), {"email"})

    def test_short_parts_are_not_expanded(self):
        self.assertEqual(self.found("Daten", exact=True), [])
        self.assertEqual(self.found("Daten"), [])  # five letters: its compounds are countless
        self.assertEqual(set(self.found("Schutz")), {"schutz", "hyphen"})  # six: a part
