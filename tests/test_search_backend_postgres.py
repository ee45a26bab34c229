"""The search backend tests on PostgreSQL, and the tests of PostgreSQL's own workings.

Runs when the suite is on PostgreSQL (`make test-postgres`: tests/pg_cluster.py sets
DATABASE_URL). On SQLite the whole module is skipped: tests/test_search_backend_sqlite.py runs
the same shared tests there.

Shared tests (tests/search_backend_tests.py) skipped on PostgreSQL: none.
"""

from __future__ import annotations

import importlib
import math
import random
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis.extra.django import TestCase as HypothesisTestCase

from archive.models import Article
from archive.search.backends.postgres import PostgresBackend
from archive.search.backends.postgres.query import lexeme_query
from archive.search.index import index_articles, reindex_all
from archive.search.service import search
from tests.base import PLAIN_DUMP, SEENTHIS_DUMP, BaseTestCase, run_import
from tests.search_backend_tests import (
    ACCENTED,
    RARE,
    HashtagFilterBackendTests,
    SearchBackendTests,
    SearchFuzzBackendTests,
    SearchPageBackendTests,
    common_pair_phrases,
    post_ids,
    titles,
    write_dump,
)

if connection.vendor != "postgresql":
    pytest.skip(
        "the suite runs on SQLite: PostgreSQL's backend is tested in the PostgreSQL run",
        allow_module_level=True,
    )


class PostgresSearchTests(SearchBackendTests, BaseTestCase):
    backend_class = PostgresBackend

    def test_long_documents_are_kept_in_the_row_and_found(self):
        # A few KB of varied text: compressed, its document is over PostgreSQL's default 2 KB
        # TOAST threshold, so without INLINE_DOCUMENTS_SQL it would live in the TOAST table.
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


class PostgresSearchPageTests(SearchPageBackendTests, BaseTestCase):
    pass


class PostgresHashtagFilterTests(HashtagFilterBackendTests, BaseTestCase):
    pass


class PostgresSearchFuzzTests(SearchFuzzBackendTests, HypothesisTestCase):
    pass


class MatchPlanTests(BaseTestCase):
    """PostgresBackend._matches picks a plan from the planner's estimate: a walk down the newest
    documents, or a count from the GIN bitmap and then the newest looked for above a bound on
    the ids, lowered until enough are found. Each finds the same articles, counts them alike
    and pages through them in the same order, sorted by relevance or by date, capped or not."""

    dumps = (SEENTHIS_DUMP, PLAIN_DUMP)
    PLANS = {
        "walk": {"WALK_SHARE": 0.0},
        "count, then a window": {"WALK_SHARE": math.inf, "WINDOW_MARGIN": 1000.0},
        "count, then widening windows": {"WALK_SHARE": math.inf, "WINDOW_MARGIN": 0.001},
    }

    def run_plan(self, plan: str, q: str, **kwargs):
        with (
            mock.patch.multiple(PostgresBackend, **self.PLANS[plan]),
            CaptureQueriesContext(connection) as queries,
        ):
            results = search(q, **kwargs)
        sql = [query["sql"] for query in queries.captured_queries]
        return ([h.article.pk for h in results.hits], results.total, results.total_is_capped), sql

    def test_every_plan_finds_the_same_matches_in_the_same_order(self):
        queries = ["surveillance", "china", "surveillance -china", "China #Chine", "la société"]
        plans_seen = set()
        # Counted to 5, more than a search tries other readings for (FEW_RESULTS).
        for count_limit, candidates in ((5, 2), (10_000, 1_000)):
            for sort in ("relevance", "newest", "oldest"):
                for q in queries:
                    with override_settings(
                        ARCHIVE_SEARCH_COUNT_LIMIT=count_limit,
                        ARCHIVE_SEARCH_CANDIDATES=candidates,
                    ):
                        found = {
                            plan: self.run_plan(plan, q, sort=sort, page_size=2)
                            for plan in self.PLANS
                        }
                    walked, _ = found["walk"]
                    self.assertTrue(walked[0], (q, sort))
                    for plan, (results, statements) in found.items():
                        self.assertEqual(results, walked, (plan, q, sort, count_limit))
                        searches = [
                            sql
                            for sql in statements
                            if "document @@" in sql and not sql.startswith("EXPLAIN")
                        ]
                        if any("ORDER BY" not in sql and "LIMIT" in sql for sql in searches):
                            plans_seen.add("count")
                        windows = [sql for sql in searches if "d.article_id >=" in sql]
                        if windows:
                            plans_seen.add("window" if len(windows) == 1 else "widened")
        self.assertEqual(plans_seen, {"count", "window", "widened"})

    def test_a_phrase_of_very_common_words_finds_its_newest_matches_whatever_its_sample(self):
        # Its first window is sized from the matches among the newest documents, tested one
        # by one (_sampled_density): a sample too narrow, too wide or too small to trust
        # changes how far the windows look, never what they find.
        every = sorted(h.article.pk for h in search('"de la"', page_size=100).hits)
        self.assertGreater(len(every), 3)
        samples = {
            "too few matches to trust": {"SAMPLE_MATCHES": 10**9},
            "the newest two ids": {"SAMPLE_IDS": 2, "SAMPLE_MATCHES": 1},
            "every id": {"SAMPLE_IDS": 10**9, "SAMPLE_MATCHES": 1},
        }
        sampled = 0
        for name, values in samples.items():
            with (
                override_settings(ARCHIVE_SEARCH_CANDIDATES=3),
                # Never the walk down the newest documents, whatever the planner expects.
                mock.patch.multiple(PostgresBackend, WALK_SHARE=math.inf, **values),
                CaptureQueriesContext(connection) as queries,
            ):
                results = search('"de la"')
            self.assertEqual(sorted(h.article.pk for h in results.hits), every[-3:], name)
            self.assertEqual((results.total, results.total_is_capped), (3, True), name)
            sampled += any(
                "ts_match_vq" in q["sql"] and "document @@" not in q["sql"]
                for q in queries.captured_queries
            )
        self.assertEqual(sampled, len(samples))


class CommonWordPairTests(BaseTestCase):
    """PostgreSQL narrows phrases of very common words with pair lexemes ("sur le")."""

    dumps = (SEENTHIS_DUMP, PLAIN_DUMP)

    def found(self, q: str) -> list[int]:
        return sorted(hit.article.pk for hit in search(q, page_size=100).hits)

    def test_migration_gives_existing_documents_the_same_pairs(self):
        def documents():
            with connection.cursor() as cursor:
                cursor.execute("SELECT article_id, document::text FROM archive_searchdoc")
                return dict(cursor.fetchall())

        indexed = documents()
        phrase = '"' + common_pair_phrases()[0] + '"'
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


class HashtagLexemeTests(BaseTestCase):
    """On PostgreSQL each hashtag is a lexeme of its articles' documents, found by GIN."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with tempfile.TemporaryDirectory() as folder:
            run_import(write_dump(Path(folder) / "generated.txt"))

    def found(self, q: str) -> list[int]:
        return sorted(h.article.pk for h in search(q, page_size=100).hits)

    def test_migration_gives_existing_documents_their_hashtags(self):
        expected = sorted(post_ids((RARE | ACCENTED) - {23}))
        self.assertEqual(self.found("common #rare"), expected)
        # An archive indexed before hashtags were lexemes: its documents lack them.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE archive_searchdoc SET document = "
                "ts_delete(document, ARRAY(SELECT '#' || search_key FROM archive_hashtag))"
            )
        self.assertEqual(self.found("common #rare"), [])
        migration = importlib.import_module("archive.migrations.0007_search_hashtag_lexemes")
        with connection.schema_editor() as editor:
            migration.add_lexemes(None, editor)
        self.assertEqual(self.found("common #rare"), expected)
        odd_rare = {n for n in RARE | ACCENTED if n % 2} - {23}
        self.assertEqual(self.found("common #odd #rare"), sorted(post_ids(odd_rare)))

    def test_lexeme_query_is_quoted(self):
        for lexeme in [
            "#crédit_social",
            "#o'brien",
            "#back\\slash",
            "a & b | !c",
            "x:*",
            "'",
            "(z)",
        ]:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT array_to_tsvector(%s::text[]) @@ %s::tsquery, "
                    "array_to_tsvector(%s::text[]) @@ %s::tsquery",
                    [[lexeme], lexeme_query(lexeme), [lexeme + "x"], lexeme_query(lexeme)],
                )
                self.assertEqual(cursor.fetchone(), (True, False), lexeme)
