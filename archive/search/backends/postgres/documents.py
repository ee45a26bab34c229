"""What a search document holds: the weighted words of an article's four fields (DOCUMENT_SQL),
and lexemes without positions (extra_lexemes): its hashtags, and pairs of very common words."""

from __future__ import annotations

from itertools import chain

from archive.search.backends.base import IndexDocument

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
# (no word holds a space). GIN keeps no positions, so an exact phrase reads every document
# holding all its words to check their order: for "sur le est sont", 27,000 documents at a
# million posts (110-190 ms). Each pair of very common words in the phrase is also looked up
# in the index, which cuts the documents to check to those holding the pairs. A document holds
# the pair lexemes of every two neighbouring words of its four fields taken in the order of
# their positions (a superset of what the order check can match), so no match is lost. Only
# these function words form pairs: a rarer word's own list is short enough. Changing the list
# changes the documents: existing ones need `manage.py reindex` (or a migration like 0008).
PAIR_WORDS = frozenset(
    # French (folded: "à" is "a", "été" is "ete"; "l'", "d'", "qu'" are words of their own)
    "a au aux avec c ce ces cette comme d dans de des du elle en est et ete etre il ils j l la "
    "le les leur leurs lui mais meme n ne nous on ou par pas plus pour qu que qui s sa sans se "
    "ses si son sont sur tout un une y "
    # English
    "an and are as at be been but by for from had has have he her his i if in is it its not "
    "of on or she that the their there they this to was we were which will with you "
    # German (folded: "für" is "fur", "über" is "uber")
    "als am an auch auf aus bei das dass dem den der die durch ein eine einem einen einer es "
    "fur hat im ist mit nach nicht noch sich sie sind um und uber vom von war wie wird zu zum "
    "zur "
    # Italian ("è" is "e", "più" is "piu")
    "al alla che con da degli dei del della delle di e gli i il la lo ma nel nella non per piu "
    "si sono sul tra una".split()
)


def word_pairs(words) -> set[str]:
    """The pair lexemes of a sequence of folded words: "sur le" for "... sur le ..."."""
    pairs = set()
    previous = None
    for word in words:
        if word in PAIR_WORDS:
            if previous is not None:
                pairs.add(f"{previous} {word}")
            previous = word
        else:
            previous = None
    return pairs


def extra_lexemes(document: IndexDocument) -> str:
    """A document's lexemes without positions, joined by LEXEME_SEPARATOR: its hashtags, and
    its pairs of common words with its four fields in the order to_tsvector gives them
    positions (DOCUMENT_SQL)."""
    fields = (document.title, document.tags, document.commentary, document.body)
    words = chain.from_iterable(f.split() for f in fields)
    return LEXEME_SEPARATOR.join(
        [*(TAG_LEXEME + key for key in document.tag_keys), *word_pairs(words)]
    )
