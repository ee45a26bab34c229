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
# Carried by a JSON export and restored from it: the same, the date it entered the archive,
# its publication date and when curators last edited it (a text dump carries none of these: a
# re-import of one leaves them as they are).
EXPORTED_ARTICLE_FIELDS = [*IMPORTED_ARTICLE_FIELDS, "created", "published", "curator_edited"]
# Written by a restore: the same, and the sort date made from them (Article.sort_date).
RESTORED_ARTICLE_COLUMNS = [*EXPORTED_ARTICLE_FIELDS, "sort_date"]
# A commentary's own fields, carried by a JSON export (besides its article, author and key).
COMMENTARY_FIELDS = [
    "text",
    "author_name",
    "origin",
    "quote_exact",
    "quote_prefix",
    "quote_suffix",
    "quote_start",
    "quote_original",
    "quote_lost",
    "position",
    "source_line",
    "created",
    "updated",
]
