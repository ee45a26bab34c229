"""Forgiving typos: the archive's own vocabulary, and corrections of query words not in it.

The vocabulary is every indexed word (and stem) of 4 to MAX_WORD characters, in one table with
the same schema on both databases. Every index write adds its new words (the backends' insert
and upsert call remember_words()); words of deleted text stay, which costs nothing but a
correction that finds nothing (a correction is shown only when it finds something, a close
word offered only when an article holds it).
`manage.py reindex` rebuilds it.

A query word the archive does not hold (neither its folded form nor any of its stems) may be
corrected to the nearest vocabulary word: none under 5 letters, 1 edit for 5 to 8, 2 beyond;
edits are insertions, deletions, substitutions and transpositions of neighbours (optimal string
alignment, rapidfuzz's C++ code). Candidates are the vocabulary words sharing the word's first
and last letters, with a length the edits allow (one indexed look-up), and only if none is close
enough those sharing one of them: a typo on both the first and the last letter is not corrected.
Ties go to the candidate sharing the first letter, then the last, then the closest length, then
the alphabet.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.db import transaction
from rapidfuzz.distance import OSA

from archive.search.analysis import MAX_WORD, TOKEN_RE, forms
from archive.search.analysis import forget as forget_analysed_words
from archive.search.query import AnyOf, Phrase, Query, Term
from archive.text import fold

TABLE = "archive_searchword"
MIN_WORD = 4
# `word` and `drow` (the word reversed, for compounds.py's trailing parts) compare byte by byte
# on both engines, so that a range finds the words with a prefix.
BINARY = {"postgresql": ' COLLATE "C"', "sqlite": ""}


def create_sql(vendor: str) -> list[str]:
    binary = BINARY.get(vendor, "")
    return [
        f"CREATE TABLE IF NOT EXISTS {TABLE} (word varchar({MAX_WORD}){binary} PRIMARY KEY,"
        f" drow varchar({MAX_WORD}){binary} NOT NULL, first varchar(1) NOT NULL,"
        " last varchar(1) NOT NULL, size smallint NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_first ON {TABLE} (first, last, size)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_last ON {TABLE} (last, size)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_drow ON {TABLE} (drow)",
    ]


DROP_SQL = [f"DROP TABLE IF EXISTS {TABLE}"]
INSERT_SQL = (
    f"INSERT INTO {TABLE} (word, drow, first, last, size) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (word) DO NOTHING"
)


def rows(words) -> list[tuple]:
    return [(w, w[::-1], w[0], w[-1], len(w)) for w in sorted(words)]


MAX_CORRECTED_WORDS = 8  # query words looked up for a correction, at most
RARE = 3  # a word in this many documents or fewer also matches its close spellings

# Words this process knows are in the table (committed): an import's batches repeat most words.
_known: set[str] = set()
_KNOWN_MAX = 2_000_000


def allowed_edits(word: str) -> int:
    size = len(word)
    return 0 if size < 5 else 1 if size <= 8 else 2


def words_of(texts) -> set[str]:
    """The vocabulary words of analysed texts (analysis.documents(): folded words and stems)."""
    found = set()
    for text in texts:
        found.update(text.split())
    return {w for w in found if MIN_WORD <= len(w) <= MAX_WORD and not w.isdigit()}


def remember_words(connection, documents, new: set[str] | None = None) -> None:
    """Add the new words of index documents (backends.base.IndexDocument) to the vocabulary:
    `new` when the caller knows which they are (an import's analysis reports them), else all
    the words of the documents."""
    # Known at once in autocommit; else when the transaction commits.
    pending = _pending(connection) if connection.in_atomic_block else _Pending()
    if new is None:
        texts = (text for d in documents for text in (d.title, d.tags, d.commentary, d.body))
    else:
        texts = [" ".join(new)]
    words = words_of(texts)
    words.difference_update(_known, pending)
    if not words:
        return
    with connection.cursor() as cursor:
        cursor.executemany(INSERT_SQL, rows(words))
    pending.update(words)
    if not connection.in_atomic_block:
        pending()


class _Pending(set):
    """Words written by the current transaction: known to be in the table once it commits."""

    def __call__(self):
        if len(_known) + len(self) > _KNOWN_MAX:
            _known.clear()
        _known.update(self)


def _pending(connection) -> _Pending:
    """The pending words of this transaction, or of the savepoint it is in: an import's batches
    repeat most of their words. A set whose savepoint or transaction was rolled back (Django
    then drops its on-commit callback) is not used again."""
    pending = getattr(connection, "archive_pending_words", None)
    level = tuple(connection.savepoint_ids)
    if (
        pending is None
        or pending.level != level
        or not any(entry[1] is pending for entry in connection.run_on_commit)
    ):
        pending = _Pending()
        pending.level = level
        connection.archive_pending_words = pending
        transaction.on_commit(pending, using=connection.alias)
    return pending


def forget_pending(connection) -> None:
    """After a rollback to a savepoint: the words this transaction wrote may be gone."""
    pending = getattr(connection, "archive_pending_words", None)
    if pending is not None:
        pending.clear()


def forget_all(connection) -> None:
    """Empty the vocabulary (a full reindex fills it again); every word is new again."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
    forget_pending(connection)
    forget_process_caches()


def forget_process_caches() -> None:
    """This process's memory of which words the vocabulary holds (and the analysis's, which
    reports new words to imports): to drop when the database may have lost words."""
    _known.clear()
    forget_analysed_words()


def known_words(connection, words: list[str]) -> set[str]:
    if not words:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT word FROM {TABLE} WHERE word IN ({', '.join(['%s'] * len(words))})", words
        )
        return {row[0] for row in cursor.fetchall()}


def close_words(connection, word: str, limit: int = 5) -> list[tuple[str, int]]:
    """Vocabulary words within the allowed edits of a folded word, nearest first."""
    edits = allowed_edits(word)
    if not edits:
        return []
    sizes = [len(word) - edits, len(word) + edits]
    # Most typos keep the first and the last letter: those candidates are read first (a few
    # hundred rows even in a large vocabulary); only if none is close enough, all the words
    # sharing one of them.
    scored = _scored(
        word,
        edits,
        f"SELECT word FROM {TABLE} WHERE first = %s AND last = %s AND size BETWEEN %s AND %s",
        [word[0], word[-1], *sizes],
        connection,
    ) or _scored(
        word,
        edits,
        f"SELECT word FROM {TABLE} WHERE first = %s AND size BETWEEN %s AND %s "
        f"UNION SELECT word FROM {TABLE} WHERE last = %s AND size BETWEEN %s AND %s",
        [word[0], *sizes, word[-1], *sizes],
        connection,
    )
    scored.sort(
        key=lambda item: (
            item[1],
            item[0][0] != word[0],
            item[0][-1] != word[-1],
            abs(len(item[0]) - len(word)),
            item[0],
        )
    )
    return scored[:limit]


def _scored(word: str, edits: int, sql: str, params: list, connection) -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        candidates = [row[0] for row in cursor.fetchall()]
    scored = []
    for candidate in candidates:
        distance = OSA.distance(word, candidate, score_cutoff=edits)
        if 0 < distance <= edits:
            scored.append((candidate, distance))
    return scored


@dataclasses.dataclass
class Correction:
    query: Query  # the query with corrected words, and rare words OR their close spelling
    replaced: dict[str, str]  # words the archive does not hold → their correction
    added: dict[str, str]  # rare words → the close spelling they also match
    raw: str  # what the visitor typed, corrected (rare words as typed)

    @property
    def added_words(self) -> list[str]:
        return list(self.added.values())


def correct(connection, query: Query, documents: Callable[[str], int]) -> Correction | None:
    """Each required word the archive does not hold, replaced by its nearest vocabulary word;
    each rare one (`documents(word)` at most RARE: the caller counts) also matching
    its nearest. None when there is nothing to correct."""
    typed = _required_words(query)[:MAX_CORRECTED_WORDS]
    if not typed:
        return None
    all_forms = {word: forms(word) for word in typed}
    known = known_words(connection, sorted({f for fs in all_forms.values() for f in fs}))
    replaced: dict[str, str] = {}
    added: dict[str, str] = {}
    for word in typed:
        is_known = any(f in known for f in all_forms[word])
        if is_known and (word in _phrase_words(query) or documents(word) > RARE):
            continue
        close = close_words(connection, fold(word), limit=1)
        if close:
            (added if is_known else replaced)[word] = close[0][0]
    if not replaced and not added:
        return None
    folded = {fold(word): fixed for word, fixed in replaced.items()}

    def fix(unit):
        if isinstance(unit, Term):
            if unit.word in added:
                return AnyOf((unit, Term(added[unit.word])))
            return Term(replaced.get(unit.word, unit.word))
        if isinstance(unit, Phrase):
            return Phrase(tuple(folded.get(w, w) for w in unit.words))
        return AnyOf(tuple(option for o in unit.options for option in _options(fix(o))))

    fixed_query = dataclasses.replace(query, required=[fix(c) for c in query.required])
    return Correction(fixed_query, replaced, added, _rewrite(query.raw, replaced))


def _options(unit) -> tuple:
    return unit.options if isinstance(unit, AnyOf) else (unit,)


def _phrase_words(query: Query) -> set[str]:
    return {
        word
        for clause in query.required
        for option in _options(clause)
        if isinstance(option, Phrase)
        for word in option.words
    }


def suggestions(
    connection, query: Query, documents: Callable[[str], int], limit: int = 8
) -> list[str]:
    """Vocabulary words close to the query's words, for a search that found nothing: only
    those an article still holds (`documents(word)`: the caller counts). The vocabulary keeps
    the words of deleted text, and a word offered must neither lead nowhere nor show what a
    curator deleted."""
    found: list[str] = []
    for word in _required_words(query)[:MAX_CORRECTED_WORDS]:
        found += [w for w, _ in close_words(connection, fold(word), limit=3)]
    held: list[str] = []
    for word in dict.fromkeys(found):
        if len(held) == limit:
            break
        if documents(word):
            held.append(word)
    return held


def _required_words(query: Query) -> list[str]:
    words: list[str] = []
    for clause in query.required:
        options = clause.options if isinstance(clause, AnyOf) else (clause,)
        for option in options:
            words += [option.word] if isinstance(option, Term) else list(option.words)
    return list(dict.fromkeys(words))


def _rewrite(raw: str, corrections: dict[str, str]) -> str:
    """What the visitor typed, with each corrected word replaced (whatever its case and
    accents)."""
    by_folded = {fold(typed): fixed for typed, fixed in corrections.items()}
    return TOKEN_RE.sub(lambda m: by_folded.get(fold(m.group()), m.group()), raw)
