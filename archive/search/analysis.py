"""One analyzer for documents and queries, whatever the database.

Words are accent-folded and lower-cased. A document's word also yields its Snowball stems in
the language of its paragraph (French, German, English or Italian; in all four when the
paragraph is in none of them, and for titles, hashtags and commentary, too short or too mixed
to tell); a query word yields its stems in all four. A query word matches a document when its
folded form or any of its stems does: the unstemmed form keeps an exact word from being lost
to a stemmer's quirk (French "crédit" stems to "cred" but "crédits" to "crédit"). Stemming a
document in its own language only is what keeps an Italian "premiano" (stem "prem") from
finding a French "première" (French stems "premi", "premier"; "prem" is its Italian one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
# The language codes of paragraphs (language.py) whose words are stemmed in that language only.
STEMMED_CODES = ("fr", "de", "en", "it")
ALL_LANGUAGES = ""  # a text stemmed in the four languages
MAX_WORD = 60  # longer "words" (hashes, base64) are not worth indexing


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """Folded stems of a word in the four languages, without the word itself."""
    return _union(_stems_of([word])[0])


def _union(by_language: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chain.from_iterable(by_language)))


def _stems_of(words_: list[str]) -> list[tuple[tuple[str, ...], ...]]:
    """The stems of many words, in each language (STEM_LANGUAGES' order), without the folded
    word itself: each stemmer takes the whole list in one call."""
    lowered = [unicodedata.normalize("NFC", w.casefold()) for w in words_]
    folded = list(map(fold, words_))
    columns = []
    for language in STEM_LANGUAGES:
        stemmer = _stemmer(language)
        columns += [stemmer.stemWords(lowered), stemmer.stemWords(folded)]
    found = []
    for word_folded, row in zip(folded, zip(*columns, strict=True), strict=True):
        by_language = []
        for k in range(0, len(row), 2):
            unique = dict.fromkeys(s if s.isascii() else fold(s) for s in row[k : k + 2])
            unique.pop(word_folded, None)
            by_language.append(tuple(unique))
        found.append(tuple(by_language))
    return found


# Folded form and stems of each word seen, by its case-folded spelling: an archive's vocabulary
# is far smaller than its word count, so most words of a new document are already here.
_FOLDED: dict[str, str] = {}
_STEMS: dict[str, tuple[str, ...]] = {}  # in the four languages
_STEMS_IN: dict[str, dict[str, tuple[str, ...]]] = {code: {} for code in STEMMED_CODES}
_CACHE_MAX = 500_000


def _stems_table(language: str) -> dict[str, tuple[str, ...]]:
    """Stems by raw word for text in this language (a paragraph's code), or in all four."""
    return _STEMS_IN.get(language, _STEMS)


# While an import prepares posts (importer/prepare.py), the terms (folded words and stems) that
# documents write for the first time in this process go here too: the search vocabulary
# (spelling.py) needs only them. A word met again in another language may bring new stems.
_new_words: set[str] | None = None
_written: set[str] = set()


def _analyse(raw_words: set[str]) -> None:
    missing = list(raw_words.difference(_FOLDED.keys()))
    if not missing:
        return
    if len(_FOLDED) + len(missing) > _CACHE_MAX:
        _clear_caches()
        missing = list(raw_words)  # the caller reads all of them from the caches
    in_languages = [_STEMS_IN[code] for code in STEMMED_CODES]
    for word, by_language in zip(missing, _stems_of(missing), strict=True):
        _FOLDED[word] = fold(word)
        _STEMS[word] = _union(by_language)
        for table, word_stems in zip(in_languages, by_language, strict=True):
            table[word] = word_stems


def _clear_caches() -> None:
    _FOLDED.clear()
    _STEMS.clear()
    for table in _STEMS_IN.values():
        table.clear()


def _note_written(terms: set[str]) -> None:
    if len(_written) > 4 * _CACHE_MAX:
        _written.clear()
    terms.difference_update(_written)
    _written.update(terms)
    _new_words.update(terms)


@contextmanager
def new_words() -> Iterator[set[str]]:
    """Collect the terms (folded words and stems) that documents write for the first time in
    this process while the block runs. After a rolled-back write, call forget()."""
    global _new_words
    _new_words = found = set()
    try:
        yield found
    finally:
        _new_words = None


def forget() -> None:
    """Forget every word analysed: they are new again (their write was rolled back, so the
    vocabulary must hear of them again)."""
    _clear_caches()
    _written.clear()


def forms(word: str) -> tuple[str, ...]:
    """Everything a query word may match: its folded form first, then its stems."""
    folded = fold(word)
    return (folded, *stems(word))


def _raw_words(text: str) -> list[str]:
    found = TOKEN_RE.findall(text.casefold())
    if found and max(map(len, found)) > MAX_WORD:
        return [w for w in found if len(w) <= MAX_WORD]
    return found


# A column's text in pieces, each with the language its words are stemmed in (ALL_LANGUAGES:
# the four); the pieces are read as if joined by white space.
Pieces = list[tuple[str, str]]


def column_pieces(
    title: str,
    hashtags: list[str],
    commentary: list[str],
    paragraphs: list[str],
    languages: list[str] | None = None,
) -> list[Pieces]:
    """An article's four indexed columns (title, hashtags, commentary, body) as pieces: each
    paragraph in its language (`languages`, one a paragraph), the rest in all four."""
    if languages is None:
        languages = [ALL_LANGUAGES] * len(paragraphs)
    return [
        [(title, ALL_LANGUAGES)],
        [(" ".join(hashtags), ALL_LANGUAGES)],
        [("\n".join(commentary), ALL_LANGUAGES)],
        list(zip(paragraphs, languages, strict=True)),
    ]


# --- what one article's index holds ------------------------------------------------------
#
# The same budget on both databases: an article's four analysed columns hold at most
# TERMS_PER_ARTICLE terms (words and stems: what PostgreSQL gives a position each, at most
# 16,383 a document, after which phrases no longer match) and BYTES_PER_ARTICLE bytes (a
# tsvector holds less than 1 MB: the hashtag and word-pair lexemes go in besides). Almost every
# article is far below; for a longer one, the first words of each column are indexed: the
# title's first TITLE_TERMS terms, the hashtags' first TAG_TERMS, at least COMMENTARY_TERMS of
# the commentary, the text all the rest, the commentary what the text leaves.
TERMS_PER_ARTICLE = 16_000
BYTES_PER_ARTICLE = 256 << 10
TITLE_TERMS, TAG_TERMS, COMMENTARY_TERMS = 500, 2_000, 3_000
COLUMN_NAMES = ("title", "hashtags", "commentary", "text")
# An article with more characters than this is analysed word by word up to its budget (in
# pieces of about PIECE_CHARS), not all at once: a 30 MB text is never split into a list.
WHOLE_CHARS = 200_000
PIECE_CHARS = 1 << 16
_SPACE = re.compile(r"\s")

# An article as the index reads it: its title, hashtags, commentary texts, paragraphs and the
# paragraphs' languages.
ArticleTexts = tuple[str, list[str], list[str], list[str], list[str]]


@dataclass(frozen=True)
class ArticleDocument:
    """An article's four analysed columns, and, when it was over the budget, how many words of
    each cut column were indexed: (("text", 10250),)."""

    title: str
    tags: str
    commentary: str
    body: str
    cut: tuple[tuple[str, int], ...] = ()


def article_documents(articles: list[ArticleTexts]) -> list[ArticleDocument]:
    """The indexed form of each article, within the budget: one definition for the importer
    and index_articles()."""
    small = [i for i, article in enumerate(articles) if _chars(article) <= WHOLE_CHARS]
    done: dict[int, ArticleDocument] = {}
    analysed = iter(pieces_documents([c for i in small for c in column_pieces(*articles[i])]))
    for i in small:
        columns = [next(analysed) for _ in range(4)]
        if _terms(columns) <= TERMS_PER_ARTICLE and _size(columns) <= BYTES_PER_ARTICLE:
            done[i] = ArticleDocument(*columns)
    return [done[i] if i in done else _within_budget(article) for i, article in enumerate(articles)]


def _chars(article: ArticleTexts) -> int:
    title, hashtags, commentary, paragraphs, _ = article
    return (
        len(title) + sum(map(len, hashtags)) + sum(map(len, commentary)) + sum(map(len, paragraphs))
    )


def _terms(columns: list[str]) -> int:
    return sum(c.count(" ") + 1 for c in columns if c)


def _size(columns: list[str]) -> int:
    return sum(map(_bytes, columns))


def _bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


class _Column:
    """One column (its texts, as if joined by white space) analysed word by word, as
    documents() would, until a budget is spent."""

    def __init__(self, texts: Pieces, max_terms: int, max_bytes: int):
        self.words: list[str] = []
        self.seen: set[str] = set()
        self.stems: set[str] = set()  # stems that are none of the words
        self.terms = self.size = 0
        self.complete = self._read(texts, max_terms, max_bytes)

    def _read(self, texts: Pieces, max_terms: int, max_bytes: int) -> bool:
        for text, language in texts:
            stems_of = _stems_table(language)
            for piece in _pieces(text):
                raw_words = _raw_words(piece)
                _analyse(set(raw_words))
                for raw in raw_words:
                    if not self._add(_FOLDED[raw], stems_of[raw], max_terms, max_bytes):
                        return False
        return True

    def _add(self, word: str, word_stems, max_terms: int, max_bytes: int) -> bool:
        was_stem = word in self.stems  # it becomes a word: still one term
        terms, size = (0, 0) if was_stem else (1, _bytes(word) + 1)
        new_stems = [
            s for s in dict.fromkeys(word_stems) if s not in self.stems and s not in self.seen
        ]
        new_stems = [s for s in new_stems if s != word]
        terms += len(new_stems)
        size += sum(_bytes(s) + 1 for s in new_stems)
        if self.terms + terms > max_terms or self.size + size > max_bytes:
            return False
        if was_stem:
            self.stems.discard(word)
        self.words.append(word)
        self.seen.add(word)
        self.stems.update(new_stems)
        self.terms += terms
        self.size += size
        return True

    def document(self) -> str:
        if _new_words is not None:
            _note_written(self.seen | self.stems)
        text = " ".join(self.words)
        return f"{text} {' '.join(sorted(self.stems))}" if self.stems else text


def _pieces(text: str):
    """The text in pieces of about PIECE_CHARS, cut at white space (so no word is cut)."""
    start = 0
    while start < len(text):
        end = start + PIECE_CHARS
        if end < len(text):
            space = _SPACE.search(text, end)
            end = space.start() if space else len(text)
        yield text[start:end]
        start = end


def _within_budget(article: ArticleTexts) -> ArticleDocument:
    title_text, hashtags, commentary_texts, paragraphs = column_pieces(*article)
    terms, size = TERMS_PER_ARTICLE, BYTES_PER_ARTICLE
    title = _Column(title_text, TITLE_TERMS, size)
    terms, size = terms - title.terms, size - title.size
    tags = _Column(hashtags, min(TAG_TERMS, terms), size)
    terms, size = terms - tags.terms, size - tags.size
    commentary = _Column(commentary_texts, min(COMMENTARY_TERMS, terms), size // 4)
    body = _Column(paragraphs, terms - commentary.terms, size - commentary.size)
    if not commentary.complete:
        commentary = _Column(commentary_texts, terms - body.terms, size - body.size)
    columns = (title, tags, commentary, body)
    return ArticleDocument(
        *(c.document() for c in columns),
        cut=tuple(
            (name, len(c.words))
            for name, c in zip(COLUMN_NAMES, columns, strict=True)
            if not c.complete
        ),
    )


def documents(texts: list[str]) -> list[str]:
    """Indexed form of each text, its words stemmed in the four languages (pieces_documents)."""
    return pieces_documents([[(text, ALL_LANGUAGES)] for text in texts])


def pieces_documents(columns: list[Pieces]) -> list[str]:
    """Indexed form of each column: its folded words in order (for phrases), then the stems
    not already there, each piece's words stemmed in its language. The database tokenizes
    these strings again; they hold only letters, digits and spaces. Words new to the cache are
    analysed in one batch. No budget: see article_documents().

    Written for speed (it is most of an import's analysis time): the per-word work is done by
    map() and set operations. The stems come after the words, sorted, without repeats.
    """
    split = [[(_raw_words(text), language) for text, language in pieces] for pieces in columns]
    _analyse({w for pieces in split for raw_words, _ in pieces for w in raw_words})
    fold_of = _FOLDED.__getitem__
    out = []
    for pieces in split:
        folded: list[str] = []
        extra: set[str] = set()
        for raw_words, language in pieces:
            folded += map(fold_of, raw_words)
            stems_of = _stems_table(language).__getitem__
            extra.update(chain.from_iterable(map(stems_of, set(raw_words))))
        extra.difference_update(folded)
        if _new_words is not None:
            _note_written(extra.union(folded))
        text = " ".join(folded)
        out.append(f"{text} {' '.join(sorted(extra))}" if extra else text)
    return out
