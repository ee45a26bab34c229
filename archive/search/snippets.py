"""Snippets and highlighting: which words of a text match a query, marked in escaped HTML."""

from __future__ import annotations

import re
from itertools import islice

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from archive.search.analysis import MAX_WORD, TOKEN_RE, forms, stems
from archive.search.query import AnyOf, Query, Term
from archive.text import fold

SNIPPET_WORDS = 40
# A snippet is cut from at most this much of an article's text, and of its commentary: the
# words search finds are there (the index holds an article's first words: analysis.py), and a
# 30 MB text costs no more than a short one.
SNIPPET_TEXT_CHARS = 100_000
SNIPPET_COMMENTARY_CHARS = 20_000
_LAST_SPACE = re.compile(r"\s(?=\S*$)")
_FIRST_SPACE = re.compile(r"\s")
PIECE_CHARS = 8_000


class Matcher:
    """Finds the words of a text that a query matches: its words in any form, and its exact
    phrases (only where the whole phrase stands, so "de" alone is never marked)."""

    def __init__(self, query: Query):
        self.exact: set[str] = set()
        self.stemmed: set[str] = set()
        self.phrases: list[tuple[str, ...]] = []
        self._seen: dict[str, bool] = {}  # token -> matches(token): texts repeat their words
        self._folded: dict[str, str] = {}  # token -> fold(token), for the same reason
        for clause in query.required:
            options = clause.options if isinstance(clause, AnyOf) else (clause,)
            for option in options:
                if isinstance(option, Term):
                    all_forms = forms(option.word)
                    self.exact.add(all_forms[0])
                    self.stemmed.update(all_forms)
                else:
                    self.phrases.append(option.words)

    def __bool__(self) -> bool:
        return bool(self.exact or self.phrases)

    def matches(self, token: str) -> bool:
        """A single word matching one of the query's words (phrases aside)."""
        found = self._seen.get(token)
        if found is None:
            found = self._seen[token] = self._matches(token)
        return found

    def _matches(self, token: str) -> bool:
        if len(token) > MAX_WORD:
            return False
        folded = fold(token)
        if folded in self.exact or folded in self.stemmed:
            return True
        return bool(self.stemmed) and any(s in self.stemmed for s in stems(token))

    def fold(self, token: str) -> str:
        found = self._folded.get(token)
        if found is None:
            found = self._folded[token] = fold(token)
        return found

    def marks(self, tokens: list[str]) -> set[int]:
        """Indices of the tokens to mark."""
        seen, marked = self._seen, set()
        for i, token in enumerate(tokens):  # (a long text's words: kept fast)
            found = seen.get(token)
            if found is None:
                found = seen[token] = self._matches(token)
            if found:
                marked.add(i)
        if self.phrases:
            folded = list(map(self.fold, tokens))
            for phrase in self.phrases:
                size = len(phrase)
                for i in range(len(folded) - size + 1):
                    if tuple(folded[i : i + size]) == phrase:
                        marked.update(range(i, i + size))
        return marked


def _marked(text: str, start: int, end: int, matcher: Matcher, first_id: str | None) -> str:
    tokens = list(TOKEN_RE.finditer(text, start, end))
    marked = matcher.marks([t.group(0) for t in tokens])
    out, pos, i = [], start, 0
    while i < len(tokens):
        if i not in marked:
            i += 1
            continue
        run_end = i
        while run_end + 1 in marked:  # neighbouring marked words (a phrase) share one <mark>
            run_end += 1
        out.append(escape(text[pos : tokens[i].start()]))
        attrs = f' id="{first_id}"' if first_id else ""
        first_id = None
        out.append(f"<mark{attrs}>{escape(text[tokens[i].start() : tokens[run_end].end()])}</mark>")
        pos = tokens[run_end].end()
        i = run_end + 1
    out.append(escape(text[pos:end]))
    return "".join(out)


def highlight(text: str, matcher: Matcher, first_id: str | None = None) -> SafeString:
    """The whole text, escaped, with matching words in <mark>."""
    if not matcher:
        return mark_safe(escape(text))
    return mark_safe(_marked(text, 0, len(text), matcher, first_id))


def snippet(texts: list[str], query: Query, matcher: Matcher | None = None) -> SafeString:
    """A window of about forty words around the best match among texts, escaped, words marked.
    A long text is read a piece at a time (PIECE_CHARS), up to its first piece with a match.

    Pass the same `matcher` (Matcher(query)) for every hit of a page: it remembers its words."""
    matcher = Matcher(query) if matcher is None else matcher
    best, best_score, best_hits, best_count = ("", 0, 0), -1, [], 0
    phrases = [" ".join(p.words) for p in query.phrases()]
    for text in texts:
        for offset, piece in _pieces(text):
            words = TOKEN_RE.findall(piece)
            hits = sorted(matcher.marks(words)) if matcher else []
            score = len({matcher.fold(words[i]) for i in hits}) * 10 + len(hits)
            if phrases and any(p in " ".join(map(matcher.fold, words)) for p in phrases):
                score += 100
            if score > best_score:
                best, best_score, best_hits, best_count = (
                    (piece, offset, len(text)),
                    score,
                    hits,
                    len(words),
                )
            if hits:
                break
    piece, offset, length = best
    if not piece:
        return mark_safe("")
    if not best_count:
        return mark_safe(escape(piece[:300]))
    first = best_hits[0] if best_score > 0 and best_hits else 0
    lo = max(0, first - SNIPPET_WORDS // 4)
    hi = min(best_count, lo + SNIPPET_WORDS)
    tokens = list(islice(TOKEN_RE.finditer(piece), hi))  # where the words are
    start = tokens[lo].start() if lo > 0 else 0
    end = tokens[hi - 1].end() if hi < best_count else len(piece)
    html = _marked(piece, start, end, matcher, None) if matcher else escape(piece[start:end])
    before = offset + start > 0
    after = offset + end < length
    return mark_safe(("… " if before else "") + html + (" …" if after else ""))


def _pieces(text: str):
    """(offset, piece): a text in pieces of about PIECE_CHARS characters, cut at white space."""
    start = 0
    while True:
        end = start + PIECE_CHARS
        if end >= len(text):
            yield start, text[start:]
            return
        space = _FIRST_SPACE.search(text, end)
        if space is None:
            yield start, text[start:]
            return
        yield start, text[start : space.start()]
        start = space.start()


def first_chars(texts: list[str], limit: int) -> list[str]:
    """The texts up to `limit` characters in all, the last one cut at white space (a word is
    not cut in two)."""
    kept, size = [], 0
    for text in texts:
        if size + len(text) > limit:
            cut = text[: max(0, limit - size)]
            space = _LAST_SPACE.search(cut, len(cut) // 2)
            if cut:
                kept.append(cut[: space.start()] if space else cut)
            break
        kept.append(text)
        size += len(text)
    return kept


def snippet_texts(paragraphs: list[str], commentary: list[str]) -> list[str]:
    """What a search result's snippet is cut from: the start of the text and of the
    commentary."""
    return first_chars(paragraphs, SNIPPET_TEXT_CHARS) + first_chars(
        commentary, SNIPPET_COMMENTARY_CHARS
    )
