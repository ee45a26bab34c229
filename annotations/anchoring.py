"""W3C TextQuote anchors: making one from a quoted passage, and finding it again in a text that
changed.

An anchor keeps the exact passage, up to 32 characters before and after it (prefix, suffix) and
where it started (a hint). Finding it again (`locate`) works as Hypothesis's client does
(match-quote.ts), with more candidates: every exact occurrence and the closest approximate match
in every stretch of the text is scored by its similarity to the quote, the similarity of the text
around it to the prefix and suffix, and, to decide between passages that are otherwise as good,
its distance from the hint. An approximate match may differ from the quote by up to half its
length in edits (insertions, deletions, substitutions), at most MAX_ERRORS; it is kept only if its
score says the passage, or its surroundings, are still recognisable (MIN_SCORE): a passage that is
gone is reported as lost, never pinned to some unrelated text.

The approximate search is edlib's (Myers' bit-vector algorithm in C++, the algorithm of
Hypothesis's approx-string-match), over the text mapped to bytes once with numpy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import edlib
import numpy as np

CONTEXT = 32
MAX_ERRORS = 256  # as Hypothesis: a quote of more than 512 characters is allowed no more
MAX_OCCURRENCES = 1000
REALIGNED = 3  # best approximate matches bounded again by aligning the quote with its context
MAX_STRETCHES = 2000  # searched separately, each reporting its closest matches
PASSAGES_PER_STRETCH = 8
MAP_BLOCK = 1 << 20  # characters mapped to bytes at a time: little memory for a long article
# Weights of a candidate's score, Hypothesis's: the quote counts most, its surroundings next, the
# distance from the hint only decides between candidates otherwise alike.
QUOTE_WEIGHT, PREFIX_WEIGHT, SUFFIX_WEIGHT, POSITION_WEIGHT = 50, 20, 20, 2
# A candidate scoring less is taken for unrelated text. Measured with random passages of the
# real dumps (20 to 200 characters): half of a passage's letters changed in its old surroundings
# scores 0.72 or more, a quarter changed along with the text around it 0.74 or so (0.63 at
# worst for very short quotes), while the best match of a passage that is gone scores 0.45-0.6,
# unless a near copy of it is elsewhere in the text (then found there, as Hypothesis would).
MIN_SCORE = 0.65
_SPACE = re.compile(r"\s+")
_CIGAR = re.compile(r"(\d+)([=XID])")


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
    how: str  # "position" (where it was), "exact" (its words elsewhere), "approximate"
    score: float = 1.0


class QuoteNotFound(ValueError):
    """The quoted passage is not in the text."""


class ContextNotFound(QuoteNotFound):
    """The quoted passage is in the text, but not next to the given prefix or suffix."""


class AmbiguousQuote(ValueError):
    """The quoted passage is in the text more than once and nothing says which one is meant."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        super().__init__(f"the passage occurs {len(spans)} times")
        self.spans = spans

    @property
    def starts(self) -> list[int]:
        return [start for start, _ in self.spans]


class HintOutOfRange(ValueError):
    """A position outside the text."""


def quote_at(text: str, start: int, end: int) -> TextQuote:
    """The anchor of text[start:end], with its surroundings as they read now."""
    return TextQuote(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[end : end + CONTEXT],
        start=start,
    )


def occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    """Where a pasted or selected quote is in text (start, end); white space may differ."""
    words = quote.split()
    if not words:
        return []
    # A lookahead finds overlapping occurrences too; the words are literal (escaped).
    pattern = re.compile("(?=(" + r"\s+".join(re.escape(word) for word in words) + "))")
    found = []
    for match in pattern.finditer(text):
        found.append(match.span(1))
        if len(found) >= MAX_OCCURRENCES:
            break
    return found


def make_quote(
    text: str,
    quote: str,
    hint: int | None = None,
    prefix: str = "",
    suffix: str = "",
) -> TextQuote:
    """The anchor of a quoted passage. When it is in the text more than once, the occurrence
    meant is the one nearest to the hint, or the one the given prefix and suffix (the text just
    before and after it; white space may differ) are next to.

    Raises HintOutOfRange, QuoteNotFound (ContextNotFound when the passage is there but not next
    to the given prefix or suffix) or AmbiguousQuote (with where it occurs).
    """
    if hint is not None and not 0 <= hint <= len(text):
        raise HintOutOfRange(hint)
    found = occurrences(text, quote)
    if not found:
        raise QuoteNotFound(quote)
    if prefix.strip() or suffix.strip():
        found = [span for span in found if _next_to(text, span, prefix, suffix)]
        if not found:
            raise ContextNotFound(quote)
    if len(found) > 1 and hint is not None:
        nearest = min(abs(start - hint) for start, _ in found)
        found = [span for span in found if abs(span[0] - hint) == nearest]
    if len(found) > 1:
        raise AmbiguousQuote(found)
    return quote_at(text, *found[0])


def _next_to(text: str, span: tuple[int, int], prefix: str, suffix: str) -> bool:
    """Whether the text just before and after span reads as prefix and suffix (runs of white
    space counted as one, and white space between them and the passage not counted)."""
    prefix, suffix = _SPACE.sub(" ", prefix).strip(), _SPACE.sub(" ", suffix).strip()
    before = _SPACE.sub(" ", text[max(0, span[0] - 2 * len(prefix) - 1) : span[0]]).rstrip()
    after = _SPACE.sub(" ", text[span[1] : span[1] + 2 * len(suffix) + 1]).lstrip()
    return before.endswith(prefix) and after.startswith(suffix)


def max_errors(quote: str) -> int:
    """The edits an approximate match of a quote may have: half its length, at most MAX_ERRORS."""
    return min(MAX_ERRORS, len(quote) // 2)


def locate(text: str, anchor: TextQuote, *, approximate: bool = True) -> Located | None:
    """Where an anchor's passage is in text now, or None when it is gone.

    approximate=False looks for the passage's exact words only (cheap: no edit-distance search).
    """
    exact = anchor.exact
    if not exact or not text:
        return None
    hint = anchor.start
    if hint is not None and not 0 <= hint <= len(text):
        hint = None  # a position outside the text says nothing
    if hint is not None and text.startswith(exact, hint) and _same_context(text, hint, anchor):
        return Located(hint, hint + len(exact), "position")
    scorer = _Scorer(text, anchor, hint)
    candidates = [(at, at + len(exact), 0) for at in _exact_occurrences(text, exact)]
    best = max(candidates, key=scorer.rank, default=None)
    if approximate and (best is None or scorer.context(best) < 1.0):
        # No occurrence in its old surroundings: the passage may have been rewritten.
        matches = _approximate_matches(text, exact)
        candidates += matches
        # The closest match may have lost a rewritten edge of the passage (words added at its
        # start cost less dropped than kept): the best ones are also bounded by their context.
        for match in sorted(matches, key=scorer.rank, reverse=True)[:REALIGNED]:
            realigned = _aligned_to_context(text, anchor, match)
            if realigned is not None:
                candidates.append(realigned)
        best = max(candidates, key=scorer.rank, default=None)
    if best is None:
        return None
    score = scorer.score(best)
    if score < MIN_SCORE:
        return None
    start, end = _trimmed(text, best[0], best[1])
    if start == end:
        return None
    if text[start:end] == exact:
        how = "position" if start == hint else "exact"
    else:
        how = "approximate"
    return Located(start, end, how, round(score, 4))


def _same_context(text: str, start: int, anchor: TextQuote) -> bool:
    end = start + len(anchor.exact)
    return (
        text[max(0, start - len(anchor.prefix)) : start] == anchor.prefix
        and text[end : end + len(anchor.suffix)] == anchor.suffix
    )


def _exact_occurrences(text: str, exact: str) -> list[int]:
    found, at = [], text.find(exact)
    while at >= 0 and len(found) < MAX_OCCURRENCES:
        found.append(at)
        at = text.find(exact, at + 1)
    return found


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """An approximate match without the white space it may begin or end with."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class _Scorer:
    """Hypothesis's score of a candidate (start, end, errors): between 0 and 1."""

    def __init__(self, text: str, anchor: TextQuote, hint: int | None) -> None:
        self.text, self.anchor, self.hint = text, anchor, hint
        self.cache: dict[tuple[int, int, int], tuple[float, float, float]] = {}

    def parts(self, candidate: tuple[int, int, int]) -> tuple[float, float, float]:
        if candidate not in self.cache:
            start, end, errors = candidate
            text, anchor = self.text, self.anchor
            quote = 1 - errors / len(anchor.exact)
            prefix = _similarity(anchor.prefix, text[max(0, start - len(anchor.prefix)) : start])
            suffix = _similarity(anchor.suffix, text[end : end + len(anchor.suffix)])
            self.cache[candidate] = (quote, prefix, suffix)
        return self.cache[candidate]

    def context(self, candidate: tuple[int, int, int]) -> float:
        _, prefix, suffix = self.parts(candidate)
        return min(prefix, suffix)

    def score(self, candidate: tuple[int, int, int]) -> float:
        quote, prefix, suffix = self.parts(candidate)
        position = 1.0
        if self.hint is not None:
            position = 1 - abs(candidate[0] - self.hint) / len(self.text)
        total = (
            QUOTE_WEIGHT * quote
            + PREFIX_WEIGHT * prefix
            + SUFFIX_WEIGHT * suffix
            + POSITION_WEIGHT * position
        )
        return total / (QUOTE_WEIGHT + PREFIX_WEIGHT + SUFFIX_WEIGHT + POSITION_WEIGHT)

    def rank(self, candidate: tuple[int, int, int]) -> tuple:
        # Equal scores: the longer match (as approx-string-match), then the earlier one.
        return (self.score(candidate), candidate[1] - candidate[0], -candidate[0])


def _similarity(expected: str, found: str) -> float:
    """1 for the same text, less for each edit needed to find `expected` in `found` (Hypothesis's
    textMatchScore); expected context that is not there at all counts as found (1)."""
    if not expected:
        return 1.0
    if not found:
        return 0.0
    distance = edlib.align(expected, found, mode="HW", task="distance")["editDistance"]
    return 1 - distance / len(expected)


def _aligned_to_context(
    text: str, anchor: TextQuote, match: tuple[int, int, int]
) -> tuple[int, int, int] | None:
    """The match's boundaries where the anchor's prefix and suffix place them: the quote with
    its context is aligned around the match (edlib's alignment path), and the passage is what
    lies between the first and the last character aligned with the quote."""
    if not anchor.prefix and not anchor.suffix:
        return None
    prefix, exact = anchor.prefix, anchor.exact
    slack = max_errors(exact)
    low = max(0, match[0] - len(prefix) - slack)
    high = min(len(text), match[1] + len(anchor.suffix) + slack)
    query, target = _as_bytes(prefix + exact + anchor.suffix, text[low:high])
    result = edlib.align(query, target, mode="HW", task="path")
    if result["editDistance"] < 0 or not result["cigar"]:
        return None
    begin, end = len(prefix), len(prefix) + len(exact)  # the quote, in the query
    q, t = 0, result["locations"][0][0]
    first = last = None
    for count, operation in _CIGAR.findall(result["cigar"]):
        n = int(count)
        if operation in "=X":  # query and text characters aligned
            inside = range(max(q, begin), min(q + n, end))
            if inside:
                first = t + inside[0] - q if first is None else first
                last = t + inside[-1] - q
            q, t = q + n, t + n
        elif operation == "I":  # in the query only
            q += n
        else:  # "D": in the text only
            t += n
    if first is None:
        return None
    start, stop = low + first, low + last + 1
    query, target = _as_bytes(exact, text[start:stop])
    errors = edlib.align(query, target, mode="NW", task="distance")["editDistance"]
    return start, stop, errors


def _approximate_matches(text: str, quote: str) -> list[tuple[int, int, int]]:
    """The closest matches of quote in every stretch of text, with at most max_errors(quote)
    edits: (start, end, errors).

    edlib reports only the closest matches of a search, so the text is searched in overlapping
    stretches (each long enough to hold any match whole): a passage rewritten in place is a
    candidate even where the quote's old words remain, exactly, somewhere else.
    """
    limit = max_errors(quote)
    if limit == 0:
        return []
    query, target = _as_bytes(quote, text)
    # Each stretch holds any match whole (a match is at most len(quote) + limit long); a very
    # long text is cut in at most MAX_STRETCHES, so that a short quote costs bounded calls.
    step = max(len(quote) + limit, len(text) // MAX_STRETCHES)
    found = []
    for begin in range(0, max(1, len(text) - len(quote) + limit + 1), step):
        result = edlib.align(
            query, target[begin : begin + 2 * step], mode="HW", task="locations", k=limit
        )
        errors = result["editDistance"]
        if errors < 0:
            continue
        for start, last in _distinct(result["locations"], len(quote) // 4):
            found.append((begin + start, begin + last + 1, errors))
    return list(dict.fromkeys(found))


def _distinct(locations: list[tuple[int, int]], near: int) -> list[tuple[int, int]]:
    """One location per passage (the longest, as approx-string-match chooses) among matches
    starting within `near` characters of each other, at most PASSAGES_PER_STRETCH: a repetitive
    text gives one location per character otherwise."""
    passages: list[list[tuple[int, int]]] = []
    for start, last in sorted(locations):
        if passages and start - passages[-1][0][0] <= near:
            passages[-1].append((start, last))
        elif len(passages) < PASSAGES_PER_STRETCH:
            passages.append([(start, last)])
        else:
            break
    return [max(spans, key=lambda span: span[1] - span[0]) for spans in passages]


def _as_bytes(quote: str, text: str) -> tuple[bytes, bytes]:
    """quote and text as bytes for edlib, whose alphabet has 256 symbols: each character of the
    quote gets its own byte and every other character byte 0, which matches nothing of the quote.

    (A quote of more than 255 different characters, in a script such as Chinese, shares byte 255
    among its rarest ones: they then match each other, and its errors are counted a little low.)
    """
    chars, counts = np.unique(_code_points(quote), return_counts=True)
    codes = np.zeros(len(chars), dtype=np.uint8)
    by_frequency = np.argsort(-counts, kind="stable")
    codes[by_frequency[:254]] = np.arange(1, min(len(chars), 254) + 1, dtype=np.uint8)
    codes[by_frequency[254:]] = 255
    mapped = []
    for begin in range(0, len(text), MAP_BLOCK):
        points = _code_points(text[begin : begin + MAP_BLOCK])
        where = np.searchsorted(chars, points).clip(0, len(chars) - 1)
        mapped.append(np.where(chars[where] == points, codes[where], 0).astype(np.uint8).tobytes())
    query = codes[np.searchsorted(chars, _code_points(quote))].tobytes()
    return query, b"".join(mapped)


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
