"""In-process timing of pages rendered every time (no page cache), median of N requests.

    DATABASE_URL=sqlite:////tmp/archive-bench-1000000.sqlite3 ARCHIVE_PAGE_CACHE_SECONDS=0 \
        .venv/bin/python bench/render_timing.py [requests]

Read-only: GETs of the home page and two tag pages (the bench's tag and the most used hashtag)
through the whole middleware stack; wall and CPU time per request. With the page cache off, an
anonymous request runs the same view code as a curator's (never served from the page cache).
Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault(
    "SECRET_KEY", "benchmark-only-not-a-secret-key-never-in-production-0123456789"
)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("ARCHIVE_PLAIN_STATIC", "1")


def main() -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from archive.models import Hashtag, TaggedArticle

    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    middling = (
        Hashtag.objects.filter(pk__in=TaggedArticle.objects.values("tag_id")[:20000])
        .order_by("pk")[50:51]
        .first()
        or Hashtag.objects.order_by("pk").first()
    )  # as bench/pages_setup.py picks it
    top = Hashtag.objects.order_by("-usage_count").first()
    paths = {
        "home": "/",
        "home page 3": "/?page=3",
        f"tag (bench, {middling.usage_count} uses)": middling.get_absolute_url(),
        f"tag (top, {top.usage_count} uses)": top.get_absolute_url(),
    }
    client = Client()
    results = {}
    for name, path in paths.items():
        for _ in range(3):  # warm: connection, templates, caches
            assert client.get(path).status_code == 200, path
        times, cpu = [], []
        for _ in range(requests):
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        results[name] = {
            "median_ms": round(statistics.median(times), 2),
            "p90_ms": round(sorted(times)[int(len(times) * 0.9) - 1], 2),
            # CPU time of this process: what another job on the machine changes least.
            "median_cpu_ms": round(statistics.median(cpu), 2),
            "queries": len(queries),
        }
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
