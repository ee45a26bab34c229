"""The FTS5 table (rowid = article id, four weighted columns) and what the code reads of FTS5's
own shadow tables. Migration 0002 runs CREATE_SQL and DROP_SQL."""

TABLE = "archive_search"
# The text columns, in order; then PAIRS_COLUMN. bm25() takes one weight per column in this
# order (scoring.COLUMN_WEIGHTS).
COLUMNS = ("title", "tags", "commentary", "body")
# The pairs of very common words of the four columns (archive/search/pairs.py), each one token
# "sur\ue000le", once per row. U+E000 (private use) is a token character to FTS5's unicode61
# and in no word of our analyzer (TOKEN_RE), so no typed word can be or match a pair token.
PAIRS_COLUMN = "pairs"
PAIR_JOINER = "\ue000"


def pair_token(first: str, second: str) -> str:
    return f"{first}{PAIR_JOINER}{second}"


CREATE_TABLE_SQL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    f"{', '.join(COLUMNS)}, {PAIRS_COLUMN}, tokenize = 'unicode61 remove_diacritics 2')"
)
# Deleting an article removes its index row, whichever code path deletes it. A migration that
# makes SQLite rebuild archive_article (most column changes do) drops it: such a migration must
# run it again (as 0010 does); tests/test_search_backend_sqlite.py checks it is there.
DELETE_TRIGGER_SQL = (
    f"CREATE TRIGGER IF NOT EXISTS archive_article_search_delete AFTER DELETE ON archive_article "
    f"BEGIN DELETE FROM {TABLE} WHERE rowid = old.id; END"
)
CREATE_SQL = [CREATE_TABLE_SQL, DELETE_TRIGGER_SQL]
DROP_SQL = [
    "DROP TRIGGER IF EXISTS archive_article_search_delete",
    f"DROP TABLE IF EXISTS {TABLE}",
]

# FTS5's shadow tables: %_data holds the averages record (rows and tokens per column) at rowid 1
# and the segment structure (rewritten by every change to the index) at rowid 10; %_docsize the
# tokens per column of each row; %_content the indexed text (columns c0..c3, and c4 the
# pairs).
DATA_TABLE = f"{TABLE}_data"
DOCSIZE_TABLE = f"{TABLE}_docsize"
CONTENT_TABLE = f"{TABLE}_content"
AVERAGES_ROWID, STRUCTURE_ROWID = 1, 10
