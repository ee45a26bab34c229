"""The search's sort by date: what dating a query's counted matches costs (SearchBackend.by_date).

    .venv/bin/python bench/date_sort.py                          # SQLite and PostgreSQL
    .venv/bin/python bench/date_sort.py --databases sqlite --articles 100000 --repeat 20

For each database (a fresh one: bench/run.py's), it writes `articles` rows straight into the
article table (about 1.5 KB of paragraphs each, a tenth with a publication date), then times
dating ARCHIVE_SEARCH_COUNT_LIMIT (10,000) random ids, and 1,000, as a query's matches: the
most a sort by date ever dates. Prints one JSON object per database; never passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import database, django_env  # noqa: E402

WORDS = "surveillance crédit social notation données caméra algorithme contrôle ville".split()


def child(articles: int, repeat: int) -> dict:
    import django

    django.setup()
    from datetime import UTC, date, datetime, timedelta

    from django.db import connection

    from archive.importer.rows import insert_rows
    from archive.models import sort_date_for
    from archive.search.backends import get_backend

    rng = random.Random(7)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    adapt = connection.ops.adapt_datetimefield_value
    columns = ["id", "title", "url", "attribution", "paragraphs", "language", "links",
               "mentions", "external_key", "content_hash", "source_file",
               "curator_comments_split", "curator_fields", "created", "updated", "published",
               "sort_date"]  # fmt: skip
    for first in range(1, articles + 1, 5000):
        rows = []
        for pk in range(first, min(first + 5000, articles + 1)):
            created = start + timedelta(minutes=pk)
            published = date(2010, 1, 1) + timedelta(days=rng.randrange(4000))
            published = published if pk % 10 == 0 else None
            text = " ".join(rng.choice(WORDS) for _ in range(180))
            paragraphs = json.dumps([{"text": text, "lang": "fr"}] * 1)
            rows.append((pk, f"Article {pk}", "", "", paragraphs, "fr", "[]", "[]", f"k{pk}",
                         "", "", "{}", "[]", adapt(created), adapt(created),
                         connection.ops.adapt_datefield_value(published),
                         adapt(sort_date_for(published, created))))  # fmt: skip
        insert_rows("archive_article", columns, rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "postgresql":  # as autovacuum leaves a table at rest
            cursor.execute("VACUUM ANALYZE archive_article")
    figures = {"vendor": connection.vendor, "articles": articles}
    variants = {"by_date": get_backend().by_date}
    for size in (10_000, 1_000):
        times = {name: [] for name in variants}
        for _ in range(repeat):
            ids = sorted(rng.sample(range(1, articles + 1), size), reverse=True)
            for name, run in variants.items():  # interleaved: the same load for each
                began = time.perf_counter()
                run(ids, newest_first=True)
                times[name].append((time.perf_counter() - began) * 1000)
        for name, values in times.items():
            values.sort()
            figures[f"{name}_{size}_matches_ms"] = {
                "median": round(statistics.median(values), 1),
                "p95": round(values[min(len(values) - 1, round(0.95 * (len(values) - 1)))], 1),
            }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.articles, args.repeat)))
        return 0
    for kind in args.databases.split(","):
        with database(kind, args.articles, Path("/tmp")) as url:
            done = subprocess.run(
                [sys.executable, __file__, "--child", "--articles", str(args.articles),
                 "--repeat", str(args.repeat)],
                env=django_env(url), capture_output=True, text=True, check=False,
            )  # fmt: skip
            print(done.stdout.strip() or done.stderr[-2000:])
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    raise SystemExit(main())
