"""Snippets and highlighting: which words of a text match a query, marked in escaped HTML."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from archive.search.analysis import MAX_WORD, TOKEN_RE, forms, stems
from archive.search.query import Query
from archive.text import fold

SNIPPET_WORDS = 40


class Matcher:
    """Tells whether a word of a text matches one of the query's words (any form)."""

    def __init__(self, query: Query):
        self.exact: set[str] = set()
        self.stemmed: set[str] = set()
        for word in query.highlight_words():
            all_forms = forms(word)
            self.exact.add(all_forms[0])
            self.stemmed.update(all_forms)

    def __bool__(self) -> bool:
        return bool(self.exact)

    def matches(self, token: str) -> bool:
        if len(token) > MAX_WORD:
            return False
        folded = fold(token)
        if folded in self.exact or folded in self.stemmed:
            return True
        return any(s in self.stemmed for s in stems(token))


def _marked(text: str, start: int, end: int, matcher: Matcher, first_id: str | None) -> str:
    out, pos = [], start
    for match in TOKEN_RE.finditer(text, start, end):
        if matcher.matches(match.group(0)):
            out.append(escape(text[pos : match.start()]))
            attrs = f' id="{first_id}"' if first_id else ""
            first_id = None
            out.append(f"<mark{attrs}>{escape(match.group(0))}</mark>")
            pos = match.end()
    out.append(escape(text[pos:end]))
    return "".join(out)


def highlight(text: str, matcher: Matcher, first_id: str | None = None) -> SafeString:
    """The whole text, escaped, with matching words in <mark>."""
    if not matcher:
        return mark_safe(escape(text))
    return mark_safe(_marked(text, 0, len(text), matcher, first_id))


def snippet(texts: list[str], query: Query) -> SafeString:
    """A window of about forty words around the best match among texts, escaped, words marked."""
    matcher = Matcher(query)
    best_text, best_tokens, best_score = "", [], -1
    phrases = [" ".join(p.words) for p in query.phrases()]
    for text in texts:
        tokens = list(TOKEN_RE.finditer(text))
        hits = [i for i, m in enumerate(tokens) if matcher and matcher.matches(m.group(0))]
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
    html = _marked(best_text, start, end, matcher, None) if matcher else escape(best_text[start:end])
    return mark_safe(("… " if start > 0 else "") + html + (" …" if end < len(best_text) else ""))
