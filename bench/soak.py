"""A 60-second load test: many concurrent clients on the loopback, pages and searches mixed.

    .venv/bin/python bench/soak.py [--database sqlite|postgres] [--posts 10000] [--seconds 60]
                                   [--connections 32]

Imports a corpus (bench/corpus.py) into a fresh database, serves it with gunicorn on 127.0.0.1,
and sends a rotating mix of requests from wrk in a second process: the home page and its later
pages, tag pages, article pages, the search page and the search API with the corpus's query set
(every query class), feeds and the JSON API. It prints requests, errors (non-2xx/3xx answers and
socket errors), requests/s and latencies. Bounded in time; stops by itself.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from corpus import ensure_corpus  # noqa: E402
from run import (  # noqa: E402
    _parse_wrk,
    database,
    gunicorn,
    run_child,
    run_import,
)

LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def request_mix(url: str, queries: dict) -> list[str]:
    targets = run_child("pages_setup.py", url)
    paths = ["/", "/?page=2", "/tags/", "/feed/", "/api/articles/", "/api/tags/"]
    paths += [
        targets["paths"]["tag"],
        targets["paths"]["article"],
        targets["paths"]["tag"] + "?page=2",
        targets["paths"]["tag"] + "feed/",
    ]
    rng = random.Random(7)
    for _name, items in sorted(queries.items()):
        for query in items:
            paths.append(f"/search/?q={quote(query)}")
            paths.append(f"/api/search/?q={quote(query)}&page={rng.randint(1, 2)}")
    return paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    files, queries = ensure_corpus(out / "corpus", args.posts)
    with database(args.database, args.posts, out) as url:
        imported = run_import(url, files, args.posts)
        paths = request_mix(url, queries)
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(
            LUA % ", ".join(json.dumps(p) for p in paths) + (BENCH / "wrk_report.lua").read_text()
        )
        try:
            with gunicorn(url, workers=args.workers, log_path=out / "soak-gunicorn.log") as port:
                done = subprocess.run(
                    [
                        "wrk",
                        "-t",
                        "2",
                        "-c",
                        str(args.connections),
                        "-d",
                        f"{args.seconds}s",
                        "--timeout",
                        "10s",
                        "-s",
                        str(script),
                        f"http://127.0.0.1:{port}",
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=args.seconds + 60,
                )
        finally:
            script.unlink(missing_ok=True)
    figures = _parse_wrk(done.stdout)
    server_errors = (out / "soak-gunicorn.log").read_text().count("Traceback")
    result = {
        "database": args.database,
        "posts": args.posts,
        "seconds": args.seconds,
        "connections": args.connections,
        "gunicorn_workers": args.workers,
        "distinct_urls": len(paths),
        "import_posts_per_second": imported["posts_per_second"],
        **figures,
        "server_tracebacks": server_errors,
    }
    print(done.stdout)
    print(json.dumps(result, indent=2))
    return 0 if figures.get("errors", 1) == 0 and server_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
