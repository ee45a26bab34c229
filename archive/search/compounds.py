"""Compound words (German, Dutch; "e-mail"): found from their parts, and the parts from them.

With the archive's vocabulary (spelling.py), never a hand-made list:

- a leading or trailing part: a query word of MIN_PART letters or more also matches the
  vocabulary words that start or end with it and are at least MIN_REST letters longer
  (`Datenschutz` → "Datenschutzgesetz", `Grundverordnung` → "Datenschutzgrundverordnung");
  up to MAX_COMPOUNDS of them, shortest first;
- a compound written in parts: two neighbouring query words, or the words of a hyphenated one
  (`Gesetz Datenschutz`, `Datenschutz-Organisation`, `e-mail`), whose concatenation in either
  order is a vocabulary word, are also searched as that word;
- parts written as one: a query word that splits into two vocabulary words (both of MIN_PART
  letters or more when the vocabulary holds the word itself), or into a vocabulary word after a
  letter or two (one only when the vocabulary holds the word: `another` is not "an other"),
  also matches the phrase of its parts (`Datenschutzorganisation` → "Datenschutz
  Organisation", `email` → "e mail").

All but parts written apart are always on (`expand()`: the word OR its compounds OR its parts);
parts written apart give another query (`alternatives()`), which the search service runs when
the query as typed finds few articles, its results after the exact ones.
Limits: a part shorter than MIN_PART letters is not expanded (its compounds would be countless),
a compound of three parts written apart is not joined, and a compound is only found if some
indexed text holds it.
"""

from __future__ import annotations

import dataclasses

from archive.search.analysis import forms
from archive.search.query import AnyOf, Phrase, Query, Term
from archive.search.spelling import MIN_WORD, TABLE, known_words
from archive.text import fold

MIN_PART = 6
MIN_REST = 4
MAX_COMPOUNDS = 12
MAX_SPLIT_LEFT = 2  # "e" of "email": a part this short needs no vocabulary entry
# ... and of a word the vocabulary holds, only a one-letter part: two letters are mostly a word
# of their own ("an other" is not "another", "po lice" not "police", "de puis" not "depuis").
MAX_SPLIT_LEFT_HELD = 1
# A code point above every letter: a range [prefix, prefix + HIGH) holds the words with it.
HIGH = "\U0010ffff"


def compounds_of(connection, word: str) -> list[str]:
    """Vocabulary words starting or ending with a folded word, at least MIN_REST letters longer."""
    if len(word) < MIN_PART:
        return []
    found: list[str] = []
    with connection.cursor() as cursor:
        for column, part in (("word", word), ("drow", word[::-1])):
            cursor.execute(
                f"SELECT word FROM {TABLE} WHERE {column} >= %s AND {column} < %s "
                "AND size >= %s ORDER BY size, word LIMIT %s",
                [part, part + HIGH, len(word) + MIN_REST, MAX_COMPOUNDS],
            )
            found += [row[0] for row in cursor.fetchall()]
    return sorted(set(found), key=lambda w: (len(w), w))[:MAX_COMPOUNDS]


def expand(connection, query: Query) -> Query:
    """The query with each required word also matching its compounds and, when it splits in
    parts, the phrase of its parts; and each two-word phrase also matching the compound of
    its words."""

    def grown(unit) -> tuple:
        if isinstance(unit, Term):
            word = fold(unit.word)
            more: list = [Term(w) for w in compounds_of(connection, word) if w != word]
            parts = _split(connection, word)
            if parts:
                more.append(Phrase(parts))
            return (unit, *more)
        if isinstance(unit, Phrase):
            if len(unit.words) == 2:
                joined = "".join(unit.words)
                if known_words(connection, [joined]):
                    return (unit, Term(joined))
            return (unit,)
        return tuple(o for option in unit.options for o in grown(option))

    def clause(unit):
        options = tuple(dict.fromkeys(grown(unit)))
        return options[0] if len(options) == 1 else AnyOf(options)

    required = [clause(c) for c in query.required]
    return dataclasses.replace(query, required=required) if required != query.required else query


def alternatives(connection, query: Query) -> list[Query]:
    """Other readings of the query: two neighbouring words as the compound they make, in
    either order ("Gesetz Datenschutz" → "datenschutzgesetz")."""
    clauses = query.required
    pairs = [
        (i, fold(clauses[i].word), fold(clauses[i + 1].word))
        for i in range(len(clauses) - 1)
        if isinstance(clauses[i], Term) and isinstance(clauses[i + 1], Term)
    ]
    known = known_words(connection, sorted({w for _, a, b in pairs for w in (a + b, b + a)}))
    found = []
    for i, a, b in pairs:
        compound = a + b if a + b in known else b + a if b + a in known else None
        if compound:
            required = [*clauses[:i], Term(compound), *clauses[i + 2 :]]
            found.append(dataclasses.replace(query, required=required))
    return found


def _split(connection, word: str) -> tuple[str, str] | None:
    """Two parts of a word, the longest known left part first: both in the vocabulary, or a
    right part in it after a left one of at most MAX_SPLIT_LEFT letters ("e" + "mail"). A word
    the vocabulary holds is split only after one letter, or in two parts of MIN_PART letters or
    more."""
    if len(word) < MIN_WORD + 1:
        return None
    held = bool(known_words(connection, list(forms(word))))
    cuts = [(word[:i], word[i:]) for i in range(1, len(word))]
    known = known_words(connection, sorted({p for cut in cuts for p in cut if len(p) >= MIN_WORD}))
    for left, right in sorted(cuts, key=lambda cut: -len(cut[0])):
        if right not in known:
            continue
        if len(left) <= (MAX_SPLIT_LEFT_HELD if held else MAX_SPLIT_LEFT) or (
            left in known and (not held or min(len(left), len(right)) >= MIN_PART)
        ):
            return left, right
    return None


def describe(query: Query) -> str:
    """A query's required words as a visitor would type them."""

    def unit(u) -> str:
        if isinstance(u, Term):
            return u.word
        if isinstance(u, Phrase):
            return '"' + " ".join(u.words) + '"'
        return " OR ".join(unit(o) for o in u.options)

    return " ".join(unit(c) for c in query.required)
