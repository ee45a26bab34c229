"""Keeping the search index in step with the archive.

Every write path refreshes the index inside its transaction through archive/changes.py's
record_change() (the importer also calls index_articles() batch by batch as it writes), and
the heads of long articles with it (heads.py). Deleting
an article removes its row in the database itself (a trigger on SQLite, a cascading foreign key on
PostgreSQL), so no signal is needed and bulk deletes are covered too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import transaction

from annotations.models import Commentary
from archive.models import Article, TaggedArticle
from archive.search.analysis import article_documents
from archive.search.backends import get_backend
from archive.search.backends.base import IndexDocument
from archive.search.heads import write_heads
from archive.search.spelling import forget_all

BATCH = 500


def build_documents(article_ids: list[int], texts: dict | None = None) -> list[IndexDocument]:
    """The index documents of these articles; `texts`, when given, gets their paragraphs'
    texts (for their heads: heads.write_heads)."""
    tags: dict[int, list[str]] = defaultdict(list)
    tag_keys: dict[int, dict[str, None]] = defaultdict(dict)
    # In the order they were given (the importer indexes new articles the same way).
    for article_id, name, search_key in (
        TaggedArticle.objects.filter(content_object_id__in=article_ids)
        .order_by("id")
        .values_list("content_object_id", "tag__name", "tag__search_key")
    ):
        tags[article_id].append(name)
        tag_keys[article_id][search_key] = None
    commentary: dict[int, list[str]] = defaultdict(list)
    for article_id, text in Commentary.all_objects.filter(article_id__in=article_ids).values_list(
        "article_id", "text"
    ):
        commentary[article_id].append(text)
    # An unfinished import's articles too (importer/staging.py): search leaves them out itself.
    rows = list(
        Article.all_objects.filter(pk__in=article_ids).values_list("id", "title", "paragraphs")
    )
    if texts is not None:
        texts.update(
            (article_id, [p["text"] for p in paragraphs]) for article_id, _, paragraphs in rows
        )
    analysed = article_documents(
        [
            (
                title,
                tags[article_id],
                commentary[article_id],
                [p["text"] for p in paragraphs],
                [p.get("lang", "") for p in paragraphs],
            )
            for article_id, title, paragraphs in rows
        ]
    )
    return [
        IndexDocument(
            article_id=article_id,
            title=document.title,
            tags=document.tags,
            commentary=document.commentary,
            body=document.body,
            tag_keys=tuple(tag_keys[article_id]),
            cut=document.cut,
        )
        for (article_id, _, _), document in zip(rows, analysed, strict=True)
    ]


def index_articles(
    article_ids: Iterable[int], using: str = "default", cut: dict | None = None
) -> int:
    """Refresh the index rows of these articles (and drop rows of ones that no longer exist).
    `cut`, when given, gets the articles indexed only in part (analysis.ArticleDocument.cut)."""
    backend = get_backend(using)
    ids = list(dict.fromkeys(article_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        texts: dict[int, list[str]] = {}
        documents = build_documents(chunk, texts)
        if cut is not None:
            cut.update((d.article_id, d.cut) for d in documents if d.cut)
        backend.upsert(documents)
        write_heads(texts, using=using)
        gone = set(chunk) - {d.article_id for d in documents}
        if gone:
            backend.delete(sorted(gone))
    return len(ids)


def reindex_all(progress: Callable[[int, int], None] | None = None, using: str = "default") -> int:
    backend = get_backend(using)
    with transaction.atomic(using=using):
        backend.clear()
        forget_all(backend.connection)
        # Every row, those of an import not yet published too (they are searched once it is).
        total = Article.all_objects.count()
        done = 0
        last_id = 0
        while True:
            chunk = list(
                Article.all_objects.filter(pk__gt=last_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not chunk:
                break
            texts: dict[int, list[str]] = {}
            backend.upsert(build_documents(chunk, texts))
            write_heads(texts, using=using)
            last_id = chunk[-1]
            done += len(chunk)
            if progress:
                progress(done, total)
    if hasattr(backend, "optimize"):
        backend.optimize()
    return done
