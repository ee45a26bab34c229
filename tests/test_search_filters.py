"""Text with hashtag filters, and the candidate bound, on a generated archive (both databases).

Which side drives a "words + #tag" query (the word's matches or the hashtag's uses) is a matter
of speed only: these check that the rows are always the same ones.
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from unittest import mock, skipUnless

from django.db import connection
from django.test import override_settings

from archive.models import Article, Hashtag, TaggedArticle
from archive.search import parse, search
from tests.base import PLAIN_DUMP, SEENTHIS_DUMP, BaseTestCase, run_import

POSTS = 60
RARE = {7, 23, 41, 52, 58}  # posts with #rare ("common" in all but 23)
LONGER = {11, 30}  # #rare_tagged: holds the words of #rare, is not #rare
ACCENTED = {45}  # #Räre: another hashtag with the same search key as #rare


def write_dump(path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for n in range(POSTS):
            word = "uncommon" if n == 23 else "common"
            tags = ["#everywhere"]
            if n in RARE:
                tags.append("#rare")
            if n in LONGER:
                tags.append("#rare_tagged")
            if n in ACCENTED:
                tags.append("#Räre")
            if n % 2:
                tags.append("#odd")
            out.write(f"{'  ' if n else ''}• Post number {n} about things\n")
            out.write(f"    https://example.org/post/{n}\n")
            out.write(f"    A {word} paragraph of post {n}, and rare words in the text.\n\n")
            out.write(f"    {' '.join(tags)}\n\n")
    return path


def post_ids(numbers) -> list[int]:
    """Article ids of posts by number, newest (largest id) first."""
    wanted = {f"Post number {n} about things" for n in numbers}
    return sorted(Article.objects.filter(title__in=wanted).values_list("pk", flat=True))[::-1]


class WordsAndHashtagTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with tempfile.TemporaryDirectory() as folder:
            run_import(write_dump(Path(folder) / "generated.txt"))

    def found(self, q: str, **kwargs) -> tuple[list[int], int]:
        results = search(q, page_size=100, **kwargs)
        return [h.article.pk for h in results.hits], results.total

    def test_rare_hashtag_with_common_word(self):
        ids, total = self.found("common #rare")
        expected = post_ids((RARE | ACCENTED) - {23})
        self.assertEqual(sorted(ids), sorted(expected))
        self.assertEqual(total, len(expected))
        tagged = set(
            TaggedArticle.objects.filter(tag__search_key="rare").values_list(
                "content_object_id", flat=True
            )
        )
        self.assertTrue(set(ids) <= tagged)
        self.assertFalse(set(ids) & set(post_ids(LONGER)))  # a longer hashtag is another one

    def test_common_hashtag_with_common_word_and_exclusions(self):
        ids, total = self.found("common #odd -#rare")
        expected = post_ids({n for n in range(POSTS) if n % 2} - RARE - ACCENTED - {23})
        self.assertEqual(sorted(ids), sorted(expected))
        self.assertEqual(total, len(expected))
        ids, _ = self.found("common #rare -uncommon #everywhere")
        self.assertEqual(sorted(ids), sorted(post_ids((RARE | ACCENTED) - {23})))

    def test_hashtag_words_in_text_are_not_the_hashtag(self):
        # Every post says "rare words" in its text; only hashtags count for #rare.
        self.assertEqual(self.found("rare #rare")[1], len(RARE | ACCENTED))
        self.assertEqual(self.found("#rare")[1], len(RARE | ACCENTED))

    def test_candidate_bound_keeps_the_newest_matches(self):
        expected = post_ids((RARE | ACCENTED) - {23})
        with override_settings(ARCHIVE_SEARCH_CANDIDATES=2):
            results = search("common #rare", page_size=10)
        self.assertEqual(sorted(h.article.pk for h in results.hits), sorted(expected[:2]))
        self.assertEqual(results.total, len(expected))  # counted past the candidates
        self.assertFalse(results.total_is_capped)
        self.assertFalse(results.has_next)  # only the ranked candidates can be paged to
        with override_settings(ARCHIVE_SEARCH_CANDIDATES=2, ARCHIVE_SEARCH_COUNT_LIMIT=3):
            results = search("common #rare", page_size=10)
        self.assertEqual(results.total, 3)
        self.assertTrue(results.total_is_capped)

    def test_hashtags_alone(self):
        odd = {n for n in range(POSTS) if n % 2}
        cases = {
            "#rare": RARE | ACCENTED,  # two hashtags under one search key
            "#odd": odd,
            "#odd -#rare": odd - RARE - ACCENTED,
            "#everywhere #rare": RARE | ACCENTED,
            "#rare #odd -uncommon": (RARE | ACCENTED) & odd - {23},
        }
        for q, numbers in cases.items():
            ids, total = self.found(q)
            self.assertEqual(sorted(ids), sorted(post_ids(numbers)), q)
            self.assertEqual(total, len(numbers), q)
        with override_settings(ARCHIVE_SEARCH_COUNT_LIMIT=5):
            results = search("#odd")
        self.assertEqual((results.total, results.total_is_capped), (5, True))

    def test_unknown_hashtag_finds_nothing(self):
        self.assertEqual(self.found("common #nosuchhashtag"), ([], 0))

    def test_hashtag_words_in_the_index_search_change_no_row(self):
        from archive.search.backends import get_backend

        backend = type(get_backend())
        queries = [
            "common #rare",
            "common #Räre",
            "rare #rare_tagged",
            "common #odd -#rare",
            "paragraph #rare #odd",
            "common #everywhere",
            "uncommon #rare",
        ]
        for q in queries:
            with mock.patch.object(backend, "TAG_PREFILTER", False):
                checked = self.found(q)
            prefiltered = self.found(q)
            self.assertEqual(sorted(checked[0]), sorted(prefiltered[0]), q)
            self.assertEqual(checked[1], prefiltered[1], q)

    def test_hashtag_deleted_outright_no_longer_finds_its_articles(self):
        # #Räre shares #rare's search key. Deleted outright (as the admin does: its uses go
        # with it and no article is indexed again), its article is no longer found by #rare,
        # although its search document still holds the hashtag.
        Hashtag.objects.get(key="räre").delete()
        ids, _ = self.found("common #rare")
        self.assertEqual(sorted(ids), sorted(post_ids(RARE - {23})))


@skipUnless(connection.vendor == "postgresql", "PostgreSQL only")
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
        from archive.search.backends.postgres.query import lexeme_query

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


@skipUnless(connection.vendor == "sqlite", "FTS5 only")
class FTS5RankingTests(BaseTestCase):
    """Scores are computed from the candidates' indexed text: exactly FTS5's bm25()."""

    dumps = (SEENTHIS_DUMP, PLAIN_DUMP)

    def test_scores_are_fts5_bm25(self):
        from archive.search.backends import get_backend
        from archive.search.backends.sqlite.query import phrase_expression, required_expression
        from archive.search.backends.sqlite.schema import TABLE

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
        from archive.search.backends.sqlite import SQLiteBackend

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
        from archive.search import index_articles
        from archive.search.backends import get_backend
        from archive.search.backends.sqlite.query import required_expression
        from archive.search.backends.sqlite.schema import TABLE

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
        from archive.search import index_articles
        from archive.search.backends import get_backend
        from archive.search.backends.sqlite.schema import TABLE

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
