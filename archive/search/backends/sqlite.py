"""SQLite FTS5: one virtual table, rowid = article id, four weighted columns."""

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

TABLE = "archive_search"
CREATE_SQL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "title, tags, commentary, body, tokenize = 'unicode61 remove_diacritics 2')",
    # Deleting an article removes its index row, whichever code path deletes it.
    f"CREATE TRIGGER IF NOT EXISTS archive_article_search_delete AFTER DELETE ON archive_article "
    f"BEGIN DELETE FROM {TABLE} WHERE rowid = old.id; END",
]
DROP_SQL = [
    "DROP TRIGGER IF EXISTS archive_article_search_delete",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def _string(token: str) -> str:
    """An FTS5 string literal: tokens hold only letters and digits, quotes are doubled anyway."""
    return '"' + token.replace('"', '""') + '"'


def _unit(unit: Term | Phrase) -> str:
    if isinstance(unit, Term):
        return "(" + " OR ".join(_string(f) for f in forms(unit.word)) + ")"
    return _string(" ".join(unit.words))


def _clause(clause) -> str:
    if isinstance(clause, AnyOf):
        return "(" + " OR ".join(_unit(o) for o in clause.options) + ")"
    return _unit(clause)


def required_expression(query: Query) -> str:
    return " AND ".join(_clause(c) for c in query.required)


def match_expression(query: Query) -> str:
    expression = required_expression(query)
    for unit in query.excluded:
        expression = f"({expression}) NOT {_unit(unit)}"
    return expression


def phrase_expression(query: Query) -> str | None:
    """The query's bare words as one exact phrase, for ranking exact quotes higher."""
    words = [c.word for c in query.required if isinstance(c, Term)]
    if len(words) < 2:
        return None
    return _string(" ".join(forms(w)[0] for w in words))


class SQLiteBackend(SearchBackend):
    def upsert(self, documents: list[IndexDocument]) -> None:
        if not documents:
            return
        with self.connection.cursor() as cursor:
            self._delete(cursor, [d.article_id for d in documents])
            cursor.executemany(
                f"INSERT INTO {TABLE}(rowid, title, tags, commentary, body)"
                " VALUES (%s, %s, %s, %s, %s)",
                [(d.article_id, d.title, d.tags, d.commentary, d.body) for d in documents],
            )

    def delete(self, article_ids: list[int]) -> None:
        with self.connection.cursor() as cursor:
            self._delete(cursor, article_ids)

    @staticmethod
    def _delete(cursor, article_ids: list[int]) -> None:
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start : start + 500]
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE rowid IN ({', '.join(['%s'] * len(chunk))})", chunk
            )

    def clear(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE}")

    def optimize(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('optimize')")

    def excluded_ids_sql(self, query: Query) -> tuple[str, list]:
        expression = " OR ".join(_unit(u) for u in query.excluded)
        return f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [expression]

    def candidates(self, query, *, language, limit, count_limit) -> Candidates:
        expression = match_expression(query)
        where, params = filter_sql(query, f"{TABLE}.rowid", language)
        matches = f"FROM {TABLE} WHERE {TABLE} MATCH %s AND {where}"
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid {matches} ORDER BY rowid DESC LIMIT %s", [expression, *params, limit]
            )
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return Candidates([], 0, False)
            floor = ids[-1]
            # Rank only the candidates: the rowid range keeps bm25 off every older match.
            # bm25 counts, for each phrase of the expression, every row holding it (its IDF):
            # excluded words score nothing yet cost a pass over all their rows, and the filters
            # change no score; so rank with the required words alone (same scores, and only
            # the candidates' scores are used).
            cursor.execute(
                f"SELECT rowid, bm25({TABLE}, {WEIGHT_TITLE}, {WEIGHT_TAGS}, {WEIGHT_COMMENTARY}, "
                f"{WEIGHT_BODY}) FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid >= %s",
                [required_expression(query), floor],
            )
            scores = dict(cursor.fetchall())
            phrase = phrase_expression(query)
            phrased = self._matching(cursor, phrase, floor) if phrase else set()
            titled = self._matching(cursor, f"title : ({required_expression(query)})", floor)
            total, capped = len(ids), False
            if len(ids) == limit:
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 {matches} LIMIT %s)",
                    [expression, *params, count_limit + 1],
                )
                total = cursor.fetchone()[0]
                capped = total > count_limit
                total = min(total, count_limit)
        items = [
            Candidate(i, boosted(-scores.get(i, 0.0), phrase=i in phrased, title=i in titled))
            for i in ids
        ]
        return Candidates(items, total, capped)

    @staticmethod
    def _matching(cursor, expression: str, floor: int) -> set[int]:
        cursor.execute(
            f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid >= %s", [expression, floor]
        )
        return {row[0] for row in cursor.fetchall()}
