"""The beginnings of long articles (models.ArticleHead), written with their search index.

Search results show a snippet of each article found; reading a 30 MB text to cut forty words
from it took longer than the search. So an article longer than HEAD_CHARS characters also gets
its first HEAD_CHARS characters (its first paragraphs, the last one cut at white space) in a
row of their own, which search reads instead. The index holds the first words of an article
only (analysis.TERMS_PER_ARTICLE), all within the head: a word search finds is in it.
"""

from __future__ import annotations

from archive.models import ArticleHead
from archive.search.snippets import SNIPPET_TEXT_CHARS, first_chars

HEAD_CHARS = SNIPPET_TEXT_CHARS  # what a snippet reads of a text


def head_of(texts: list[str]) -> list[str] | None:
    """The first HEAD_CHARS characters of these paragraphs' texts, or None when they are not
    longer than that."""
    if sum(map(len, texts)) <= HEAD_CHARS:
        return None
    return first_chars(texts, HEAD_CHARS)


def write_heads(texts_by_article: dict[int, list[str]], *, using: str = "default") -> None:
    """The heads of these articles, from their paragraphs' texts, in place of any they had."""
    if texts_by_article:
        ArticleHead.objects.using(using).filter(article_id__in=list(texts_by_article)).delete()
    insert_heads(
        {
            article_id: head
            for article_id, texts in texts_by_article.items()
            if (head := head_of(texts)) is not None
        },
        using=using,
    )


def insert_heads(heads: dict[int, list[str]], *, using: str = "default") -> None:
    """Heads (head_of()) of articles that have none yet."""
    ArticleHead.objects.using(using).bulk_create(
        ArticleHead(article_id=article_id, texts=texts) for article_id, texts in heads.items()
    )


def read_heads(article_ids: list[int], using: str = "default") -> dict[int, list[str]]:
    """The heads of those of these articles that have one."""
    return dict(
        ArticleHead.objects.using(using)
        .filter(article_id__in=article_ids)
        .values_list("article_id", "texts")
    )
