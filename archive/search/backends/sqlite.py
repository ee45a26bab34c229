"""SQLite FTS5: one virtual table, rowid = article id, four weighted columns.

A text query runs in three steps, each bounded whatever the archive's size:

1. one MATCH, newest rowid first, with the hashtag and language filters: the newest `limit`
   matches are the candidates, and reading on up to `count_limit` counts the rest;
2. the index's own figures: rows, tokens and, per phrase of the query, how many rows hold it
   (bm25's inverse document frequency), remembered until the index changes;
3. a score for each candidate: FTS5's bm25() (same constants, column weights and figures, same
   result to the last bit), computed by bm25() itself when that is cheap, else here from the
   candidates' indexed text. bm25() finds every row holding each phrase on every call, whatever
   LIMIT or rowid range (about 100 ms for a word in most posts of a million), and scores every
   match in the candidates' rowid range (with a rare hashtag, most of the archive).

The indexed text (analysis.documents) is folded words separated by single spaces, so the phrase
and title matches that raise a score are found in it too, without more MATCH queries.
"""

from __future__ import annotations

import hashlib
import math

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
COLUMN_WEIGHTS = (WEIGHT_TITLE, WEIGHT_TAGS, WEIGHT_COMMENTARY, WEIGHT_BODY)  # column order
# FTS5's bm25() (ext/fts5/fts5_aux.c): its constants, and the floor of a phrase's IDF.
BM25_K1, BM25_B, MIN_IDF = 1.2, 0.75, 1e-6
# FTS5's shadow tables: %_data holds the averages record (rows and tokens per column) at rowid 1
# and the segment structure (rewritten by every change to the index) at rowid 10; %_docsize the
# tokens per column of each row; %_content the indexed text (columns c0..c3).
AVERAGES_ROWID, STRUCTURE_ROWID = 1, 10


def _string(token: str) -> str:
    """An FTS5 string literal: tokens hold only letters and digits, quotes are doubled anyway."""
    return '"' + token.replace('"', '""') + '"'


def _unit_phrases(unit: Term | Phrase) -> list[str]:
    """The FTS5 phrases of a word (its forms) or of a quoted phrase, in expression order."""
    if isinstance(unit, Term):
        return list(forms(unit.word))
    return [" ".join(unit.words)]


def _unit(unit: Term | Phrase) -> str:
    phrases = [_string(p) for p in _unit_phrases(unit)]
    return "(" + " OR ".join(phrases) + ")" if isinstance(unit, Term) else phrases[0]


def _options(clause) -> tuple[Term | Phrase, ...]:
    return clause.options if isinstance(clause, AnyOf) else (clause,)


def _clause(clause) -> str:
    if isinstance(clause, AnyOf):
        return "(" + " OR ".join(_unit(o) for o in clause.options) + ")"
    return _unit(clause)


def required_expression(query: Query) -> str:
    return " AND ".join(_clause(c) for c in query.required)


def required_phrases(query: Query) -> list[str]:
    """The phrases of required_expression(), in FTS5's order (bm25 sums over them)."""
    return [p for c in query.required for o in _options(c) for p in _unit_phrases(o)]


def match_expression(query: Query, tag_filter: str | None = None) -> str:
    expression = required_expression(query)
    if tag_filter:
        expression = f"({expression}) AND {tag_filter}"
    for unit in query.excluded:
        expression = f"({expression}) NOT {_unit(unit)}"
    return expression


def phrase_words(query: Query) -> str | None:
    """The query's bare words as one exact phrase, for ranking exact quotes higher."""
    words = [c.word for c in query.required if isinstance(c, Term)]
    if len(words) < 2:
        return None
    return " ".join(forms(w)[0] for w in words)


def phrase_expression(query: Query) -> str | None:
    words = phrase_words(query)
    return _string(words) if words else None


def _varints(blob: bytes) -> list[int]:
    """The SQLite varints of an FTS5 record: big-endian groups of 7 bits, high bit set on all
    but the last byte. (A ninth byte would carry 8 bits: values of 2**56 and more, which no row
    or token count reaches.)"""
    values, value = [], 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            values.append(value)
            value = 0
    return values


def _needle(phrase: str) -> tuple[str, str]:
    """What to look for in a padded column (the indexed text, words separated by single spaces,
    with a space added on both sides): the phrase with a space on both sides; and what shows that
    two occurrences share a space, which str.count() would miss: the phrase twice in a row for
    one word (" a a "), any occurrence for several (" a b a b a " holds "a b a" twice)."""
    needle = f" {phrase} "
    return needle, (needle if " " in phrase else f" {phrase}{needle}")


def _occurrences(padded: str, needle: str, shared: str) -> int:
    """How often a phrase stands in a padded column (see _needle): FTS5's phrase instances."""
    found = padded.count(needle)
    if found and shared in padded:
        found, start = 0, padded.find(needle)
        while start >= 0:
            found += 1
            start = padded.find(needle, start + 1)
    return found


# Rows holding a phrase, by (database, state of the index, phrase): counting them is what makes
# bm25() slow on common words, and the count only changes when the index does.
_ROWS_WITH: dict[tuple[str, bytes, str], int] = {}
_ROWS_WITH_MAX = 20_000


class SQLiteBackend(SearchBackend):
    TAG_PREFILTER = True  # wanted hashtags also go to FTS5, as phrases (_tag_phrases)

    def upsert(self, documents: list[IndexDocument]) -> None:
        if not documents:
            return
        with self.connection.cursor() as cursor:
            self._delete(cursor, [d.article_id for d in documents])
        self.insert(documents)

    def insert(self, documents: list[IndexDocument]) -> None:
        if not documents:
            return
        with self.connection.cursor() as cursor:
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
        tags = self.hashtags(query)
        if any(not tags.get(key) for key in query.tags):
            return Candidates([], 0, False)  # no hashtag has a wanted search key
        tag_ids = {key: [tag_id for tag_id, _ in rows] for key, rows in tags.items()}
        with self.connection.cursor() as cursor:
            expression = match_expression(query, self._tag_phrases(query, tags))
            where, params = filter_sql(query, f"{TABLE}.rowid", language, tag_ids)
            matches = f"FROM {TABLE} WHERE {TABLE} MATCH %s AND {where}"
            # One pass gives the candidates (the newest) and the count: counting apart would
            # match and filter the candidates' rows twice.
            cursor.execute(
                f"SELECT rowid {matches} ORDER BY rowid DESC LIMIT %s",
                [expression, *params, max(limit, count_limit + 1)],
            )
            found = [row[0] for row in cursor.fetchall()]
            if not found:
                return Candidates([], 0, False)
            ids = found[:limit]
            total, capped = min(len(found), count_limit), len(found) > count_limit
            ranks = self.ranks(query, ids, cursor=cursor)
        items = []
        for i in ids:
            score, phrase, title = ranks.get(i, (0.0, False, False))
            items.append(Candidate(i, boosted(score, phrase=phrase, title=title)))
        return Candidates(items, total, capped)

    # Hashtag filters ------------------------------------------------------------------------

    def _tag_phrases(self, query: Query, tags: dict) -> str | None:
        """The wanted hashtags as FTS5 phrases of the hashtags column, ANDed; None if none.

        Speed only, same rows: the hashtag filter itself stays (EXISTS on the hashtag's uses).
        Checked row by row, a rare hashtag with a common word tests every row holding the word
        (half a second for a word in most of a million posts); given to FTS5 as well, the word's
        and the phrase's lists are intersected by skipping, and only rows holding both are
        tested. Every use of a hashtag puts its name's words, in order, into the article's
        hashtags column (index_articles runs in every write path that changes hashtags, and the
        names of one hashtag differ only in case), so the phrase holds for every article the
        filter keeps; it may hold for others (a longer hashtag, neighbouring hashtags), which
        the filter then drops.
        """
        parts = []
        for key in query.tags:
            phrases = [hashtag_words(name) for _, name in tags.get(key, [])]
            if phrases and all(phrases):
                parts.append("tags : (" + " OR ".join(_string(p) for p in phrases) + ")")
        return " AND ".join(parts) if parts and self.TAG_PREFILTER else None

    # Ranking --------------------------------------------------------------------------------

    # FTS5's bm25() computes in C what _text_ranks computes in Python, but it first finds every
    # row holding each phrase, and it scores every match of the words in the candidates' rowid
    # range (filtered out or not); finding a phrase of several words intersects its words'
    # lists (100 ms for "sur le est sont"). Costs in microseconds, measured on a million posts:
    TEXT_ROW_US, TEXT_PHRASE_US = 4.0, 6.0  # _text_ranks: per row, and per row and phrase
    BM25_HOLDING_US, BM25_RANGE_US = 0.07, 3.5  # bm25(): per row holding a phrase, per match
    RANK_METHOD: str | None = None  # "text" or "bm25" to always rank one way (tests)

    def ranks(
        self, query: Query, ids: list[int], cursor=None, *, method: str | None = None
    ) -> dict[int, tuple[float, bool, bool]]:
        """For each of these rows: its bm25 score as FTS5's bm25() computes it (negated: larger
        is better), whether it holds the query's words as an exact phrase, and whether its title
        alone matches the query (the bonuses of `boosted`).

        By FTS5's bm25() ("bm25") or from the rows' indexed text ("text"): the same figures to
        the last bit; `method` None takes the cheaper for these rows."""
        if cursor is None:
            with self.connection.cursor() as cursor:
                return self.ranks(query, ids, cursor, method=method)
        if not ids:
            return {}
        phrases = required_phrases(query)
        idf, average_length, holding = self._figures(cursor, phrases)
        method = method or self.RANK_METHOD
        if method is None:
            method = "text"
            text_cost = len(ids) * (self.TEXT_ROW_US + self.TEXT_PHRASE_US * len(phrases))
            spare = text_cost - self.BM25_HOLDING_US * sum(holding)
            most = int(spare / self.BM25_RANGE_US)  # matches in the range bm25() can afford
            if most >= len(ids) and not any(" " in p for p in phrases):
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE {TABLE} MATCH %s "
                    "AND rowid >= %s LIMIT %s)",
                    [required_expression(query), min(ids), most + 1],
                )
                if cursor.fetchone()[0] <= most:
                    method = "bm25"
        if method == "bm25":
            return self._bm25_ranks(cursor, query, ids)
        return self._text_ranks(cursor, query, ids, phrases, idf, average_length)

    def _bm25_ranks(self, cursor, query: Query, ids: list[int]) -> dict:
        floor, required = min(ids), required_expression(query)
        weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
        cursor.execute(
            f"SELECT rowid, bm25({TABLE}, {weights}) FROM {TABLE} WHERE {TABLE} MATCH %s "
            "AND rowid >= %s",
            [required, floor],
        )
        scores = dict(cursor.fetchall())
        phrase = phrase_expression(query)
        phrased = self._matching(cursor, phrase, floor) if phrase else set()
        titled = self._matching(cursor, f"title : ({required})", floor)
        return {i: (-scores.get(i, -0.0), i in phrased, i in titled) for i in ids}

    @staticmethod
    def _matching(cursor, expression: str, floor: int) -> set[int]:
        cursor.execute(
            f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid >= %s", [expression, floor]
        )
        return {row[0] for row in cursor.fetchall()}

    def _text_ranks(
        self, cursor, query: Query, ids: list[int], phrases, idf, average_length
    ) -> dict:
        needles = [(*_needle(p), phrase_idf) for p, phrase_idf in zip(phrases, idf, strict=True)]
        exact = phrase_words(query)
        exact_needle = _needle(exact)[0] if exact else None
        # FTS5's `title : (required)`: every clause has one of its phrases in the title.
        clauses = [
            [_needle(p)[0] for o in _options(c) for p in _unit_phrases(o)] for c in query.required
        ]
        scores = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor.execute(
                "SELECT c.id, c.c0, c.c1, c.c2, c.c3, d.sz "
                f"FROM {TABLE}_content c LEFT JOIN {TABLE}_docsize d ON d.id = c.id "
                f"WHERE c.id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            for row_id, *columns, sizes in cursor.fetchall():
                padded = [f" {c} " if c else "" for c in columns]
                if sizes is not None:
                    length = sum(_varints(sizes))
                else:  # no size record: count the words
                    length = sum(c.count(" ") + 1 for c in columns if c)
                norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average_length)
                score = 0.0
                for needle, shared, phrase_idf in needles:
                    frequency = 0.0
                    for weight, text in zip(COLUMN_WEIGHTS, padded, strict=True):
                        hits = _occurrences(text, needle, shared)
                        if hits:
                            frequency += weight * hits
                    score += phrase_idf * ((frequency * (BM25_K1 + 1.0)) / (frequency + norm))
                scores[row_id] = (
                    score,
                    exact_needle is not None and any(exact_needle in t for t in padded),
                    all(any(n in padded[0] for n in c) for c in clauses),
                )
        return scores

    def _figures(self, cursor, phrases: list[str]) -> tuple[list[float], float, list[int]]:
        """Each phrase's IDF and the average row length, as FTS5's bm25() computes them, and how
        many rows hold each phrase (up to half of the rows: past that, the IDF is at its floor
        whatever the count)."""
        if not self.connection.get_autocommit():
            # FTS5 keeps a transaction's changes in memory, and its figures in %_data are those
            # of the last flush; a savepoint flushes them (xSavepoint), as a commit would.
            cursor.execute("SAVEPOINT archive_search_figures")
            cursor.execute("RELEASE archive_search_figures")
        cursor.execute(
            f"SELECT id, block FROM {TABLE}_data WHERE id IN (%s, %s)",
            [AVERAGES_ROWID, STRUCTURE_ROWID],
        )
        blocks = {row_id: bytes(block) for row_id, block in cursor.fetchall()}
        totals = _varints(blocks.get(AVERAGES_ROWID, b""))
        rows = totals[0] if totals else 0
        average_length = (sum(totals[1:]) / rows) if rows else 1.0
        state = hashlib.blake2b(
            blocks.get(AVERAGES_ROWID, b"") + b"/" + blocks.get(STRUCTURE_ROWID, b""),
            digest_size=16,
        ).digest()
        database = str(self.connection.settings_dict.get("NAME"))
        idf, counts = [], []
        for phrase in phrases:
            key = (database, state, phrase)
            holding = _ROWS_WITH.get(key)
            if holding is None:
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE {TABLE} MATCH %s LIMIT %s)",
                    [_string(phrase), (rows + 1) // 2],
                )
                holding = cursor.fetchone()[0]
                if len(_ROWS_WITH) >= _ROWS_WITH_MAX:
                    _ROWS_WITH.clear()
                _ROWS_WITH[key] = holding
            value = math.log((rows - holding + 0.5) / (holding + 0.5)) if rows else 0.0
            idf.append(value if value > 0.0 else MIN_IDF)
            counts.append(holding)
        return idf, average_length, counts
