"""PostgresBackend: the search interface (backends.base.SearchBackend) on the tsvector table."""

from __future__ import annotations

import dataclasses

from archive.search.backends.base import (
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
        order = "DESC" if newest_first else "ASC"
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id FROM archive_article a WHERE a.id = ANY(%s) "
                f"ORDER BY a.sort_date {order}, a.id {order}",
                [ids],
            )
            return [row[0] for row in cursor.fetchall()]

    def excluded_ids_sql(self, query: Query) -> tuple[str, list]:
        sql, params = excluded_tsquery_sql(query)
        return f"SELECT article_id FROM {TABLE} WHERE document @@ ({sql})", params

    def candidates(self, query, *, language, limit, count_limit, oldest_first=False) -> Candidates:
        tag_ids = self.tag_ids(query)
        if any(not tag_ids.get(key) for key in query.tags):
            return Candidates([], 0, False)  # no hashtag has a wanted search key
        tsquery, tsquery_params = tsquery_sql(query, pairs=False)
        where, filter_params = filter_sql(query, "d.article_id", language, tag_ids)
        search, search_params = tsquery_sql(query)
        scan_where, scan_params = where, filter_params
        if query.tags and self.TAG_PREFILTER:
            # The wanted hashtags are found by the GIN index, as their lexemes, in the same
            # pass as the words: joined with a hashtag's uses instead, the matches of
            # "dordordraya #by" (14,000 documents, a hashtag on 370,000 articles) took 120 ms
            # at a million posts. The exact filter (the hashtag's uses) then checks only the
            # candidates, in the ranking query below; the count relies on the index, which
            # every write path that changes hashtags refreshes (index_articles).
            tag_tsquery, tag_params = tag_tsquery_sql(query)
            search, search_params = f"({search} && {tag_tsquery})", [*search_params, *tag_params]
            untagged = dataclasses.replace(query, tags=[])
            scan_where, scan_params = filter_sql(untagged, "d.article_id", language, tag_ids)
        phrase = phrase_sql(query)
        phrase_column, phrase_params = (
            (f"d.document @@ {phrase[0]}", phrase[1]) if phrase else ("false", [])
        )
        with self.connection.cursor() as cursor:
            # The newest matches' ids, as many as counting needs: the candidates are the first
            # `limit`. One query for both, asking for ids alone: asked for the newest 1,000
            # documents (and counting apart), the planner walked the newest articles testing
            # each document ("dordordraya #by": 86,000 rows, 230 ms at 100,000 posts) where the
            # GIN bitmap takes 17 ms.
            cursor.execute(
                f"SELECT d.article_id FROM {TABLE} d WHERE d.document @@ {search} "
                f"AND {scan_where} ORDER BY d.article_id {'ASC' if oldest_first else 'DESC'}"
                " LIMIT %s",
                [*search_params, *scan_params, max(limit, count_limit + 1)],
            )
            found = [row[0] for row in cursor.fetchall()]
            if not found:
                return Candidates([], 0, False)
            ids = found[:limit]
            # Then rank just those, with the text's query alone: ts_rank_cd never runs on every
            # hit, and the hashtags score nothing. The filters are checked again, exactly.
            cursor.execute(
                f"SELECT d.article_id, ts_rank_cd(%s, d.document, {tsquery}), {phrase_column} "
                f"FROM {TABLE} d WHERE d.article_id = ANY(%s) AND {where}",
                [RANK_WEIGHTS, *tsquery_params, *phrase_params, ids, *filter_params],
            )
            ranks = {row[0]: (float(row[1]), bool(row[2])) for row in cursor.fetchall()}
        items = [
            Candidate(article_id, boosted(ranks[article_id][0], phrase=ranks[article_id][1]))
            for article_id in ids
            if article_id in ranks
        ]
        total = min(len(found), count_limit)
        return Candidates(items, total, len(found) > count_limit, found[:total])
