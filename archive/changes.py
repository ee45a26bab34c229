"""Recording a change: what every write path does once, at the end of its write.

A write that readers can see refreshes the search index of the articles it touched and raises
the archive's revision, so that no cached page or card (archive/pagecache.py, cards.py) read
before it is served after it commits. Both happen inside the caller's transaction.

The importer indexes its articles batch by batch as it writes them (memory stays flat whatever
the file's size), then records the change once for the whole file, with nothing left to index.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS

from archive.models import ArchiveRevision
from archive.search.index import index_articles


def record_change(article_ids: Iterable[int] = (), *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Refresh the index rows of `article_ids` (dropping those of deleted articles), then raise
    the archive's revision once."""
    ids = list(dict.fromkeys(article_ids))
    if ids:
        index_articles(ids, using=using)
    ArchiveRevision.bump(using)
