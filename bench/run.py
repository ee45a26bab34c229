"""The benchmark suite: import, search and page figures on SQLite and PostgreSQL.

    make bench                                   # 100,000 posts, both databases, everything
    make bench BENCH_ARGS="--sizes 100000,1000000 --databases sqlite --only import,search"

It prints figures and writes them to bench/out/results-<date>.json; it never passes or fails on a
timing. Each size imports a synthetic corpus (bench/corpus.py) into a fresh database: a SQLite
file under /tmp, or a throwaway PostgreSQL cluster (tests/pg_cluster.py). The import runs as
`manage.py import_dump` in a child process whose peak RSS is read from wait4(), then the same
files go into the bare engine (bench/bare_import.py). Search runs the corpus's query set warm,
end to end, and the same queries on the bare engine. Pages are served by gunicorn on 127.0.0.1
and loaded from a second process (wrk when installed, else bench/load.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from corpus import ensure_corpus  # noqa: E402

PY = sys.executable
PAGES = ("home", "tag", "article")


def django_env(database_url: str) -> dict:
    """Production-like settings (DEBUG off) that work on plain HTTP on the loopback."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-not-a-secret-key-never-in-production-0123456789",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ARCHIVE_PLAIN_STATIC": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DJANGO_SETTINGS_MODULE": "archive.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@contextlib.contextmanager
def database(
    kind: str,
    size: int,
    out: Path,
    *,
    keep: bool = False,
    reuse: bool = False,
    pg_settings: tuple[str, ...] | list[str] = (),
):
    """A fresh, migrated database; yields its DATABASE_URL.

    `keep` leaves the SQLite file or the PostgreSQL cluster in /tmp afterwards (stopped), `reuse`
    takes the one left there.
    """
    if kind == "sqlite":
        path = Path("/tmp") / f"archive-bench-{size}.sqlite3"
        url = f"sqlite:///{path}"
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        elif not path.exists():
            raise SystemExit(f"--reuse: {path} does not exist (run once with --keep)")
        _migrate(url)
        try:
            yield url
        finally:
            if not keep and not reuse:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif kind == "postgres":
        sys.path.insert(0, str(ROOT / "tests"))
        from pg_cluster import PG_BIN, cluster_at, throwaway_cluster

        from archive.env import database_from_url

        root = Path("/tmp") / f"archive-bench-pg-{size}"
        if reuse and not (root / "data").exists():
            raise SystemExit(f"--reuse: {root} does not exist (run once with --keep)")
        if keep and not reuse:
            shutil.rmtree(root, ignore_errors=True)
        with (
            cluster_at(root, pg_settings) if keep or reuse else throwaway_cluster(pg_settings)
        ) as url:
            if not reuse:
                host = database_from_url(url, ROOT)["HOST"]
                subprocess.run(
                    [str(PG_BIN / "createdb"), "-h", host, "-U", "postgres", "archive"], check=True
                )
            _migrate(url)
            yield url
    else:
        raise SystemExit(f"unknown database {kind!r} (sqlite, postgres)")


def _migrate(url: str) -> None:
    subprocess.run(
        [PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=django_env(url), check=True
    )


def run_import(url: str, files: list[Path], posts: int) -> dict:
    """Import every file in one `manage.py import_dump` child; wall time and its peak RSS."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [PY, "manage.py", "import_dump", "--no-progress", *map(str, files)],
        cwd=ROOT,
        env=django_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"import failed:\n{output[-3000:]}")
    return {
        "posts": posts,
        "files": len(files),
        "seconds": round(seconds, 1),
        "posts_per_second": round(posts / seconds),
        # Largest of the importer and its worker process (wait4 covers the children it reaped).
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # Linux reports kilobytes
        # CPU time of both processes (not of the PostgreSQL server): less sensitive than wall
        # time to other load on a shared machine.
        "cpu_ms_per_post": round((usage.ru_utime + usage.ru_stime) * 1000 / posts, 3),
        "summary": output.strip().splitlines()[-1],
    }


def run_child(script: str, url: str, *args: str) -> dict:
    """Run a bench/ script under Django against `url`; it prints one JSON object last."""
    done = subprocess.run(
        [PY, str(BENCH / script), *args],
        cwd=ROOT,
        env=django_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{script} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_pages(url: str, seconds: int, connections: int, out: Path) -> dict:
    """Each page loaded twice: rendered every time (page cache off), then from the page cache
    that serves anonymous readers (the same URL again and again: its best case)."""
    targets = run_child("pages_setup.py", url)
    if targets.get("skipped"):
        return targets
    results = {
        "server": "gunicorn, 2 sync workers, 127.0.0.1",
        "pages": {},
        "uncached": {},
        "tag_uses": targets.get("tag_uses"),
        "connections": connections,
    }
    for key, cache_seconds in (("uncached", "0"), ("pages", "300")):
        env = {"ARCHIVE_PAGE_CACHE_SECONDS": cache_seconds}
        with gunicorn(url, workers=2, log_path=out / "gunicorn.log", env=env) as port:
            for name in PAGES:
                path = targets["paths"][name]
                target = f"http://127.0.0.1:{port}{path}"
                results[key][name] = {"path": path, **_load(target, seconds, connections)}
    return results


@contextlib.contextmanager
def gunicorn(url: str, *, workers: int, log_path: Path, env: dict | None = None):
    """gunicorn serving the archive at `url` on a free loopback port; yields the port."""
    port = _free_port()
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [
                str(Path(PY).parent / "gunicorn"),
                "archive.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=django_env(url) | (env or {}),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait_for_port(port)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def _load(url: str, seconds: int, connections: int) -> dict:
    """Load one URL for `seconds` from a second process: wrk if installed, else bench/load.py."""
    wrk = shutil.which("wrk")
    # One warm-up second, then the measured run.
    subprocess.run([PY, str(BENCH / "load.py"), url, "1", "1"], capture_output=True, check=False)
    if wrk:
        done = subprocess.run(
            [
                wrk,
                "-t",
                "1",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "-s",
                str(BENCH / "wrk_report.lua"),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return _parse_wrk(done.stdout) | {"tool": "wrk"}
    done = subprocess.run(
        [PY, str(BENCH / "load.py"), url, str(seconds), str(connections)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout) | {"tool": "bench/load.py"}


def _parse_wrk(text: str) -> dict:
    figures: dict = {}
    for line in text.splitlines():
        if line.startswith("Requests/sec:"):
            figures["requests_per_second"] = round(float(line.split()[1]), 1)
        elif line.startswith("BENCH "):  # printed by bench/wrk_report.lua
            values = dict(item.split("=") for item in line.split()[1:])
            figures.update(
                {
                    "p50_ms": round(int(values["p50_us"]) / 1000, 1),
                    "p95_ms": round(int(values["p95_us"]) / 1000, 1),
                    "max_ms": round(int(values["max_us"]) / 1000, 1),
                    "requests": int(values["requests"]),
                    "errors": int(values["errors"]),
                }
            )
    return figures


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def machine() -> dict:
    mem = next(
        (line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0"
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem) / 1024 / 1024),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def print_tables(results: dict) -> None:
    print("\n## Import\n")
    print(
        "| posts | database | seconds | posts/s | peak RSS (MB) | CPU ms/post (importer)"
        " | search index (MB) | bare posts/s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for run in results["runs"]:
        if "import" in run:
            i = run["import"]
            bare_rate, ratio = _bare_import_columns(i)
            print(
                f"| {run['size']:,} | {run['database']} | {i['seconds']} | "
                f"{i['posts_per_second']:,} | {i['peak_rss_mb']} | "
                f"{i.get('cpu_ms_per_post', '')} | {i.get('index_mb', '')} | "
                f"{bare_rate} | {ratio} |"
            )
    print("\n## Search (ms, warm; end to end vs bare engine)\n")
    print(
        "| posts | database | class | p50 | p95 | max | bare p50 | bare p95 | ratio p50 | matches |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run in results["runs"]:
        for name, c in run.get("search", {}).get("classes", {}).items():
            print(
                f"| {run['size']:,} | {run['database']} | {name} | {c['p50']} | {c['p95']} | "
                f"{c['max']} | {c['bare_p50']} | {c['bare_p95']} | {c['ratio_p50']} | "
                f"{c['matches']} |"
            )
    print("\n## Pages\n")
    for run in results["runs"]:
        pages = run.get("pages")
        if not pages:
            continue
        if pages.get("skipped"):
            print(f"- {run['size']:,} {run['database']}: skipped: {pages['skipped']}")
            continue
        for name, p in pages["pages"].items():
            rendered = pages.get("uncached", {}).get(name, {})
            print(
                f"- {run['size']:,} {run['database']} {name} {p['path']}: "
                f"{p.get('requests_per_second')} req/s, p95 {p.get('p95_ms')} ms from the page "
                f"cache; {rendered.get('requests_per_second')} req/s, "
                f"p95 {rendered.get('p95_ms')} ms rendered every time ({p['tool']})"
            )


def _bare_import_columns(figures: dict) -> tuple[str, str]:
    """The bare engine's posts/s and the archive's over it; blank for results that have none."""
    bare = figures.get("bare")
    if not bare:
        return "", ""
    ratio = figures["posts_per_second"] / bare["posts_per_second"]
    return f"{bare['posts_per_second']:,}", f"{ratio:.2f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000", help="posts per run, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--only",
        default="import,search,pages",
        help="parts to report; every run imports into a fresh database anyway",
    )
    parser.add_argument("--repeat", type=int, default=10, help="timed runs of each query")
    parser.add_argument("--page-seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=4, help="concurrent page requests")
    parser.add_argument("--out", default=str(BENCH / "out"))
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the database (SQLite file, PostgreSQL cluster) in /tmp afterwards",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database kept by an earlier --keep run, without importing",
    )
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL server setting for the run, e.g. shared_buffers=4GB (repeatable)",
    )
    parser.add_argument(
        "--report",
        nargs="+",
        metavar="RESULTS_JSON",
        help="print the tables of earlier results files and stop",
    )
    args = parser.parse_args(argv)
    if args.report:
        runs = [run for name in args.report for run in json.loads(Path(name).read_text())["runs"]]
        print_tables({"runs": runs})
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": 'make bench BENCH_ARGS="' + " ".join(argv) + '"',
        "machine": machine(),
        "runs": [],
    }
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    result_file = out / f"results-{stamp}.json"
    for size in [int(s) for s in args.sizes.split(",")]:
        print(f"== corpus of {size:,} posts", flush=True)
        files, _ = ensure_corpus(out / "corpus", size)
        queries = out / "corpus" / "queries.json"
        for kind in args.databases.split(","):
            run = {"size": size, "database": kind}
            results["runs"].append(run)
            reuse = args.reuse
            if kind == "postgres" and args.pg_setting:
                run["postgres_settings"] = args.pg_setting
            with database(
                kind, size, out, keep=args.keep, reuse=reuse, pg_settings=args.pg_setting
            ) as url:
                if not reuse:
                    print(f"== {kind}: importing {size:,} posts", flush=True)
                    run["import"] = run_import(url, files, size)
                    run["import"].update(run_child("index_size.py", url))
                    print(json.dumps(run["import"]), flush=True)
                    if "import" in only:
                        print(f"== {kind}: the same files into the bare engine", flush=True)
                        bare = run_child("bare_import.py", url, kind, *map(str, files))
                        run["import"]["bare"] = bare
                        print(json.dumps(bare), flush=True)
                    result_file.write_text(json.dumps(results, indent=1, ensure_ascii=False))
                    if "import" not in only:
                        del run["import"]
                if "search" in only:
                    print(f"== {kind}: search", flush=True)
                    run["search"] = run_child("search.py", url, str(queries), str(args.repeat))
                    print(json.dumps(run["search"]["classes"]), flush=True)
                    result_file.write_text(json.dumps(results, indent=1, ensure_ascii=False))
                if "pages" in only:
                    print(f"== {kind}: pages", flush=True)
                    run["pages"] = run_pages(url, args.page_seconds, args.connections, out)
                    print(json.dumps(run["pages"]), flush=True)
            result_file.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print_tables(results)
    shown = result_file.relative_to(ROOT) if result_file.is_relative_to(ROOT) else result_file
    print(f"\nfigures written to {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
