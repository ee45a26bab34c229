"""PostgreSQL: neighbouring very common words become pair lexemes ("sur le") in the search
documents (see archive/search/pairs.py), so that a phrase of common words is narrowed by the GIN index.

Existing documents get them here, in SQL, from the positions their words already have; the GIN
index is dropped and built again around the update (several minutes at a million posts). New
documents get them from the importer and index_articles(). SQLite's index does not change.
"""

from django.db import migrations

INDEX = "archive_searchdoc_document"
COMMON_POSITIONS = (
    "SELECT u.lexeme, unnest(u.positions) AS pos FROM unnest(s.document) u"
    " WHERE u.lexeme = ANY(%(words)s)"
)
PAIRS = (
    "SELECT s.article_id, (SELECT array_agg(DISTINCT a.lexeme || ' ' || b.lexeme)"
    f" FROM ({COMMON_POSITIONS}) a JOIN ({COMMON_POSITIONS}) b ON b.pos = a.pos + 1) AS pairs"
    " FROM archive_searchdoc s"
)


def _rewrite(schema_editor, sql: str, params: dict | None) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(sql, params)
    schema_editor.execute(f"CREATE INDEX {INDEX} ON archive_searchdoc USING gin (document)")


def add_pairs(apps, schema_editor):
    from archive.search.pairs import PAIR_WORDS

    _rewrite(
        schema_editor,
        "UPDATE archive_searchdoc d SET document = d.document || array_to_tsvector(p.pairs)"
        f" FROM ({PAIRS}) p WHERE p.article_id = d.article_id AND p.pairs IS NOT NULL",
        {"words": sorted(PAIR_WORDS)},
    )


def remove_pairs(apps, schema_editor):
    _rewrite(
        schema_editor,
        "UPDATE archive_searchdoc SET document = ts_delete(document,"
        " ARRAY(SELECT lexeme FROM unnest(document) WHERE strpos(lexeme, ' ') > 0))",
        None,
    )


class Migration(migrations.Migration):
    dependencies = [("archive", "0007_search_hashtag_lexemes")]
    operations = [migrations.RunPython(add_pairs, remove_pairs)]
