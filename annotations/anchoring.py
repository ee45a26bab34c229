"""W3C TextQuote anchors: making them from a quoted passage and finding them again.

An anchor keeps the exact passage, up to 32 characters before and after it, and where it started
(a hint). When the article text changes (re-import of an updated dump), the passage is found again
by position if it still matches, else by its exact text (the occurrence whose context matches
best), else by a fuzzy match; a passage that cannot be found is reported, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

CONTEXT = 32
FUZZY_MIN_RATIO = 0.75


@dataclass(frozen=True)
class TextQuote:
    exact: str
    prefix: str
    suffix: str
    start: int | None


@dataclass(frozen=True)
class Located:
    start: int
    end: int
    how: str  # "position", "exact", "fuzzy"


def normalize_quote(quote: str) -> str:
    return " ".join(quote.split())


def find_quote(text: str, quote: str) -> int | None:
    """Where a pasted or selected quote starts in text; white space may differ."""
    quote = quote.strip()
    if not quote:
        return None
    position = text.find(quote)
    if position >= 0:
        return position
    flat, index = _flatten(text)
    position = flat.find(normalize_quote(quote))
    return index[position] if position >= 0 else None


def make_quote(text: str, quote: str, hint: int | None = None) -> TextQuote | None:
    """A TextQuote for a passage of text, or None if the passage is not in the text."""
    start = None
    quote = quote.strip()
    if hint is not None and 0 <= hint and text[hint : hint + len(quote)] == quote:
        start = hint
    if start is None:
        start = find_quote(text, quote)
    if start is None:
        return None
    if text[start : start + len(quote)] == quote:
        exact = quote
    else:  # White space differed: take the real passage, up to the quote's last character.
        exact = text[start : _end_of_flat_match(text, start, normalize_quote(quote))]
    return TextQuote(
        exact=exact,
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[start + len(exact) : start + len(exact) + CONTEXT],
        start=start,
    )


def locate(text: str, anchor: TextQuote) -> Located | None:
    exact = anchor.exact
    if not exact:
        return None
    start = anchor.start
    if start is not None and text[start : start + len(exact)] == exact:
        return Located(start, start + len(exact), "position")
    occurrences = _occurrences(text, exact)
    if occurrences:
        best = max(occurrences, key=lambda at: _context_score(text, at, anchor))
        return Located(best, best + len(exact), "exact")
    return _fuzzy(text, anchor)


def _occurrences(text: str, exact: str) -> list[int]:
    found, at = [], text.find(exact)
    while at >= 0 and len(found) < 1000:
        found.append(at)
        at = text.find(exact, at + 1)
    return found


def _context_score(text: str, at: int, anchor: TextQuote) -> float:
    before = text[max(0, at - len(anchor.prefix)) : at]
    after = text[at + len(anchor.exact) : at + len(anchor.exact) + len(anchor.suffix)]
    score = SequenceMatcher(None, before, anchor.prefix).ratio()
    score += SequenceMatcher(None, after, anchor.suffix).ratio()
    if anchor.start is not None:
        score -= abs(at - anchor.start) / max(len(text), 1) * 0.1
    return score


def _fuzzy(text: str, anchor: TextQuote) -> Located | None:
    """Best approximate match of the passage, searched near its hint first, then everywhere."""
    exact = anchor.exact
    window = len(exact)
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(exact)
    best: tuple[float, int, int] | None = None
    step = max(1, window // 8)
    for at in range(0, max(1, len(text) - window // 2), step):
        candidate = text[at : at + window + window // 4]
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() < FUZZY_MIN_RATIO or matcher.quick_ratio() < FUZZY_MIN_RATIO:
            continue
        ratio = matcher.ratio()
        if best is None or ratio > best[0]:
            blocks = [b for b in matcher.get_matching_blocks() if b.size]
            if blocks:
                best = (ratio, at + blocks[0].a, at + blocks[-1].a + blocks[-1].size)
    if best is None or best[0] < FUZZY_MIN_RATIO:
        return None
    return Located(best[1], best[2], "fuzzy")


def _flatten(text: str) -> tuple[str, list[int]]:
    """Text with runs of white space as one space, and where each character came from."""
    flat, index, in_space = [], [], False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not in_space:
                flat.append(" ")
                index.append(i)
            in_space = True
        else:
            flat.append(ch)
            index.append(i)
            in_space = False
    return "".join(flat), index


def _end_of_flat_match(text: str, start: int, flat_quote: str) -> int:
    consumed, i = 0, start
    while i < len(text) and consumed < len(flat_quote):
        if text[i].isspace():
            while i < len(text) and text[i].isspace():
                i += 1
            consumed += 1
        else:
            i += 1
            consumed += 1
    return i
