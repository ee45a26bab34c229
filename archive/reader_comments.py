"""Where a plain article's reader comments start, and how its paragraphs group into comments.

A blog post quoting an article and followed by its readers' comments has no markup to tell them
apart. A curator (article page) or the import (`import_dump --comments-from LINE`) says where the
comments start; the paragraphs from there on become imported replies, one per paragraph, and a
curator may join a paragraph to the comment before it.

What is remembered is mostly text, so that it holds when an edited dump is imported again: the
beginning of the first comment's paragraph (and its index, used only when that paragraph was
edited), and the beginning of each paragraph joined to the one before. A paragraph is recognized
by its first PREFIX characters, white space folded.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = 120


def paragraph_mark(text: str) -> str:
    """What identifies a paragraph again after a re-import."""
    return " ".join(text.split())[:PREFIX]


@dataclass(frozen=True)
class CommentsSplit:
    """What curators said about an article's reader comments (Article.curator_comments_split)."""

    start: str = ""  # paragraph_mark of the first comment's paragraph; "" for no comments
    joined: tuple[str, ...] = ()  # marks of paragraphs joined to the one before
    at: int | None = None  # the first comment's paragraph index, when it was split
    first_reply: int = 1  # the first comment's position among the article's replies

    @classmethod
    def from_json(cls, value: dict | None) -> CommentsSplit:
        value = value or {}
        at, first = value.get("at"), value.get("first_reply")
        return cls(
            start=value.get("start", ""),
            joined=tuple(value.get("joined", ())),
            at=at if type(at) is int and at >= 0 else None,
            first_reply=first if type(first) is int and first >= 1 else 1,
        )

    def to_json(self) -> dict:
        if not self.start:
            return {}
        value: dict = {"start": self.start}
        if self.at is not None:
            value["at"] = self.at
        if self.first_reply != 1:
            value["first_reply"] = self.first_reply
        if self.joined:
            value["joined"] = list(self.joined)
        return value

    def __bool__(self) -> bool:
        return bool(self.start)


def find_start(paragraphs: list[str], split: CommentsSplit) -> tuple[int | None, bool]:
    """The index of the first comment's paragraph (None: no comments), and whether it was found
    by its text. Of several paragraphs with its mark, the nearest to where it was wins; with
    none (that paragraph was edited in the dump), the comments start where they started, if the
    text still has that many paragraphs."""
    if not split:
        return None, False
    found = [i for i, text in enumerate(paragraphs) if paragraph_mark(text) == split.start]
    if found:
        near = split.at if split.at is not None else len(paragraphs)
        return min(found, key=lambda i: (abs(i - near), -i)), True
    if split.at is not None and 0 < split.at < len(paragraphs):
        return split.at, False
    return None, False


def group_comments(paragraphs: list[str], split: CommentsSplit) -> list[list[str]]:
    """The comments' paragraphs (those from the start on), grouped: one comment per paragraph
    but for paragraphs joined to the one before."""
    joined = set(split.joined)
    groups: list[list[str]] = []
    for text in paragraphs:
        if groups and paragraph_mark(text) in joined:
            groups[-1].append(text)
        else:
            groups.append([text])
    return groups
