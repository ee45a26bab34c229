"""Which article fields the import paths write (shared by store, jsonformat and the exporter)."""

# Written by a dump import (created is set once, on creation).
IMPORTED_ARTICLE_FIELDS = [
    "title",
    "url",
    "paragraphs",
    "language",
    "links",
    "mentions",
    "content_hash",
    "source_file",
    "source_line",
    "updated",
]
# Carried by a JSON export and restored from it: the same, and the creation date.
EXPORTED_ARTICLE_FIELDS = [*IMPORTED_ARTICLE_FIELDS, "created"]
