"""FTS5 MATCH expressions from the parsed query tree (archive.search.query).

Nothing a visitor typed reaches FTS5 as syntax: every word and phrase goes in as an FTS5 string
literal (fts5_string), and the operators (AND, OR, NOT, column filters) come from the tree.

To find rows, a phrase also asks for its pairs of very common words in the pairs column
(`pairs=True`, archive/search/pairs.py): FTS5 intersects the lists by skipping, and checks the
phrase's word order only in rows holding every pair. Scoring reads the phrases alone
(required_phrases), so the pairs change which rows are read, never a result or a score.
"""

from __future__ import annotations

from archive.search.analysis import forms
from archive.search.backends.base import hashtag_words
from archive.search.backends.sqlite.schema import PAIRS_COLUMN, pair_token
from archive.search.pairs import word_pairs
from archive.search.query import AnyOf, Phrase, Query, Term


def fts5_string(token: str) -> str:
    """An FTS5 string literal: tokens hold only letters and digits, quotes are doubled anyway."""
    return '"' + token.replace('"', '""') + '"'


def unit_phrases(unit: Term | Phrase) -> list[str]:
    """The FTS5 phrases of a word (its forms) or of a quoted phrase, in expression order."""
    if isinstance(unit, Term):
        return list(forms(unit.word))
    return [" ".join(unit.words)]


def unit_expression(unit: Term | Phrase, pairs: bool = False) -> str:
    phrases = [fts5_string(p) for p in unit_phrases(unit)]
    if isinstance(unit, Term):
        return "(" + " OR ".join(phrases) + ")"
    found = sorted(word_pairs(unit.words)) if pairs else []
    if not found:
        return phrases[0]
    tokens = " AND ".join(fts5_string(pair_token(*pair)) for pair in found)
    # Pairs first: FTS5 advances an AND's first child and has the others catch up; at a
    # million posts "de de des" took 72-109 ms so, 101-161 ms the other way round.
    return f"({PAIRS_COLUMN} : ({tokens}) AND {phrases[0]})"


def clause_options(clause) -> tuple[Term | Phrase, ...]:
    return clause.options if isinstance(clause, AnyOf) else (clause,)


def clause_expression(clause, pairs: bool = False) -> str:
    if isinstance(clause, AnyOf):
        return "(" + " OR ".join(unit_expression(o, pairs) for o in clause.options) + ")"
    return unit_expression(clause, pairs)


def required_expression(query: Query, pairs: bool = False) -> str:
    return " AND ".join(clause_expression(c, pairs) for c in query.required)


def required_phrases(query: Query) -> list[str]:
    """The phrases of required_expression(), in FTS5's order (bm25 sums over them)."""
    return [p for c in query.required for o in clause_options(c) for p in unit_phrases(o)]


def match_expression(query: Query, tag_filter: str | None = None) -> str:
    """The rows a query finds (with its pairs: see the module's docstring)."""
    expression = required_expression(query, pairs=True)
    if tag_filter:
        expression = f"({expression}) AND {tag_filter}"
    for unit in query.excluded:
        expression = f"({expression}) NOT {unit_expression(unit, pairs=True)}"
    return expression


def excluded_expression(query: Query) -> str:
    """Rows matching any excluded word or phrase."""
    return " OR ".join(unit_expression(u, pairs=True) for u in query.excluded)


def title_expression(query: Query) -> str:
    """The required words, all in the title: the title bonus of `boosted`."""
    return f"title : ({required_expression(query)})"


def phrase_words(query: Query) -> str | None:
    """The query's bare words as one exact phrase, for ranking exact quotes higher."""
    words = [c.word for c in query.required if isinstance(c, Term)]
    if len(words) < 2:
        return None
    return " ".join(forms(w)[0] for w in words)


def phrase_expression(query: Query) -> str | None:
    words = phrase_words(query)
    return fts5_string(words) if words else None


def tag_expression(query: Query, tags: dict[str, list[tuple[int, str]]]) -> str | None:
    """The wanted hashtags as FTS5 phrases of the hashtags column, ANDed; None if none.

    `tags` is SearchBackend.hashtags(query): (id, name) of the hashtags behind each search key.
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
            parts.append("tags : (" + " OR ".join(fts5_string(p) for p in phrases) + ")")
    return " AND ".join(parts) if parts else None
