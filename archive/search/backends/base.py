from __future__ import annotations

from dataclasses import dataclass

from archive.search.query import Query

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


@dataclass(frozen=True)
class Candidate:
    article_id: int
    score: float  # relevance, larger is better


@dataclass
class Candidates:
    items: list[Candidate]
    total: int
    total_is_capped: bool  # more than `total` match; counting stopped there


def filter_sql(query: Query, id_column: str, language: str | None) -> tuple[str, list]:
    """SQL conditions (plain SQL on both engines) for hashtag and language filters."""
    parts, params = [], []
    tag_exists = (
        "EXISTS (SELECT 1 FROM archive_taggedarticle ta JOIN archive_hashtag h ON h.id = ta.tag_id"
        f" WHERE ta.content_object_id = {id_column} AND h.search_key = %s)"
    )
    for key in query.tags:
        parts.append(tag_exists)
        params.append(key)
    for key in query.excluded_tags:
        parts.append("NOT " + tag_exists)
        params.append(key)
    if language:
        parts.append(
            f"EXISTS (SELECT 1 FROM archive_article la WHERE la.id = {id_column} AND la.language = %s)"
        )
        params.append(language)
    return (" AND ".join(parts) or "1=1"), params


class SearchBackend:
    """What every engine provides. Queries come in as parsed trees, never as raw strings."""

    def __init__(self, connection):
        self.connection = connection

    def upsert(self, documents: list[IndexDocument]) -> None:
        raise NotImplementedError

    def delete(self, article_ids: list[int]) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def candidates(
        self, query: Query, *, language: str | None, limit: int, count_limit: int
    ) -> Candidates:
        """The newest `limit` matches of a text query, scored by the engine."""
        raise NotImplementedError

    def filter_only(
        self, query: Query, *, language: str | None, offset: int, limit: int, count_limit: int
    ) -> tuple[list[int], int, bool]:
        """Articles for a query with no required words (hashtags, exclusions): newest first."""
        where, params = filter_sql(query, "a.id", language)
        if query.excluded:
            exclusion, exclusion_params = self.excluded_ids_sql(query)
            where += f" AND a.id NOT IN ({exclusion})"
            params += exclusion_params
        base = f"SELECT a.id FROM archive_article a WHERE {where}"
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"{base} ORDER BY a.created DESC, a.id LIMIT %s OFFSET %s", [*params, limit, offset]
            )
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT count(*) FROM ({base} LIMIT %s) t", [*params, count_limit + 1])
            total = cursor.fetchone()[0]
        return ids, min(total, count_limit), total > count_limit

    def excluded_ids_sql(self, query: Query) -> tuple[str, list]:
        """SQL selecting the ids of articles matching any excluded word or phrase."""
        raise NotImplementedError
