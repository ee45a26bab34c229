"""A very long article shown in parts: each page of it holds about PART_CHARS characters.

An article's text is its paragraphs joined by blank lines; offsets here are in that text (as
anchors' are: annotations/anchoring.py). A part holds whole paragraphs, but a paragraph longer
than a part is cut at white space into pieces, each starting a part. Nearly every article is
one part, and its page is as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PART_CHARS = 50_000
_SPACES = (" ", "\n", "\t")


@dataclass
class Part:
    number: int  # from 1
    start: int  # offset in the article's text
    # (paragraph index, start, end in the paragraph) of each paragraph or piece it shows
    pieces: list[tuple[int, int, int]] = field(default_factory=list)
    size: int = 0


def article_parts(texts: list[str], size: int = PART_CHARS) -> list[Part]:
    """The parts of an article whose paragraphs' texts are `texts` (at least one part)."""
    parts = [Part(1, 0)]
    offset = 0  # of the paragraph in the article's text
    for index, text in enumerate(texts):
        start = 0
        while True:
            part = parts[-1]
            if part.pieces and part.size + len(text) - start > size:
                part = Part(len(parts) + 1, offset + start)
                parts.append(part)
            end = len(text) if len(text) - start <= size else _cut(text, start, size)
            part.pieces.append((index, start, end))
            part.size += end - start + 2
            if end == len(text):
                break
            start = end
        offset += len(text) + 2
    return parts


def _cut(text: str, start: int, size: int) -> int:
    """Where a piece of `text` from `start` ends: at the last white space of its second half
    (a word is not cut in two), else after `size` characters."""
    limit = start + size
    space = max(text.rfind(s, start + size // 2, limit) for s in _SPACES)
    return space + 1 if space >= 0 else limit


def part_of(parts: list[Part], offset: int) -> int:
    """The number of the part that shows this offset of the article's text."""
    number = 1
    for part in parts:
        if part.start > offset:
            break
        number = part.number
    return number


def part_paragraphs(paragraphs: list[dict], part: Part) -> tuple[list[dict], list[int]]:
    """The paragraphs (or pieces of them) a part shows, and the offset of each in the
    article's text: what rendering.render_paragraphs takes."""
    shown, starts = [], []
    first_index, first_start, _ = part.pieces[0]
    offset = part.start - first_start  # of the part's first paragraph
    for index, start, end in part.pieces:
        if index != first_index:  # the next paragraph
            offset += len(paragraphs[index - 1]["text"]) + 2
        paragraph = paragraphs[index]
        whole = (start, end) == (0, len(paragraph["text"]))
        shown.append(paragraph if whole else {**paragraph, "text": paragraph["text"][start:end]})
        starts.append(offset + start)
    return shown, starts
