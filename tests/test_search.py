"""Search on the real dumps. The suite runs once on SQLite (FTS5) and once on PostgreSQL."""

import json
import random
from unittest import skipUnless

from django.db import connection
from django.utils import timezone

from archive.models import Article
from archive.search import search
from tests.base import PLAIN_DUMP, SEENTHIS_DUMP, BaseTestCase


def titles(query: str, **kwargs) -> list[str]:
    return [hit.article.title for hit in search(query, **kwargs).hits]


class SearchTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP, PLAIN_DUMP)

    def test_backend_matches_the_database(self):
        from archive.search.backends import get_backend

        backend = type(get_backend()).__name__
        expected = {"sqlite": "SQLiteBackend", "postgresql": "PostgresBackend"}[connection.vendor]
        self.assertEqual(backend, expected)

    def test_without_accents(self):
        found = titles("credit social chinois")
        self.assertTrue(found[0].startswith("Le système de crédit social chinois"))
        self.assertTrue(titles("uberwachung")[0].startswith("China\u00a0: Totale Kontrolle"))

    def test_word_forms_in_several_languages(self):
        self.assertIn(
            "China\u00a0: Totale Kontrolle\u00a0? Die Wahrheit über das Sozialkreditpunktesystem",
            titles("Kontrollen"),
        )
        self.assertTrue(any(t.startswith("Postes Canada") for t in titles("surveillait")))
        self.assertTrue(any(t.startswith("China blacklists") for t in titles("rewarded")))

    def test_exact_word_never_lost_to_stemming(self):
        # French Snowball: "crédit" → "cred", "crédits" → "crédit".
        self.assertTrue(any(t.startswith("Covid-19 | Codici") for t in titles("crédits sociaux")))
        self.assertTrue(any(t.startswith("Covid-19 | Codici") for t in titles("credit")))

    def test_exact_phrase_in_order(self):
        found = titles('"unable to move even a single step"')
        self.assertEqual(len(found), 1)
        self.assertTrue(found[0].startswith("Bloomberg News reports"))
        self.assertEqual(titles('"step single a even move to unable"'), [])

    def test_phrases_of_common_words_find_their_article(self):
        # Phrases cut from the texts where two very common words meet ("de la", "of the"):
        # PostgreSQL also looks such pairs up as lexemes; every phrase still finds its article.
        from archive.search.analysis import TOKEN_RE
        from archive.search.backends.postgres.documents import PAIR_WORDS
        from archive.text import fold

        phrases = []
        for article in Article.objects.order_by("pk"):
            words = TOKEN_RE.findall(article.text[:2000])
            for start in range(len(words) - 3):
                window = words[start : start + 4]
                if (
                    fold(window[1].casefold()) in PAIR_WORDS
                    and fold(window[2].casefold()) in PAIR_WORDS
                ):
                    phrases.append((article.pk, " ".join(window)))
        self.assertGreater(len(phrases), 30)
        for article_pk, phrase in random.Random(5).sample(phrases, 30):
            found = [hit.article.pk for hit in search(f'"{phrase}"', page_size=50).hits]
            self.assertIn(article_pk, found, phrase)

    def test_phrase_without_accents(self):
        found = titles('"la surveillance chinoise leur fait peur"')
        self.assertEqual(len(found), 1)
        self.assertTrue(found[0].startswith("China\u00a0: Totale Kontrolle"))

    @skipUnless(connection.vendor == "postgresql", "PostgreSQL's storage")
    def test_long_documents_are_kept_in_the_row_and_found(self):
        # A few KB of varied text: compressed, its document is over PostgreSQL's default 2 KB
        # TOAST threshold, so without INLINE_DOCUMENTS_SQL it would live in the TOAST table.
        from archive.search import index_articles

        rng = random.Random(3)
        words = [
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyzéè") for _ in range(rng.randint(3, 11)))
            for _ in range(250)
        ]
        text = " ".join(words) + " la fin du très long article"
        now = timezone.now()
        article = Article.objects.create(
            title="Un très long article",
            paragraphs=[{"text": text, "lang": "fr"}],
            external_key="long-article",
            created=now,
            updated=now,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = %s",
                ["archive_searchdoc"],
            )
            count_toasted = f"SELECT count(*) FROM {cursor.fetchone()[0]}"
            cursor.execute(count_toasted)
            toasted_before = cursor.fetchone()[0]
            index_articles([article.pk])
            cursor.execute(
                "SELECT pg_column_size(document) FROM archive_searchdoc WHERE article_id = %s",
                [article.pk],
            )
            self.assertGreater(cursor.fetchone()[0], 3000)
            cursor.execute(count_toasted)
            self.assertEqual(cursor.fetchone()[0], toasted_before, "moved to the TOAST table")
        self.assertIn(article.title, titles('"la fin du tres long article"'))
        self.assertIn(article.title, titles(f"{words[0]} -zzzz"))

    def test_list_markers_glued_to_a_word_do_not_hide_it(self):
        from archive.search import index_articles

        article = Article.objects.order_by("pk").first()
        article.paragraphs = article.paragraphs + [
            {"text": "Points : ❶Zyxwortbeispiel, ②Quokkalogie et ➂Ornithoscopie.", "lang": "fr"}
        ]
        article.save()
        index_articles([article.pk])
        for word in ("zyxwortbeispiel", "Quokkalogie", "ornithoscopie"):
            self.assertEqual(titles(word), [article.title], word)
        hit = search("quokkalogie").hits[0]
        self.assertIn("<mark>Quokkalogie</mark>", str(hit.snippet))

    def test_exclusions(self):
        with_microsoft = set(titles("productivity"))
        without = set(titles("productivity -microsoft"))
        self.assertTrue(without < with_microsoft)
        self.assertFalse(any("Microsoft" in t for t in without))
        self.assertFalse(
            any(
                "Microsoft" in t
                for t in titles('surveillance -"productivity score"')
                if "Score" in t
            )
        )

    def test_or(self):
        a = set(titles("Sozialkreditsystem"))
        b = set(titles("Hambantota"))
        self.assertEqual(set(titles("Sozialkreditsystem OR Hambantota")), a | b)

    def test_hashtag_filter_case_and_accents(self):
        tagged = set(titles("#credit_social", page_size=50))
        self.assertEqual(len(tagged), 13)
        self.assertEqual(tagged, set(titles("#CRÉDIT_SOCIAL", page_size=50)))
        both = set(titles("#Microsoft #surveillance", page_size=50))
        self.assertEqual(len(both), 4)
        first = titles("productivity #Microsoft")
        self.assertTrue(all(t in both or "Microsoft" in t for t in first))

    def test_commentary_finds_its_article(self):
        found = titles("saloperie")  # only in an imported reply
        self.assertEqual(len(found), 1)
        self.assertTrue(found[0].startswith("Analyse du temps de travail"))

    def test_title_ranks_first(self):
        self.assertTrue(
            titles("workplace analytics")[0].startswith("Microsoft Workplace Analytics")
            or titles("workplace analytics")[0].startswith("Transform your")
        )

    def test_snippet_marks_words_and_escapes(self):
        hit = search("Hambantota").hits[0]
        self.assertIn("<mark>Hambantota</mark>", hit.snippet)
        Article.objects.filter(pk=hit.article.pk).update(
            paragraphs=[{"text": "<script>alert(1)</script> Hambantota & co", "lang": "fr"}]
        )
        from archive.search import index_articles

        index_articles([hit.article.pk])
        snippet = search("Hambantota").hits[0].snippet
        self.assertIn("&lt;script&gt;", snippet)
        self.assertNotIn("<script>", snippet)

    def test_hostile_queries_never_fail(self):
        for raw in [
            '"',
            '""',
            "NEAR(",
            "*",
            "a:b",
            "title:x",
            "-",
            "--x",
            "OR",
            "AND OR NOT",
            "😀",
            "\x00\x07",
            "x" * 5000,
            "(((",
            "'; DROP TABLE archive_article; --",
            '"unclosed phrase',
            "#",
            "#10",
            "-#",
            "^",
            "{title}:x",
            "a NOT b",
            "\\",
        ]:
            results = search(raw)
            self.assertGreaterEqual(results.total, 0, raw)
        self.assertTrue(Article.objects.exists())

    def test_pagination_and_count(self):
        first = search("the", page_size=3)
        self.assertGreater(first.total, 3)
        second = search("the", page=2, page_size=3)
        ids = {h.article.pk for h in first.hits} | {h.article.pk for h in second.hits}
        self.assertEqual(len(ids), 6)


class SearchPageTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def test_search_page(self):
        response = self.client.get("/search/", {"q": "Hambantota"})
        self.assertContains(response, "1 result")
        self.assertContains(response, "<mark>Hambantota</mark>")

    def test_empty_result_helps(self):
        response = self.client.get("/search/", {"q": "Hambantota zzzqqq"})
        self.assertContains(response, "Nothing matches")
        self.assertContains(response, "?q=Hambantota")  # drop the unknown word

    def test_language_filter(self):
        response = self.client.get("/search/", {"q": "social", "lang": "de"})
        self.assertContains(response, "Totale Kontrolle")
        self.assertContains(response, "1 result")
        self.assertNotContains(response, "The AI myth")

    def test_api(self):
        data = self.client.get("/api/search/", {"q": "#Microsoft"}).json()
        self.assertEqual(data["count"], 4)
        self.assertEqual(
            set(data["results"][0]), {"id", "title", "url", "language", "tags", "snippet", "score"}
        )
        self.assertIn("Microsoft", data["results"][0]["tags"])
        self.assertIsNone(data["previous"])

    def test_api_hostile(self):
        for raw in ['"', "NEAR(", "x" * 5000, "\x00"]:
            response = self.client.get("/api/search/", {"q": raw})
            self.assertEqual(response.status_code, 200)
            json.loads(response.content)


class SearchFilterTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def test_tag_field_filters(self):
        response = self.client.get("/search/", {"q": "productivity", "tag": "#microsoft"})
        self.assertContains(response, "3 results")
        only_tag = self.client.get("/search/", {"tag": "Xinjiang"})
        self.assertContains(only_tag, "1 result")
        self.assertContains(only_tag, "China blacklists")


@skipUnless(connection.vendor == "postgresql", "PostgreSQL only")
class CommonWordPairTests(BaseTestCase):
    """PostgreSQL narrows phrases of very common words with pair lexemes ("sur le")."""

    dumps = (SEENTHIS_DUMP, PLAIN_DUMP)

    def phrases(self) -> list[str]:
        """Phrases of two to four words cut from the texts, each with a pair of common words."""
        from archive.search.analysis import TOKEN_RE
        from archive.search.backends.postgres.documents import word_pairs
        from archive.text import fold

        found = []
        for article in Article.objects.order_by("pk"):
            words = TOKEN_RE.findall(article.text[:3000])
            for start in range(len(words) - 4):
                window = words[start : start + 2 + start % 3]
                if word_pairs(fold(w.casefold()) for w in window):
                    found.append(" ".join(window))
        return random.Random(7).sample(found, 40)

    def found(self, q: str) -> list[int]:
        return sorted(hit.article.pk for hit in search(q, page_size=100).hits)

    def test_pairs_change_no_phrase_result(self):
        from unittest import mock

        for phrase in self.phrases():
            for q in (f'"{phrase}"', f'"{phrase}" OR zzzq', f'surveillance -"{phrase}"'):
                with_pairs = self.found(q)
                with mock.patch(
                    "archive.search.backends.postgres.documents.PAIR_WORDS", frozenset()
                ):
                    order_checked_only = self.found(q)
                self.assertEqual(with_pairs, order_checked_only, q)
                if not q.startswith("surveillance"):
                    self.assertTrue(with_pairs, q)

    def test_migration_gives_existing_documents_the_same_pairs(self):
        import importlib

        from archive.search import reindex_all

        def documents():
            with connection.cursor() as cursor:
                cursor.execute("SELECT article_id, document::text FROM archive_searchdoc")
                return dict(cursor.fetchall())

        indexed = documents()
        phrase = '"' + self.phrases()[0] + '"'
        expected = self.found(phrase)
        # An archive indexed before pairs were lexemes: its documents lack them.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE archive_searchdoc SET document = ts_delete(document,"
                " ARRAY(SELECT lexeme FROM unnest(document) WHERE strpos(lexeme, ' ') > 0))"
            )
        self.assertEqual(self.found(phrase), [])
        migration = importlib.import_module("archive.migrations.0008_search_common_word_pairs")
        with connection.schema_editor() as editor:
            migration.add_pairs(None, editor)
        self.assertEqual(self.found(phrase), expected)
        self.assertEqual(documents(), indexed)
        reindex_all()
        self.assertEqual(documents(), indexed)
