"""PostgreSQL: a stored, weighted tsvector per article with a GIN index."""

from __future__ import annotations

import dataclasses
from itertools import chain

from archive.search.analysis import forms
from archive.search.backends.base import (
    WEIGHT_BODY,
    WEIGHT_COMMENTARY,
    WEIGHT_TAGS,
    WEIGHT_TITLE,
    Candidate,
    Candidates,
    IndexDocument,
    SearchBackend,
    boosted,
    filter_sql,
)
from archive.search.query import AnyOf, Phrase, Query, Term

TABLE = "archive_searchdoc"
# Documents stay in the table's rows, compressed, up to about 8 KB, instead of moving to the
# TOAST table past 2 KB (most of them did). A phrase, an exclusion or the ranking of candidates
# reads each candidate's document, and fetching it from TOAST cost several times the read
# itself: 27,000 phrase checks at 1M posts took 115 ms from TOAST, 30 ms from the rows.
INLINE_DOCUMENTS_SQL = [
    f"ALTER TABLE {TABLE} SET (toast_tuple_target = 8160)",
    f"ALTER TABLE {TABLE} ALTER COLUMN document SET STORAGE MAIN",
]
CREATE_SQL = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " article_id bigint PRIMARY KEY REFERENCES archive_article(id) ON DELETE CASCADE,"
    " document tsvector NOT NULL)",
    *INLINE_DOCUMENTS_SQL,
    f"CREATE INDEX IF NOT EXISTS {TABLE}_document ON {TABLE} USING gin (document)",
]
DROP_SQL = [f"DROP TABLE IF EXISTS {TABLE}"]
# ts_rank weights are listed D, C, B, A: text, commentary, hashtags, title.
RANK_WEIGHTS = (
    "{"
    + ",".join(
        str(w / WEIGHT_TITLE) for w in (WEIGHT_BODY, WEIGHT_COMMENTARY, WEIGHT_TAGS, WEIGHT_TITLE)
    )
    + "}"
)
# A tsvector holds at most 1 MB; beyond this the tail of a huge text is not indexed.
MAX_DOCUMENT_CHARS = 400_000

# A document from the columns of the rows written (PostgresBackend._write_rows).
DOCUMENT_SQL = (
    "setweight(to_tsvector('simple', s.title), 'A') || "
    "setweight(to_tsvector('simple', s.tags), 'B') || "
    "setweight(to_tsvector('simple', s.commentary), 'C') || "
    "setweight(to_tsvector('simple', s.body), 'D') || "
    "array_to_tsvector(string_to_array(s.extra, chr(31)))"
)
# Documents are written in statements of at most about this much text (often 500 documents).
WRITE_CHUNK_CHARS = 4_000_000
# extra_lexemes() are sent as one string: psycopg's adaptation of a list cost 0.07 ms a document,
# a tenth of an import. The unit separator (31) is in no word and no hashtag.
LEXEME_SEPARATOR = chr(31)
# Each hashtag of an article is also one lexeme "#<search key>" in its document, without a
# position: no word can be such a lexeme (the parser and our analyzer split words at "#"), so
# the GIN index holds every hashtag's articles as one exact list. See PostgresBackend.candidates.
TAG_LEXEME = "#"

# Two very common words next to each other are also one lexeme, "sur le", without a position
# (no word holds a space). GIN keeps no positions, so an exact phrase reads every document
# holding all its words to check their order: for "sur le est sont", 27,000 documents at a
# million posts (110-190 ms). Each pair of very common words in the phrase is also looked up
# in the index, which cuts the documents to check to those holding the pairs. A document holds
# the pair lexemes of every two neighbouring words of its four fields taken in the order of
# their positions (a superset of what the order check can match), so no match is lost. Only
# these function words form pairs: a rarer word's own list is short enough. Changing the list
# changes the documents: existing ones need `manage.py reindex` (or a migration like 0008).
PAIR_WORDS = frozenset(
    # French (folded: "à" is "a", "été" is "ete"; "l'", "d'", "qu'" are words of their own)
    "a au aux avec c ce ces cette comme d dans de des du elle en est et ete etre il ils j l la "
    "le les leur leurs lui mais meme n ne nous on ou par pas plus pour qu que qui s sa sans se "
    "ses si son sont sur tout un une y "
    # English
    "an and are as at be been but by for from had has have he her his i if in is it its not "
    "of on or she that the their there they this to was we were which will with you "
    # German (folded: "für" is "fur", "über" is "uber")
    "als am an auch auf aus bei das dass dem den der die durch ein eine einem einen einer es "
    "fur hat im ist mit nach nicht noch sich sie sind um und uber vom von war wie wird zu zum "
    "zur "
    # Italian ("è" is "e", "più" is "piu")
    "al alla che con da degli dei del della delle di e gli i il la lo ma nel nella non per piu "
    "si sono sul tra una".split()
)


def word_pairs(words) -> set[str]:
    """The pair lexemes of a sequence of folded words: "sur le" for "... sur le ..."."""
    pairs = set()
    previous = None
    for word in words:
        if word in PAIR_WORDS:
            if previous is not None:
                pairs.add(f"{previous} {word}")
            previous = word
        else:
            previous = None
    return pairs


def extra_lexemes(document: IndexDocument) -> str:
    """A document's lexemes without positions, joined by LEXEME_SEPARATOR: its hashtags, and
    its pairs of common words with its four fields in the order to_tsvector gives them
    positions (DOCUMENT_SQL)."""
    fields = (document.title, document.tags, document.commentary, document.body)
    words = chain.from_iterable(f[:MAX_DOCUMENT_CHARS].split() for f in fields)
    return LEXEME_SEPARATOR.join(
        [*(TAG_LEXEME + key for key in document.tag_keys), *word_pairs(words)]
    )


def lexeme_query(lexeme: str) -> str:
    """tsquery input for one lexeme: quoted, so that nothing in it is tsquery syntax."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tag_lexeme_query(search_key: str) -> str:
    return lexeme_query(TAG_LEXEME + search_key)


def _unit(unit: Term | Phrase, pairs: bool = True) -> tuple[str, list]:
    if isinstance(unit, Term):
        options = forms(unit.word)
        sql = " || ".join(["plainto_tsquery('simple', %s)"] * len(options))
        return f"({sql})", list(options)
    found = sorted(word_pairs(unit.words)) if pairs else []
    sql = ["phraseto_tsquery('simple', %s)", *["%s::tsquery"] * len(found)]
    return "(" + " && ".join(sql) + ")", [" ".join(unit.words), *map(lexeme_query, found)]


def _clause(clause, pairs: bool) -> tuple[str, list]:
    if isinstance(clause, AnyOf):
        parts = [_unit(o, pairs) for o in clause.options]
        return "(" + " || ".join(p[0] for p in parts) + ")", [x for p in parts for x in p[1]]
    return _unit(clause, pairs)


def tsquery_sql(query: Query, pairs: bool = True) -> tuple[str, list]:
    """The text's tsquery; with `pairs`, phrases also ask the index for their pair lexemes
    (to search with; ranking without them, since they have no positions)."""
    parts = [_clause(c, pairs) for c in query.required]
    sql = " && ".join(p[0] for p in parts)
    params = [x for p in parts for x in p[1]]
    for unit in query.excluded:
        unit_sql, unit_params = _unit(unit, pairs)
        sql = f"({sql}) && !!{unit_sql}"
        params += unit_params
    return f"({sql})", params


def phrase_sql(query: Query) -> tuple[str, list] | None:
    words = [c.word for c in query.required if isinstance(c, Term)]
    if len(words) < 2:
        return None
    return "phraseto_tsquery('simple', %s)", [" ".join(forms(w)[0] for w in words)]


def tag_tsquery_sql(query: Query) -> tuple[str, list]:
    """The wanted hashtags as a tsquery of their lexemes, all of which a document must hold
    (ANDed with the text's), or ("", []) when there are none. See PostgresBackend.candidates."""
    sql = " && ".join(["%s::tsquery"] * len(query.tags))
    return sql, [tag_lexeme_query(key) for key in query.tags]


class PostgresBackend(SearchBackend):
    TAG_PREFILTER = True  # wanted hashtags go to the GIN search as lexemes (candidates)
    DRIVE_BY_RAREST_TAG = False  # the planner picks the plan well once it sees hashtag ids

    def upsert(self, documents: list[IndexDocument]) -> None:
        self._write(
            documents, "ON CONFLICT (article_id) DO UPDATE SET document = excluded.document"
        )

    def insert(self, documents: list[IndexDocument]) -> None:
        self._write(documents, "")

    def _write(self, documents: list[IndexDocument], on_conflict: str) -> None:
        # One statement per chunk, the columns sent as arrays: 500 INSERTs of one row each
        # (executemany) took 0.40 ms a document, this 0.31 (docs/performance.md). Callers
        # pass each article once (index_articles), as ON CONFLICT needs within one statement.
        chunk: list[tuple] = []
        size = 0
        for d in documents:
            row = (
                d.article_id,
                d.title[:MAX_DOCUMENT_CHARS],
                d.tags,
                d.commentary[:MAX_DOCUMENT_CHARS],
                d.body[:MAX_DOCUMENT_CHARS],
                extra_lexemes(d),
            )
            chunk.append(row)
            size += sum(map(len, row[1:]))
            if size >= WRITE_CHUNK_CHARS:
                self._write_rows(chunk, on_conflict)
                chunk, size = [], 0
        if chunk:
            self._write_rows(chunk, on_conflict)

    def _write_rows(self, rows: list[tuple], on_conflict: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (article_id, document) SELECT s.id, {DOCUMENT_SQL} "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], "
                "%s::text[]) AS s(id, title, tags, commentary, body, extra) " + on_conflict,
                [list(column) for column in zip(*rows, strict=True)],
            )

    def delete(self, article_ids: list[int]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE article_id = ANY(%s)", [list(article_ids)])

    def clear(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {TABLE}")

    def excluded_ids_sql(self, query: Query) -> tuple[str, list]:
        parts = [_unit(u) for u in query.excluded]
        sql = " || ".join(p[0] for p in parts)
        return (
            f"SELECT article_id FROM {TABLE} WHERE document @@ ({sql})",
            [x for p in parts for x in p[1]],
        )

    def candidates(self, query, *, language, limit, count_limit) -> Candidates:
        tag_ids = self.tag_ids(query)
        if any(not tag_ids.get(key) for key in query.tags):
            return Candidates([], 0, False)  # no hashtag has a wanted search key
        tsquery, tsquery_params = tsquery_sql(query, pairs=False)
        where, filter_params = filter_sql(query, "d.article_id", language, tag_ids)
        search, search_params = tsquery_sql(query)
        scan_where, scan_params = where, filter_params
        if query.tags and self.TAG_PREFILTER:
            # The wanted hashtags are found by the GIN index, as their lexemes, in the same
            # pass as the words: joined with a hashtag's uses instead, the matches of
            # "dordordraya #by" (14,000 documents, a hashtag on 370,000 articles) took 120 ms
            # at a million posts. The exact filter (the hashtag's uses) then checks only the
            # candidates, in the ranking query below; the count relies on the index, which
            # every write path that changes hashtags refreshes (index_articles).
            tag_tsquery, tag_params = tag_tsquery_sql(query)
            search, search_params = f"({search} && {tag_tsquery})", [*search_params, *tag_params]
            untagged = dataclasses.replace(query, tags=[])
            scan_where, scan_params = filter_sql(untagged, "d.article_id", language, tag_ids)
        phrase = phrase_sql(query)
        phrase_column, phrase_params = (
            (f"d.document @@ {phrase[0]}", phrase[1]) if phrase else ("false", [])
        )
        with self.connection.cursor() as cursor:
            # The newest matches' ids, as many as counting needs: the candidates are the first
            # `limit`. One query for both, asking for ids alone: asked for the newest 1,000
            # documents (and counting apart), the planner walked the newest articles testing
            # each document ("dordordraya #by": 86,000 rows, 230 ms at 100,000 posts) where the
            # GIN bitmap takes 17 ms.
            cursor.execute(
                f"SELECT d.article_id FROM {TABLE} d WHERE d.document @@ {search} "
                f"AND {scan_where} ORDER BY d.article_id DESC LIMIT %s",
                [*search_params, *scan_params, max(limit, count_limit + 1)],
            )
            found = [row[0] for row in cursor.fetchall()]
            if not found:
                return Candidates([], 0, False)
            ids = found[:limit]
            # Then rank just those, with the text's query alone: ts_rank_cd never runs on every
            # hit, and the hashtags score nothing. The filters are checked again, exactly.
            cursor.execute(
                f"SELECT d.article_id, ts_rank_cd(%s, d.document, {tsquery}), {phrase_column} "
                f"FROM {TABLE} d WHERE d.article_id = ANY(%s) AND {where}",
                [RANK_WEIGHTS, *tsquery_params, *phrase_params, ids, *filter_params],
            )
            ranks = {row[0]: (float(row[1]), bool(row[2])) for row in cursor.fetchall()}
        items = [
            Candidate(article_id, boosted(ranks[article_id][0], phrase=ranks[article_id][1]))
            for article_id in ids
            if article_id in ranks
        ]
        return Candidates(items, min(len(found), count_limit), len(found) > count_limit)
