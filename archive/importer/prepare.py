"""The CPU-bound part of an import, with no database: language detection and analysis.

It depends only on a few fields of the parsed posts, so the importer can run it in a worker
process (importer/worker.py) while the main process parses the next batch and writes the
previous one. Only those fields go to the worker, and only the results come back.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.importer.posts import ParsedPost
from archive.language import detect_many, detect_paragraphs
from archive.search.analysis import article_documents, new_words

# What preparing a post needs: its title, hashtags, replies' texts and paragraphs.
Inputs = tuple[str, list[str], list[str], list[str]]
# What it gives: the paragraphs' languages, the post's language, its four analysed columns, the
# words new to the analysis (folded forms and stems; the batch's are on its first post), and
# the columns cut to the index's budget (analysis.ArticleDocument.cut).
Results = tuple[list[str], str, str, str, str, str, tuple[str, ...], tuple]


@dataclass
class PreparedPost:
    post: ParsedPost
    paragraph_langs: list[str]
    language: str
    # Analysed search columns (analysis.documents) of the post as imported: its title, hashtags,
    # replies and text. Right for a new article; an updated one may also carry curator notes,
    # so the importer indexes it from the database instead.
    # None for a restored post: it is indexed from its rows once written.
    index_title: str | None = None
    index_tags: str | None = None
    index_commentary: str | None = None
    index_body: str | None = None
    # Words this process (or the worker) analysed for the first time: for the search vocabulary.
    new_words: tuple[str, ...] = ()
    index_cut: tuple = ()  # columns over the index's budget: (name, words indexed)


def inputs(posts: list[ParsedPost]) -> list[Inputs]:
    return [(p.title, p.hashtags, [r.text for r in p.replies], p.paragraphs) for p in posts]


def prepare(batch: list[Inputs]) -> list[Results]:
    # Every paragraph of the batch in one language-detection pass (same answers, faster).
    found = iter(detect_many([t for _, _, _, paragraphs in batch for t in paragraphs]))
    languages = [
        detect_paragraphs(paragraphs, [next(found) for _ in paragraphs])
        for _, _, _, paragraphs in batch
    ]
    with new_words() as words:
        # Each paragraph's words stemmed in its language only (analysis.py).
        analysed = article_documents(
            [(*post, langs) for post, (langs, _) in zip(batch, languages, strict=True)]
        )
    results = []
    for (langs, language), document in zip(languages, analysed, strict=True):
        results.append(
            (
                langs,
                language,
                document.title,
                document.tags,
                document.commentary,
                document.body,
                (),
                document.cut,
            )
        )
    if results:
        results[0] = (*results[0][:6], tuple(words), results[0][7])
    return results


def prepared(posts: list[ParsedPost], results: list[Results]) -> list[PreparedPost]:
    return [PreparedPost(post, *values) for post, values in zip(posts, results, strict=True)]


def prepare_batch(posts: list[ParsedPost]) -> list[PreparedPost]:
    return prepared(posts, prepare(inputs(posts)))
