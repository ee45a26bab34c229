"""tsquery SQL from the parsed query tree (archive.search.query), and the ranking weights.

Nothing a visitor typed is tsquery syntax: words go through plainto_tsquery and phraseto_tsquery
as parameters, and the lexemes given as tsquery input are quoted (lexeme_query).
"""

from __future__ import annotations

from archive.search.analysis import forms
from archive.search.backends.base import WEIGHT_BODY, WEIGHT_COMMENTARY, WEIGHT_TAGS, WEIGHT_TITLE
from archive.search.backends.postgres.documents import TAG_LEXEME, pair_lexemes
from archive.search.pairs import PAIR_WORDS
from archive.search.query import AnyOf, Phrase, Query, Term

# ts_rank weights are listed D, C, B, A: text, commentary, hashtags, title.
RANK_WEIGHTS = (
    "{"
    + ",".join(
        str(w / WEIGHT_TITLE) for w in (WEIGHT_BODY, WEIGHT_COMMENTARY, WEIGHT_TAGS, WEIGHT_TITLE)
    )
    + "}"
)


def lexeme_query(lexeme: str) -> str:
    """tsquery input for one lexeme: quoted, so that nothing in it is tsquery syntax."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tag_lexeme_query(search_key: str) -> str:
    return lexeme_query(TAG_LEXEME + search_key)


def unit_sql(unit: Term | Phrase, pairs: bool = True, index: bool = False) -> tuple[str, list]:
    if isinstance(unit, Term):
        options = forms(unit.word)
        sql = " || ".join(["plainto_tsquery('simple', %s)"] * len(options))
        return f"({sql})", list(options)
    found = sorted(pair_lexemes(unit.words)) if pairs else []
    if index and found and PAIR_WORDS.issuperset(unit.words):
        # Only the phrase's pairs: its words' own lists hold most of the archive, and the
        # GIN index read them in every search (20-40 ms of 50-90 at a million posts) to
        # narrow nothing the pairs had not. The rows are then checked with the whole phrase.
        return "(" + " && ".join(["%s::tsquery"] * len(found)) + ")", [*map(lexeme_query, found)]
    sql = ["phraseto_tsquery('simple', %s)", *["%s::tsquery"] * len(found)]
    return "(" + " && ".join(sql) + ")", [" ".join(unit.words), *map(lexeme_query, found)]


def clause_sql(clause, pairs: bool, index: bool = False) -> tuple[str, list]:
    if isinstance(clause, AnyOf):
        parts = [unit_sql(o, pairs, index) for o in clause.options]
        return "(" + " || ".join(p[0] for p in parts) + ")", [x for p in parts for x in p[1]]
    return unit_sql(clause, pairs, index)


def tsquery_sql(query: Query, pairs: bool = True, index: bool = False) -> tuple[str, list]:
    """The text's tsquery; with `pairs`, phrases also ask the index for their pair lexemes
    (to search with; ranking without them, since they have no positions). With `index`, what
    the GIN index is asked for: a wanted phrase made only of very common words is its pairs
    alone, so the tsquery matches more documents than the query does (a superset: excluded
    words and phrases are kept whole)."""
    parts = [clause_sql(c, pairs, index) for c in query.required]
    sql = " && ".join(p[0] for p in parts)
    params = [x for p in parts for x in p[1]]
    for unit in query.excluded:
        unit_part, unit_params = unit_sql(unit, pairs)
        sql = f"({sql}) && !!{unit_part}"
        params += unit_params
    return f"({sql})", params


def excluded_tsquery_sql(query: Query) -> tuple[str, list]:
    """A tsquery matching any excluded word or phrase."""
    parts = [unit_sql(u) for u in query.excluded]
    return " || ".join(p[0] for p in parts), [x for p in parts for x in p[1]]


def phrase_sql(query: Query) -> tuple[str, list] | None:
    words = [c.word for c in query.required if isinstance(c, Term)]
    if len(words) < 2:
        return None
    return "phraseto_tsquery('simple', %s)", [" ".join(forms(w)[0] for w in words)]


def tag_tsquery_sql(query: Query) -> tuple[str, list]:
    """The wanted hashtags as a tsquery of their lexemes, all of which a document must hold
    (ANDed with the text's), or ("", []) when there are none. See PostgresBackend.candidates."""
    sql = " && ".join(["%s::tsquery"] * len(query.tags))
    return sql, [tag_lexeme_query(key) for key in query.tags]
