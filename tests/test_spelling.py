"""Typos are forgiven, on the real dumps, on whichever database the suite runs on.

The seenthis dump writes "Hangzou" once; the blog post (the other real dump) "Hangzhou".
"Überwachung" is in the seenthis dump and our fixtures; "discredited people become bankrupt"
is a phrase of the seenthis dump.
"""

from __future__ import annotations

from django.db import connection
from django.utils import translation

from annotations.notes import create_note
from archive.models import Article
from archive.search.service import search
from archive.search.spelling import allowed_edits, close_words
from tests.base import DEMO_DUMPS, PLAIN_DUMP, SEENTHIS_DUMP, BaseTestCase


def titles(results) -> list[str]:
    return [hit.article.title for hit in results.hits]


class SpellingTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP, PLAIN_DUMP, DEMO_DUMPS)

    def test_a_word_the_archive_does_not_hold_is_corrected(self):
        exact = search("Überwachung")
        typo = search("Überwachnug")  # a transposition counts as one edit
        self.assertEqual(search("Überwachnug", exact=True).total, 0)
        self.assertEqual(typo.corrected.replaced, {"überwachnug": "uberwachung"})
        self.assertEqual(typo.corrected.raw, "uberwachung")
        self.assertEqual(sorted(titles(typo)), sorted(titles(exact)))
        self.assertIn("<mark>", str(typo.hits[0].snippet))

    def test_a_corrected_search_sorted_by_date_counts_what_its_pages_reach(self):
        exact = search("Überwachung", sort="newest", page_size=100)
        self.assertGreaterEqual(exact.total, 2)
        for sort in ("newest", "oldest"):
            pages = [search("Überwachnug", sort=sort, page=n, page_size=1) for n in (1, 2)]
            self.assertEqual(pages[0].total, exact.total, sort)
            self.assertEqual(pages[0].reachable, exact.total, sort)
            shown = [hit.article.pk for page in pages for hit in page.hits]
            in_order = [hit.article.pk for hit in exact.hits]
            self.assertEqual(shown, in_order if sort == "newest" else in_order[::-1])
            self.assertFalse(pages[1].has_next)

    def test_a_correction_with_more_matches_than_it_shows_says_so(self):
        self.assertEqual(search("Überwachung").total, 2)
        self.assertFalse(search("Überwachnug").total_is_capped)
        with self.settings(ARCHIVE_SEARCH_CANDIDATES=1):
            typo = search("Überwachnug")
            api = self.client.get("/api/search/", {"q": "Überwachnug"}).json()
            page = self.client.get("/search/", {"q": "Überwachnug"})
        self.assertEqual((typo.total, typo.total_is_capped, len(typo.hits)), (1, True, 1))
        self.assertEqual((api["count"], api["count_is_lower_bound"]), (1, True))
        self.assertContains(page, "More than 1 results")

    def test_a_phrase_with_a_typo_is_tried_again_corrected(self):
        typo = search('"discredited peple become bankrupt"')
        self.assertEqual(typo.corrected.raw, '"discredited people become bankrupt"')
        self.assertEqual(titles(typo), titles(search('"discredited people become bankrupt"')))
        self.assertEqual(typo.total, 1)

    def test_a_rare_word_also_finds_close_spellings_after_its_exact_matches(self):
        for typed, other in (("Hangzou", "Hangzhou"), ("Hangzhou", "Hangzou")):
            exact = search(typed, exact=True)
            self.assertEqual(exact.total, 1)
            forgiving = search(typed)
            self.assertEqual(forgiving.total, 2)
            # The exact match first: a corrected match never outranks it.
            self.assertEqual(titles(forgiving)[0], titles(exact)[0])
            self.assertEqual(titles(forgiving)[1], titles(search(other, exact=True))[0])
            self.assertEqual(forgiving.corrected.added_words, [other.casefold()])

    def test_common_words_and_short_words_are_never_corrected(self):
        self.assertIsNone(search("surveillance").corrected)
        self.assertEqual(allowed_edits("chna"), 0)
        self.assertIsNone(search("Chna").corrected)  # four letters: no edit allowed
        self.assertEqual(allowed_edits("chiina"), 1)
        self.assertEqual(search("Chiina").corrected.raw, "china")

    def test_words_written_by_a_curator_are_in_the_vocabulary_at_once(self):
        article = Article.objects.get(title__startswith="China blacklists")
        self.assertEqual(search("Zwiebelkuchenfest").total, 0)
        self.assertEqual(close_words(connection, "zwiebelkuhenfest"), [])
        create_note(article, self.alice, "Rien à voir : le Zwiebelkuchenfest de Weimar.")
        self.assertIn(("zwiebelkuchenfest", 1), close_words(connection, "zwiebelkuhenfest"))
        typo = search("Zwiebelkuhenfest")
        self.assertEqual(typo.corrected.raw, "zwiebelkuchenfest")
        self.assertEqual([hit.article.pk for hit in typo.hits], [article.pk])

    def test_nothing_found_even_corrected_offers_close_words(self):
        found = search("Überwachnug", language="it")
        self.assertEqual(found.total, 0)
        self.assertIn("uberwachung", found.close_words)
        page = self.client.get("/search/", {"q": "Überwachnug", "lang": "it"})
        self.assertContains(page, "Close words in the archive")
        self.assertContains(page, '<a href="?q=uberwachung">uberwachung</a>', html=True)

    def test_no_close_word_is_offered_that_only_deleted_text_held(self):
        """The vocabulary keeps the words of deleted articles: offered, they would lead
        nowhere and show what a curator took away."""
        article = Article.objects.get(title__startswith="China blacklists")
        create_note(article, self.alice, "Rien à voir : le Zwiebelkuchenfest de Weimar.")
        self.assertIn("zwiebelkuchenfest", search("Zwiebelkuhenfest", language="it").close_words)
        article.delete()
        self.assertIn(("zwiebelkuchenfest", 1), close_words(connection, "zwiebelkuhenfest"))
        found = search("Zwiebelkuhenfest")
        self.assertEqual((found.total, found.corrected), (0, None))
        self.assertNotIn("zwiebelkuchenfest", found.close_words)
        self.assertNotContains(
            self.client.get("/search/", {"q": "Zwiebelkuhenfest"}), "zwiebelkuchenfest"
        )
        api = self.client.get("/api/search/", {"q": "Zwiebelkuhenfest"}).json()
        self.assertNotIn("zwiebelkuchenfest", api["close_words"])

    def test_the_page_and_the_api_say_what_was_corrected_in_both_languages(self):
        page = self.client.get("/search/", {"q": "Überwachnug"})
        self.assertContains(page, "Showing results for")
        self.assertContains(page, 'href="?q=%C3%9Cberwachnug&amp;exact=1"')
        with translation.override("fr"):
            page = self.client.get("/search/", {"q": "Überwachnug"}, HTTP_ACCEPT_LANGUAGE="fr")
        self.assertContains(page, "Résultats pour")
        api = self.client.get("/api/search/", {"q": "Überwachnug"}).json()
        self.assertEqual(api["corrected_query"], "uberwachung")
        self.assertEqual(api["also_matched"], [])
        exact = self.client.get("/api/search/", {"q": "Überwachnug", "exact": "1"}).json()
        self.assertEqual((exact["count"], exact["corrected_query"]), (0, None))
        rare = self.client.get("/api/search/", {"q": "Hangzou"}).json()
        self.assertEqual((rare["count"], rare["also_matched"]), (2, ["hangzhou"]))
