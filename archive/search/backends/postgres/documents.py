"""What a search document holds: the weighted words of an article's four fields (DOCUMENT_SQL),
and lexemes without positions (extra_lexemes): its hashtags, and pairs of very common words."""

from __future__ import annotations

from itertools import chain

from archive.search.backends.base import IndexDocument
from archive.search.pairs import word_pairs

# A document from the columns of the rows written (writes.write_rows).
DOCUMENT_SQL = (
    "setweight(to_tsvector('simple', s.title), 'A') || "
    "setweight(to_tsvector('simple', s.tags), 'B') || "
    "setweight(to_tsvector('simple', s.commentary), 'C') || "
    "setweight(to_tsvector('simple', s.body), 'D') || "
    "array_to_tsvector(string_to_array(s.extra, chr(31)))"
)
# extra_lexemes() are sent as one string: psycopg's adaptation of a list cost 0.07 ms a document,
# a tenth of an import. The unit separator (31) is in no word and no hashtag.
LEXEME_SEPARATOR = chr(31)
# Each hashtag of an article is also one lexeme "#<search key>" in its document, without a
# position: no word can be such a lexeme (the parser and our analyzer split words at "#"), so
# the GIN index holds every hashtag's articles as one exact list. See PostgresBackend.candidates.
TAG_LEXEME = "#"

# Two very common words next to each other are also one lexeme, "sur le", without a position
# (no word holds a space): see archive/search/pairs.py. A document holds the pair lexemes of
# every two neighbouring words of its four fields taken in the order of their positions.


def pair_lexemes(words) -> set[str]:
    return {f"{first} {second}" for first, second in word_pairs(words)}


def extra_lexemes(document: IndexDocument) -> str:
    """A document's lexemes without positions, joined by LEXEME_SEPARATOR: its hashtags, and
    its pairs of common words with its four fields in the order to_tsvector gives them
    positions (DOCUMENT_SQL)."""
    fields = (document.title, document.tags, document.commentary, document.body)
    words = chain.from_iterable(f.split() for f in fields)
    return LEXEME_SEPARATOR.join(
        [*(TAG_LEXEME + key for key in document.tag_keys), *pair_lexemes(words)]
    )
