"""Snippets and highlighting: which words of a text match a query, marked in escaped HTML."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from archive.search.analysis import MAX_WORD, TOKEN_RE, forms, stems
from archive.search.query import AnyOf, Query, Term
from archive.text import fold

SNIPPET_WORDS = 40


class Matcher:
    """Finds the words of a text that a query matches: its words in any form, and its exact
    phrases (only where the whole phrase stands, so "de" alone is never marked)."""

    def __init__(self, query: Query):
        self.exact: set[str] = set()
        self.stemmed: set[str] = set()
        self.phrases: list[tuple[str, ...]] = []
        self._seen: dict[str, bool] = {}  # token -> matches(token): texts repeat their words
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

    def marks(self, tokens: list[str]) -> set[int]:
        """Indices of the tokens to mark."""
        marked = {i for i, token in enumerate(tokens) if self.matches(token)}
        if self.phrases:
            folded = [fold(t) for t in tokens]
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

    Pass the same `matcher` (Matcher(query)) for every hit of a page: it remembers its words."""
    matcher = Matcher(query) if matcher is None else matcher
    best_text, best_tokens, best_score = "", [], -1
    phrases = [" ".join(p.words) for p in query.phrases()]
    for text in texts:
        tokens = list(TOKEN_RE.finditer(text))
        hits = sorted(matcher.marks([m.group(0) for m in tokens])) if matcher else []
        score = len({fold(tokens[i].group(0)) for i in hits}) * 10 + len(hits)
        if phrases and any(p in " ".join(fold(m.group(0)) for m in tokens) for p in phrases):
            score += 100
        if score > best_score:
            best_text, best_tokens, best_score = text, tokens, score
            best_hits = hits
    if not best_text:
        return mark_safe("")
    if not best_tokens:
        return mark_safe(escape(best_text[:300]))
    first = best_hits[0] if best_score > 0 and best_hits else 0
    lo = max(0, first - SNIPPET_WORDS // 4)
    hi = min(len(best_tokens), lo + SNIPPET_WORDS)
    start = best_tokens[lo].start() if lo > 0 else 0
    end = best_tokens[hi - 1].end() if hi < len(best_tokens) else len(best_text)
    html = (
        _marked(best_text, start, end, matcher, None) if matcher else escape(best_text[start:end])
    )
    return mark_safe(("… " if start > 0 else "") + html + (" …" if end < len(best_text) else ""))
