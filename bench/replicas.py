"""Reading throughput with no read replica and with one, on this machine (docs/scaling.md).

    .venv/bin/python bench/replicas.py [--posts 100000] [--seconds 20] [--connections 4]
                                       [--workers 2]

Makes a PostgreSQL primary and a hot standby streaming from it (tests/pg_replication.py: two
throwaway clusters on Unix sockets), imports a corpus (bench/corpus.py) into the primary, waits
for the standby to replay it, then serves the archive with gunicorn twice: with DATABASE_URL
alone (0 replicas), then with DATABASE_REPLICA_URLS naming the standby (1 replica). Each time
wrk (Debian package) loads, for `seconds` each, on keep-alive connections from 127.0.0.1:

- rendered pages: the home page, a tag page and an article in turn, page cache off (what a
  curator, or a visitor after a write, costs; article cards are still kept per process);
- search: every query of the corpus's query set (every class), as the search page;
- cached pages: the same three pages from the page cache (anonymous readers' common case).

It prints requests/s, latencies and errors, and the transactions each server answered during the
run (pg_stat_database), which shows where the reads went. Figures only: nothing fails on a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from corpus import ensure_corpus  # noqa: E402
from run import _parse_wrk, django_env, gunicorn, machine, run_child, run_import  # noqa: E402

from tests.pg_replication import Server, replicated_pair  # noqa: E402

LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""
LOADS = ("rendered pages", "search", "cached pages")


def transactions(server: Server) -> int:
    return server.value(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'archive'"
    )


def load(port: int, paths: list[str], seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(json.dumps(p) for p in paths))
        script.write((BENCH / "wrk_report.lua").read_text())
    try:
        base = f"http://127.0.0.1:{port}"
        # Warm-up: every path once (cards, the search caches, connections), not measured.
        subprocess.run(
            ["wrk", "-t", "1", "-c", "1", "-d", "2s", "-s", script.name, base],
            capture_output=True,
            check=True,
        )
        done = subprocess.run(
            [
                "wrk",
                "-t",
                "1",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        )
    finally:
        Path(script.name).unlink()
    return _parse_wrk(done.stdout)


def measure(pair, base_url: str, replica_env: dict, mix: dict, args, out: Path) -> dict:
    results = {}
    for name in LOADS:
        env = {**replica_env, "ARCHIVE_PAGE_CACHE_SECONDS": "300"}
        if name == "rendered pages":
            env["ARCHIVE_PAGE_CACHE_SECONDS"] = "0"
        with gunicorn(
            base_url, workers=args.workers, log_path=out / "replicas.log", env=env
        ) as port:
            before = (transactions(pair.primary), transactions(pair.standby))
            figures = load(port, mix[name], args.seconds, args.connections)
            time.sleep(1.5)  # backends report their statistics at most every second
            after = (transactions(pair.primary), transactions(pair.standby))
        figures["transactions"] = {
            "primary": after[0] - before[0],
            "standby": after[1] - before[1],
        }
        results[name] = figures
        print(f"  {name}: {json.dumps(figures)}", flush=True)
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    files, queries = ensure_corpus(out / "corpus", args.posts)
    with replicated_pair() as pair:
        url = pair.primary.url
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=BENCH.parent,
            env=django_env(url),
            check=True,
        )
        imported = run_import(url, files, args.posts)
        print(f"import: {json.dumps(imported)}", flush=True)
        pair.catch_up(timeout=600)
        pages = run_child("pages_setup.py", url)["paths"]
        page_paths = [pages["home"], pages["tag"], pages["article"]]
        search_paths = [f"/search/?q={quote(q)}" for qs in queries.values() for q in qs]
        mix = {
            "rendered pages": page_paths,
            "search": search_paths,
            "cached pages": page_paths,
        }
        results = {
            "machine": machine(),
            "command": " ".join(["bench/replicas.py", *argv]),
            "posts": args.posts,
            "gunicorn_workers": args.workers,
            "connections": args.connections,
            "seconds": args.seconds,
            "import": imported,
        }
        for label, replica_env in (
            ("0 replicas", {}),
            ("1 replica", {"DATABASE_REPLICA_URLS": pair.standby.url}),
        ):
            print(label, flush=True)
            results[label] = measure(pair, url, replica_env, mix, args, out)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"replicas-{stamp}.json").write_text(json.dumps(results, indent=2))
    print(
        "\n| load | 0 replicas: req/s (p95 ms) | 1 replica: req/s (p95 ms) | reads on the standby |"
    )
    print("|---|---|---|---|")
    for name in LOADS:
        none, one = results["0 replicas"][name], results["1 replica"][name]
        share = one["transactions"]["standby"] / max(1, sum(one["transactions"].values()))
        print(
            f"| {name} | {none.get('requests_per_second')} ({none.get('p95_ms')}) | "
            f"{one.get('requests_per_second')} ({one.get('p95_ms')}) | {share:.0%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
