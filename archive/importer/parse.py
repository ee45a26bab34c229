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
from archive.importer.limits import MAX_HASHTAGS, MAX_POST_CHARS, megabytes
from archive.importer.posts import ParsedCommentary, ParsedPost
from archive.reader_comments import CommentsSplit, paragraph_mark
from archive.text import (
    URL_RE,
    clean_url,
    find_hashtags,
    hashtag_key,
    is_hashtag_line,
    split_spans,
    unique,
)

POST_RE = re.compile(r"^(?:  )?•[ \t]+(.*)$|^(?:  )?•$")
REPLY_RE = re.compile(r"^    •[ \t]+(.*)$|^    •$")
LONE_URL_RE = re.compile(rf"^\s*({URL_RE.pattern})\s*$", re.IGNORECASE)
# "via @someone" closing a post: who it came from (seenthis's attribution).
VIA_RE = re.compile(r"^\s*via\s+(@[\w.-]*\w(?:[\s,]+@[\w.-]*\w)*)\s*$", re.IGNORECASE)
_INDENT = re.compile(" *")
_STARTS_WITH_HASHTAG = re.compile(r"\s*#")

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

    def take(self) -> list[str]:
        """close(), the paragraphs handed over: the block no longer holds a long text."""
        paragraphs, self.paragraphs = self.close(), []
        return paragraphs


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
            reply.take(reply_body.take())
            if reply.paragraphs:
                post.replies.append(reply)
        return finish_post(post, take_source_and_attribution(post, body.take()))

    size = 0  # characters of the post so far: a post past MAX_POST_CHARS is refused
    for number, line in lines:
        post_match = POST_RE.match(line)
        size = len(line) if post_match else size + len(line)
        if size > MAX_POST_CHARS:
            where = number if post_match or post is None else post.line
            raise DumpError(path, where, f"a post longer than {megabytes(MAX_POST_CHARS)}")
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
    size = 0
    for number, line in lines:
        size += len(line)
        if size > MAX_POST_CHARS:
            raise DumpError(
                path, first_line or number, f"an article longer than {megabytes(MAX_POST_CHARS)}"
            )
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


def _only_hashtags(paragraph: str) -> bool:
    if not _STARTS_WITH_HASHTAG.match(paragraph):  # most paragraphs: no copy of a long text
        return False
    return all(is_hashtag_line(line) for line in paragraph.split("\n"))


def _within_limit(by_key: dict[str, str], first: list[str], entries) -> dict[str, str]:
    """The post's first MAX_HASHTAGS hashtags: `first` (the title's, those in the text), then
    those of hashtag-only paragraphs from the last one up. A text export writes an article's
    hashtags as its last paragraph, after any that stayed text, so importing it again keeps
    the same ones. Order and spellings stay those of `by_key`."""
    last_first = [t for _, _, found in reversed(entries) if found is not None for t in found]
    keep: dict[str, None] = {}
    for tag in [*first, *last_first]:
        keep.setdefault(hashtag_key(tag))
        if len(keep) == MAX_HASHTAGS:
            break
    return {key: name for key, name in by_key.items() if key in keep}


def _all_kept(found: list[str], by_key: dict[str, str]) -> bool:
    """Whether every hashtag of a hashtag-only paragraph is one of the post's (else the
    paragraph stays text, so that no hashtag is lost)."""
    return all(hashtag_key(t) in by_key for t in found)


def _dedent(line: str, width: int) -> str:
    indent = _INDENT.match(line).end()  # without a stripped copy of a long line
    return line[min(width, indent) :] if indent else line


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
    """Pull hashtags, links and mentions out of the text; hashtag-only paragraphs become tags
    (past MAX_HASHTAGS, they stay text: see _within_limit). `starts`: the line where each
    paragraph starts, kept for the paragraphs kept."""
    # (paragraph, the line it starts on, its hashtags if it is only hashtags)
    entries: list[tuple[str, int, list[str] | None]] = []
    tags: list[str] = []
    inline: list[str] = []  # hashtags inside the text
    links: list[str] = []
    mentions: list[str] = []
    starts = starts or [post.line] * len(paragraphs)
    long_title = len(post.title) > TITLE_MAX
    if long_title:
        paragraphs = [post.title, *paragraphs]
        starts = [post.line, *starts]
        post.title = shorten(post.title)
    for paragraph, start in zip(paragraphs, starts, strict=True):
        if _only_hashtags(paragraph):
            found = [s.value for s in split_spans(paragraph) if s.kind == "hashtag"]
            tags.extend(found)
            entries.append((paragraph, start, found))
            continue
        entries.append((paragraph, start, None))
        for span in split_spans(paragraph):
            if span.kind == "hashtag":
                tags.append(span.value)
                inline.append(span.value)
            elif span.kind == "url":
                links.append(span.value)
            elif span.kind == "mention":
                mentions.append(span.value)
    title_tags = [] if long_title else find_hashtags(post.title)
    tags[:0] = reversed(title_tags)
    by_key: dict[str, str] = {}
    for tag in tags:
        by_key.setdefault(hashtag_key(tag), tag)
    if len(by_key) > MAX_HASHTAGS:
        by_key = _within_limit(by_key, [*title_tags, *inline], entries)
        post.hashtags_left_out = len({hashtag_key(t) for t in tags}) - len(by_key)
    kept = [
        (paragraph, line)
        for paragraph, line, found in entries
        if found is None or not _all_kept(found, by_key)
    ]
    if not post.title:
        post.title = post.url or (kept[0][0].split("\n")[0][:200] if kept else "")
    post.paragraphs = [p for p, _ in kept]
    post.paragraph_lines = [line for _, line in kept]
    post.hashtags = list(by_key.values())
    post.links = [link for link in unique(links) if link != post.url]
    post.mentions = unique([*mentions, *post.attribution.split()])
    return post
