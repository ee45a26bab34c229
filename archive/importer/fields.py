"""Which fields the importer writes and the exporter reads back (writer.py, exporter.py)."""

# Written by a dump import (created is set once, on creation).
IMPORTED_ARTICLE_FIELDS = [
    "title",
    "url",
    "attribution",
    "paragraphs",
    "language",
    "links",
    "mentions",
    "content_hash",
    "source_file",
    "source_line",
    "updated",
    # what curators decided: kept by a text dump's re-import, carried by a JSON export
    "curator_comments_split",
    "curator_fields",
]
# Carried by a JSON export and restored from it: the same, and the creation date.
EXPORTED_ARTICLE_FIELDS = [*IMPORTED_ARTICLE_FIELDS, "created"]
# A commentary's own fields, carried by a JSON export (besides its article, author and key).
COMMENTARY_FIELDS = [
    "text",
    "author_name",
    "origin",
    "quote_exact",
    "quote_prefix",
    "quote_suffix",
    "quote_start",
    "position",
    "source_line",
    "created",
    "updated",
]
