"""PostgreSQL: a stored, weighted tsvector per article with a GIN index."""

from __future__ import annotations

from archive.search.analysis import forms
from archive.search.backends.base import (
    WEIGHT_BODY,
    WEIGHT_COMMENTARY,
    WEIGHT_TAGS,
    WEIGHT_TITLE,
    Candidate,
    Candidates,
    IndexDocument,
    SearchBackend,
    boosted,
    filter_sql,
    hashtag_words,
)
from archive.search.query import AnyOf, Phrase, Query, Term

TABLE = "archive_searchdoc"
# Documents stay in the table's rows, compressed, up to about 8 KB, instead of moving to the
# TOAST table past 2 KB (most of them did). A phrase, an exclusion or the ranking of candidates
# reads each candidate's document, and fetching it from TOAST cost several times the read
# itself: 27,000 phrase checks at 1M posts took 115 ms from TOAST, 30 ms from the rows.
INLINE_DOCUMENTS_SQL = [
    f"ALTER TABLE {TABLE} SET (toast_tuple_target = 8160)",
    f"ALTER TABLE {TABLE} ALTER COLUMN document SET STORAGE MAIN",
]
CREATE_SQL = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " article_id bigint PRIMARY KEY REFERENCES archive_article(id) ON DELETE CASCADE,"
    " document tsvector NOT NULL)",
    *INLINE_DOCUMENTS_SQL,
    f"CREATE INDEX IF NOT EXISTS {TABLE}_document ON {TABLE} USING gin (document)",
]
DROP_SQL = [f"DROP TABLE IF EXISTS {TABLE}"]
# ts_rank weights are listed D, C, B, A: text, commentary, hashtags, title.
RANK_WEIGHTS = (
    "{"
    + ",".join(
        str(w / WEIGHT_TITLE) for w in (WEIGHT_BODY, WEIGHT_COMMENTARY, WEIGHT_TAGS, WEIGHT_TITLE)
    )
    + "}"
)
# A tsvector holds at most 1 MB; beyond this the tail of a huge text is not indexed.
MAX_DOCUMENT_CHARS = 400_000

DOCUMENT_SQL = (
    "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B') || "
    "setweight(to_tsvector('simple', %s), 'C') || setweight(to_tsvector('simple', %s), 'D')"
)


def _unit(unit: Term | Phrase) -> tuple[str, list]:
    if isinstance(unit, Term):
        options = forms(unit.word)
        sql = " || ".join(["plainto_tsquery('simple', %s)"] * len(options))
        return f"({sql})", list(options)
    return "phraseto_tsquery('simple', %s)", [" ".join(unit.words)]


def _clause(clause) -> tuple[str, list]:
    if isinstance(clause, AnyOf):
        parts = [_unit(o) for o in clause.options]
        return "(" + " || ".join(p[0] for p in parts) + ")", [x for p in parts for x in p[1]]
    return _unit(clause)


def tsquery_sql(query: Query) -> tuple[str, list]:
    parts = [_clause(c) for c in query.required]
    sql = " && ".join(p[0] for p in parts)
    params = [x for p in parts for x in p[1]]
    for unit in query.excluded:
        unit_sql, unit_params = _unit(unit)
        sql = f"({sql}) && !!{unit_sql}"
        params += unit_params
    return f"({sql})", params


def phrase_sql(query: Query) -> tuple[str, list] | None:
    words = [c.word for c in query.required if isinstance(c, Term)]
    if len(words) < 2:
        return None
    return "phraseto_tsquery('simple', %s)", [" ".join(forms(w)[0] for w in words)]


def tag_tsquery_sql(query: Query, tags: dict[str, list[tuple[int, str]]]) -> tuple[str, list]:
    """The wanted hashtags' words, as lexemes all of which a document must hold (a tsquery ANDed
    with the text's), or ("", []) when there are none. See PostgresBackend.candidates."""
    parts, params = [], []
    for key in query.tags:
        words = [hashtag_words(name) for _, name in tags.get(key, [])]
        if words and all(words):
            parts.append("(" + " || ".join(["plainto_tsquery('simple', %s)"] * len(words)) + ")")
            params += words
    return " && ".join(parts), params


class PostgresBackend(SearchBackend):
    TAG_PREFILTER = True  # wanted hashtags' words also go to the GIN search (candidates)
    DRIVE_BY_RAREST_TAG = False  # the planner picks the plan well once it sees hashtag ids

    def upsert(self, documents: list[IndexDocument]) -> None:
        self._write(
            documents, "ON CONFLICT (article_id) DO UPDATE SET document = excluded.document"
        )

    def insert(self, documents: list[IndexDocument]) -> None:
        self._write(documents, "")

    def _write(self, documents: list[IndexDocument], on_conflict: str) -> None:
        if not documents:
            return
        rows = []
        for d in documents:
            body = d.body[:MAX_DOCUMENT_CHARS]
            rows.append(
                (
                    d.article_id,
                    d.title[:MAX_DOCUMENT_CHARS],
                    d.tags,
                    d.commentary[:MAX_DOCUMENT_CHARS],
                    body,
                )
            )
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (article_id, document) VALUES (%s, {DOCUMENT_SQL}) "
                + on_conflict,
                rows,
            )

    def delete(self, article_ids: list[int]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE article_id = ANY(%s)", [list(article_ids)])

    def clear(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {TABLE}")

    def excluded_ids_sql(self, query: Query) -> tuple[str, list]:
        parts = [_unit(u) for u in query.excluded]
        sql = " || ".join(p[0] for p in parts)
        return (
            f"SELECT article_id FROM {TABLE} WHERE document @@ ({sql})",
            [x for p in parts for x in p[1]],
        )

    def candidates(self, query, *, language, limit, count_limit) -> Candidates:
        tags = self.hashtags(query)
        if any(not tags.get(key) for key in query.tags):
            return Candidates([], 0, False)  # no hashtag has a wanted search key
        tag_ids = {key: [tag_id for tag_id, _ in rows] for key, rows in tags.items()}
        tsquery, tsquery_params = tsquery_sql(query)
        where, filter_params = filter_sql(query, "d.article_id", language, tag_ids)
        # Speed only, same rows: the wanted hashtags' words go into the GIN search as well (the
        # hashtag filter itself stays). Every use of a hashtag puts its name's words into the
        # article's document (see SQLiteBackend._tag_phrases), so the index intersects the
        # word's and the hashtag's lists and only documents holding both are read and tested;
        # tested row by row, a rare hashtag with a common word read every document of the word.
        tag_tsquery, tag_params = tag_tsquery_sql(query, tags) if self.TAG_PREFILTER else ("", [])
        search = f"({tsquery} && {tag_tsquery})" if tag_tsquery else tsquery
        phrase = phrase_sql(query)
        phrase_column, phrase_params = (
            (f"d.document @@ {phrase[0]}", phrase[1]) if phrase else ("false", [])
        )
        with self.connection.cursor() as cursor:
            # The newest matches' ids, as many as counting needs: the candidates are the first
            # `limit`. One query for both, asking for ids alone: asked for the newest 1,000
            # documents (and counting apart), the planner walked the newest articles testing
            # each document ("dordordraya #by": 86,000 rows, 230 ms at 100,000 posts) where the
            # GIN bitmap joined with the hashtag's uses takes 17 ms.
            cursor.execute(
                f"SELECT d.article_id FROM {TABLE} d WHERE d.document @@ {search} AND {where} "
                "ORDER BY d.article_id DESC LIMIT %s",
                [*tsquery_params, *tag_params, *filter_params, max(limit, count_limit + 1)],
            )
            found = [row[0] for row in cursor.fetchall()]
            if not found:
                return Candidates([], 0, False)
            ids = found[:limit]
            # Then rank just those, with the text's query alone: ts_rank_cd never runs on every
            # hit, and the hashtags' words score nothing.
            cursor.execute(
                f"SELECT d.article_id, ts_rank_cd(%s, d.document, {tsquery}), {phrase_column} "
                f"FROM {TABLE} d WHERE d.article_id = ANY(%s)",
                [RANK_WEIGHTS, *tsquery_params, *phrase_params, ids],
            )
            ranks = {row[0]: (float(row[1]), bool(row[2])) for row in cursor.fetchall()}
        items = []
        for article_id in ids:
            score, phrased = ranks.get(article_id, (0.0, False))
            items.append(Candidate(article_id, boosted(score, phrase=phrased)))
        return Candidates(items, min(len(found), count_limit), len(found) > count_limit)
