"""What every reader of a dump produces and the writer takes: posts and their commentary.

A text dump (parse.py) gives a post's text, hashtags and replies; the rest is decided when it is
written (its key from its URL and title, the languages of its paragraphs, its dates). A JSON
export (jsonformat.py) also gives what an earlier import decided, and the curators' notes with
their anchors and authors: `restored` holds it, and the writer keeps it as it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from json.encoder import encode_basestring

from archive.importer.limits import MAX_HASHTAGS
from archive.reader_comments import (
    CommentsSplit,
    find_start,
    group_comments,
    paragraph_mark,
)
from archive.text import fold, hashtag_key, split_spans


def stable_key(*parts: str) -> str:
    """An article's or reply's key in the archive: the same post gets the same key in any dump."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def post_key(title: str, url: str) -> str:
    return stable_key("post", f"{url.strip()}\n{' '.join(fold(title).split())}")


@dataclass(frozen=True)
class Quote:
    """A W3C TextQuoteSelector with a position hint, as annotations/models.py stores it."""

    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    first_quoted: str = ""  # the wording first quoted, when the text changed since
    lost: bool = False  # the passage is no longer in the article's text


@dataclass
class RestoredCommentary:
    """What a JSON export says of a commentary beyond its text."""

    origin: str
    position: int
    hashtags: list[str]
    author: str | None = None  # a username
    author_name: str = ""
    quote: Quote | None = None
    created: datetime | None = None
    updated: datetime | None = None


@dataclass
class ParsedCommentary:
    """An imported reply, or (restored from a JSON export) any commentary."""

    line: int | None
    paragraphs: list[str]
    key: str | None = None  # given by a JSON export; a reply's is set by the writer
    restored: RestoredCommentary | None = None

    def take(self, paragraphs: list[str]) -> None:
        """The reply's paragraphs; its text starts at its first character that is not a space
        (when the bullet's line is blank, the text starts on the next line)."""
        if paragraphs:
            paragraphs[0] = paragraphs[0].lstrip()
        self.paragraphs = paragraphs

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def hashtags(self) -> list[str]:
        """Its first MAX_HASHTAGS hashtags (the others stay text)."""
        return self._all_hashtags()[:MAX_HASHTAGS]

    @property
    def hashtags_left_out(self) -> int:
        return max(0, len(self._all_hashtags()) - MAX_HASHTAGS)

    def _all_hashtags(self) -> list[str]:
        if self.restored is not None:
            return self.restored.hashtags
        found = (s.value for p in self.paragraphs for s in split_spans(p) if s.kind == "hashtag")
        by_key = {}
        for tag in found:
            by_key.setdefault(hashtag_key(tag), tag)
        return list(by_key.values())


@dataclass
class RestoredArticle:
    """What a JSON export says of an article beyond its text: kept as it is."""

    paragraph_langs: list[str]
    language: str
    content_hash: str
    source_file: str
    source_line: int | None
    created: datetime | None
    updated: datetime | None
    curator_hashtags: list[str] = field(default_factory=list)  # of its hashtags, the curators'
    removed_hashtags: list[str] = field(default_factory=list)  # the dump's, taken off by one
    comments_split: dict = field(default_factory=dict)  # Article.curator_comments_split
    curator_fields: list[str] = field(default_factory=list)  # Article.curator_fields
    published: date | None = None  # when the source published it, if known
    curator_edited: datetime | None = None  # when curators last edited its fields


@dataclass
class ParsedPost:
    line: int  # where the post starts in the file
    title: str
    url: str = ""
    paragraphs: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)  # as spelled, first spelling of each key
    links: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    replies: list[ParsedCommentary] = field(default_factory=list)
    attribution: str = ""  # "@name": whom the post came from ("via @name")
    key: str = ""  # stable identity within the archive: given by a JSON export, else the writer's
    digest: str = ""  # set by the writer: content_hash(), computed once per post
    hashtags_left_out: int = 0  # hashtags past MAX_HASHTAGS: kept as text, or (JSON) left out
    restored: RestoredArticle | None = None
    paragraph_lines: list[int] = field(default_factory=list)  # (plain text) each one's first line
    # Where its reader comments start, when the import was told (--comments-from): the writer
    # applies it, or else what curators said of the article (archive/reader_comments.py).
    comments_split: CommentsSplit | None = None

    def move_to_replies(self, split: CommentsSplit) -> str:
        """Make the paragraphs from the split's start on reader comments (replies, after the
        post's own). Hashtags, links and mentions written only in the comments are theirs, not
        the article's. Returns how the start was found: "text", "position" or "" (not found)."""
        start, by_text = find_start(self.paragraphs, split)
        if start is None:
            return ""
        lines = self.paragraph_lines or [self.line] * len(self.paragraphs)
        comments = self.paragraphs[start:]
        self.paragraphs = self.paragraphs[:start]
        first_reply = len(self.replies) + 1
        at = start
        for group in group_comments(comments, split):
            self.replies.append(ParsedCommentary(line=lines[at], paragraphs=group))
            at += len(group)
        self.paragraph_lines = lines[:start]
        kept = [s for p in [self.title, *self.paragraphs] for s in split_spans(p)]
        only_in_comments = {s.value for p in comments for s in split_spans(p)} - {
            s.value for s in kept
        }
        only_keys = {hashtag_key(v) for v in only_in_comments} - {
            hashtag_key(s.value) for s in kept if s.kind == "hashtag"
        }
        self.hashtags = [t for t in self.hashtags if hashtag_key(t) not in only_keys]
        self.links = [link for link in self.links if link not in only_in_comments]
        self.mentions = [m for m in self.mentions if m not in only_in_comments]
        self.comments_split = CommentsSplit(
            paragraph_mark(comments[0]), split.joined, start, first_reply
        )
        return "text" if by_text else "position"

    def identity(self) -> str:
        return f"{self.url.strip()}\n{' '.join(fold(self.title).split())}"

    def content_hash(self) -> str:
        if self.restored is not None:
            return self.restored.content_hash
        payload = [
            self.title,
            self.url,
            self.paragraphs,
            self.hashtags,
            [r.paragraphs for r in self.replies],
        ]
        if self.attribution:  # (posts without one keep the hash they always had)
            payload.append(self.attribution)
        digest = hashlib.sha256()
        _hash_json(digest, payload)
        return digest.hexdigest()


JSON_PIECE = 1 << 16


def _hash_json(digest, value) -> None:
    """digest.update(json.dumps(value, ensure_ascii=False).encode()) for lists of strings, a
    piece at a time: a long text is never copied whole (escaping is character by character)."""
    if isinstance(value, str):
        if len(value) <= JSON_PIECE:
            digest.update(encode_basestring(value).encode())
            return
        digest.update(b'"')
        for start in range(0, len(value), JSON_PIECE):
            digest.update(encode_basestring(value[start : start + JSON_PIECE])[1:-1].encode())
        digest.update(b'"')
        return
    digest.update(b"[")
    for n, item in enumerate(value):
        if n:
            digest.update(b", ")
        _hash_json(digest, item)
    digest.update(b"]")
