"""PostgresBackend: the search interface (backends.base.SearchBackend) on the tsvector table."""

from __future__ import annotations

import dataclasses
import json

from archive.search.backends.base import (
    DATE_ORDER,
    Candidate,
    Candidates,
    IndexDocument,
    SearchBackend,
    boosted,
    filter_sql,
)
from archive.search.backends.postgres import writes
from archive.search.backends.postgres.query import (
    RANK_WEIGHTS,
    excluded_tsquery_sql,
    phrase_sql,
    tag_tsquery_sql,
    tsquery_sql,
)
from archive.search.backends.postgres.schema import TABLE
from archive.search.query import Query
from archive.search.spelling import remember_words


class PostgresBackend(SearchBackend):
    UNPUBLISHED_ROWS = False  # an import is one transaction (archive/importer/staging.py)

    writes = writes  # SearchBackend.delete() and clear() use it
    TAG_PREFILTER = True  # wanted hashtags go to the GIN search as lexemes (candidates)
    DRIVE_BY_RAREST_TAG = False  # the planner picks the plan well once it sees hashtag ids

    def upsert(self, documents: list[IndexDocument]) -> None:
        self._write(documents, writes.UPSERT)

    def insert(self, documents: list[IndexDocument], words: set[str] | None = None) -> None:
        self._write(documents, "", words)

    def _write(
        self, documents: list[IndexDocument], on_conflict: str, words: set[str] | None = None
    ) -> None:
        if not documents:
            return
        with self.connection.cursor() as cursor:
            writes.write(cursor, documents, on_conflict)
        remember_words(self.connection, documents, words)

    def by_date(self, ids: list[int], *, newest_first: bool) -> list[int]:
        """SearchBackend.by_date with `id = ANY(ids)`: an index-only scan of article_id_date.
        Joined with unnest(ids), the planner hashed the whole table for 10,000 ids of 100,000
        (420 ms; bench/date_sort.py)."""
        if not ids:
            return []
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id FROM archive_article a WHERE a.id = ANY(%s) "
                f"ORDER BY {DATE_ORDER[newest_first]}",
                [ids],
            )
            return [row[0] for row in cursor.fetchall()]

    def excluded_ids_sql(self, query: Query) -> tuple[str, list]:
        sql, params = excluded_tsquery_sql(query)
        return f"SELECT article_id FROM {TABLE} WHERE document @@ ({sql})", params

    def candidates(self, query, *, language, limit, count_limit, every_counted=False) -> Candidates:
        tag_ids = self.tag_ids(query)
        if any(not tag_ids.get(key) for key in query.tags):
            return Candidates([], 0, False)  # no hashtag has a wanted search key
        rows_sql, rows_params = self._rows_sql(query, language, tag_ids)
        # Only a query counted as far as its candidates may sample (_matches).
        tested = (
            self._rows_sql(query, language, tag_ids, tested=True) if count_limit <= limit else None
        )
        with self.connection.cursor() as cursor:
            found, capped = self._matches(
                cursor,
                rows_sql,
                rows_params,
                limit=limit,
                count_limit=count_limit,
                every_counted=every_counted,
                tested=tested,
            )
            if not found:
                return Candidates([], 0, False)
            ids = found[:limit]
            scores = self._scores(cursor, query, ids, language, tag_ids)
        items = [Candidate(i, scores[i]) for i in ids if i in scores]
        total = count_limit if capped else len(found)
        return Candidates(items, total, capped, found[:total])

    def scores(self, query, ids, *, language) -> dict[int, float]:
        with self.connection.cursor() as cursor:
            return self._scores(cursor, query, ids, language, self.tag_ids(query))

    @staticmethod
    def _scores(cursor, query: Query, ids: list[int], language, tag_ids) -> dict[int, float]:
        """Rank just these, with the text's query alone: ts_rank_cd never runs on every hit,
        and the hashtags score nothing. The filters are checked again, exactly: an id failing
        them has no score."""
        tsquery, tsquery_params = tsquery_sql(query, pairs=False)
        where, filter_params = filter_sql(query, "d.article_id", language, tag_ids)
        phrase = phrase_sql(query)
        phrase_column, phrase_params = (
            (f"d.document @@ {phrase[0]}", phrase[1]) if phrase else ("false", [])
        )
        cursor.execute(
            f"SELECT d.article_id, ts_rank_cd(%s, d.document, {tsquery}), {phrase_column} "
            f"FROM {TABLE} d WHERE d.article_id = ANY(%s) AND {where}",
            [RANK_WEIGHTS, *tsquery_params, *phrase_params, ids, *filter_params],
        )
        return {row[0]: boosted(float(row[1]), phrase=bool(row[2])) for row in cursor.fetchall()}

    def _rows_sql(self, query: Query, language, tag_ids, tested: bool = False):
        """FROM and WHERE of the search documents matching the query, as the GIN index finds
        them: the wanted hashtags as lexemes; the filters then check them exactly.

        With `tested`, for a query with a phrase of very common words only: the same rows as
        found by testing each document, without the index (None for other queries)."""
        where, filter_params = filter_sql(query, "d.article_id", language, tag_ids)
        search, search_params = tsquery_sql(query)
        indexed, indexed_params = tsquery_sql(query, index=True)
        scan_where, scan_params = where, filter_params
        if query.tags and self.TAG_PREFILTER:
            # The wanted hashtags are found by the GIN index, as their lexemes, in the same
            # pass as the words: joined with a hashtag's uses instead, the matches of
            # "dordordraya #by" (14,000 documents, a hashtag on 370,000 articles) took 120 ms
            # at a million posts. The exact filter (the hashtag's uses) then checks only the
            # candidates, in the ranking query of candidates(); the count relies on the index,
            # which every write path that changes hashtags refreshes (index_articles).
            tag_tsquery, tag_params = tag_tsquery_sql(query)
            search, search_params = f"({search} && {tag_tsquery})", [*search_params, *tag_params]
            indexed = f"({indexed} && {tag_tsquery})"
            indexed_params = [*indexed_params, *tag_params]
            untagged = dataclasses.replace(query, tags=[])
            scan_where, scan_params = filter_sql(untagged, "d.article_id", language, tag_ids)
        if tested:
            if indexed == search:
                return None
            return (
                f"FROM {TABLE} d WHERE ts_match_vq(d.document, {search}) AND {scan_where}",
                [*search_params, *scan_params],
            )
        if indexed != search:
            # A phrase of very common words: the index is asked for its pairs, and each row
            # then checked with the whole query, in a function call the planner cannot give
            # to the index (ts_match_vq is the @@ operator's function).
            return (
                f"FROM {TABLE} d WHERE d.document @@ {indexed} "
                f"AND ts_match_vq(d.document, {search}) AND {scan_where}",
                [*indexed_params, *search_params, *scan_params],
            )
        return (
            f"FROM {TABLE} d WHERE d.document @@ {search} AND {scan_where}",
            [*search_params, *scan_params],
        )

    # A walk's step (an article_newest entry, a search document looked up and tested) takes
    # ~3 µs: 50,000 of them, 150 ms.
    DATE_WALK_ROWS = 50_000

    def match_share(self, query, language, found) -> float:
        """The planner's estimate: "agriculture" (51,591 documents at a million posts) sorted
        by date took 460 ms through the 10,000 counted matches, and 3 ms by walking."""
        tag_ids = self.tag_ids(query)
        rows_sql, rows_params = self._rows_sql(query, language, tag_ids)
        with self.connection.cursor() as cursor:
            estimated, documents = _estimate(cursor, rows_sql, rows_params)
        return min(1.0, estimated / documents) if documents > 0 else 1.0

    def match_rows_sql(self, query, language) -> tuple[str, list]:
        rows_sql, params = self._rows_sql(query, language, self.tag_ids(query))
        return f"{rows_sql} AND d.article_id = a.id", params

    # The share of documents a query must match, by the planner's estimate, for the newest
    # ones to be walked rather than its matches counted from the GIN bitmap (_matches).
    WALK_SHARE = 0.2
    # How much wider than the counted matches' density says the newest matches are looked
    # for, at first (_newest).
    WINDOW_MARGIN = 1.5

    def _matches(
        self,
        cursor,
        rows_sql: str,
        params: list,
        *,
        limit,
        count_limit,
        every_counted,
        tested: tuple[str, list] | None = None,
    ) -> tuple[list[int], bool]:
        """The matching ids, newest first, all of them up to `count_limit`, and whether
        there are more; when there are, at least the first `limit` (all the counted ones with
        `every_counted`).

        Two plans, chosen from the planner's estimate of the matches (figures at a million
        posts):
        - a walk down the newest documents, testing each one, stops after
          count_limit / (share of documents matching) of them: cheapest for a word in most
          documents ("surveillance", in 91% of them: 13 ms for 10,001 ids);
        - else counting first, in no order, from the GIN bitmap, which reads only the matches'
          rows (a word in 5% of the documents: 69 ms, against 216 ms for the walk, which read
          184,000 documents to find 10,001). When there are more matches than are counted,
          the newest are then looked for among the newest ids only (_newest)."""
        estimated, documents = _estimate(cursor, rows_sql, params)
        if estimated >= self.WALK_SHARE * documents:
            cursor.execute(
                f"SELECT d.article_id {rows_sql} ORDER BY d.article_id DESC LIMIT %s",
                [*params, max(limit, count_limit + 1)],
            )
            found = [row[0] for row in cursor.fetchall()]
            return found, len(found) > count_limit
        if count_limit <= limit:
            # Counted only as far as the candidates (a phrase of very common words,
            # service._count_limit): the newest count_limit + 1 matches are all there is to
            # know, so they are looked for at once, from the planner's estimate, instead of
            # counting some in no order first and then looking again ("of the" at a million
            # posts: 126-134 ms, now 55-69).
            density = self._sampled_density(cursor, tested) if tested else None
            if density is None:
                density = max(estimated, 1.0) / max(documents, 1.0)
            found = self._newest(cursor, rows_sql, params, density, count_limit + 1)
            return found, len(found) > count_limit
        cursor.execute(f"SELECT d.article_id {rows_sql} LIMIT %s", [*params, count_limit + 1])
        found = [row[0] for row in cursor.fetchall()]
        if len(found) <= count_limit:
            return sorted(found, reverse=True), False
        wanted = count_limit if every_counted else limit
        # The matches' density over the ids: the counted matches' over the ids they span (the
        # bitmap gives them in the table's order, mostly the import's; the planner's estimate
        # of "liberté #Girebe_mibimare_tagabape" was 1.7 times too high).
        density = len(found) / (max(found) - min(found) + 1)
        return self._newest(cursor, rows_sql, params, density, wanted), True

    # The newest ids whose documents are tested one by one to measure the share of them a
    # phrase of very common words matches (_sampled_density), and the matches among them
    # that make the measure trusted.
    SAMPLE_IDS = 5000
    SAMPLE_MATCHES = 20

    def _sampled_density(self, cursor, tested: tuple[str, list]) -> float | None:
        """The matches' density over the newest SAMPLE_IDS ids, by testing each document
        (~1 µs each); None when they are too few to tell. The planner cannot tell it for a
        phrase: it multiplies the shares of its pairs, which go together ("of the" and "the
        the" are in 90,722 documents of a million, not 21,373), and guesses a third for the
        word order check, so the first window of "of the the" held four times the matches
        needed, each one's word order checked (63 ms, 37 ms with the window sized so)."""
        sql, params = tested
        # The bound as a value, not a subquery: the planner then sees a narrow range of ids
        # (with a subquery it planned a parallel scan of a third of the table: 39 ms, not 4).
        cursor.execute(f"SELECT max(article_id) FROM {TABLE}")
        (last,) = cursor.fetchone()
        if last is None:
            return None
        cursor.execute(
            f"SELECT count(*) {sql} AND d.article_id > %s", [*params, last - self.SAMPLE_IDS]
        )
        (matches,) = cursor.fetchone()
        return matches / self.SAMPLE_IDS if matches >= self.SAMPLE_MATCHES else None

    def _newest(
        self, cursor, rows_sql: str, params: list, density: float, wanted: int
    ) -> list[int]:
        """The newest `wanted` matches, looked for above a bound on the ids, lowered until
        enough are found: the GIN bitmap and the primary key's range
        then read only the rows near the bound, where walking down the newest documents
        tests every one of them ("Universität Polizei", 20,537 documents: 60 ms) and sorting
        all the matches reads all of them (75 ms). The first bound comes from the matches'
        estimated `density` over the ids, with a margin. A lowered bound reads only the ids
        below the last one ("démocraite"'s reading read its first window twice: 15-22 ms)."""
        cursor.execute(f"SELECT min(article_id), max(article_id) FROM {TABLE}")
        first, last = cursor.fetchone()
        if last is None:
            return []
        span = int(wanted / density * self.WINDOW_MARGIN) + 1
        found: list[int] = []
        below = ""  # after the first window: the ids under the bound before
        below_params: list[int] = []
        while True:
            bound = last - span
            cursor.execute(
                f"SELECT d.article_id {rows_sql} AND d.article_id >= %s{below} "
                "ORDER BY d.article_id DESC LIMIT %s",
                [*params, bound, *below_params, wanted - len(found)],
            )
            found += [row[0] for row in cursor.fetchall()]
            if len(found) >= wanted or not first < bound < last:
                return found
            below, below_params = " AND d.article_id < %s", [bound]
            # Too few: as far again as the density found here says, twice at least.
            grow = wanted / len(found) * self.WINDOW_MARGIN if found else 16
            span = int(span * min(max(grow, 2), 16))


def _estimate(cursor, rows_sql: str, params: list) -> tuple[float, float]:
    """The planner's estimates of these rows and of all search documents (within a factor of
    2.5 for single words at a million posts). EXPLAIN plans and does not run."""

    def planned_rows(sql: str, params: list) -> float:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
        return float((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])

    documents = planned_rows(f"SELECT 1 FROM {TABLE} d", [])
    return planned_rows(f"SELECT 1 {rows_sql}", params), documents
