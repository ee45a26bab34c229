"""Writing the archive back out: the bulleted text format, or JSON with everything.

    export(out, tag="Chine", format="text")

Both formats stream: articles are read in primary-key order, a chunk at a time, so memory stays
flat however big the archive is.

- text: the bulleted export the importer reads ("• Title", the URL, the paragraphs indented by
  four spaces, a line of hashtags, then commentary as "    • " replies, curator notes included).
  Importing it gives back the articles, their paragraphs, hashtags and replies; what the format
  cannot say (anchors, authors, dates, which replies were curator notes) is only in the JSON.
- json: one JSON document, {"format": "quote-archive", "version": 1, ..., "articles": [...]},
  one article per line, with every field, commentary anchors included. `import_dump` reads it
  back (archive/importer/jsonformat.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import TextIO

from django.utils import timezone

from annotations.models import Commentary, TaggedCommentary
from archive.importer.fields import COMMENTARY_FIELDS, EXPORTED_ARTICLE_FIELDS
from archive.importer.parse import VIA_RE
from archive.models import Article, Hashtag, HashtagRemoval, TaggedArticle
from archive.text import find_hashtags, hashtag_fits, hashtag_key

JSON_FORMAT = "quote-archive"
JSON_VERSION = 1
CHUNK = 500
FORMATS = ("text", "json")


class ExportError(Exception):
    """A request we cannot honour (unknown hashtag, unknown format)."""


def export(out: TextIO, *, tag: str | None = None, format: str = "text") -> int:
    """Write the archive (or the articles of one hashtag) to `out`; return the article count."""
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r} (use text or json)")
    tag_id = _tag_id(tag) if tag else None
    chunks = _chunks(tag_id)
    if format == "json":
        return _write_json(out, chunks, tag)
    return _write_text(out, chunks)


def _tag_id(name: str) -> int:
    found = Hashtag.objects.filter(key=hashtag_key(name)).values_list("pk", flat=True).first()
    if found is None:
        raise ExportError(f"no hashtag #{name.lstrip('#')} in the archive")
    return found


def _chunks(tag_id: int | None) -> Iterator[list[dict]]:
    """Articles as plain dicts with their hashtags and commentary, CHUNK at a time, in pk order."""
    articles = Article.objects.order_by("pk")
    if tag_id is not None:
        articles = articles.filter(taggedarticle__tag_id=tag_id)
    last = 0
    while True:
        rows = list(
            articles.filter(pk__gt=last).values("pk", "external_key", *EXPORTED_ARTICLE_FIELDS)[
                :CHUNK
            ]
        )
        if not rows:
            return
        last = rows[-1]["pk"]
        ids = [row["pk"] for row in rows]
        tags: dict[int, list[str]] = defaultdict(list)
        curators: dict[int, list[str]] = defaultdict(list)
        for article_id, spelling, name, origin in (
            TaggedArticle.objects.filter(content_object_id__in=ids)
            .order_by("pk")
            .values_list("content_object_id", "spelling", "tag__name", "origin")
        ):
            tags[article_id].append(spelling or name)
            if origin == TaggedArticle.Origin.CURATOR:
                curators[article_id].append(spelling or name)
        removed: dict[int, list[str]] = defaultdict(list)
        for article_id, name in (
            HashtagRemoval.objects.filter(article_id__in=ids)
            .order_by("pk")
            .values_list("article_id", "tag__name")
        ):
            removed[article_id].append(name)
        commentary: dict[int, list[dict]] = defaultdict(list)
        commentary_rows = list(
            Commentary.objects.filter(article_id__in=ids)
            .order_by("article_id", "origin", "position", "created", "pk")
            .values("pk", "article_id", "external_key", "author__username", *COMMENTARY_FIELDS)
        )
        commentary_tags: dict[int, list[str]] = defaultdict(list)
        for commentary_id, spelling, name in (
            TaggedCommentary.objects.filter(
                content_object_id__in=[c["pk"] for c in commentary_rows]
            )
            .order_by("pk")
            .values_list("content_object_id", "spelling", "tag__name")
        ):
            commentary_tags[commentary_id].append(spelling or name)
        for item in commentary_rows:
            item["hashtags"] = commentary_tags[item["pk"]]
            commentary[item["article_id"]].append(item)
        for row in rows:
            row["hashtags"] = tags[row["pk"]]
            row["curator_hashtags"] = curators[row["pk"]]
            row["removed_hashtags"] = removed[row["pk"]]
            # Imported replies first, in their order, then curator notes, oldest first.
            row["commentary"] = sorted(commentary[row["pk"]], key=lambda c: c["origin"] != "reply")
        yield rows


# --- text ------------------------------------------------------------------------------------


def _write_text(out: TextIO, chunks: Iterator[list[dict]]) -> int:
    count = 0
    for rows in chunks:
        for row in rows:
            out.write(text_post(row))
            count += 1
    return count


def text_post(row: dict) -> str:
    """One article in the bulleted format, ending with a blank line."""
    # Only a line break would end the title early; other white space is kept as it is.
    title = row["title"].replace("\r", " ").replace("\n", " ").strip()
    lines = [f"• {title}" if title else "•"]
    url = row["url"].strip()
    # No URL: a blank line, so that a first paragraph that is a lone URL stays a paragraph.
    lines.append(f"    {url}" if url and not any(c.isspace() for c in url) else "")
    for paragraph in row["paragraphs"]:
        lines.extend(_indented(paragraph["text"], "    ", "    "))
        lines.append("")
    tags = [t for t in row["hashtags"] if _writable_hashtag(t)]
    if tags:
        lines.append("    " + " ".join(f"#{t}" for t in tags))
        lines.append("")
    if row["attribution"] and VIA_RE.match(f"via {row['attribution']}"):
        lines.extend([f"    via {row['attribution']}", ""])
    for item in row["commentary"]:
        if item["text"].strip():
            lines.extend(_indented(item["text"], "    • ", "      "))
            lines.append("")
    if lines[-1] != "":
        lines.append("")
    return "\n".join(lines) + "\n"


def _indented(text: str, first: str, rest: str) -> list[str]:
    """Paragraphs of `text` as indented lines; blank lines between paragraphs stay blank."""
    out: list[str] = []
    prefix = first
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.rstrip()
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        out.append(prefix + line)
        prefix = rest
    while out and not out[-1]:
        out.pop()
    return out


def _writable_hashtag(name: str) -> bool:
    """Only names that read back as the same hashtag can be written as "#name"."""
    return hashtag_fits(name) and find_hashtags(f"#{name}") == [name]


# --- json ------------------------------------------------------------------------------------


def _write_json(out: TextIO, chunks: Iterator[list[dict]], tag: str | None) -> int:
    header = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "exported": timezone.now().isoformat(),
        "hashtag": tag,
    }
    head = json.dumps(header, ensure_ascii=False)
    out.write(head[:-1] + ', "articles": [\n')
    count = 0
    for rows in chunks:
        for row in rows:
            out.write(",\n" if count else "")
            out.write(json.dumps(json_article(row), ensure_ascii=False))
            count += 1
    out.write("\n]}\n")
    return count


def _date(value) -> str | None:
    return value.isoformat() if value else None


def json_quote(item: dict) -> dict:
    quote = {
        "exact": item["quote_exact"],
        "prefix": item["quote_prefix"],
        "suffix": item["quote_suffix"],
        "start": item["quote_start"],
    }
    # Where the text changed since the passage was quoted (annotations/reanchoring.py).
    if item["quote_original"]:
        quote["first_quoted"] = item["quote_original"]
    if item["quote_lost"]:
        quote["lost"] = True
    return quote


def json_article(row: dict) -> dict:
    article = {
        "key": row["external_key"],
        "title": row["title"],
        "url": row["url"],
        "attribution": row["attribution"],
        "paragraphs": row["paragraphs"],
        "language": row["language"],
        "links": row["links"],
        "mentions": row["mentions"],
        "hashtags": row["hashtags"],
        "content_hash": row["content_hash"],
        "source_file": row["source_file"],
        "source_line": row["source_line"],
        # When it entered the archive, when it last changed there, and when its source published
        # it (a date, or null when not known).
        "created": _date(row["created"]),
        "updated": _date(row["updated"]),
        "published": _date(row["published"]),
        "commentary": [
            {
                "key": item["external_key"],
                "origin": item["origin"],
                "text": item["text"],
                "author": item["author__username"],
                "author_name": item["author_name"],
                "quote": json_quote(item) if item["quote_exact"] else None,
                "position": item["position"],
                "source_line": item["source_line"],
                "hashtags": item["hashtags"],
                "created": _date(item["created"]),
                "updated": _date(item["updated"]),
            }
            for item in row["commentary"]
        ],
    }
    # What curators did to the dump's hashtags (archive/hashtags.py), where they said its reader
    # comments start and which of its fields they edited, when they did anything.
    curated = ("curator_hashtags", "removed_hashtags", "curator_comments_split", "curator_fields")
    for name in curated:
        if row.get(name):
            article[name] = row[name]
    if row.get("curator_edited"):
        article["curator_edited"] = _date(row["curator_edited"])
    return article
