"""One analyzer for documents and queries, whatever the database.

Words are accent-folded and lower-cased; each word also yields its Snowball stems in French,
German, English and Italian. A query word matches a document when its folded form or any of its
stems does: the unstemmed form keeps an exact word from being lost to a stemmer's quirk
(French "crédit" stems to "cred" but "crédits" to "crédit").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

from archive.text import fold

# Letters and digits only: "_" and "-" separate words, as in FTS5's unicode61 tokenizer
# and PostgreSQL's parser.
TOKEN_RE = re.compile(r"[^\W_]+")
STEM_LANGUAGES = ("french", "german", "english", "italian")
MAX_WORD = 60  # longer "words" (hashes, base64) are not worth indexing


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


def words(text: str) -> list[str]:
    """Folded words of a text, in order."""
    return [w for w in TOKEN_RE.findall(fold(text)) if len(w) <= MAX_WORD]


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """Folded stems of a word in the four languages, without the word itself."""
    lowered = unicodedata.normalize("NFC", word.casefold())
    folded = fold(word)
    found = []
    for language in STEM_LANGUAGES:
        stemmer = _stemmer(language)
        for form in {lowered, folded}:
            stem = fold(stemmer.stemWord(form))
            if stem != folded and stem not in found:
                found.append(stem)
    return tuple(found)


@lru_cache(maxsize=200_000)
def _analysed(word: str) -> tuple[str, tuple[str, ...]]:
    """(fold(word), stems(word)), cached: folding every word of every document again was most of
    the indexing time, and an archive's vocabulary is far smaller than its word count."""
    return fold(word), stems(word)


def forms(word: str) -> tuple[str, ...]:
    """Everything a query word may match: its folded form first, then its stems."""
    folded = fold(word)
    return (folded, *stems(word))


def document(text: str) -> str:
    """Indexed form of a text: its folded words in order (for phrases), then the new stems.

    The database tokenizes this string again; it contains only letters, digits and spaces.
    """
    raw_words = [w for w in TOKEN_RE.findall(text.casefold()) if len(w) <= MAX_WORD]
    folded = [_analysed(w)[0] for w in raw_words]
    extra: dict[str, None] = {}
    seen = set(folded)
    for word in dict.fromkeys(raw_words):
        for stem in _analysed(word)[1]:
            if stem not in seen:
                extra[stem] = None
                seen.add(stem)
    return " ".join(folded) + (" " + " ".join(extra) if extra else "")
