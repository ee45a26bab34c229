"""Our own parser for what a visitor types. Backends build their queries from the tree it returns,
never from the raw string, so no database syntax ever comes from the user.

    words            all must match (AND), accent-, case- and word-form-insensitive
    "exact quote"    the words in that order
    -word -"phrase"  exclude
    a OR b, a OU b   either (also between phrases)
    #tag  -#tag      filter on a hashtag (several intersect)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.search.analysis import MAX_WORD, TOKEN_RE
from archive.text import HASHTAG_BODY, fold

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 16
MAX_PHRASE_WORDS = 32
# "OU" for French speakers; in lower case "or" and "ou" are words ("ou" is one in French).
OR_WORDS = {"OR", "OU", "|"}

_TOKEN = re.compile(
    rf"""
    (?P<neg>-)?
    (?:
        "(?P<phrase>[^"]*)(?:"|$)           # a quoted phrase; a lone quote runs to the end
      | \#(?P<tag>{HASHTAG_BODY})           # a hashtag, as archive/text.py reads one
      | (?P<word>[^\s"]+)                   # anything else up to a space or a quote
    )
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Term:
    word: str  # as typed, lower-cased; analysis folds and stems it


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]  # folded


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Term | Phrase, ...]


Clause = Term | Phrase | AnyOf


@dataclass
class Query:
    raw: str = ""
    required: list[Clause] = field(default_factory=list)
    excluded: list[Term | Phrase] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # search keys (case- and accent-folded)
    excluded_tags: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.required or self.excluded or self.tags or self.excluded_tags)

    @property
    def has_text(self) -> bool:
        return bool(self.required)

    def phrases(self) -> list[Phrase]:
        found = []
        for clause in self.required:
            options = clause.options if isinstance(clause, AnyOf) else (clause,)
            found.extend(o for o in options if isinstance(o, Phrase))
        return found


def _clean(text: str) -> str:
    # Control characters become spaces; they carry no meaning in a query.
    return "".join(ch if ch.isprintable() else " " for ch in text[:MAX_QUERY_CHARS])


def _unit(text: str) -> Term | Phrase | None:
    """A bare word or a quoted phrase, as a clause; None when it holds no searchable word."""
    tokens = [w for w in TOKEN_RE.findall(text.casefold()) if len(w) <= MAX_WORD]
    if not tokens:
        return None
    if len(tokens) == 1:
        return Term(tokens[0])
    return Phrase(tuple(fold(t) for t in tokens[:MAX_PHRASE_WORDS]))


def parse(raw: str | None) -> Query:
    query = Query(raw=(raw or "").strip())
    pending_or = False
    for match in _TOKEN.finditer(_clean(query.raw)):
        negative = bool(match.group("neg"))
        if match.group("tag") is not None:
            key = fold(match.group("tag").rstrip("-"))
            (query.excluded_tags if negative else query.tags).append(key)
            pending_or = False
            continue
        word = match.group("word")
        if word is not None and not negative and word in OR_WORDS:
            pending_or = bool(query.required)
            continue
        text = match.group("phrase") if match.group("phrase") is not None else word
        unit = _unit(text)
        if unit is None:
            continue
        if negative:
            query.excluded.append(unit)
        elif pending_or:
            previous = query.required.pop()
            options = previous.options if isinstance(previous, AnyOf) else (previous,)
            query.required.append(AnyOf((*options, unit)))
        else:
            query.required.append(unit)
        pending_or = False
    query.required = query.required[:MAX_CLAUSES]
    query.excluded = query.excluded[:MAX_CLAUSES]
    query.tags = list(dict.fromkeys(query.tags))[:MAX_CLAUSES]
    query.excluded_tags = list(dict.fromkeys(query.excluded_tags))[:MAX_CLAUSES]
    return query
