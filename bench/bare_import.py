"""The import's bare-engine baseline (run by bench/run.py after the archive's import, or alone):

    python bench/bare_import.py sqlite bench/out/corpus/dump_0000.txt
    DATABASE_URL=postgres://postgres@/archive?host=/tmp/… python bench/bare_import.py postgres FILE…

The same corpus files, through the simplest fast Python front end: each top-level post is its
title line, its URL line and the rest of its text up to the next post as one body (its replies
stay in it); no languages, stems, hashtags, replies of their own, revisions or staging. Posts go
500 to a transaction into a plain table and a full-text index:

- SQLite: a fresh file /tmp/archive-bench-bare-<posts>.sqlite3 (deleted afterwards), a posts
  table and an FTS5 table, by executemany;
- PostgreSQL: a fresh database `bare` in the cluster of DATABASE_URL (dropped afterwards), a
  posts table with a stored tsvector column ('simple', as bench/search.py's bare query) under a
  GIN index, by COPY.

Each file must give as many posts as bench/corpus.py wrote to it (else exit status 1).

Seconds cover reading the files and writing the posts (not creating the database, as the
archive's figure leaves out `migrate`). Prints one JSON object last.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import posts_written  # noqa: E402

BATCH_POSTS = 500
# A post's bullet, as archive/importer/parse.py's POST_RE reads it; replies' bullets are deeper.
POST_BULLETS = ("• ", "  • ")

Post = tuple[str, str, str]  # url, title, body


def read_posts(path: Path) -> Iterator[Post]:
    """The file's top-level posts, streaming: one post's lines in memory at a time."""
    title, lines = None, []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(POST_BULLETS):
                if title is not None:
                    yield _post(title, lines)
                title, lines = line.split("• ", 1)[1].strip(), []
            elif title is not None:
                lines.append(line.strip())
    if title is not None:
        yield _post(title, lines)


def _post(title: str, lines: list[str]) -> Post:
    url = lines[0] if lines else ""
    return url, title, "\n".join(lines[1:]).strip()


def counted(paths: list[Path], counts: dict[Path, int]) -> Iterator[Post]:
    """Every file's posts in turn, counting them per file into `counts`."""
    for path in paths:
        counts[path] = 0
        for post in read_posts(path):
            counts[path] += 1
            yield post


def batches(posts: Iterable[Post], size: int = BATCH_POSTS) -> Iterator[list[Post]]:
    iterator = iter(posts)
    while batch := list(islice(iterator, size)):
        yield batch


# What archive/env.py sets on every connection, and the page cache the archive's importer takes
# while importing (archive/importer/run.py, IMPORT_CACHE_KIB): the same storage settings.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA cache_size={-128 * 1024}",
)
# A plain FTS5 table, not an external-content one: it keeps its own copy of the text, as the
# archive's archive_search does (its text is in archive_article too), so both write the text
# twice and the ratio measures the front end rather than a storage choice.
SQLITE_SCHEMA = """
CREATE TABLE posts (id INTEGER PRIMARY KEY, url TEXT NOT NULL, title TEXT NOT NULL,
                    body TEXT NOT NULL);
CREATE VIRTUAL TABLE posts_search USING fts5(title, body,
                                             tokenize="unicode61 remove_diacritics 2");
"""


def load_sqlite(posts: Iterable[Post], path: Path) -> dict:
    _remove_sqlite(path)
    connection = sqlite3.connect(path)
    try:
        for pragma in SQLITE_PRAGMAS:
            connection.execute(pragma)
        connection.executescript(SQLITE_SCHEMA)
        started = time.perf_counter()
        last_id = 0
        for batch in batches(posts):
            rows = [(last_id + n, *post) for n, post in enumerate(batch, 1)]
            connection.executemany("INSERT INTO posts VALUES (?, ?, ?, ?)", rows)
            connection.executemany(
                "INSERT INTO posts_search (rowid, title, body) VALUES (?, ?, ?)",
                [(id_, title, body) for id_, _, title, body in rows],
            )
            connection.commit()
            last_id += len(batch)
        seconds = time.perf_counter() - started
    finally:
        connection.close()
        _remove_sqlite(path)
    return {
        "engine": "sqlite",
        "method": "executemany, 500 posts per transaction",
        "seconds": seconds,
    }


def sqlite_path(paths: list[Path]) -> Path:
    """Named by the corpus's size, as run.py names the archive's file; else by this process."""
    written = [posts_written(path) for path in paths]
    size = sum(written) if None not in written else f"pid{os.getpid()}"
    return Path("/tmp") / f"archive-bench-bare-{size}.sqlite3"


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


BARE_DATABASE = "bare"
# The index exists before the load, as the archive's does.
POSTGRES_SCHEMA = (
    "CREATE TABLE posts (id bigserial PRIMARY KEY, url text NOT NULL, title text NOT NULL, "
    "body text NOT NULL, document tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', title || ' ' || body)) STORED)",
    "CREATE INDEX posts_document ON posts USING gin (document)",
)


def load_postgres(posts: Iterable[Post], cluster_url: str) -> dict:
    def recreate(create: bool) -> None:
        # From the database the URL names (the archive's): `bare` cannot drop itself.
        with psycopg.connect(cluster_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BARE_DATABASE}")
            if create:
                admin.execute(f"CREATE DATABASE {BARE_DATABASE}")

    recreate(create=True)
    try:
        with psycopg.connect(make_conninfo(cluster_url, dbname=BARE_DATABASE)) as connection:
            for statement in POSTGRES_SCHEMA:
                connection.execute(statement)
            connection.commit()
            started = time.perf_counter()
            for batch in batches(posts):
                # COPY rather than executemany (pipelined INSERTs): as fast or faster on 20,000
                # posts (6.96-9.9 s against 9.62-11.75 s: the server's to_tsvector and GIN
                # updates dominate), with half this process's CPU (0.029 ms/post against 0.048).
                with (
                    connection.cursor() as cursor,
                    cursor.copy("COPY posts (url, title, body) FROM STDIN") as copy,
                ):
                    for post in batch:
                        copy.write_row(post)
                connection.commit()
            seconds = time.perf_counter() - started
    finally:
        recreate(create=False)
    return {
        "engine": "postgres",
        "method": "COPY, 500 posts per transaction",
        "seconds": seconds,
        "cpu_note": "this script's CPU only, not the PostgreSQL server's",
    }


def check_counts(counts: dict[Path, int]) -> None:
    """Each file must give as many posts as bench/corpus.py wrote to it, and some."""
    for path, found in counts.items():
        if not found:
            raise SystemExit(f"{path}: no post (not a bulleted dump?)")
        written = posts_written(path)
        if written is not None and found != written:
            raise SystemExit(f"{path}: {found} posts read, {written} written by bench/corpus.py")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("sqlite", "postgres"):
        print(__doc__, file=sys.stderr)
        return 2
    engine, paths = argv[0], [Path(name) for name in argv[1:]]
    counts: dict[Path, int] = {}
    posts_read = counted(paths, counts)
    if engine == "sqlite":
        figures = load_sqlite(posts_read, sqlite_path(paths))
    else:
        figures = load_postgres(posts_read, os.environ["DATABASE_URL"])
    check_counts(counts)
    posts = sum(counts.values())
    usage = resource.getrusage(resource.RUSAGE_SELF)  # the whole process, as the archive's
    seconds = figures.pop("seconds")
    print(
        json.dumps(
            {
                **figures,
                "posts": posts,
                "files": len(paths),
                "seconds": round(seconds, 2),
                "posts_per_second": round(posts / seconds),
                "cpu_ms_per_post": round((usage.ru_utime + usage.ru_stime) * 1000 / posts, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
