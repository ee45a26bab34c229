"""The search table: a stored, weighted tsvector per article with a GIN index. Migration 0002 runs
CREATE_SQL and DROP_SQL, migration 0006 INLINE_DOCUMENTS_SQL, migration 0020 ID_RANGES_SQL."""

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
# A summary of the ids on each run of 16 pages (BRIN, ~600 KB at a million posts): a search
# looking for its newest matches among the ids above a bound (PostgresBackend._newest) gets
# those pages from it in 2-3 ms, where the primary key listed all 100,000 rows above the bound
# in 50 ms. Rows are written in id order, so the runs stay narrow; autovacuum summarizes new
# pages, and pages not yet summarized are always read (never missed).
ID_RANGES_SQL = [
    f"CREATE INDEX IF NOT EXISTS {TABLE}_id_ranges ON {TABLE} USING brin (article_id) "
    "WITH (pages_per_range = 16, autosummarize = on)"
]
DROP_ID_RANGES_SQL = [f"DROP INDEX IF EXISTS {TABLE}_id_ranges"]
DROP_SQL = [f"DROP TABLE IF EXISTS {TABLE}"]
