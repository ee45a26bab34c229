"""What writing search documents costs the PostgreSQL server, per document, by part.

    .venv/bin/python bench/pg_documents.py [posts] [corpus file]    # default 5000, dump_0003

Starts a throwaway cluster (tests/pg_cluster.py), migrates, prepares `posts` posts of a corpus
file as the importer does (languages, analysed columns, extra lexemes), loads those rows into a
staging table, then times on the server: building the documents (DOCUMENT_SQL), writing them
into a table like archive_searchdoc without and with its GIN index, and the ways the importer
can send a batch of 500 (one INSERT per row, or one INSERT ... SELECT FROM unnest). Prints the
best of three runs of each, in ms per document: the server's share of an import, which neither
the importer's nor the worker's CPU time shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main(argv: list[str]) -> None:
    from pg_cluster import PG_BIN, throwaway_cluster

    from archive.env import database_from_url

    posts = int(argv[0]) if argv else 5000
    corpus = Path(argv[1]) if len(argv) > 1 else ROOT / "bench/out/corpus/dump_0003.txt"
    if not corpus.exists():
        raise SystemExit(f"{corpus}: no such file (make bench writes the corpus)")
    with throwaway_cluster() as url:
        host = database_from_url(url, ROOT)["HOST"]
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", host, "-U", "postgres", "archive"], check=True
        )
        os.environ.update(
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="archive.settings",
            SECRET_KEY="benchmark-only-not-a-secret-key-never-in-production-0123456789",
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        measure(rows_of(corpus, posts))


def rows_of(corpus: Path, posts: int) -> list[tuple]:
    """(id, title, tags, commentary, body, extra) as postgres.writes.write_rows sends them."""
    from archive.importer.decode import open_dump
    from archive.importer.parse import parse_bulleted
    from archive.importer.prepare import inputs, prepare
    from archive.search.backends.base import IndexDocument
    from archive.search.backends.postgres.documents import extra_lexemes
    from archive.text import hashtag_key

    parsed = []
    for post in parse_bulleted(corpus, open_dump(corpus).lines()):
        parsed.append(post)
        if len(parsed) == posts:
            break
    prepared = []
    batch = inputs(parsed)
    for start in range(0, len(batch), 500):
        prepared += prepare(batch[start : start + 500])
    rows = []
    for n, (post, (_, _, title, tags, commentary, body)) in enumerate(
        zip(parsed, prepared, strict=True), start=1
    ):
        keys = tuple(dict.fromkeys(hashtag_key(t) for t in post.hashtags))
        document = IndexDocument(n, title, tags, commentary, body, tag_keys=keys)
        rows.append((n, title, tags, commentary, body, extra_lexemes(document)))
    words = sum(len(r[4].split()) for r in rows) / len(rows)
    print(f"{len(rows)} documents from {corpus.name}, {words:.0f} indexed words a body on average")
    return rows


def measure(rows: list[tuple]) -> None:
    from django.db import connection

    from archive.search.backends.postgres.documents import DOCUMENT_SQL

    n = len(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE s (id bigint, title text, tags text, commentary text,"
            " body text, extra text)"
        )
        with cursor.cursor.copy("COPY s FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            "CREATE TABLE docs (article_id bigint PRIMARY KEY, document tsvector NOT NULL)"
        )
        cursor.execute("ALTER TABLE docs ALTER COLUMN document SET STORAGE MAIN")

        def best(label: str, run, setup=None) -> None:
            times = []
            for _ in range(3):
                if setup:
                    setup()
                started = time.perf_counter()
                run()
                times.append(time.perf_counter() - started)
            print(f"{label:<58} {min(times) * 1000 / n:.3f} ms/document")

        def execute(sql: str, params=None):
            return lambda: cursor.execute(sql, params)

        def empty():
            cursor.execute("TRUNCATE docs")

        best("reading the staging rows", execute("SELECT count(*) FROM s WHERE body <> ''"))
        best(
            "to_tsvector of the body alone",
            execute("SELECT count(*) FROM s WHERE to_tsvector('simple', s.body) IS NOT NULL"),
        )
        best(
            "building whole documents (DOCUMENT_SQL)",
            execute(f"SELECT count(*) FROM s WHERE ({DOCUMENT_SQL}) IS NOT NULL"),
        )
        insert = f"INSERT INTO docs SELECT s.id, {DOCUMENT_SQL} FROM s"
        best("building and writing them, primary key, no GIN index", execute(insert), empty)
        cursor.execute("CREATE INDEX ON docs USING gin (document)")
        best("building and writing them, with the GIN index", execute(insert), empty)

        values = f"INSERT INTO docs (article_id, document) SELECT s.id, {DOCUMENT_SQL} FROM "
        one_row = values + "(SELECT %s, %s, %s, %s, %s, %s) AS s(id, title, tags, commentary,"
        one_row += " body, extra)"
        arrays = values + (
            "unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[])"
            " AS s(id, title, tags, commentary, body, extra)"
        )

        def batches(send):
            def run():
                for start in range(0, n, 500):
                    send(rows[start : start + 500])

            return run

        best(
            "sent by the client, 500 single-row INSERTs (executemany)",
            batches(lambda batch: cursor.executemany(one_row, batch)),
            empty,
        )

        def columns(batch):
            return [list(column) for column in zip(*batch, strict=True)]

        best(
            "sent by the client, one INSERT ... unnest per 500",
            batches(lambda batch: cursor.execute(arrays, columns(batch))),
            empty,
        )
        cursor.execute("DROP TABLE docs")
        cursor.execute("DROP TABLE s")


if __name__ == "__main__":
    main(sys.argv[1:])
