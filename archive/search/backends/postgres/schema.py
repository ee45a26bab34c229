"""The search table: a stored, weighted tsvector per article with a GIN index. Migration 0002 runs
CREATE_SQL and DROP_SQL, migration 0006 INLINE_DOCUMENTS_SQL."""

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
