"""SQLiteBackend: the search interface (backends.base.SearchBackend) on the FTS5 table.

A text query runs in three steps, each bounded whatever the archive's size:

1. one MATCH (query.py), newest rowid first, with the hashtag and language filters: the newest
   `limit` matches are the candidates, and reading on up to `count_limit` counts the rest;
2. the index's own figures (scoring.index_figures), remembered until the index changes;
3. a score for each candidate (scoring.ranks): FTS5's bm25(), computed by bm25() itself when
   that is cheap, else from the candidates' indexed text, to the same result.
"""

from __future__ import annotations

import json

from django.db import transaction

from archive.models import HIDDEN_FIRST_SQL, HIDDEN_LAST_SQL
from archive.search.backends.base import (
    Candidate,
    Candidates,
    IndexDocument,
    SearchBackend,
    boosted,
    filter_sql,
)
from archive.search.backends.sqlite import scoring, writes
from archive.search.backends.sqlite.query import (
    excluded_expression,
    match_expression,
    tag_expression,
)
from archive.search.backends.sqlite.schema import TABLE
from archive.search.query import Query
from archive.search.spelling import remember_words

MIN_ROWID, MAX_ROWID = -(2**63), 2**63 - 1


def _score(rank: tuple[float, bool, bool] | None) -> float:
    score, phrase, title = rank or (0.0, False, False)
    return boosted(score, phrase=phrase, title=title)


class SQLiteBackend(SearchBackend):
    writes = writes  # SearchBackend.delete() and clear() use it
    IDS_TABLE = "(SELECT value AS id FROM json_each(%s)) given"
    IN_IDS = "IN (SELECT value FROM json_each(%s))"
    # SQLite looks rows up by rowid even where this index holds all a query reads.
    DATES_INDEX = "INDEXED BY article_id_date"
    TAG_PREFILTER = True  # wanted hashtags also go to FTS5, as phrases (query.tag_expression)
    RANK_METHOD: str | None = None  # "text" or "bm25" to always rank one way (tests)

    def upsert(self, documents: list[IndexDocument]) -> None:
        if not documents:
            return
        with self.connection.cursor() as cursor:
            writes.delete(cursor, [d.article_id for d in documents])
        self.insert(documents)

    def insert(self, documents: list[IndexDocument], words: set[str] | None = None) -> None:
        if not documents:
            return
        with self.connection.cursor() as cursor:
            writes.insert(cursor, documents)
        remember_words(self.connection, documents, words)

    def optimize(self) -> None:
        with self.connection.cursor() as cursor:
            writes.optimize(cursor)

    @staticmethod
    def ids_parameter(ids: list[int]) -> str:
        return json.dumps(ids)

    def excluded_ids_sql(self, query: Query) -> tuple[str, list]:
        return f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [excluded_expression(query)]

    def candidates(self, query, *, language, limit, count_limit, every_counted=False) -> Candidates:
        tags = self.hashtags(query)
        if any(not tags.get(key) for key in query.tags):
            return Candidates([], 0, False)  # no hashtag has a wanted search key
        tag_ids = {key: [tag_id for tag_id, _ in rows] for key, rows in tags.items()}
        # One read transaction: the hidden interval and the matches come from one snapshot,
        # so no row of an import that starts or publishes meanwhile is half seen.
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            tag_filter = tag_expression(query, tags) if self.TAG_PREFILTER else None
            expression = match_expression(query, tag_filter)
            where, params = filter_sql(query, f"{TABLE}.rowid", language, tag_ids)
            # One pass gives the candidates (the newest) and the count: counting apart would
            # match and filter the candidates' rows twice.
            wanted = max(limit, count_limit + 1)
            found = []
            for low, high in self.published_rowids(cursor):
                cursor.execute(
                    f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid >= %s "
                    f"AND rowid <= %s AND {where} "
                    "ORDER BY rowid DESC LIMIT %s",
                    [expression, low, high, *params, wanted - len(found)],
                )
                found += [row[0] for row in cursor.fetchall()]
                if len(found) >= wanted:
                    break
            if not found:
                return Candidates([], 0, False)
            ids = found[:limit]
            total, capped = min(len(found), count_limit), len(found) > count_limit
            ranks = self.ranks(query, ids, cursor=cursor)
        items = [Candidate(i, _score(ranks.get(i))) for i in ids]
        return Candidates(items, total, capped, found[:total])

    def scores(self, query, ids, *, language) -> dict[int, float]:
        ranks = self.ranks(query, ids)
        return {i: _score(ranks.get(i)) for i in ids}

    # A walk's step (an article_newest entry, and FTS5 asked whether its row matches) takes
    # 11-17 µs at a million posts: 10,000 of them, 110-170 ms.
    DATE_WALK_ROWS = 10_000
    DATE_WALK_INDEX = "INDEXED BY article_newest"

    def match_share(self, query, language, found) -> float:
        """From the counted matches, the newest by rowid: how many of the rows they span
        they are."""
        if not found.ids:
            return 1.0
        return len(found.ids) / (max(found.ids) - min(found.ids) + 1)

    def match_rows_sql(self, query, language) -> tuple[str, list]:
        tags = self.hashtags(query)
        tag_filter = tag_expression(query, tags) if self.TAG_PREFILTER else None
        return (
            f"FROM {TABLE} WHERE {TABLE} MATCH %s AND {TABLE}.rowid = a.id",
            [match_expression(query, tag_filter)],
        )

    @staticmethod
    def published_rowids(cursor) -> list[tuple[int, int]]:
        """The rowid ranges outside the interval of unfinished imports (models.HIDDEN_*_SQL),
        in the order of the walk. FTS5 seeks to a rowid bound: a search walking the newest
        rows no longer reads, and drops one by one, the 150,000 rows of an import under way
        (what the same condition as a filter on each row did)."""
        cursor.execute(f"SELECT {HIDDEN_FIRST_SQL}, {HIDDEN_LAST_SQL}")
        first, last = cursor.fetchone()
        if first > last:
            ranges = [(MIN_ROWID, MAX_ROWID)]
        else:
            ranges = [(MIN_ROWID, first - 1), (last + 1, MAX_ROWID)]
        return ranges[::-1]

    def ranks(
        self, query: Query, ids: list[int], cursor=None, *, method: str | None = None
    ) -> scoring.Ranks:
        """scoring.ranks() on this connection: for each row, its bm25 score (larger is better),
        whether it holds the query's words as an exact phrase, whether its title matches.
        `method` ("text", "bm25") defaults to RANK_METHOD, else the cheaper for these rows."""
        scoring.ensure_bm25_checked(self.connection)
        if cursor is None:
            with self.connection.cursor() as cursor:
                return self.ranks(query, ids, cursor, method=method)
        return scoring.ranks(self.connection, cursor, query, ids, method=method or self.RANK_METHOD)
