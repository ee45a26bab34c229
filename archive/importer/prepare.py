"""The CPU-bound part of an import, with no database: language detection and analysis.

It depends only on the parsed posts, so the importer can run it in a worker process while the
main process parses the next batch and writes the previous one (importer/pipeline.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.importer.parse import ParsedPost
from archive.language import detect_many, detect_paragraphs
from archive.search.analysis import column_texts, documents


@dataclass
class PreparedPost:
    post: ParsedPost
    paragraph_langs: list[str]
    language: str
    # Analysed search columns (analysis.documents) of the post as imported: its title, hashtags,
    # replies and text. Right for a new article; an updated one may also carry curator notes,
    # so the importer indexes it from the database instead.
    index_title: str
    index_tags: str
    index_commentary: str
    index_body: str


def prepare_batch(posts: list[ParsedPost]) -> list[PreparedPost]:
    # Every paragraph of the batch in one language-detection pass (same answers, faster).
    found = iter(detect_many([t for post in posts for t in post.paragraphs]))
    texts = []
    for post in posts:
        texts += column_texts(
            post.title, post.hashtags, [reply.text for reply in post.replies], post.paragraphs
        )
    analysed = iter(documents(texts))
    prepared = []
    for post in posts:
        langs, language = detect_paragraphs(post.paragraphs, [next(found) for _ in post.paragraphs])
        prepared.append(
            PreparedPost(
                post=post,
                paragraph_langs=langs,
                language=language,
                index_title=next(analysed),
                index_tags=next(analysed),
                index_commentary=next(analysed),
                index_body=next(analysed),
            )
        )
    return prepared
