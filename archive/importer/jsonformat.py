"""Reading the JSON export back (archive/exporter.py writes it): posts with everything, anchors
included, for the importer's writer (writer.py) to restore.

The file is read as a stream, one article in memory at a time, by ijson's event parser, fed a
line at a time so that every error names its line. Any valid JSON of the same shape is accepted
(the exporter writes one article per line), as is a bare list of articles. Keys, dates, paragraph
languages, authors and anchors are kept as exported, so importing an export into an empty
archive gives the same archive back; importing it twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import ijson
from django.utils import timezone

from archive.importer.decode import UTF8, TextSource
from archive.importer.errors import DumpError
from archive.importer.limits import MAX_HASHTAGS, MAX_POST_CHARS, megabytes
from archive.importer.posts import (
    ParsedCommentary,
    ParsedPost,
    Quote,
    RestoredArticle,
    RestoredCommentary,
    post_key,
)
from archive.models import Article
from archive.reader_comments import PREFIX, CommentsSplit
from archive.text import CONTROL_RE, HASHTAG_MAX, control_names, hashtag_fits, hashtag_key

JSON_FORMAT = "quote-archive"
JSON_VERSION = 1
JSON = "json"
READ = 1 << 16  # bytes read to tell a JSON export from a text dump
MAX_DEPTH = 32  # an export nests 4 deep; deeper is not an export (and could exhaust memory)
# A string or number the parser is still reading may not grow past this many bytes (UTF-8
# takes up to 4 bytes a character): yajl holds it whole until it ends.
MAX_VALUE_BYTES = 4 * MAX_POST_CHARS

_START_RE = re.compile(r"\{\s*(?:\"|\})|\[\s*(?:\{|\]|$)")
_WS = " \t\r\n"
_LINE_PIECE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_OPEN = {"start_map": "end_map", "start_array": "end_array"}
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_json(source: TextSource) -> bool:
    """A JSON export: the first non-blank characters open an object with a key, or a list."""
    with open(source.path, "rb") as handle:
        head = handle.read(READ).decode(UTF8, "replace").lstrip(_WS + "\ufeff")
    return bool(_START_RE.match(head))


def read_posts(source: TextSource) -> Iterator[ParsedPost]:
    """The posts of a JSON export, in file order; DumpError (with its line) for anything wrong."""
    article_keys: set[str] = set()
    note_keys: set[str] = set()
    events = _Events(source)
    for n, (line, data) in enumerate(events.articles(), start=1):
        cleaned: dict[str, str] = {}
        try:
            post = read_article(data, line, cleaned)
        except InvalidArticle as error:
            raise DumpError(source.path, line, f"article {n}: {error}") from None
        for where, names in cleaned.items():
            source.warnings.append(
                f"{source.path}:{line}: article {n}: control characters removed from "
                f"{where} ({names})"
            )
        if post.key in article_keys:
            raise DumpError(
                source.path,
                line,
                f"article {n}: the same article (key {post.key}) is in the file twice",
            )
        article_keys.add(post.key)
        for note in post.replies:
            if note.key and note.key in note_keys:
                raise DumpError(
                    source.path,
                    line,
                    f"article {n}: commentary key {note.key} is in the file twice",
                )
            note_keys.add(note.key)
        yield post


class _Events:
    """ijson's events with the line each came from; values built one article at a time."""

    def __init__(self, source: TextSource):
        self.path = source.path
        self.source = source
        self.line = 1
        self.stream = self._events()

    def error(self, message: str, line: int | None = None) -> DumpError:
        return DumpError(self.path, line or self.line, message)

    def _events(self) -> Iterator[tuple[int, str, object]]:
        found = ijson.sendable_list()
        parser = ijson.basic_parse_coro(found, use_float=True)
        try:
            after_cr = False
            unfinished = 0  # bytes sent since the last event: a value yajl still holds
            for line, block in self.source.pieces():
                self.line = line
                for piece in _LINE_PIECE.findall(block):  # sent a line at a time: errors name it
                    data = piece.encode()
                    parser.send(data)
                    unfinished = 0 if found else unfinished + len(data)
                    if unfinished > MAX_VALUE_BYTES:
                        raise self.error(
                            f"a JSON value longer than {megabytes(MAX_VALUE_BYTES)}: "
                            f"an article holds at most {megabytes(MAX_POST_CHARS)} of text"
                        )
                    for event, value in found:
                        yield self.line, event, value
                    del found[:]
                    if piece.endswith(("\n", "\r")) and not (after_cr and piece == "\n"):
                        self.line += 1
                    after_cr = piece.endswith("\r")
            parser.close()
        except ijson.JSONError as error:
            raise self.error(_describe(error)) from None
        for event, value in found:
            yield self.line, event, value

    def next(self) -> tuple[int, str, object]:
        found = next(self.stream, None)
        if found is None:
            raise self.error("not valid JSON: the file ends in the middle of it")
        return found

    def value(self, first: tuple[int, str, object]):
        """The whole value that starts with this event: a string, number, list or object."""
        _, event, value = first
        if event not in _OPEN:
            return value
        stack: list = [{} if event == "start_map" else []]
        keys: list = [None]
        chars = 0
        while stack:
            line, event, value = self.next()
            if event in _OPEN:
                if len(stack) >= MAX_DEPTH:
                    raise self.error("not valid JSON: lists or objects nested too deeply", line)
                stack.append({} if event == "start_map" else [])
                keys.append(None)
                continue
            if event == "map_key":
                keys[-1] = value
                chars += len(value)
                continue
            if event in ("end_map", "end_array"):
                value = stack.pop()
                keys.pop()
                if not stack:
                    return value
            elif isinstance(value, str):
                chars += len(value)
                if chars > MAX_POST_CHARS:
                    raise self.error(
                        f"one article is over {megabytes(MAX_POST_CHARS)} of text", line
                    )
            if isinstance(stack[-1], dict):
                stack[-1][keys[-1]] = value
            else:
                stack[-1].append(value)
        raise AssertionError("unreachable")

    def articles(self) -> Iterator[tuple[int, object]]:
        """(line, article) for each element of the top-level list (or of its "articles")."""
        first = next(self.stream, None)
        if first is None:
            raise self.error("the file is empty", 1)
        if first[1] == "start_array":
            yield from self._items()
            return
        if first[1] != "start_map":
            raise self.error("this JSON is not an archive export (not an object or a list)", 1)
        header: dict = {}
        seen_articles = False
        while True:
            line, event, value = self.next()
            if event == "end_map":
                break
            key = value
            if key == "articles":
                _check_header(self, header)
                seen_articles = True
                start = self.next()
                if start[1] != "start_array":
                    raise self.error('"articles" must be a list', start[0])
                yield from self._items()
            else:
                header[key] = self.value(self.next())
        _check_header(self, header)
        if not seen_articles:
            raise self.error('this JSON has no "articles" list: not an archive export', 1)
        if next(self.stream, None) is not None:
            raise self.error("text after the end of the JSON document")

    def _items(self) -> Iterator[tuple[int, object]]:
        while True:
            first = self.next()
            if first[1] == "end_array":
                return
            yield first[0], self.value(first)


def _check_header(events: _Events, header: dict) -> None:
    if "format" in header and header["format"] != JSON_FORMAT:
        raise events.error(f"this JSON is not an archive export (format {header['format']!r})", 1)
    version = header.get("version", JSON_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version > JSON_VERSION:
        raise events.error(
            f"export format version {version!r} is newer than this program reads ({JSON_VERSION})",
            1,
        )


def _describe(error: Exception) -> str:
    """yajl's message, in words a user can act on."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if "trailing garbage" in first:
        return "text after the end of the JSON document"
    if "premature EOF" in first:
        return "not valid JSON: the file ends in the middle of it"
    return f"not valid JSON ({first.rstrip('.')})"


# --- checking one article ----------------------------------------------------------------


class InvalidArticle(Exception):
    """An article (or its commentary) that is not what an export holds; says what is wrong."""


def _string(data: dict, name: str, *, max_length: int | None = None, default="") -> str:
    value = data.get(name, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise InvalidArticle(f"“{name}” must be a string")
    if max_length is not None and len(value) > max_length:
        raise InvalidArticle(f"“{name}” is longer than {max_length} characters")
    return value


def _count(data: dict, name: str, *, default: int | None = None) -> int | None:
    value = data.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise InvalidArticle(f"“{name}” must be a whole number ≥ 0")
    return value


def _flag(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise InvalidArticle(f"“{name}” must be true or false")
    return value


def _list_of_strings(data: dict, name: str) -> list[str]:
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArticle(f"“{name}” must be a list of strings")
    return value


def _date(data: dict, name: str) -> datetime | None:
    """A date, or None when the export does not give one (then: kept, or now if new)."""
    value = data.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidArticle(f"“{name}” is not a date (ISO 8601)")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def _day(data: dict, name: str) -> date | None:
    """A calendar date ("2024-03-12"), or None. A date and time is taken as its day in the
    archive's time zone (an export writes the date alone)."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    try:
        moment = _date(data, name)
    except InvalidArticle:
        raise InvalidArticle(f"“{name}” is not a date (YYYY-MM-DD)") from None
    return timezone.localdate(moment, timezone.get_default_timezone())


def _hashtags(data: dict, field: str = "hashtags") -> list[str]:
    by_key: dict[str, str] = {}
    for name in _list_of_strings(data, field):
        name = name.lstrip("#")
        if not name.strip():
            continue
        if not hashtag_fits(name):
            raise InvalidArticle(f"hashtag #{name[:40]}… is longer than {HASHTAG_MAX} characters")
        by_key.setdefault(hashtag_key(name), name)
    return list(by_key.values())


def _comments_split(data: dict) -> dict:
    value = data.get("curator_comments_split") or {}
    if not isinstance(value, dict):
        raise InvalidArticle("“curator_comments_split” must be an object")
    _string(value, "start", max_length=PREFIX)
    if any(len(mark) > PREFIX for mark in _list_of_strings(value, "joined")):
        raise InvalidArticle(f"“curator_comments_split” marks are at most {PREFIX} characters")
    for name in ("at", "first_reply"):
        _count(value, name)
    return CommentsSplit.from_json(value).to_json()


def _curator_fields(data: dict) -> list[str]:
    names = _list_of_strings(data, "curator_fields")
    unknown = sorted(set(names) - set(Article.CURATOR_EDITABLE_FIELDS))
    if unknown:
        raise InvalidArticle(f"“curator_fields”: no such field {', '.join(unknown)}")
    return list(dict.fromkeys(names))


def _clean_text(value, cleaned: dict[str, str], where: str = ""):
    """The value with control characters removed from its strings (`cleaned` gets where, and
    which); InvalidArticle for a NUL or a lone surrogate, which the databases cannot store."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidArticle(f"{where or 'a string'} contains a NUL character")
        if _SURROGATE.search(value):
            raise InvalidArticle(f"{where or 'a string'} contains an invalid character")
        if CONTROL_RE.search(value):
            place = where or "a string"
            names = control_names(value)
            cleaned[place] = f"{cleaned[place]}, {names}" if place in cleaned else names
            value = CONTROL_RE.sub("", value)
        return value
    if isinstance(value, dict):
        return {
            _clean_text(key, cleaned, where): _clean_text(item, cleaned, where or f"“{key}”")
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_clean_text(item, cleaned, where) for item in value]
    return value


def read_article(data, line: int, cleaned: dict[str, str] | None = None) -> ParsedPost:
    """One exported article as a post, every field checked; control characters are removed
    from its strings (`cleaned`: in which fields)."""
    if not isinstance(data, dict):
        raise InvalidArticle("an article must be a JSON object")
    data = _clean_text(data, {} if cleaned is None else cleaned)
    title = _string(data, "title")
    url = _string(data, "url")
    texts, langs = [], []
    raw_paragraphs = data.get("paragraphs") or []
    if not isinstance(raw_paragraphs, list):
        raise InvalidArticle("“paragraphs” must be a list")
    for item in raw_paragraphs:
        if isinstance(item, str):
            item = {"text": item, "lang": ""}
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("text"), str)
            or not isinstance(item.get("lang", ""), str)
        ):
            raise InvalidArticle('each paragraph must be {"text": …, "lang": …}')
        texts.append(item["text"])
        langs.append(item.get("lang", ""))
    hashtags = _hashtags(data)
    post = ParsedPost(
        line=line,
        title=title,
        url=url,
        paragraphs=texts,
        hashtags=hashtags[:MAX_HASHTAGS],
        hashtags_left_out=max(0, len(hashtags) - MAX_HASHTAGS),
        links=_list_of_strings(data, "links"),
        mentions=_list_of_strings(data, "mentions"),
        attribution=_string(data, "attribution", max_length=200),
        key=_string(data, "key", max_length=64) or post_key(title, url),
        restored=RestoredArticle(
            paragraph_langs=langs,
            language=_string(data, "language", max_length=8),
            content_hash=_string(data, "content_hash", max_length=64),
            source_file=_string(data, "source_file")[-500:],
            source_line=_count(data, "source_line"),
            created=_date(data, "created"),
            updated=_date(data, "updated"),
            curator_hashtags=_hashtags(data, "curator_hashtags"),
            removed_hashtags=_hashtags(data, "removed_hashtags"),
            comments_split=_comments_split(data),
            curator_fields=_curator_fields(data),
            published=_day(data, "published"),
            curator_edited=_date(data, "curator_edited"),
        ),
    )
    raw_notes = data.get("commentary") or []
    if not isinstance(raw_notes, list):
        raise InvalidArticle("“commentary” must be a list")
    for n, note in enumerate(raw_notes, start=1):
        if not isinstance(note, dict):
            raise InvalidArticle(f"commentary {n} must be a JSON object")
        try:
            post.replies.append(_commentary(note))
        except InvalidArticle as error:
            raise InvalidArticle(f"commentary {n}: {error}") from None
    return post


def _commentary(data: dict) -> ParsedCommentary:
    origin = data.get("origin", "note")
    if origin not in ("reply", "note"):
        raise InvalidArticle('“origin” must be "reply" or "note"')
    quote = data.get("quote") or {}
    if not isinstance(quote, dict):
        raise InvalidArticle("“quote” must be an object")
    exact = _string(quote, "exact")
    return ParsedCommentary(
        line=_count(data, "source_line"),
        paragraphs=[_string(data, "text")],
        key=_string(data, "key", max_length=80) or None,
        restored=RestoredCommentary(
            origin=origin,
            position=_count(data, "position", default=0),
            hashtags=_hashtags(data),
            author=_string(data, "author", max_length=150) or None,
            author_name=_string(data, "author_name", max_length=200),
            quote=Quote(
                exact=exact,
                prefix=_string(quote, "prefix", max_length=32),
                suffix=_string(quote, "suffix", max_length=32),
                start=_count(quote, "start"),
                first_quoted=_string(quote, "first_quoted"),
                lost=_flag(quote, "lost"),
            )
            if exact
            else None,
            created=_date(data, "created"),
            updated=_date(data, "updated"),
        ),
    )
