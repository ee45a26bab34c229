from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

from archive.models import HIDDEN_FIRST_SQL, HIDDEN_LAST_SQL
from archive.search.analysis import MAX_WORD, TOKEN_RE
from archive.search.query import Query
from archive.text import fold

# Column weights: a match in the title counts most, then hashtags, commentary, text.
WEIGHT_TITLE, WEIGHT_TAGS, WEIGHT_COMMENTARY, WEIGHT_BODY = 10.0, 6.0, 3.0, 1.0
# An exact phrase of the query's words doubles the score; so does (on FTS5) a match in the title,
# since bm25 gives next to nothing to words present in most documents of a small archive.
PHRASE_BONUS = 1.0
TITLE_BONUS = 1.0
SCORE_FLOOR = 0.1  # so the bonuses still order results that the engine scores at ~0


def boosted(score: float, *, phrase: bool = False, title: bool = False) -> float:
    return (score + SCORE_FLOOR) * (1 + PHRASE_BONUS * phrase) * (1 + TITLE_BONUS * title)


@dataclass(frozen=True)
class IndexDocument:
    article_id: int
    title: str
    tags: str
    commentary: str
    body: str
    # The search keys of the article's hashtags (PostgreSQL indexes each as a lexeme "#key").
    tag_keys: tuple[str, ...] = ()
    # Columns indexed only in part, over the index's budget (analysis.ArticleDocument.cut).
    cut: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Candidate:
    article_id: int
    score: float  # relevance, larger is better


@dataclass
class Candidates:
    items: list[Candidate]
    total: int
    total_is_capped: bool  # more than `total` match; counting stopped there
    # The matches counted, newest first: all of them (the first `total`) when the search
    # asked for `every_counted` (a sort by date pages through them), else at least the items'.
    ids: list[int] = dataclasses.field(default_factory=list)


def hashtag_words(name: str) -> str:
    """A hashtag name's words as analysis.documents() writes them into the hashtags field: the
    search index holds them, in this order, for every article using the hashtag."""
    return " ".join(fold(w) for w in TOKEN_RE.findall(name.casefold()) if len(w) <= MAX_WORD)


# Uses of the hashtags with one search key (several hashtags may share it: #Crédit, #credit).
TAGGED_ROWS = (
    "archive_taggedarticle ta JOIN archive_hashtag h ON h.id = ta.tag_id WHERE h.search_key = %s"
)
TAGGED_IDS = f"SELECT ta.content_object_id FROM {TAGGED_ROWS}"


# Articles by date, newest or oldest first (DATE_ORDER[newest_first]): the order of the
# article_newest index, which every list of articles by date follows (an article listed before
# another of the same date stays before it: the lower id, when newest first).
DATE_ORDER = {True: "a.sort_date DESC, a.id", False: "a.sort_date, a.id DESC"}


def filter_sql(
    query: Query,
    id_column: str,
    language: str | None,
    tag_ids: dict[str, list[int]] | None = None,
    unpublished: bool = False,
) -> tuple[str, list]:
    """SQL conditions (plain SQL on both engines) for hashtag and language filters, and, given
    `unpublished` (SearchBackend.UNPUBLISHED_ROWS: SQLite), that the article is published, as
    archive/models.py PublishedManager checks it. Every candidate and count query has them.

    With `tag_ids` (SearchBackend.tag_ids: the hashtags behind each search key, looked up first)
    the conditions name the hashtags' ids, so PostgreSQL's planner can tell a common hashtag
    from a rare one and pick the right plan; the rows matched are the same.
    """
    parts, params = [], []
    if unpublished:
        parts.append(f"NOT ({id_column} BETWEEN {HIDDEN_FIRST_SQL} AND {HIDDEN_LAST_SQL})")
    tag_exists = (
        "EXISTS (SELECT 1 FROM archive_taggedarticle ta JOIN archive_hashtag h ON h.id = ta.tag_id"
        f" WHERE ta.content_object_id = {id_column} AND h.search_key = %s)"
    )

    def condition(key: str) -> tuple[str, list]:
        if tag_ids is None:
            return tag_exists, [key]
        ids = tag_ids.get(key, [])
        return (
            "EXISTS (SELECT 1 FROM archive_taggedarticle ta WHERE ta.content_object_id = "
            f"{id_column} AND ta.tag_id IN ({', '.join(['%s'] * len(ids)) or 'NULL'}))",
            ids,
        )

    for key in query.tags:
        sql, values = condition(key)
        parts.append(sql)
        params += values
    for key in query.excluded_tags:
        sql, values = condition(key)
        parts.append("NOT " + sql)
        params += values
    if language:
        parts.append(
            f"EXISTS (SELECT 1 FROM archive_article la WHERE la.id = {id_column}"
            " AND la.language = %s)"
        )
        params.append(language)
    return (" AND ".join(parts) or "1=1"), params


class SearchBackend:
    """What every engine provides. Queries come in as parsed trees, never as raw strings."""

    def __init__(self, connection):
        self.connection = connection

    def hashtags(self, query: Query) -> dict[str, list[tuple[int, str]]]:
        """(id, name) of the hashtags behind each hashtag search key of the query."""
        keys = list(dict.fromkeys([*query.tags, *query.excluded_tags]))
        found: dict[str, list[tuple[int, str]]] = {}
        if keys:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT search_key, id, name FROM archive_hashtag WHERE search_key IN "
                    f"({', '.join(['%s'] * len(keys))}) ORDER BY id",
                    keys,
                )
                for key, tag_id, name in cursor.fetchall():
                    found.setdefault(key, []).append((tag_id, name))
        return found

    # Whether an unfinished import's articles can be in the index (archive/importer/staging.py):
    # on SQLite; a PostgreSQL import is one transaction, never seen before it commits.
    UNPUBLISHED_ROWS = True

    def tag_ids(self, query: Query) -> dict[str, list[int]]:
        """The hashtag ids behind each hashtag search key of the query."""
        return {key: [i for i, _ in rows] for key, rows in self.hashtags(query).items()}

    def upsert(self, documents: list[IndexDocument]) -> None:
        raise NotImplementedError

    def insert(self, documents: list[IndexDocument], words: set[str] | None = None) -> None:
        """upsert() for articles known to have no index row yet (new ones, in an import).
        `words`: their words new to the search vocabulary, when the caller knows them (an
        import's analysis does); else they are read from the documents."""
        self.upsert(documents)

    # The engine's writes module: delete(cursor, ids) and clear(cursor), among others.
    writes = None

    def delete(self, article_ids: list[int]) -> None:
        with self.connection.cursor() as cursor:
            self.writes.delete(cursor, article_ids)

    def clear(self) -> None:
        with self.connection.cursor() as cursor:
            self.writes.clear(cursor)

    def candidates(
        self,
        query: Query,
        *,
        language: str | None,
        limit: int,
        count_limit: int,
        every_counted: bool = False,
    ) -> Candidates:
        """The newest `limit` matches of a text query, scored by the engine. `Candidates.ids`
        holds every counted match with `every_counted` (a sort by date orders them), else at
        least the candidates'."""
        raise NotImplementedError

    def scores(self, query: Query, ids: list[int], *, language: str | None) -> dict[int, float]:
        """The relevance of these matches, as candidates() scores them (a date sort's page)."""
        raise NotImplementedError

    def by_date_window(
        self,
        query: Query,
        *,
        language: str | None,
        newest_first: bool,
        offset: int,
        limit: int,
        found: Candidates,
    ) -> tuple[list[int], int]:
        """A page of a text query's matches by date (DATE_ORDER), from all its matches, for a
        query with more matches than are counted (`found`): the articles are walked in date
        order, each tested for the query, as far as DATE_WALK_ROWS articles by the estimated
        share of matches. Returns the page's ids and how many matches the pages can reach
        that way (at least one page)."""
        share = self.match_share(query, language, found)
        reachable = min(found.total, max(limit, int(self.DATE_WALK_ROWS * share)))
        if offset >= reachable:
            return [], reachable
        rows_sql, rows_params = self.match_rows_sql(query, language)
        where, params = filter_sql(
            query, "a.id", language, self.tag_ids(query), self.UNPUBLISHED_ROWS
        )
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT a.id FROM archive_article a {self.DATE_WALK_INDEX} "
                f"WHERE EXISTS (SELECT 1 {rows_sql}) AND {where} "
                f"ORDER BY {DATE_ORDER[newest_first]} LIMIT %s OFFSET %s",
                [*rows_params, *params, min(limit, reachable - offset), offset],
            )
            return [row[0] for row in cursor.fetchall()], reachable

    # Articles a date sort walks, at most, to find a page (by_date_window).
    DATE_WALK_ROWS = 10_000
    DATE_WALK_INDEX = ""

    def match_share(self, query: Query, language: str | None, found: Candidates) -> float:
        """An estimate of the share of articles the query matches (by_date_window)."""
        raise NotImplementedError

    def match_rows_sql(self, query: Query, language: str | None) -> tuple[str, list]:
        """FROM and WHERE of a search table row matching the query, for article a.id."""
        raise NotImplementedError

    def filter_only(
        self,
        query: Query,
        *,
        language: str | None,
        offset: int,
        limit: int,
        count_limit: int,
        newest_first: bool = True,
    ) -> tuple[list[int], int, bool]:
        """Articles for a query with no required words (hashtags, exclusions): newest first, or
        oldest first (by their date: Article.sort_date, the article_newest index)."""
        order = DATE_ORDER[newest_first]
        tag_ids = self.tag_ids(query)
        hidden = self.UNPUBLISHED_ROWS
        where, params = filter_sql(query, "a.id", language, tag_ids, hidden)
        if query.excluded:
            exclusion, exclusion_params = self.excluded_ids_sql(query)
            where += f" AND a.id NOT IN ({exclusion})"
            params += exclusion_params
        base = f"SELECT a.id FROM archive_article a WHERE {where}"
        with self.connection.cursor() as cursor:
            # Speed only, same rows: walking the newest articles and testing each for the
            # hashtags is fast for a common hashtag, but reads the whole archive for a rare one
            # (seconds at a million posts). So the rarest wanted hashtag, when it is small,
            # drives the query; counting is always driven by it, which stops after count_limit.
            threshold = (offset + limit) * self.TAG_DRIVE_FACTOR
            driver, size = self._rarest_tag(cursor, query.tags, threshold + 1)
            if driver is not None and size <= threshold and self.DRIVE_BY_RAREST_TAG:
                cursor.execute(
                    f"{base} AND a.id IN ({TAGGED_IDS}) ORDER BY {order} LIMIT %s OFFSET %s",
                    [*params, driver, limit, offset],
                )
            else:
                cursor.execute(
                    f"{base} ORDER BY {order} LIMIT %s OFFSET %s",
                    [*params, limit, offset],
                )
            ids = [row[0] for row in cursor.fetchall()]
            if driver is not None:
                # The driver's uses, each tested for the other conditions (not for the driver,
                # which they hold). One hashtag has each article once; only several hashtags
                # under one search key need DISTINCT, which PostgreSQL computes over all their
                # uses before LIMIT can stop it (60 ms for a hashtag on 37,000 articles).
                others = dataclasses.replace(query, tags=[k for k in query.tags if k != driver])
                tagged_where, tagged_params = filter_sql(others, "t.id", language, tag_ids, hidden)
                if query.excluded:
                    tagged_where += f" AND t.id NOT IN ({exclusion})"
                    tagged_params += exclusion_params
                driver_ids = tag_ids.get(driver) or [None]
                uses = (
                    f"SELECT {'' if len(driver_ids) == 1 else 'DISTINCT '}ta.content_object_id "
                    "AS id FROM archive_taggedarticle ta WHERE ta.tag_id IN "
                    f"({', '.join(['%s'] * len(driver_ids))})"
                )
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT t.id FROM ({uses}) t "
                    f"WHERE {tagged_where} LIMIT %s) c",
                    [*driver_ids, *tagged_params, count_limit + 1],
                )
            else:
                cursor.execute(
                    f"SELECT count(*) FROM ({base} LIMIT %s) t", [*params, count_limit + 1]
                )
            total = cursor.fetchone()[0]
        return ids, min(total, count_limit), total > count_limit

    # A hashtag with at most (offset + limit) x this many uses drives the page query: fetching
    # and sorting that many articles (~15 us each on SQLite) beats testing the newest articles
    # one by one (~1 us each) until enough carry the hashtag, up to about a million articles.
    TAG_DRIVE_FACTOR = 60
    DRIVE_BY_RAREST_TAG = True  # PostgreSQL's planner makes this choice itself, given tag ids

    @staticmethod
    def _rarest_tag(cursor, keys: list[str], cap: int) -> tuple[str | None, int]:
        """The wanted hashtag (search key) with the fewest uses, and that count (capped)."""
        best, best_size = None, 0
        for key in keys:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {TAGGED_ROWS} LIMIT %s) t", [key, cap]
            )
            size = cursor.fetchone()[0]
            if best is None or size < best_size:
                best, best_size = key, size
        return best, best_size

    def excluded_ids_sql(self, query: Query) -> tuple[str, list]:
        """SQL selecting the ids of articles matching any excluded word or phrase."""
        raise NotImplementedError

    # The ids given as one parameter: a table of them, to join (each engine has its own), and
    # how the article table is read for their dates.
    IDS_TABLE = ""
    DATES_INDEX = ""

    def by_date(self, ids: list[int], *, newest_first: bool) -> list[int]:
        """These articles by their date (Article.sort_date), newest or oldest first; the same
        date, by id (DATE_ORDER). Ordered by the database from the article_id_date
        index, ids alone coming back: dated in Python from their rows, 10,000 matches took
        400 ms (SQLite, 100,000 articles); see bench/date_sort.py."""
        if not ids:
            return []
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT a.id FROM {self.IDS_TABLE} JOIN archive_article a {self.DATES_INDEX} "
                f"ON a.id = given.id ORDER BY {DATE_ORDER[newest_first]}",
                [self.ids_parameter(ids)],
            )
            return [row[0] for row in cursor.fetchall()]

    @staticmethod
    def ids_parameter(ids: list[int]):
        return ids

    # "column IN_IDS" holds for the ids given as one parameter (ids_parameter).
    IN_IDS = "= ANY(%s)"

    def facet_counts(self, ids: list[int], size: int) -> tuple[Counter, list[tuple[str, int]]]:
        """Of these articles: how many use each hashtag (by hashtag id), and their `size`
        commonest languages with their counts, commonest first, then by code. The ids go as one
        parameter: through Django's `__in`, preparing 1,000 of them twice took 20 ms
        (SQLite, 1,000,000 posts), more than both queries."""
        if not ids:
            return Counter(), []
        parameter = self.ids_parameter(ids)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT tag_id FROM archive_taggedarticle WHERE content_object_id {self.IN_IDS}",
                [parameter],
            )
            tags = Counter(row[0] for row in cursor.fetchall())
            cursor.execute(
                "SELECT language, count(*) AS n FROM archive_article "
                f"WHERE id {self.IN_IDS} AND language <> '' "
                "GROUP BY language ORDER BY n DESC, language LIMIT %s",
                [parameter, size],
            )
            return tags, [(language, n) for language, n in cursor.fetchall()]
