"""The search backend tests on SQLite (FTS5), and the tests of FTS5's own workings.

Runs when the suite is on SQLite (the default: `make test-sqlite`). On PostgreSQL the whole
module is skipped: tests/test_search_backend_postgres.py runs the same shared tests there.

Shared tests (tests/search_backend_tests.py) skipped on SQLite: none.
"""

from __future__ import annotations

import importlib
import re
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import connection
from django.test import SimpleTestCase
from hypothesis.extra.django import TestCase as HypothesisTestCase

from archive.models import Article
from archive.search.backends import get_backend
from archive.search.backends.sqlite import SQLiteBackend, scoring
from archive.search.backends.sqlite.query import (
    match_expression,
    phrase_expression,
    required_expression,
)
from archive.search.backends.sqlite.schema import PAIR_JOINER, TABLE
from archive.search.backends.sqlite.writes import pairs_text
from archive.search.index import index_articles
from archive.search.query import parse
from archive.search.service import search
from tests.base import PLAIN_DUMP, SEENTHIS_DUMP, BaseTestCase
from tests.search_backend_tests import (
    HOSTILE_AS_WORDS,
    HashtagFilterBackendTests,
    SearchBackendTests,
    SearchFuzzBackendTests,
    SearchPageBackendTests,
    common_pair_phrases,
)

if connection.vendor != "sqlite":
    pytest.skip(
        "the suite runs on PostgreSQL: SQLite's backend is tested in the SQLite run",
        allow_module_level=True,
    )


class SQLiteSearchTests(SearchBackendTests, BaseTestCase):
    backend_class = SQLiteBackend


class SQLiteSearchPageTests(SearchPageBackendTests, BaseTestCase):
    pass


class SQLiteHashtagFilterTests(HashtagFilterBackendTests, BaseTestCase):
    pass


class SQLiteSearchFuzzTests(SearchFuzzBackendTests, HypothesisTestCase):
    pass


class FTS5RankingTests(BaseTestCase):
    """Scores are computed from the candidates' indexed text: exactly FTS5's bm25()."""

    dumps = (SEENTHIS_DUMP, PLAIN_DUMP)

    def test_scores_are_fts5_bm25(self):
        backend = get_backend()
        checked = 0
        for q in [
            "surveillance",
            "the",
            "credit social chinois",
            "la OR le",
            '"productivity score" microsoft',
            "workplace analytics",
            "sozialkreditsystem OR hambantota",
            "chine -microsoft",
        ]:
            query = parse(q)
            expression = required_expression(query)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT rowid, -bm25({TABLE}, 10.0, 6.0, 3.0, 1.0) FROM {TABLE} "
                    f"WHERE {TABLE} MATCH %s",
                    [expression],
                )
                expected = dict(cursor.fetchall())
                phrased = set()
                if phrase_expression(query):
                    cursor.execute(
                        f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s",
                        [phrase_expression(query)],
                    )
                    phrased = {row[0] for row in cursor.fetchall()}
                cursor.execute(
                    f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [f"title : ({expression})"]
                )
                titled = {row[0] for row in cursor.fetchall()}
            self.assertTrue(expected, q)
            ranks = backend.ranks(query, list(expected), method="text")
            self.assertEqual(backend.ranks(query, list(expected), method="bm25"), ranks, q)
            for article_id, score in expected.items():
                self.assertAlmostEqual(ranks[article_id][0], score, places=9, msg=q)
                self.assertEqual(ranks[article_id][1], article_id in phrased, q)
                self.assertEqual(ranks[article_id][2], article_id in titled, q)
                checked += 1
        self.assertGreater(checked, 20)

    def test_same_results_whichever_way_scores_are_computed(self):

        def results(q: str) -> list[tuple[int, float]]:
            return [(h.article.pk, h.score) for h in search(q, page_size=50).hits]

        for q in ["surveillance", "the", "credit social", "chine -microsoft", "#chine social"]:
            with mock.patch.object(SQLiteBackend, "RANK_METHOD", "text"):
                from_text = results(q)
            with mock.patch.object(SQLiteBackend, "RANK_METHOD", "bm25"):
                from_bm25 = results(q)
            self.assertTrue(from_text, q)
            self.assertEqual(from_text, from_bm25, q)

    def test_repeated_words_and_overlapping_phrases(self):

        article = Article.objects.order_by("pk").first()
        article.paragraphs = article.paragraphs + [
            {"text": "Echo echo echo, alpha beta alpha beta alpha; écho.", "lang": "en"}
        ]
        article.title = "Echo"
        article.save()
        index_articles([article.pk])
        backend = get_backend()
        for q in ["echo", '"echo echo"', '"alpha beta alpha"', "alpha beta", "echo alpha"]:
            query = parse(q)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT rowid, -bm25({TABLE}, 10.0, 6.0, 3.0, 1.0) FROM {TABLE} "
                    f"WHERE {TABLE} MATCH %s",
                    [required_expression(query)],
                )
                expected = dict(cursor.fetchall())
            self.assertIn(article.pk, expected, q)
            ranks = backend.ranks(query, list(expected), method="text")
            self.assertEqual({i: r[0] for i, r in ranks.items()}, expected, q)
            self.assertEqual(backend.ranks(query, list(expected), method="bm25"), ranks, q)
        for method in ("text", "bm25"):
            title = backend.ranks(parse("echo"), [article.pk], method=method)
            self.assertTrue(title[article.pk][2])
            phrase = backend.ranks(parse("alpha beta"), [article.pk], method=method)
            self.assertTrue(phrase[article.pk][1])

    def test_index_figures_follow_writes(self):

        def bm25() -> dict[int, float]:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT rowid, -bm25({TABLE}, 10.0, 6.0, 3.0, 1.0) FROM {TABLE} "
                    f"WHERE {TABLE} MATCH %s",
                    ['("hambantota" OR "hambantot")'],
                )
                return dict(cursor.fetchall())

        query = parse("hambantota")
        backend = get_backend()
        before = bm25()
        ranks = backend.ranks(query, list(before), method="text")  # remembers the counts
        self.assertEqual({i: r[0] for i, r in ranks.items()}, before)
        other = Article.objects.exclude(pk__in=list(before)).order_by("pk").first()
        other.paragraphs = other.paragraphs + [{"text": "Hambantota.", "lang": "en"}]
        other.save()
        index_articles([other.pk])
        after = bm25()
        self.assertEqual(len(after), len(before) + 1)
        ranks = backend.ranks(query, list(after), method="text")
        self.assertEqual({i: r[0] for i, r in ranks.items()}, after)  # not the old figures


class CommonWordPairTests(BaseTestCase):
    """SQLite narrows phrases of very common words with the pairs column ("sur\ue000le")."""

    dumps = (SEENTHIS_DUMP, PLAIN_DUMP)

    def rows(self) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, title, tags, commentary, body, pairs FROM {TABLE} ORDER BY rowid"
            )
            return cursor.fetchall()

    def found(self, q: str) -> list[int]:
        return sorted(hit.article.pk for hit in search(q, page_size=100).hits)

    def test_a_row_holds_the_pairs_of_each_of_its_columns_once(self):
        pairs = pairs_text("sur le pont", "", "la ville de", "la ville de la mer et de la terre")
        j = PAIR_JOINER
        # "de" ending the commentary and "la" starting the body are no pair: no phrase spans
        # two columns.
        self.assertEqual(pairs, f"de{j}la et{j}de sur{j}le")
        rows = self.rows()
        self.assertEqual([row[5] for row in rows], [pairs_text(*row[1:5]) for row in rows])
        self.assertGreater(sum(1 for row in rows if row[5]), len(rows) * 0.8)

    def test_typed_text_never_matches_a_pair(self):
        # The joiner is no word character to the analyzer: typed, it separates two words.
        self.assertEqual(self.found(f"de{PAIR_JOINER}la"), self.found("de la"))
        self.assertEqual(self.found(f'"de{PAIR_JOINER}la"'), self.found('"de la"'))

    def test_migration_gives_an_existing_index_the_same_pairs(self):
        rows = self.rows()
        phrase = '"' + common_pair_phrases()[0] + '"'
        expected = self.found(phrase)
        self.assertTrue(expected)
        migration = importlib.import_module("archive.migrations.0018_search_pairs_column_sqlite")
        # Migrations only read the schema editor's connection; Django's SQLite schema editor
        # itself refuses to open inside a test's transaction.
        editor = SimpleNamespace(connection=connection)
        migration.remove_pairs(None, editor)  # an index built before the pairs column
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {TABLE} LIMIT 0")
            self.assertNotIn("pairs", [column[0] for column in cursor.description])
        migration.add_pairs(None, editor)
        self.assertEqual(self.rows(), rows)
        self.assertEqual(self.found(phrase), expected)
        migration.add_pairs(None, editor)  # a second run changes nothing
        self.assertEqual(self.rows(), rows)
        Article.objects.filter(pk=expected[0]).delete()  # the delete trigger is back
        self.assertNotIn(expected[0], self.found(phrase))
        self.assertNotIn(expected[0], [row[0] for row in self.rows()])


class FTS5QueryTests(SimpleTestCase):
    """Nothing a visitor types reaches FTS5 as syntax: every word is an FTS5 string literal."""

    STRING = re.compile(r'"(?:[^"]|"")*"')
    OPERATORS = re.compile(r"^(?:\s|\(|\)|AND|OR|NOT)*$")

    def test_typed_text_is_only_in_string_literals(self):
        typed = [*HOSTILE_AS_WORDS, 'x "a""b" -"c d" e OR f', "tags : x", "* ^ {a b} : NEAR(x y)"]
        typed.append('"de la" -"of the" OR "sur le"')  # phrases with pairs of common words
        for raw in typed:
            query = parse(raw)
            expression = match_expression(query, 'tags : ("x")')
            outside = self.STRING.sub("", expression).replace("tags : ", "")
            outside = outside.replace("pairs : ", "")
            self.assertRegex(outside, self.OPERATORS, raw)


class FTS5SelfCheckTests(SimpleTestCase):
    """Before the first score, the backend compares its bm25 arithmetic with FTS5's bm25()."""

    databases = {"default"}

    def test_this_sqlite_passes(self):
        scoring.check_bm25(connection)

    def test_a_difference_fails_loudly(self):
        with mock.patch.object(scoring, "BM25_B", 0.7):
            with self.assertRaisesRegex(
                scoring.FTS5FormatError, r"bm25\(\) scores row \d+ .*scoring\.py computes"
            ):
                scoring.check_bm25(connection)
        with mock.patch.object(scoring, "CONTENT_TABLE", f"{TABLE}_docsize"):
            with self.assertRaisesRegex(scoring.FTS5FormatError, "reading the index failed"):
                scoring.check_bm25(connection)

    def test_search_checks_before_its_first_score(self):
        with mock.patch.object(scoring, "bm25_checked", False):
            with mock.patch.object(scoring, "BM25_K1", 1.0):
                with self.assertRaisesRegex(scoring.FTS5FormatError, "FTS5 self-check failed"):
                    get_backend().ranks(parse("alpha"), [1])
            get_backend().ranks(parse("alpha"), [1])  # checked again, and passes
            self.assertTrue(scoring.bm25_checked)


class IndexFollowsDeletesTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def test_deleting_articles_removes_their_index_rows_after_every_migration(self):
        """A migration that rebuilds archive_article drops its triggers; the index's delete
        trigger must be there after all of them, or deleted articles stay findable."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name = 'archive_article_search_delete'"
            )
            self.assertEqual(cursor.fetchone()[0], 1)
        found = search("surveillance")
        self.assertGreater(found.total, 0)
        Article.objects.filter(pk__in=[hit.article.pk for hit in found.hits]).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {TABLE} WHERE rowid NOT IN (SELECT id FROM archive_article)"
            )
            self.assertEqual(cursor.fetchone()[0], 0)
