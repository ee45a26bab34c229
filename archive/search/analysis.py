"""One analyzer for documents and queries, whatever the database.

Words are accent-folded and lower-cased; each word also yields its Snowball stems in French,
German, English and Italian. A query word matches a document when its folded form or any of its
stems does: the unstemmed form keeps an exact word from being lost to a stemmer's quirk
(French "crédit" stems to "cred" but "crédits" to "crédit").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain

import Stemmer

from archive.text import fold

# Letters and digits only: "_" and "-" separate words, as in FTS5's unicode61 tokenizer
# and PostgreSQL's parser. So do the circled numbers people use as list markers ("①", "❶",
# "➊"): glued to a word ("❶Contrôle"), they must not make it another word. Two blocks only
# (Enclosed Alphanumerics, Dingbats): a larger class of symbols made tokenizing 3x slower.
TOKEN_RE = re.compile(r"[^\W_\u2460-\u24ff\u2776-\u2793]+")
STEM_LANGUAGES = ("french", "german", "english", "italian")
MAX_WORD = 60  # longer "words" (hashes, base64) are not worth indexing


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """Folded stems of a word in the four languages, without the word itself."""
    return _stems_of([word])[0]


def _stems_of(words_: list[str]) -> list[tuple[str, ...]]:
    """stems() of many words at once: each stemmer takes the whole list in one call."""
    lowered = [unicodedata.normalize("NFC", w.casefold()) for w in words_]
    folded = list(map(fold, words_))
    columns = []
    for language in STEM_LANGUAGES:
        stemmer = _stemmer(language)
        columns += [stemmer.stemWords(lowered), stemmer.stemWords(folded)]
    found = []
    for word_folded, row in zip(folded, zip(*columns, strict=True), strict=True):
        unique = dict.fromkeys(s if s.isascii() else fold(s) for s in row)
        unique.pop(word_folded, None)
        found.append(tuple(unique))
    return found


# Folded form and stems of each word seen, by its case-folded spelling: an archive's vocabulary
# is far smaller than its word count, so most words of a new document are already here.
_FOLDED: dict[str, str] = {}
_STEMS: dict[str, tuple[str, ...]] = {}
_CACHE_MAX = 500_000


# While an import prepares posts (importer/prepare.py), the folded forms and stems of the words
# analysed for the first time go here too: the search vocabulary (spelling.py) needs only them.
_new_words: set[str] | None = None


def _analyse(raw_words: set[str]) -> None:
    missing = list(raw_words.difference(_FOLDED.keys()))
    if not missing:
        return
    if len(_FOLDED) + len(missing) > _CACHE_MAX:
        _FOLDED.clear()
        _STEMS.clear()
    for word, word_stems in zip(missing, _stems_of(missing), strict=True):
        _FOLDED[word] = fold(word)
        _STEMS[word] = word_stems
    if _new_words is not None:
        _new_words.update(map(_FOLDED.__getitem__, missing))
        _new_words.update(chain.from_iterable(map(_STEMS.__getitem__, missing)))


@contextmanager
def new_words() -> Iterator[set[str]]:
    """Collect the words (folded forms and stems) that documents() analyses for the first time
    in this process while the block runs. After a rolled-back write, call forget()."""
    global _new_words
    _new_words = found = set()
    try:
        yield found
    finally:
        _new_words = None


def forget() -> None:
    """Forget every word analysed: they are new again (their write was rolled back, so the
    vocabulary must hear of them again)."""
    _FOLDED.clear()
    _STEMS.clear()


def forms(word: str) -> tuple[str, ...]:
    """Everything a query word may match: its folded form first, then its stems."""
    folded = fold(word)
    return (folded, *stems(word))


def _raw_words(text: str) -> list[str]:
    found = TOKEN_RE.findall(text.casefold())
    if found and max(map(len, found)) > MAX_WORD:
        return [w for w in found if len(w) <= MAX_WORD]
    return found


def column_texts(
    title: str, hashtags: list[str], commentary: list[str], paragraphs: list[str]
) -> list[str]:
    """The texts of an article's four indexed columns (title, hashtags, commentary, body), to
    analyse with documents(): one definition for the importer and index_articles()."""
    return [title, " ".join(hashtags), "\n".join(commentary), "\n".join(paragraphs)]


def documents(texts: list[str]) -> list[str]:
    """Indexed form of each text: its folded words in order (for phrases), then the stems not
    already there. The database tokenizes these strings again; they hold only letters, digits
    and spaces. Words new to the cache are analysed in one batch.

    Written for speed (it is most of an import's analysis time): the per-word work is done by
    map() and set operations. The stems come after the words, sorted, without repeats.
    """
    split = [_raw_words(t) for t in texts]
    _analyse(set(chain.from_iterable(split)))
    fold_of, stems_of = _FOLDED.__getitem__, _STEMS.__getitem__
    out = []
    for raw_words in split:
        folded = list(map(fold_of, raw_words))
        extra = set(chain.from_iterable(map(stems_of, set(raw_words))))
        extra.difference_update(folded)
        text = " ".join(folded)
        out.append(f"{text} {' '.join(sorted(extra))}" if extra else text)
    return out
