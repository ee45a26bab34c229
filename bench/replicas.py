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

After the import, VACUUM ANALYZE on the primary (what autovacuum does in time), so that both
servers read from the same settled tables: its visibility map and statistics reach the standby
through the WAL.

It prints the import's CPU on each server (the primary's writing, the standby's replay),
requests/s, latencies and errors; the transactions each server answered during the run
(pg_stat_database), which shows where the reads went; and the CPU time per request of gunicorn,
of the primary and of the standby (from /proc: the server processes' own and their children's),
which on a shared machine varies less than requests/s and says what each tier would need on
machines of its own. The two set-ups alternate, `--rounds` times, so that the machine's changing
load falls on both. Figures only: nothing fails on a time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from corpus import ensure_corpus  # noqa: E402
from run import (  # noqa: E402
    _free_port,
    _parse_wrk,
    _wait_for_port,
    django_env,
    machine,
    run_child,
    run_import,
)

from tests.pg_replication import Server, replicated_pair  # noqa: E402

LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def transactions(server: Server) -> int:
    return server.value(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'archive'"
    )


TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()  # after the command name


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process, of its children now alive, and of those it has waited for."""
    fields = _stat(pid)
    ticks = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                child = _stat(int(entry.name))
                if int(child[1]) == pid:  # ppid
                    ticks += int(child[11]) + int(child[12])
    return ticks / TICKS


def server_pid(server: Server) -> int:
    return int((server.data / "postmaster.pid").read_text().split()[0])


@contextlib.contextmanager
def gunicorn(url: str, workers: int, env: dict, log: Path):
    """gunicorn on a free loopback port; yields (port, pid)."""
    port = _free_port()
    with open(log, "a") as errors:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "archive.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=BENCH.parent,
            env=django_env(url) | env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            _wait_for_port(port)
            yield port, server.pid
        finally:
            server.terminate()
            server.wait(timeout=30)


def wrk(port: int, script: str, seconds: int, connections: int) -> str:
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
            script,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    return done.stdout


def measure(pair, url: str, replica_env: dict, paths: list[str], page_cache: bool, args) -> dict:
    env = {**replica_env, "ARCHIVE_PAGE_CACHE_SECONDS": "300" if page_cache else "0"}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(json.dumps(p) for p in paths))
        script.write((BENCH / "wrk_report.lua").read_text())
    servers = {"primary": pair.primary, "standby": pair.standby}
    try:
        with gunicorn(url, args.workers, env, BENCH / "out" / "replicas-gunicorn.log") as (
            port,
            pid,
        ):
            wrk(port, script.name, 5, args.connections)  # warm-up: caches, connections
            time.sleep(1.5)  # backends report their statistics at most every second
            xacts = {name: transactions(server) for name, server in servers.items()}
            cpu = {name: tree_cpu_seconds(server_pid(s)) for name, s in servers.items()}
            cpu["gunicorn"] = tree_cpu_seconds(pid)
            load_before = os.getloadavg()[0]
            figures = _parse_wrk(wrk(port, script.name, args.seconds, args.connections))
            cpu = {
                name: tree_cpu_seconds(pid) - cpu[name]
                if name == "gunicorn"
                else tree_cpu_seconds(server_pid(servers[name])) - cpu[name]
                for name in cpu
            }
            time.sleep(1.5)
            xacts = {name: transactions(s) - xacts[name] for name, s in servers.items()}
    finally:
        Path(script.name).unlink()
    requests = max(1, figures.get("requests", 0))
    figures["transactions"] = xacts
    figures["cpu_ms_per_request"] = {k: round(v * 1000 / requests, 2) for k, v in cpu.items()}
    figures["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the set-ups")
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
        servers = {"primary": pair.primary, "standby": pair.standby}
        before = {name: tree_cpu_seconds(server_pid(s)) for name, s in servers.items()}
        imported = run_import(url, files, args.posts)
        pair.catch_up(timeout=600)
        # What the import cost each server: the primary's writes, the standby's replay.
        imported["server_cpu_ms_per_post"] = {
            name: round((tree_cpu_seconds(server_pid(s)) - before[name]) * 1000 / args.posts, 3)
            for name, s in servers.items()
        }
        print(f"import: {json.dumps(imported)}", flush=True)
        pages = run_child("pages_setup.py", url)["paths"]
        with pair.primary.connect() as conn:
            conn.execute("VACUUM ANALYZE")
        pair.catch_up(timeout=600)
        page_paths = [pages["home"], pages["tag"], pages["article"]]
        search_paths = [f"/search/?q={quote(q)}" for qs in queries.values() for q in qs]
        loads = {
            "rendered pages": (page_paths, False),
            "search": (search_paths, True),
            "cached pages": (page_paths, True),
        }
        setups = {
            "0 replicas": {},
            "1 replica": {"DATABASE_REPLICA_URLS": pair.standby.url},
        }
        results = {
            "machine": machine(),
            "command": " ".join(["bench/replicas.py", *argv]),
            "posts": args.posts,
            "gunicorn_workers": args.workers,
            "connections": args.connections,
            "seconds": args.seconds,
            "import": imported,
            "runs": {load: {setup: [] for setup in setups} for load in loads},
        }
        for load, (paths, page_cache) in loads.items():
            for _ in range(args.rounds):
                for setup, replica_env in setups.items():
                    figures = measure(pair, url, replica_env, paths, page_cache, args)
                    results["runs"][load][setup].append(figures)
                    print(f"{load}, {setup}: {json.dumps(figures)}", flush=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"replicas-{stamp}.json").write_text(json.dumps(results, indent=2))
    print_table(results)
    return 0


def _range(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


def print_table(results: dict) -> None:
    print(
        "\n| load | set-up | req/s | p95 ms | errors | reads on the standby "
        "| CPU ms/request: gunicorn, primary, standby |"
    )
    print("|---|---|---|---|---|---|---|")
    for load, setups in results["runs"].items():
        for setup, runs in setups.items():
            xacts = [r["transactions"] for r in runs]
            standby = sum(x["standby"] for x in xacts) / max(1, sum(sum(x.values()) for x in xacts))
            cpu = [
                _range([r["cpu_ms_per_request"][part] for r in runs])
                for part in ("gunicorn", "primary", "standby")
            ]
            print(
                f"| {load} | {setup} | {_range([r['requests_per_second'] for r in runs])} | "
                f"{_range([r['p95_ms'] for r in runs])} | {sum(r['errors'] for r in runs)} | "
                f"{standby:.0%} | {', '.join(cpu)} |"
            )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
