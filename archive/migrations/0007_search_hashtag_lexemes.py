"""PostgreSQL: every hashtag of an article becomes a lexeme "#<search key>" in its search document
(see postgres.DOCUMENT_SQL), so that a `#tag` in a search is found by the GIN index itself.

Existing documents get their hashtags' lexemes here, in SQL, without re-analysing any text; the
GIN index is dropped and built again around the update, which is faster than updating it row by
row (a few minutes at a million posts). SQLite's index does not change.
"""

from django.db import migrations

INDEX = "archive_searchdoc_document"
LEXEMES = (
    "SELECT ta.content_object_id AS article_id, array_agg(DISTINCT '#' || h.search_key) AS lexemes"
    " FROM archive_taggedarticle ta JOIN archive_hashtag h ON h.id = ta.tag_id GROUP BY 1"
)


def _rewrite(schema_editor, expression: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(
        f"UPDATE archive_searchdoc d SET document = {expression} FROM ({LEXEMES}) t "
        "WHERE t.article_id = d.article_id"
    )
    schema_editor.execute(f"CREATE INDEX {INDEX} ON archive_searchdoc USING gin (document)")


def add_lexemes(apps, schema_editor):
    _rewrite(schema_editor, "d.document || array_to_tsvector(t.lexemes)")


def remove_lexemes(apps, schema_editor):
    _rewrite(schema_editor, "ts_delete(d.document, t.lexemes)")


class Migration(migrations.Migration):
    dependencies = [("archive", "0006_search_documents_inline")]
    operations = [migrations.RunPython(add_lexemes, remove_lexemes)]
