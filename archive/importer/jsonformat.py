"""Reading the JSON export back (archive/exporter.py writes it): a restore, anchors included.

The file is read as a stream, one article in memory at a time, whatever its layout: the exporter
puts one article per line, but any valid JSON with the same shape is accepted, as is a bare list
of articles. Keys, dates, paragraph languages, authors and anchors are kept as exported, so
importing an export into an empty archive gives the same archive back; importing it twice changes
nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from annotations.models import Commentary, TaggedCommentary
from archive.changes import record_change
from archive.hashtags import get_or_create_hashtags, refresh_hashtags
from archive.importer.decode import TextSource
from archive.importer.errors import DumpError
from archive.importer.fields import EXPORTED_ARTICLE_FIELDS
from archive.importer.lock import lock_imports
from archive.importer.parse import ParsedPost, stable_key
from archive.models import Article, TaggedArticle
from archive.search.index import index_articles
from archive.text import HASHTAG_MAX, hashtag_fits, hashtag_key

JSON_FORMAT = "quote-archive"
JSON_VERSION = 1
READ = 1 << 16
MAX_VALUE = 64 << 20  # one article larger than this is refused, not read into memory forever
BATCH = 200
JSON = "json"

_START_RE = re.compile(r"\{\s*(?:\"|\})|\[\s*(?:\{|\]|$)")
_WS = " \t\r\n"


def _text_encoding(source: TextSource) -> tuple[str, str]:
    if source.encoding.startswith("utf-8"):
        return "utf-8-sig", "replace" if source.encoding == "utf-8-truncated" else "strict"
    return source.encoding, "strict"


def is_json(source: TextSource) -> bool:
    """A JSON export: the first non-blank characters open an object with a key, or a list."""
    encoding, errors = _text_encoding(source)
    with open(source.path, encoding=encoding, errors=errors) as handle:
        head = handle.read(READ).lstrip(_WS + "\ufeff")
    return bool(_START_RE.match(head))


class _Reader:
    """Just enough of a streaming JSON reader: the top-level object or list, one value at a time."""

    def __init__(self, path: Path, handle):
        self.path = path
        self.handle = handle
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.decoder = json.JSONDecoder()

    def error(self, message: str, line: int | None = None) -> DumpError:
        return DumpError(self.path, line or self.line, message)

    def _fill(self, at_least: int = READ) -> None:
        if self.pos:
            self.buf, self.pos = self.buf[self.pos :], 0
        chunk = self.handle.read(max(READ, at_least))
        if chunk:
            self.buf += chunk
        else:
            self.eof = True

    def _advance(self, end: int) -> None:
        self.line += self.buf.count("\n", self.pos, end)
        self.pos = end

    def skip_ws(self) -> None:
        while True:
            end = self.pos
            while end < len(self.buf) and self.buf[end] in _WS:
                end += 1
            self._advance(end)
            if self.pos < len(self.buf) or self.eof:
                return
            self._fill()

    def peek(self) -> str:
        self.skip_ws()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def expect(self, chars: str) -> str:
        char = self.peek()
        if not char or char not in chars:
            found = f"“{char}”" if char else "the end of the file"
            raise self.error(f"not valid JSON: expected {' or '.join(chars)}, found {found}")
        self._advance(self.pos + 1)
        return char

    def value(self):
        self.skip_ws()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise self.error("not valid JSON: lists or objects nested too deeply") from None
            except json.JSONDecodeError as error:
                if self.eof:
                    line = self.line + self.buf.count("\n", self.pos, error.pos)
                    raise self.error(f"not valid JSON: {error.msg}", line) from None
                if len(self.buf) - self.pos > MAX_VALUE:
                    raise self.error("not valid JSON, or one article is over 64 MB") from None
                self._fill(len(self.buf) - self.pos)
                continue
            if end == len(self.buf) and not self.eof:  # a number may go on in the next chunk
                self._fill()
                continue
            self._advance(end)
            return value

    def articles(self) -> Iterator[tuple[int, object]]:
        """(line, article) for each element of the top-level list (or of its "articles")."""
        if self.peek() == "[":
            yield from self._array()
        else:
            self.expect("{")
            header, seen_articles = {}, False
            if self.peek() == "}":
                self.expect("}")
            else:
                while True:
                    key_line = self.line
                    key = self.value()
                    if not isinstance(key, str):
                        raise self.error("not valid JSON: an object key must be a string", key_line)
                    self.expect(":")
                    if key == "articles":
                        self._check_header(header)
                        seen_articles = True
                        yield from self._array()
                    else:
                        header[key] = self.value()
                    if self.expect(",}") == "}":
                        break
            self._check_header(header)
            if not seen_articles:
                raise self.error('this JSON has no "articles" list: not an archive export', 1)
        if self.peek():
            raise self.error("text after the end of the JSON document")

    def _check_header(self, header: dict) -> None:
        if "format" in header and header["format"] != JSON_FORMAT:
            raise self.error(f"this JSON is not an archive export (format {header['format']!r})", 1)
        version = header.get("version", JSON_VERSION)
        if not isinstance(version, int) or version > JSON_VERSION:
            raise self.error(
                f"export format version {version!r} is newer than this program "
                f"reads ({JSON_VERSION})",
                1,
            )

    def _array(self) -> Iterator[tuple[int, object]]:
        self.expect("[")
        if self.peek() == "]":
            self.expect("]")
            return
        while True:
            self.skip_ws()
            line = self.line
            yield line, self.value()
            if self.expect(",]") == "]":
                return


# --- checking one article ----------------------------------------------------------------


class _Invalid(Exception):
    pass


def _string(data: dict, name: str, *, max_length: int | None = None, default="") -> str:
    value = data.get(name, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise _Invalid(f"“{name}” must be a string")
    if max_length is not None and len(value) > max_length:
        raise _Invalid(f"“{name}” is longer than {max_length} characters")
    return value


def _count(data: dict, name: str, *, default: int | None = None) -> int | None:
    value = data.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise _Invalid(f"“{name}” must be a whole number ≥ 0")
    return value


def _list_of_strings(data: dict, name: str) -> list[str]:
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"“{name}” must be a list of strings")
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
        raise _Invalid(f"“{name}” is not a date (ISO 8601)")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def _hashtags(data: dict) -> list[str]:
    by_key: dict[str, str] = {}
    for name in _list_of_strings(data, "hashtags"):
        name = name.lstrip("#")
        if not name.strip():
            continue
        if not hashtag_fits(name):
            raise _Invalid(f"hashtag #{name[:40]}… is longer than {HASHTAG_MAX} characters")
        by_key.setdefault(hashtag_key(name), name)
    return list(by_key.values())


def _check_text(value, where: str = "") -> None:
    """No NUL and no lone surrogate anywhere: the databases cannot store them."""
    if isinstance(value, str):
        if "\x00" in value:
            raise _Invalid(f"{where or 'a string'} contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Invalid(f"{where or 'a string'} contains an invalid character") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where)
            _check_text(item, where or f"“{key}”")
    elif isinstance(value, list):
        for item in value:
            _check_text(item, where)


def _article(data) -> dict:
    if not isinstance(data, dict):
        raise _Invalid("an article must be a JSON object")
    _check_text(data)
    title = _string(data, "title")
    url = _string(data, "url")
    paragraphs = []
    raw_paragraphs = data.get("paragraphs") or []
    if not isinstance(raw_paragraphs, list):
        raise _Invalid("“paragraphs” must be a list")
    for item in raw_paragraphs:
        if isinstance(item, str):
            item = {"text": item, "lang": ""}
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("text"), str)
            or not isinstance(item.get("lang", ""), str)
        ):
            raise _Invalid('each paragraph must be {"text": …, "lang": …}')
        paragraphs.append({"text": item["text"], "lang": item.get("lang", "")})
    key = _string(data, "key", max_length=64)
    if not key:
        key = stable_key("post", ParsedPost(line=0, title=title, url=url).identity())
    article = {
        "external_key": key,
        "title": title,
        "url": url,
        "paragraphs": paragraphs,
        "language": _string(data, "language", max_length=8),
        "links": _list_of_strings(data, "links"),
        "mentions": _list_of_strings(data, "mentions"),
        "content_hash": _string(data, "content_hash", max_length=64),
        "source_file": _string(data, "source_file")[-500:],
        "source_line": _count(data, "source_line"),
        "created": _date(data, "created"),
        "updated": _date(data, "updated"),
        "hashtags": _hashtags(data),
        "commentary": [],
    }
    raw_notes = data.get("commentary") or []
    if not isinstance(raw_notes, list):
        raise _Invalid("“commentary” must be a list")
    for n, note in enumerate(raw_notes, start=1):
        if not isinstance(note, dict):
            raise _Invalid(f"commentary {n} must be a JSON object")
        try:
            article["commentary"].append(_note(note))
        except _Invalid as error:
            raise _Invalid(f"commentary {n}: {error}") from None
    return article


def _note(data: dict) -> dict:
    origin = data.get("origin", "note")
    if origin not in ("reply", "note"):
        raise _Invalid('“origin” must be "reply" or "note"')
    quote = data.get("quote") or {}
    if not isinstance(quote, dict):
        raise _Invalid("“quote” must be an object")
    exact = _string(quote, "exact")
    return {
        "external_key": _string(data, "key", max_length=80) or None,
        "origin": origin,
        "text": _string(data, "text"),
        "author": _string(data, "author", max_length=150) or None,
        "author_name": _string(data, "author_name", max_length=200),
        "quote_exact": exact,
        "quote_prefix": _string(quote, "prefix", max_length=32) if exact else "",
        "quote_suffix": _string(quote, "suffix", max_length=32) if exact else "",
        "quote_start": _count(quote, "start") if exact else None,
        "position": _count(data, "position", default=0),
        "source_line": _count(data, "source_line"),
        "created": _date(data, "created"),
        "updated": _date(data, "updated"),
        "hashtags": _hashtags(data),
    }


# --- storing -----------------------------------------------------------------------------


ARTICLE_FIELDS = EXPORTED_ARTICLE_FIELDS
NOTE_FIELDS = [
    "article_id",
    "origin",
    "text",
    "author_id",
    "author_name",
    "quote_exact",
    "quote_prefix",
    "quote_suffix",
    "quote_start",
    "position",
    "source_line",
    "created",
    "updated",
]


def import_json(source: TextSource, result, *, tags=(), progress=None):
    """Restore the articles of a JSON export; the whole file, or nothing (DumpError)."""
    result.format = JSON
    extra = [t.lstrip("#") for t in tags if t.strip("# ")]
    now = timezone.now()
    encoding, errors = _text_encoding(source)
    article_keys: set[str] = set()
    note_keys: set[str] = set()
    with (
        open(source.path, encoding=encoding, errors=errors, newline="") as handle,
        transaction.atomic(),
    ):
        lock_imports()
        reader = _Reader(source.path, handle)
        batch: list[dict] = []
        seen = 0
        try:
            for line, data in reader.articles():
                try:
                    article = _article(data)
                except _Invalid as error:
                    raise DumpError(source.path, line, f"article {seen + 1}: {error}") from None
                except RecursionError:
                    raise DumpError(
                        source.path, line, f"article {seen + 1}: lists or objects nested too deeply"
                    ) from None
                if article["external_key"] in article_keys:
                    raise DumpError(
                        source.path,
                        line,
                        f"article {seen + 1}: the same article "
                        f"(key {article['external_key']}) is in the file twice",
                    )
                article_keys.add(article["external_key"])
                for note in article["commentary"]:
                    if note["external_key"]:
                        if note["external_key"] in note_keys:
                            raise DumpError(
                                source.path,
                                line,
                                f"article {seen + 1}: commentary "
                                f"key {note['external_key']} is in the file twice",
                            )
                        note_keys.add(note["external_key"])
                article["hashtags"] += [
                    t
                    for t in extra
                    if hashtag_key(t) not in {hashtag_key(h) for h in article["hashtags"]}
                ]
                article["line"] = line
                batch.append(article)
                seen += 1
                if len(batch) >= BATCH:
                    _write(batch, result, now)
                    batch = []
                    if progress:
                        progress(source.path.name, handle.buffer.tell(), source.size, seen)
        except UnicodeDecodeError as error:
            raise DumpError(source.path, reader.line, f"cannot decode: {error.reason}") from None
        _write(batch, result, now)
        refresh_hashtags(result.tags)
        record_change()  # every article was indexed as its batch was written
    if progress:
        progress(source.path.name, source.size, source.size, seen)
    return result


def _write(batch: list[dict], result, now: datetime) -> None:
    if not batch:
        return
    existing = {
        row["external_key"]: row
        for row in Article.objects.filter(
            external_key__in=[a["external_key"] for a in batch]
        ).values("pk", "external_key", *ARTICLE_FIELDS)
    }
    to_create, to_update, rows = [], [], []
    for data in batch:
        known = existing.get(data["external_key"])
        data["created"] = data["created"] or (known["created"] if known else now)
        data["updated"] = data["updated"] or (known["updated"] if known else data["created"])
        fields = {name: data[name] for name in ARTICLE_FIELDS}
        article = Article(
            pk=known["pk"] if known else None, external_key=data["external_key"], **fields
        )
        if known is None:
            to_create.append(article)
        elif any(known[name] != fields[name] for name in ARTICLE_FIELDS):
            to_update.append(article)
        else:
            result.unchanged += 1
        rows.append((data, article))
    Article.objects.bulk_create(to_create)
    Article.objects.bulk_update(to_update, ARTICLE_FIELDS)
    result.new += len(to_create)
    result.updated += len(to_update)

    spellings = [t for data in batch for t in data["hashtags"]]
    spellings += [t for data in batch for n in data["commentary"] for t in n["hashtags"]]
    tags = get_or_create_hashtags(spellings) if spellings else {}
    result.tags.update(t.pk for t in tags.values())
    ids = [article.pk for _, article in rows]
    result.tags.update(
        TaggedArticle.objects.filter(content_object_id__in=ids).values_list("tag_id", flat=True)
    )
    TaggedArticle.objects.filter(content_object_id__in=ids).delete()
    TaggedArticle.objects.bulk_create(
        TaggedArticle(content_object_id=article.pk, tag_id=tags[hashtag_key(t)].pk, spelling=t)
        for data, article in rows
        for t in data["hashtags"]
    )
    _write_commentary(rows, tags, result, now)
    index_articles(ids)


def _write_commentary(rows, tags, result, now) -> None:
    notes = [(article, note) for data, article in rows for note in data["commentary"]]
    if not notes:
        return
    usernames = {note["author"] for _, note in notes if note["author"]}
    User = get_user_model()
    users = (
        dict(
            User.objects.filter(**{f"{User.USERNAME_FIELD}__in": usernames}).values_list(
                User.USERNAME_FIELD, "pk"
            )
        )
        if usernames
        else {}
    )
    by_key = {
        c.external_key: c
        for c in Commentary.objects.filter(
            external_key__in=[n["external_key"] for _, n in notes if n["external_key"]]
        )
    }
    # Curator notes have no key: the same note is the same article, text and creation time.
    unkeyed: dict[tuple, list] = {}
    for c in Commentary.objects.filter(
        article_id__in=[a.pk for a, _ in notes], external_key__isnull=True
    ).order_by("pk"):
        unkeyed.setdefault((c.article_id, c.text), []).append(c)
    to_create, to_update, saved = [], [], []
    for article, note in notes:
        if note["external_key"]:
            found = by_key.get(note["external_key"])
        else:
            candidates = unkeyed.get((article.pk, note["text"]), [])
            found = next((c for c in candidates if note["created"] in (None, c.created)), None)
            if found is not None:
                candidates.remove(found)
        note["created"] = note["created"] or (found.created if found else now)
        note["updated"] = note["updated"] or (found.updated if found else note["created"])
        fields = {
            name: note[name] for name in NOTE_FIELDS if name not in ("article_id", "author_id")
        }
        fields["article_id"] = article.pk
        fields["author_id"] = users.get(note["author"])
        if note["author"] and fields["author_id"] is None and not fields["author_name"]:
            fields["author_name"] = note["author"][:200]
        if found is None:
            found = Commentary(external_key=note["external_key"], **fields)
            to_create.append(found)
        else:
            for name, value in fields.items():
                setattr(found, name, value)
            to_update.append(found)
        saved.append((found, note))
    Commentary.objects.bulk_create(to_create)
    Commentary.objects.bulk_update(to_update, NOTE_FIELDS)
    result.replies += len(notes)
    result.tags.update(
        TaggedCommentary.objects.filter(content_object__in=to_update).values_list(
            "tag_id", flat=True
        )
    )
    TaggedCommentary.objects.filter(content_object__in=to_update).delete()
    TaggedCommentary.objects.bulk_create(
        TaggedCommentary(content_object_id=c.pk, tag_id=tags[hashtag_key(t)].pk, spelling=t)
        for c, note in saved
        for t in note["hashtags"]
    )
