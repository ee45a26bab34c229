"""Scores of FTS5 matches: FTS5's bm25() to the last bit, computed by bm25() itself or here.

FTS5's bm25() (ext/fts5/fts5_aux.c) is exact but costly: it first finds every row holding each
phrase of the query (about 100 ms for a word in most posts of a million), and it scores every
match in the candidates' rowid range (with a rare hashtag, most of the archive). So the score of
each candidate is computed from the index's own figures and the candidate's indexed text:

1. the figures: rows and tokens (FTS5's averages record in %_data) and, per phrase of the query,
   how many rows hold it (the inverse document frequency), remembered until the index changes;
2. each candidate's tokens per column (%_docsize) and indexed text (%_content), folded words
   separated by single spaces (analysis.documents), in which the phrases are counted.

Both read FTS5's internal format, so check_bm25() compares this code with bm25() on a small
in-memory table before the first score is given (ensure_bm25_checked, called by the backend):
a SQLite whose format differs fails loudly instead of ranking wrongly.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3

from django.db import DatabaseError
from django.db.backends.sqlite3.base import DatabaseWrapper

from archive.search.backends.base import (
    WEIGHT_BODY,
    WEIGHT_COMMENTARY,
    WEIGHT_TAGS,
    WEIGHT_TITLE,
    IndexDocument,
)
from archive.search.backends.sqlite import writes
from archive.search.backends.sqlite.query import (
    clause_options,
    fts5_string,
    phrase_expression,
    phrase_words,
    required_expression,
    required_phrases,
    title_expression,
    unit_phrases,
)
from archive.search.backends.sqlite.schema import (
    AVERAGES_ROWID,
    CONTENT_TABLE,
    CREATE_TABLE_SQL,
    DATA_TABLE,
    DOCSIZE_TABLE,
    STRUCTURE_ROWID,
    TABLE,
)
from archive.search.query import Query, parse

COLUMN_WEIGHTS = (WEIGHT_TITLE, WEIGHT_TAGS, WEIGHT_COMMENTARY, WEIGHT_BODY)  # text columns
# bm25()'s weights, one per column: the pairs column (schema.PAIRS_COLUMN) weighs nothing; no
# phrase of a query matches a pair token anyway. Its tokens count in a row's length, to bm25()
# and here alike.
BM25_WEIGHTS = ", ".join(str(w) for w in (*COLUMN_WEIGHTS, 0.0))
# FTS5's bm25() (ext/fts5/fts5_aux.c): its constants, and the floor of a phrase's IDF.
BM25_K1, BM25_B, MIN_IDF = 1.2, 0.75, 1e-6

# Which way is cheaper for a set of candidates: text_ranks costs per row and per row and phrase;
# bm25() per row holding a phrase and per match in the candidates' rowid range (filtered out or
# not), and finding a phrase of several words intersects its words' lists (100 ms for "sur le
# est sont"). Costs in microseconds, measured on a million posts:
TEXT_ROW_US, TEXT_PHRASE_US = 4.0, 6.0
BM25_HOLDING_US, BM25_RANGE_US = 0.07, 3.5

# Rows holding a phrase, by (database, state of the index, phrase): counting them is what makes
# bm25() slow on common words, and the count only changes when the index does.
_ROWS_WITH: dict[tuple[str, bytes, str], int] = {}
_ROWS_WITH_MAX = 20_000

Ranks = dict[int, tuple[float, bool, bool]]


def varints(blob: bytes) -> list[int]:
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


def phrase_needle(phrase: str) -> tuple[str, str]:
    """What to look for in a padded column (the indexed text, words separated by single spaces,
    with a space added on both sides): the phrase with a space on both sides; and what shows that
    two occurrences share a space, which str.count() would miss: the phrase twice in a row for
    one word (" a a "), any occurrence for several (" a b a b a " holds "a b a" twice)."""
    needle = f" {phrase} "
    return needle, (needle if " " in phrase else f" {phrase}{needle}")


def occurrences(padded: str, needle: str, shared: str) -> int:
    """How often a phrase stands in a padded column (see phrase_needle): FTS5's phrase
    instances."""
    found = padded.count(needle)
    if found and shared in padded:
        found, start = 0, padded.find(needle)
        while start >= 0:
            found += 1
            start = padded.find(needle, start + 1)
    return found


def ranks(connection, cursor, query: Query, ids: list[int], method: str | None = None) -> Ranks:
    """For each of these rows: its bm25 score as FTS5's bm25() computes it (negated: larger
    is better), whether it holds the query's words as an exact phrase, and whether its title
    alone matches the query (the bonuses of `boosted`).

    By FTS5's bm25() ("bm25") or from the rows' indexed text ("text"): the same figures to
    the last bit; `method` None takes the cheaper for these rows."""
    if not ids:
        return {}
    phrases = required_phrases(query)
    idf, average_length, holding = index_figures(connection, cursor, phrases)
    if method is None:
        method = "text"
        text_cost = len(ids) * (TEXT_ROW_US + TEXT_PHRASE_US * len(phrases))
        spare = text_cost - BM25_HOLDING_US * sum(holding)
        most = int(spare / BM25_RANGE_US)  # matches in the range bm25() can afford
        if most >= len(ids) and not any(" " in p for p in phrases):
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE {TABLE} MATCH %s "
                "AND rowid >= %s LIMIT %s)",
                [required_expression(query), min(ids), most + 1],
            )
            if cursor.fetchone()[0] <= most:
                method = "bm25"
    if method == "bm25":
        return bm25_ranks(cursor, query, ids)
    return text_ranks(cursor, query, ids, phrases, idf, average_length)


def bm25_ranks(cursor, query: Query, ids: list[int]) -> Ranks:
    """ranks() by FTS5's bm25() and two more MATCH queries (exact phrase, title)."""
    floor, required = min(ids), required_expression(query)
    cursor.execute(
        f"SELECT rowid, bm25({TABLE}, {BM25_WEIGHTS}) FROM {TABLE} WHERE {TABLE} MATCH %s "
        "AND rowid >= %s",
        [required, floor],
    )
    scores = dict(cursor.fetchall())
    phrase = phrase_expression(query)
    phrased = matching(cursor, phrase, floor) if phrase else set()
    titled = matching(cursor, title_expression(query), floor)
    return {i: (-scores.get(i, -0.0), i in phrased, i in titled) for i in ids}


def matching(cursor, expression: str, floor: int) -> set[int]:
    cursor.execute(
        f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid >= %s", [expression, floor]
    )
    return {row[0] for row in cursor.fetchall()}


def row_length(sizes: bytes | None, columns: tuple) -> int:
    """A row's tokens, all columns: the sum of its %_docsize record (varints; one byte each
    below 128 tokens, the common case), or counted in its text if it has no record."""
    if sizes is None:
        return sum(c.count(" ") + 1 for c in columns if c)
    if max(sizes, default=0) < 0x80:
        return sum(sizes)
    return sum(varints(sizes))


def text_ranks(
    cursor, query: Query, ids: list[int], phrases: list[str], idf: list[float], average_length
) -> Ranks:
    """ranks() from the rows' indexed text and sizes, with the figures of index_figures()."""
    needles = [(*phrase_needle(p), phrase_idf) for p, phrase_idf in zip(phrases, idf, strict=True)]
    exact = phrase_words(query)
    exact_needle = phrase_needle(exact)[0] if exact else None
    # FTS5's `title : (required)`: every clause has one of its phrases in the title.
    clauses = [
        [phrase_needle(p)[0] for o in clause_options(c) for p in unit_phrases(o)]
        for c in query.required
    ]
    scores = {}
    # 1,000 candidates are scored on most searches: the loop below is kept plain (the pairs
    # column is read only for a row without a size record, a hit counted by str.count unless
    # two occurrences may share a space).
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cursor.execute(
            "SELECT c.id, c.c0, c.c1, c.c2, c.c3, CASE WHEN d.sz IS NULL THEN c.c4 END, d.sz "
            f"FROM {CONTENT_TABLE} c LEFT JOIN {DOCSIZE_TABLE} d ON d.id = c.id "
            f"WHERE c.id IN ({', '.join(['%s'] * len(chunk))})",
            chunk,
        )
        for row_id, *columns, pairs, sizes in cursor.fetchall():
            length = row_length(sizes, (*columns, pairs))
            padded = [
                (weight, f" {text} ")
                for weight, text in zip(COLUMN_WEIGHTS, columns, strict=True)
                if text
            ]
            norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average_length)
            score = 0.0
            for needle, shared, phrase_idf in needles:
                frequency = 0.0
                for weight, text in padded:
                    hits = text.count(needle)
                    if hits:
                        if shared in text:
                            hits = occurrences(text, needle, shared)
                        frequency += weight * hits
                score += phrase_idf * ((frequency * (BM25_K1 + 1.0)) / (frequency + norm))
            title = f" {columns[0]} " if columns[0] else ""
            scores[row_id] = (
                score,
                exact_needle is not None and any(exact_needle in t for _, t in padded),
                all(any(n in title for n in c) for c in clauses),
            )
    return scores


def index_figures(connection, cursor, phrases: list[str]) -> tuple[list[float], float, list[int]]:
    """Each phrase's IDF and the average row length, as FTS5's bm25() computes them, and how
    many rows hold each phrase (up to half of the rows: past that, the IDF is at its floor
    whatever the count)."""
    if not connection.get_autocommit():
        # FTS5 keeps a transaction's changes in memory, and its figures in %_data are those
        # of the last flush; a savepoint flushes them (xSavepoint), as a commit would.
        cursor.execute("SAVEPOINT archive_search_figures")
        cursor.execute("RELEASE archive_search_figures")
    cursor.execute(
        f"SELECT id, block FROM {DATA_TABLE} WHERE id IN (%s, %s)",
        [AVERAGES_ROWID, STRUCTURE_ROWID],
    )
    blocks = {row_id: bytes(block) for row_id, block in cursor.fetchall()}
    totals = varints(blocks.get(AVERAGES_ROWID, b""))
    rows = totals[0] if totals else 0
    average_length = (sum(totals[1:]) / rows) if rows else 1.0
    state = hashlib.blake2b(
        blocks.get(AVERAGES_ROWID, b"") + b"/" + blocks.get(STRUCTURE_ROWID, b""),
        digest_size=16,
    ).digest()
    database = str(connection.settings_dict.get("NAME"))
    idf, counts = [], []
    for phrase in phrases:
        key = (database, state, phrase)
        holding = _ROWS_WITH.get(key)
        if holding is None:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE {TABLE} MATCH %s LIMIT %s)",
                [fts5_string(phrase), (rows + 1) // 2],
            )
            holding = cursor.fetchone()[0]
            if len(_ROWS_WITH) >= _ROWS_WITH_MAX:
                _ROWS_WITH.clear()
            _ROWS_WITH[key] = holding
        value = math.log((rows - holding + 0.5) / (holding + 0.5)) if rows else 0.0
        idf.append(value if value > 0.0 else MIN_IDF)
        counts.append(holding)
    return idf, average_length, counts


# The self-check ----------------------------------------------------------------------------


class FTS5FormatError(RuntimeError):
    """This SQLite's FTS5 does not score as this module computes: its format or bm25() differ."""


# Indexed text as analysis.documents writes it (folded words, single spaces): repeated words,
# overlapping phrases, empty columns, a long column and rows without the query's words, so that
# every figure (rows, tokens per column, sizes, phrase counts, IDF above and at its floor) takes
# part.
CHECK_DOCUMENTS = (
    IndexDocument(1, "echo chamber", "echo", "", "echo echo alpha beta alpha beta alpha"),
    IndexDocument(2, "", "", "a note on alpha", "beta gamma delta"),
    IndexDocument(3, "gamma", "alpha beta", "", ""),
    IndexDocument(4, "other words", "", "", "nothing of the kind here"),
    IndexDocument(5, "more", "", "delta", "words words words and more words"),
    IndexDocument(7, "alpha", "", "", "echo"),
    # Over 127 tokens: its size record holds a varint of two bytes.
    IndexDocument(8, "", "", "", " ".join(["alpha beta"] + ["filler"] * 200)),
)
CHECK_QUERIES = ("alpha", "echo", "alpha beta", '"alpha beta alpha"', "gamma OR delta", "words")
# bm25() and this code add the same terms in the same order: they agree to the last bit. The
# tolerance only keeps a rounding difference on some platform from stopping search; a format
# that is not the one expected gives figures that are far off.
CHECK_RELATIVE_TOLERANCE = 1e-9

# True once check_bm25() passed in this process (tests set it back to run the check again).
bm25_checked = False


def ensure_bm25_checked(connection) -> None:
    """check_bm25() once per process, before the first score; again after a failure."""
    global bm25_checked
    if not bm25_checked:
        check_bm25(connection)
        bm25_checked = True


def check_bm25(connection) -> None:
    """Build a small FTS5 table in an in-memory database (a second connection, with the settings
    of `connection`, to the SQLite library Django uses), score a few queries with bm25() and with
    this module, and raise FTS5FormatError when they differ."""
    probe = DatabaseWrapper(
        {**connection.settings_dict, "NAME": ":memory:"}, alias="archive_fts5_check"
    )
    try:
        with probe.cursor() as cursor:
            cursor.execute(CREATE_TABLE_SQL)
            writes.insert(cursor, list(CHECK_DOCUMENTS))
            for raw in CHECK_QUERIES:
                try:
                    problem = check_query(probe, cursor, parse(raw))
                except (ArithmeticError, LookupError, ValueError, DatabaseError) as error:
                    problem = f"reading the index failed: {error!r}"
                if problem:
                    raise FTS5FormatError(
                        f"FTS5 self-check failed on SQLite {sqlite3.sqlite_version}, for the query "
                        f"{raw!r} on a test table: {problem}. FTS5's shadow tables (%_data, "
                        "%_docsize, %_content) or its bm25() are not what "
                        "archive/search/backends/sqlite/scoring.py reads, so search results "
                        "would be ranked wrongly: update scoring.py for this SQLite."
                    )
    finally:
        probe.close()
        forget_figures(":memory:")


def check_query(connection, cursor, query: Query) -> str | None:
    """What differs between bm25() and ranks() for every row matching the query, or None."""
    cursor.execute(
        f"SELECT rowid, -bm25({TABLE}, {BM25_WEIGHTS}) FROM {TABLE} WHERE {TABLE} MATCH %s",
        [required_expression(query)],
    )
    expected = dict(cursor.fetchall())
    ids = sorted(expected)
    computed = ranks(connection, cursor, query, ids, method="text")
    by_bm25 = ranks(connection, cursor, query, ids, method="bm25")
    for row_id in ids:
        ours, theirs = computed[row_id][0], expected[row_id]
        if not math.isclose(ours, theirs, rel_tol=CHECK_RELATIVE_TOLERANCE):
            return f"bm25() scores row {row_id} {theirs!r}, scoring.py computes {ours!r}"
        if computed[row_id][1:] != by_bm25[row_id][1:]:
            return (
                f"row {row_id} holds the exact phrase, matches in its title: "
                f"{by_bm25[row_id][1:]} by FTS5's MATCH, {computed[row_id][1:]} by its text"
            )
    return None


def forget_figures(database: str) -> None:
    """Drop the remembered phrase counts of one database (its NAME)."""
    for key in [k for k in _ROWS_WITH if k[0] == database]:
        del _ROWS_WITH[key]
