"""Finding a quoted passage again in a text that changed (annotations/anchoring.py).

At least as good as Hypothesis's client: errors up to half the quote's length, every candidate
scored by the quote, its surroundings and (between passages otherwise alike) the position hint;
a passage that is gone is reported gone. Pure functions: no database.
"""

from __future__ import annotations

import unittest

from annotations.anchoring import (
    MAX_ERRORS,
    AmbiguousQuote,
    ContextNotFound,
    HintOutOfRange,
    QuoteNotFound,
    TextQuote,
    locate,
    make_quote,
    max_errors,
    quote_at,
)

TEXT = (
    "La ville a installé quarante caméras sur la place de la gare au printemps dernier.\n\n"
    "Le maire affirme qu'elles font baisser la délinquance, mais les chiffres publiés jusqu'ici "
    "ne montrent aucun effet sur les vols ni sur les agressions.\n\n"
    "Les images sont conservées trente jours avant d'être effacées, ce que la commission juge "
    "trop long pour des personnes qui n'ont rien fait.\n\n"
    "Une association de riverains demande que les enregistrements soient publiés chaque mois."
)
PASSAGE = "les chiffres publiés jusqu'ici ne montrent aucun effet sur les vols"


def anchor_of(text: str, passage: str, occurrence: int = 0) -> TextQuote:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(passage, start + 1)
    return quote_at(text, start, start + len(passage))


def changed(passage: str, every: int) -> str:
    """The passage with one letter in `every` replaced (spaces kept)."""
    letters = list(passage)
    for i in range(0, len(letters), every):
        if letters[i] != " ":
            letters[i] = "x" if letters[i] != "x" else "y"
    return "".join(letters)


class LocateTests(unittest.TestCase):
    def found(self, text: str, anchor: TextQuote):
        located = locate(text, anchor)
        self.assertIsNotNone(located, "the passage should be found")
        return located, text[located.start : located.end]

    def test_unchanged_text_finds_the_passage_where_it_was(self):
        anchor = anchor_of(TEXT, PASSAGE)
        located, found = self.found(TEXT, anchor)
        self.assertEqual((located.how, found), ("position", PASSAGE))

    def test_insertions_and_deletions_around_the_passage(self):
        anchor = anchor_of(TEXT, PASSAGE)
        added = "Un paragraphe ajouté en tête de l'article.\n\n"
        located, found = self.found(added + TEXT, anchor)
        self.assertEqual((located.how, found), ("exact", PASSAGE))
        self.assertEqual(located.start, anchor.start + len(added))
        cut = TEXT.replace("La ville a installé quarante caméras", "Quarante caméras")
        self.assertEqual(self.found(cut, anchor)[1], PASSAGE)
        # Words right before and after it changed too.
        around = TEXT.replace("mais les", "pourtant les").replace("sur les vols ni", "ni")
        located, found = self.found(around, anchor)
        self.assertTrue(found.startswith("les chiffres publiés jusqu'ici ne montrent aucun effet"))

    def test_insertions_and_deletions_inside_the_passage(self):
        anchor = anchor_of(TEXT, PASSAGE)
        inserted = TEXT.replace("publiés jusqu'ici", "publiés par la préfecture jusqu'ici")
        located, found = self.found(inserted, anchor)
        self.assertEqual(located.how, "approximate")
        self.assertEqual(
            found,
            "les chiffres publiés par la préfecture jusqu'ici ne montrent aucun effet sur les vols",
        )
        deleted = TEXT.replace("publiés jusqu'ici ne", "ne")
        self.assertEqual(
            self.found(deleted, anchor)[1], "les chiffres ne montrent aucun effet sur les vols"
        )

    def test_typos(self):
        anchor = anchor_of(TEXT, PASSAGE)
        typos = TEXT.replace("chiffres", "chifres").replace("montrent", "montrant")
        located, found = self.found(typos, anchor)
        self.assertEqual(
            found, "les chifres publiés jusqu'ici ne montrant aucun effet sur les vols"
        )
        self.assertEqual(located.how, "approximate")

    def test_a_quarter_and_half_of_the_passage_changed(self):
        anchor = anchor_of(TEXT, PASSAGE)
        for every in (4, 2):  # about a quarter, about half of its letters
            with self.subTest(every=every):
                rewritten = changed(PASSAGE, every)
                located, found = self.found(TEXT.replace(PASSAGE, rewritten), anchor)
                self.assertEqual(found, rewritten)
                self.assertEqual(located.how, "approximate")

    def test_a_passage_gone_from_the_text_is_not_pinned_elsewhere(self):
        anchor = anchor_of(TEXT, PASSAGE)
        gone = TEXT.replace(
            "Le maire affirme qu'elles font baisser la délinquance, mais les chiffres publiés "
            "jusqu'ici ne montrent aucun effet sur les vols ni sur les agressions.",
            "Le marché couvert rouvrira en septembre après deux ans de travaux.",
        )
        self.assertIsNone(locate(gone, anchor))
        self.assertIsNone(locate("", anchor))
        # More than half of it rewritten, and its surroundings too: gone.
        self.assertIsNone(locate(TEXT.replace(PASSAGE, changed(PASSAGE, 1)), anchor))

    def test_several_occurrences_told_apart_by_their_surroundings(self):
        twice = (
            "Au nord, la mairie dit que les caméras protègent les habitants du quartier.\n\n"
            "Au sud, un rapport montre que les caméras protègent les habitants du quartier bien "
            "moins qu'annoncé."
        )
        second = anchor_of(twice, "les caméras protègent les habitants", 1)
        first = anchor_of(twice, "les caméras protègent les habitants", 0)
        # Text added on top: positions are wrong, the surroundings still tell them apart.
        moved = "Deux avis.\n\n" + twice
        self.assertEqual(locate(moved, second).start, moved.rindex("les caméras protègent"))
        self.assertEqual(locate(moved, first).start, moved.index("les caméras protègent"))
        # Both reworded alike: still told apart by their surroundings.
        edited = moved.replace("caméras protègent", "caméras protégeraient")
        self.assertEqual(locate(edited, second).start, edited.rindex("les caméras protégeraient"))
        self.assertEqual(locate(edited, first).start, edited.index("les caméras protégeraient"))

    def test_the_hint_decides_between_passages_otherwise_alike(self):
        paragraph = "Les caméras filment la place jour et nuit, même quand il n'y a personne."
        text = "\n\n".join([paragraph] * 3)
        third = anchor_of(text, "filment la place jour et nuit", 2)
        edited = text.replace("jour et nuit", "jour comme nuit")
        located, found = self.found(edited, third)
        self.assertEqual(found, "filment la place jour comme nuit")
        self.assertEqual(located.start, edited.rindex("filment"))
        second = anchor_of(text, "filment la place jour et nuit", 1)
        self.assertEqual(locate(edited, second).start, edited.index("filment", len(paragraph)))

    def test_a_wrong_hint_does_not_mislead(self):
        anchor = anchor_of(TEXT, PASSAGE)
        elsewhere = TEXT.index("Une association")
        for hint in (0, elsewhere, len(TEXT)):
            wrong = TextQuote(anchor.exact, anchor.prefix, anchor.suffix, hint)
            self.assertEqual(self.found(TEXT, wrong)[1], PASSAGE)
            typos = TEXT.replace("chiffres", "chifres")
            self.assertEqual(self.found(typos, wrong)[1], PASSAGE.replace("chiffres", "chifres"))

    def test_a_hint_outside_the_text_is_ignored(self):
        end = TEXT[-20:]
        for hint in (-20, -1, len(TEXT) + 5):
            anchor = TextQuote(end, TEXT[-52:-20], "", hint)
            located = locate(TEXT, anchor)
            self.assertEqual(located.start, len(TEXT) - 20, hint)
            self.assertNotEqual(located.how, "position")

    def test_errors_tolerated_are_half_the_quote_capped(self):
        self.assertEqual(max_errors("x" * 40), 20)
        self.assertEqual(max_errors("x" * 5000), MAX_ERRORS)

    def test_a_long_quote_in_a_script_of_many_characters(self):
        # More than 255 different characters: edlib's alphabet is shared out by frequency.
        han = "".join(chr(0x4E00 + i) for i in range(400))
        text = "前言。\n\n" + han + "\n\n后记。"
        anchor = anchor_of(text, han[50:350])
        edited = text.replace(han[100:110], "改" * 10)
        located, found = self.found(edited, anchor)
        self.assertEqual(found, edited[located.start : located.end])
        self.assertLessEqual(abs(located.start - anchor.start), 2)
        self.assertLessEqual(abs(located.end - (anchor.start + 300)), 2)


class MakeQuoteTests(unittest.TestCase):
    TWICE = "Le préfet parle de sécurité. Le maire parle de sécurité aussi."

    def test_a_passage_found_once(self):
        quote = make_quote(TEXT, "  les chiffres   publiés\njusqu'ici ")
        self.assertEqual(quote.exact, "les chiffres publiés jusqu'ici")
        self.assertEqual(TEXT[quote.start : quote.start + len(quote.exact)], quote.exact)
        self.assertEqual(quote.prefix, TEXT[quote.start - 32 : quote.start])

    def test_a_passage_not_in_the_text(self):
        with self.assertRaises(QuoteNotFound):
            make_quote(TEXT, "nulle part")

    def test_an_ambiguous_passage_needs_its_position_or_surroundings(self):
        with self.assertRaises(AmbiguousQuote) as raised:
            make_quote(self.TWICE, "parle de sécurité")
        first, second = self.TWICE.index("parle"), self.TWICE.rindex("parle")
        self.assertEqual(raised.exception.starts, [first, second])
        self.assertEqual(make_quote(self.TWICE, "parle de sécurité", second).start, second)
        self.assertEqual(make_quote(self.TWICE, "parle de sécurité", second - 3).start, second)
        self.assertEqual(make_quote(self.TWICE, "parle de sécurité", first).start, first)
        by_prefix = make_quote(self.TWICE, "parle de sécurité", prefix="Le maire ")
        self.assertEqual(by_prefix.start, second)
        by_suffix = make_quote(self.TWICE, "parle de sécurité", suffix=". Le maire")
        self.assertEqual(by_suffix.start, first)
        with self.assertRaises(ContextNotFound):
            make_quote(self.TWICE, "parle de sécurité", prefix="Personne ")
        with self.assertRaises(AmbiguousQuote):  # next to both
            make_quote("Il dit : oui. Elle dit : oui.", "oui", prefix="dit :")

    def test_a_position_outside_the_text(self):
        for hint in (-1, len(self.TWICE) + 1):
            with self.assertRaises(HintOutOfRange):
                make_quote(self.TWICE, "Le préfet", hint)
