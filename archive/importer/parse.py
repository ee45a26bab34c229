"""Cutting a dump into posts, streaming: one post in memory at a time.

Two formats, detected per file:
- the bulleted export: "• Title" at the start of a line or after two spaces, the source URL on the
  next line, the text indented by four spaces, replies as "    • " bullets continued at six spaces;
- a plain article: the first line is the title, the rest is the text.

White space: the format is made of lines, so white space of any kind (no-break spaces included) at
the end of a line is not kept, nor at the start of a reply's text (after "• " it would be read as
the bullet's separator). White space that starts a line past the format's indentation is kept: a
deeper "      • item" stays text, not a reply. Importing a text export therefore gives back the
same paragraphs and replies (the JSON export keeps every character).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from archive.importer.errors import DumpError
from archive.importer.posts import ParsedCommentary, ParsedPost
from archive.reader_comments import CommentsSplit, paragraph_mark
from archive.text import URL_RE, clean_url, hashtag_key, is_hashtag_line, split_spans, unique

POST_RE = re.compile(r"^(?:  )?•[ \t]+(.*)$|^(?:  )?•$")
REPLY_RE = re.compile(r"^    •[ \t]+(.*)$|^    •$")
LONE_URL_RE = re.compile(rf"^\s*({URL_RE.pattern})\s*$", re.IGNORECASE)
# "via @someone" closing a post: who it came from (seenthis's attribution).
VIA_RE = re.compile(r"^\s*via\s+(@[\w.-]*\w(?:[\s,]+@[\w.-]*\w)*)\s*$", re.IGNORECASE)

# A longer "title" is a paragraph (a plain text with no title line, a runaway line): it is kept
# whole as the first paragraph, and the title is its beginning.
TITLE_MAX = 500
SHORT_TITLE = 200

BULLETED = "bulleted"
PLAIN = "plain"


def detect_format(first_line: str) -> str:
    if POST_RE.match(first_line) or REPLY_RE.match(first_line):
        return BULLETED
    return PLAIN


class _Block:
    """Lines of a post or reply body, gathered into paragraphs at blank lines."""

    def __init__(self):
        self.paragraphs: list[str] = []
        self.lines: list[int] = []  # where each paragraph starts, when add() was told
        self._current: list[str] = []

    def add(self, line: str, number: int = 0) -> None:
        if line.strip():
            if not self._current:
                self.lines.append(number)
            self._current.append(line.rstrip())
        else:
            self.close()

    def close(self) -> list[str]:
        if self._current:
            self.paragraphs.append("\n".join(self._current))
            self._current = []
        return self.paragraphs


def parse_bulleted(path, lines: Iterable[tuple[int, str]]) -> Iterator[ParsedPost]:
    post: ParsedPost | None = None
    body: _Block | None = None
    reply: ParsedCommentary | None = None
    reply_body: _Block | None = None
    expect_url = False

    def finish() -> ParsedPost | None:
        if post is None:
            return None
        if reply is not None:
            reply.take(reply_body.close())
            if reply.paragraphs:
                post.replies.append(reply)
        return finish_post(post, take_source_and_attribution(post, body.close()))

    for number, line in lines:
        post_match = POST_RE.match(line)
        if post_match:
            done = finish()
            if done:
                yield done
            post = ParsedPost(line=number, title=(post_match.group(1) or "").strip())
            body, reply, reply_body, expect_url = _Block(), None, None, True
            continue
        reply_match = REPLY_RE.match(line)
        if reply_match:
            if post is None:
                raise DumpError(path, number, "a reply (“    • ”) with no post above it")
            if reply is not None:
                reply.take(reply_body.close())
                if reply.paragraphs:
                    post.replies.append(reply)
            reply, reply_body, expect_url = (
                ParsedCommentary(line=number, paragraphs=[]),
                _Block(),
                False,
            )
            reply_body.add((reply_match.group(1) or "").strip())
            continue
        if post is None:
            if line.strip():
                raise DumpError(path, number, "text before the first post (“• Title”)")
            continue
        if expect_url:
            expect_url = False
            url_match = LONE_URL_RE.match(line)
            if url_match:
                post.url = url_match.group(1)
                continue
        if reply is not None and (not line.strip() or line.startswith("      ")):
            reply_body.add(_dedent(line, 6))
        else:
            if reply is not None and line.strip():
                # Text at the post's indentation after a reply: the post goes on.
                reply.take(reply_body.close())
                if reply.paragraphs:
                    post.replies.append(reply)
                reply = reply_body = None
            body.add(_dedent(line, 4))
    done = finish()
    if done:
        yield done


def parse_plain(
    path,
    lines: Iterable[tuple[int, str]],
    *,
    title: str | None = None,
    url: str = "",
    comments_from: int | None = None,
) -> Iterator[ParsedPost]:
    """A plain article; `comments_from`: the line where its reader comments start."""
    first_line = 0
    title_from_file = title is None
    raw: list[tuple[int, str]] = []
    for number, line in lines:
        if not first_line:
            if not line.strip():
                continue
            first_line = number
            if title is None:
                title = line.strip()
                continue
        raw.append((number, line.rstrip()))
    if not first_line:
        raise DumpError(path, None, "the file is empty")
    if title_from_file and all(
        not line or is_hashtag_line(line) for line in [title, *(text for _, text in raw)]
    ):
        raise DumpError(path, first_line, "only hashtags: no title and no text to import")
    block = _Block()
    if any(not line.strip() for _, line in raw):
        for number, line in raw:
            block.add(line, number)
    else:  # No blank lines: each line is a paragraph (reader comments, one per line).
        for number, line in raw:
            block.add(line, number)
            block.close()
    paragraphs = block.close()
    post = ParsedPost(line=first_line, title=title or "", url=url)
    if comments_from is not None:
        post.comments_split = _comments_split(path, paragraphs, block.lines, comments_from)
    yield finish_post(post, paragraphs, block.lines)


def _comments_split(path, paragraphs: list[str], starts: list[int], line: int) -> CommentsSplit:
    """Where `--comments-from LINE` says the reader comments start: the paragraph at that line."""
    for index, (text, start) in enumerate(zip(paragraphs, starts, strict=True)):
        if start == line:
            if is_hashtag_line(text.split("\n")[0]):
                break
            return CommentsSplit(start=paragraph_mark(text), at=index)
        if start > line:
            break
    raise DumpError(
        path, line, "--comments-from: no paragraph of the article's text starts on this line"
    )


def _dedent(line: str, width: int) -> str:
    stripped = line.lstrip(" ")
    return line[min(width, len(line) - len(stripped)) :]


def shorten(text: str, length: int = SHORT_TITLE) -> str:
    """The beginning of a text, cut at a space when there is one, with "…"."""
    if len(text) <= length:
        return text
    cut = text[:length]
    if " " in cut[length // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def take_source_and_attribution(post: ParsedPost, paragraphs: list[str]) -> list[str]:
    """A closing "via @name" paragraph is the post's attribution; and when no URL follows the
    title, a URL alone on its line right above the post's closing hashtag lines (as seenthis
    writes a source pasted at the end) is its source. A lone URL elsewhere stays text: a text
    export, which writes hashtags as a paragraph of their own, reads back the same.
    Returns the paragraphs left. Only for the bulleted export: a plain article's last line is
    often a reader's comment, links included (its source comes with --url)."""
    paragraphs = list(paragraphs)
    if paragraphs and (via := VIA_RE.match(paragraphs[-1])):
        post.attribution = " ".join(via.group(1).replace(",", " ").split())
        paragraphs.pop()
    if post.url:
        return paragraphs
    for index in range(len(paragraphs) - 1, -1, -1):
        lines = paragraphs[index].split("\n")
        tail = len(lines)
        while tail and is_hashtag_line(lines[tail - 1]):
            tail -= 1
        if tail == len(lines):
            break  # the text ends with text, not hashtags: no source pasted above them
        if not tail:
            continue  # hashtags only: look at the paragraph before
        source = LONE_URL_RE.match(lines[tail - 1])
        if source:
            post.url = clean_url(source.group(1))
            rest = "\n".join(lines[: tail - 1] + lines[tail:])
            paragraphs[index : index + 1] = [rest] if rest.strip() else []
        break
    return paragraphs


def finish_post(
    post: ParsedPost, paragraphs: list[str], starts: list[int] | None = None
) -> ParsedPost:
    """Pull hashtags, links and mentions out of the text; hashtag-only paragraphs become tags.
    `starts`: the line where each paragraph starts, kept for the paragraphs kept."""
    kept: list[str] = []
    kept_starts: list[int] = []
    tags: list[str] = []
    links: list[str] = []
    mentions: list[str] = []
    starts = starts or [post.line] * len(paragraphs)
    long_title = len(post.title) > TITLE_MAX
    if long_title:
        paragraphs = [post.title, *paragraphs]
        starts = [post.line, *starts]
        post.title = shorten(post.title)
    for paragraph, start in zip(paragraphs, starts, strict=True):
        lines = paragraph.split("\n")
        if all(is_hashtag_line(line) for line in lines):
            tags.extend(s.value for s in split_spans(paragraph) if s.kind == "hashtag")
            continue
        kept.append(paragraph)
        kept_starts.append(start)
        for span in split_spans(paragraph):
            if span.kind == "hashtag":
                tags.append(span.value)
            elif span.kind == "url":
                links.append(span.value)
            elif span.kind == "mention":
                mentions.append(span.value)
    for span in [] if long_title else split_spans(post.title):
        if span.kind == "hashtag":
            tags.insert(0, span.value)
    if not post.title:
        post.title = post.url or (kept[0].split("\n")[0][:200] if kept else "")
    post.paragraphs = kept
    post.paragraph_lines = kept_starts
    by_key: dict[str, str] = {}
    for tag in tags:
        by_key.setdefault(hashtag_key(tag), tag)
    post.hashtags = list(by_key.values())
    post.links = [link for link in unique(links) if link != post.url]
    post.mentions = unique([*mentions, *post.attribution.split()])
    return post
