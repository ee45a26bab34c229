"""The search service: parse the query, ask the database's backend, rank, and cut snippets.

results = search("credit social #Chine", page=1)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from django.conf import settings
from django.db import router

from annotations.models import Commentary
from archive.models import Article, Hashtag, TaggedArticle
from archive.search import compounds, spelling
from archive.search.backends import get_backend
from archive.search.backends.base import Candidates
from archive.search.heads import read_heads
from archive.search.pairs import PAIR_WORDS
from archive.search.query import AnyOf, Phrase, Query, Term, parse
from archive.search.snippets import Matcher, snippet, snippet_texts
from archive.search.spelling import Correction

# A query finding this many articles or fewer is tried with corrected spellings too.
FEW_RESULTS = 3
# Facets count the hashtags and languages of the first matches in the page's order, this many.
FACET_SAMPLE = 1000
FACET_SIZE = 10
MAX_READINGS = 4  # other readings of a query (compounds, a correction) searched, at most


@dataclass
class Hit:
    article: object
    score: float
    snippet: str = ""


@dataclass
class Facets:
    """The hashtags and languages of the matching articles, most frequent first, counted over
    the first `sample` matches in the page's order (all of them when `complete`)."""

    hashtags: list[tuple[str, str, int]]  # (name, slug, count)
    languages: list[tuple[str, int]]  # (code, count)
    sample: int
    complete: bool


@dataclass
class SearchResults:
    query: Query
    page: int
    page_size: int
    total: int = 0
    total_is_capped: bool = False
    hits: list[Hit] = field(default_factory=list)
    reachable: int = 0  # results that can be paged to (ranked candidates)
    # When the query as typed found nothing but a corrected one did: what was shown instead.
    corrected: Correction | None = None
    # When nothing was found at all: vocabulary words close to the query's words.
    close_words: list[str] = field(default_factory=list)
    facets: Facets | None = None  # with search(facets=True)
    # Other readings of a query that found few articles, whose results follow (compounds.py).
    also_searched: list[str] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < min(self.total, self.reachable or self.total)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


SORTS = ("relevance", "newest", "oldest")


def search(
    raw: str | None,
    *,
    page: int = 1,
    page_size: int | None = None,
    language: str | None = None,
    using: str | None = None,
    exact: bool = False,
    sort: str = "relevance",
    facets: bool = False,
) -> SearchResults:
    """Search, forgiving typos (spelling.py; not with `exact`). When the query as typed finds
    few articles (FEW_RESULTS or fewer), its words the archive does not hold are corrected and
    its rare words also match close spellings: the corrected query's results come after the
    exact ones (never before), and `corrected` says what was done.

    `sort`: "relevance" pages through the ranked candidates (the newest
    ARCHIVE_SEARCH_CANDIDATES matches); "newest" and "oldest" through every counted match.

    `using`: the database to search; by default where the request reads (a read replica, or the
    primary: archive/db_routers.py), the same one the articles are then read from."""
    using = using or router.db_for_read(Article)
    query = parse(raw)
    sort = sort if sort in SORTS else "relevance"
    results = SearchResults(
        query=query, page=max(1, page), page_size=page_size or settings.ARCHIVE_PAGE_SIZE
    )
    if query.is_empty:
        return results
    backend = get_backend(using)
    if not query.has_text:
        ids, results.total, results.total_is_capped = backend.filter_only(
            query,
            language=language or None,
            offset=results.offset,
            limit=results.page_size,
            count_limit=settings.ARCHIVE_SEARCH_COUNT_LIMIT,
            newest_first=sort != "oldest",
        )
        _fill(results, ids, dict.fromkeys(ids, 0.0), using)
        return results
    connection = backend.connection
    typed = query
    if not exact:
        query = compounds.expand(connection, query)
        results.query = query
    date_sort = sort != "relevance"
    newest_first = sort != "oldest"
    # A date sort shows no ranking: the page's hits alone are scored (below), for the API.
    found = _candidates(backend, query, language, limit=results.page_size if date_sort else None)
    window = None  # a date sort's page, when the engine walks the matches by date
    if date_sort and found.total_is_capped:
        window, results.reachable = backend.by_date_window(
            query,
            language=language or None,
            newest_first=newest_first,
            offset=results.offset,
            limit=results.page_size,
            found=found,
        )
    ranked = _ranked(found)
    dated = [found.ids]  # exact matches first, then those of other readings
    if not exact and found.total <= FEW_RESULTS:
        # (what to say of it, what to search)
        readings = [
            (compounds.describe(q), compounds.expand(connection, q))
            for q in compounds.alternatives(connection, typed)
        ]

        def documents(word: str, up_to: int = spelling.RARE) -> int:
            """How many articles hold the word, whatever their language, up to `up_to`."""
            query = Query(required=[Term(word)])
            return _candidates(backend, query, None, limit=1, count_limit=up_to).total

        correction = spelling.correct(connection, typed, documents=documents)
        if correction is not None:
            readings.append((None, correction.query))
        seen = {c.article_id for c in ranked}
        shown = [query]
        for said, reading in readings[:MAX_READINGS]:
            also = _candidates(
                backend,
                reading,
                language,
                limit=results.page_size if date_sort else None,
                # By relevance a reading adds its ranked candidates, never its count: it is
                # counted only as far as them, which spares PostgreSQL a pass (_newest).
                count_limit=None if date_sort else settings.ARCHIVE_SEARCH_CANDIDATES,
                every_counted=date_sort,
            )
            extra = [c for c in _ranked(also) if c.article_id not in seen]
            unseen = [i for i in also.ids if i not in seen]
            # By date, every counted match of the reading is paged through (its ranked
            # candidates are only the page's); by relevance, its ranked candidates.
            added = unseen if date_sort else [c.article_id for c in extra]
            if not added:
                continue
            ranked += extra
            dated.append(unseen)
            seen.update(added)
            shown.append(reading)
            if said is None:
                results.corrected = correction
            else:
                results.also_searched.append(said)
            # A reading with more matches than it adds makes the count a lower bound ("More
            # than 1000 results"), by relevance as by date.
            found = Candidates(
                ranked, found.total + len(added), found.total_is_capped or also.total_is_capped
            )
        results.query = _highlighting(shown)
        if not ranked:
            results.close_words = spelling.suggestions(
                connection, typed, documents=lambda word: documents(word, up_to=1)
            )
    scores = {c.article_id: c.score for c in ranked}
    if sort == "relevance":
        ordered = [c.article_id for c in ranked]
    elif window is None:
        # The engines count matches in id order: most articles' dates follow their ids, but
        # not those restored from a JSON export, dated by a curator, or published long before
        # their import.
        ordered = [i for ids in dated for i in backend.by_date(ids, newest_first=newest_first)]
    walked = window is not None
    if not walked:
        window = ordered[results.offset : results.offset + results.page_size]
        results.reachable = len(ordered)  # what the pages can reach
    if date_sort:
        unscored = [i for i in window if i not in scores]
        if unscored:
            scores.update(backend.scores(query, unscored, language=language))
    results.total = found.total
    results.total_is_capped = found.total_is_capped
    if facets:
        if walked:
            sample, _ = backend.by_date_window(
                query,
                language=language or None,
                newest_first=newest_first,
                offset=0,
                limit=FACET_SAMPLE,
                found=found,
            )
        else:
            sample = ordered[:FACET_SAMPLE]
        results.facets = _facets(backend, sample, using, complete=len(sample) == results.total)
    _fill(results, window, {i: scores.get(i, 0.0) for i in window}, using)
    return results


def _highlighting(queries: list[Query]) -> Query:
    """One query whose words are those of all the readings shown, for snippets."""
    if len(queries) == 1:
        return queries[0]
    options = [
        o
        for q in queries
        for c in q.required
        for o in (c.options if isinstance(c, AnyOf) else (c,))
    ]
    return dataclasses.replace(queries[0], required=[AnyOf(tuple(dict.fromkeys(options)))])


def _facets(backend, ids: list[int], using: str, *, complete: bool) -> Facets:
    # Counted by hashtag id from the (article, hashtag) index alone, then the top ones named:
    # grouped by name through the join, 1,000 matches' hashtags took twice as long.
    counts, languages = backend.facet_counts(ids, FACET_SIZE)
    ranked = counts.most_common()
    # Ties are ordered by name: every hashtag counted as often as the last one shown is named.
    least = ranked[FACET_SIZE - 1][1] if len(ranked) >= FACET_SIZE else 0
    named = Hashtag.objects.using(using).in_bulk([t for t, n in ranked if n >= least])
    top = sorted(
        ((named[t].name, named[t].slug, n) for t, n in ranked if n >= least and t in named),
        key=lambda row: (-row[2], row[0]),
    )[:FACET_SIZE]
    return Facets(top, languages, len(ids), complete)


def _candidates(
    backend,
    query: Query,
    language,
    *,
    limit=None,
    count_limit=None,
    every_counted=False,
) -> Candidates:
    return backend.candidates(
        query,
        language=language or None,
        limit=limit or settings.ARCHIVE_SEARCH_CANDIDATES,
        count_limit=count_limit or _count_limit(query),
        every_counted=every_counted,
    )


def _count_limit(query: Query) -> int:
    """How far a query's matches are counted: ARCHIVE_SEARCH_COUNT_LIMIT, but only as far as
    the ranked candidates for a query made of phrases of very common words alone ("de de
    des", "of the the"). The engines check their word order row by row: counting 10,000 of
    them took 170-250 ms on SQLite and PostgreSQL at a million posts, to show a number the
    pages could not reach anyway (a search by relevance pages through the candidates; by date
    it walks the matches in date order). The page then says "More than 1000 results"."""
    options = [o for c in query.required for o in (c.options if isinstance(c, AnyOf) else (c,))]
    if options and all(
        isinstance(o, Phrase) and len(o.words) > 1 and PAIR_WORDS.issuperset(o.words)
        for o in options
    ):
        return min(settings.ARCHIVE_SEARCH_CANDIDATES, settings.ARCHIVE_SEARCH_COUNT_LIMIT)
    return settings.ARCHIVE_SEARCH_COUNT_LIMIT


def _ranked(found: Candidates) -> list:
    return sorted(found.items, key=lambda c: (-c.score, -c.article_id))


def _fill(results: SearchResults, ids: list[int], scores: dict[int, float], using: str) -> None:
    """The page's hits: articles with their hashtags and snippets."""
    query = results.query
    # A long article's text is not read: its snippet comes from its head (heads.py).
    heads = read_heads(ids, using)
    articles = Article.objects.using(using).in_bulk([i for i in ids if i not in heads])
    if heads:
        articles.update(Article.objects.using(using).defer("paragraphs").in_bulk(list(heads)))
    commentary: dict[int, list[str]] = {}
    for article_id, text in (
        Commentary.objects.using(using).filter(article_id__in=ids).values_list("article_id", "text")
    ):
        commentary.setdefault(article_id, []).append(text)
    tag_names = _tags_for(ids, using)
    matcher = Matcher(query)
    for article_id in ids:
        article = articles.get(article_id)
        if article is None:
            continue
        article.tag_list = tag_names.get(article_id, [])
        paragraphs = heads.get(article_id) or [p["text"] for p in article.paragraphs]
        texts = snippet_texts(paragraphs, commentary.get(article_id, []))
        results.hits.append(
            Hit(article, round(scores[article_id], 4), snippet(texts, query, matcher))
        )


def _tags_for(ids: list[int], using: str) -> dict[int, list]:
    """The hashtags of these articles, as much of each as a hit shows (its name and link):
    an article may have 500, and whole rows cost twice as much."""
    tags: dict[int, list] = {}
    for article_id, tag_id, name, slug in (
        TaggedArticle.objects.using(using)
        .filter(content_object_id__in=ids)
        .order_by("id")
        .values_list("content_object_id", "tag_id", "tag__name", "tag__slug")
    ):
        tags.setdefault(article_id, []).append(Hashtag(id=tag_id, name=name, slug=slug))
    return tags
