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
)
from archive.search.query import AnyOf, Phrase, Query, Term

TABLE = "archive_searchdoc"
CREATE_SQL = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " article_id bigint PRIMARY KEY REFERENCES archive_article(id) ON DELETE CASCADE,"
    " document tsvector NOT NULL)",
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


class PostgresBackend(SearchBackend):
    DRIVE_BY_RAREST_TAG = False  # the planner picks the plan well once it sees hashtag ids

    def upsert(self, documents: list[IndexDocument]) -> None:
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
                "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document",
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
        tsquery, tsquery_params = tsquery_sql(query)
        where, filter_params = filter_sql(query, "d.article_id", language, self.tag_ids(query))
        matches = f"FROM {TABLE} d WHERE d.document @@ {tsquery} AND {where}"
        params = [*tsquery_params, *filter_params]
        phrase = phrase_sql(query)
        phrase_column, phrase_params = (
            (f"c.document @@ {phrase[0]}", phrase[1]) if phrase else ("false", [])
        )
        with self.connection.cursor() as cursor:
            # Newest matches first, then rank just those: ts_rank never runs on every hit. The
            # subquery hands its documents out (no join back to the table, which the planner
            # did as a hash join over a sequential scan of the whole index table).
            cursor.execute(
                f"SELECT c.article_id, ts_rank_cd(%s, c.document, {tsquery}), {phrase_column} "
                f"FROM (SELECT d.article_id, d.document {matches} ORDER BY d.article_id DESC "
                "LIMIT %s) c ORDER BY c.article_id DESC",
                [RANK_WEIGHTS, *tsquery_params, *phrase_params, *params, limit],
            )
            rows = cursor.fetchall()
            total, capped = len(rows), False
            if len(rows) == limit:
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 {matches} LIMIT %s) t",
                    [*params, count_limit + 1],
                )
                total = cursor.fetchone()[0]
                capped = total > count_limit
                total = min(total, count_limit)
        items = [Candidate(r[0], boosted(float(r[1]), phrase=bool(r[2]))) for r in rows]
        return Candidates(items, total, capped)
