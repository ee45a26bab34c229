"""Run a command against a throwaway PostgreSQL cluster.

    python tests/pg_cluster.py pytest -q

initdb into a temporary folder, start the server on a Unix socket only (no TCP port), export
DATABASE_URL for the command, then stop the server and delete everything. Run as root, the
server runs as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def throwaway_cluster(settings: Sequence[str] = ()) -> Iterator[str]:
    """Yield a DATABASE_URL for a fresh cluster; stop and remove it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="archive-pg-"))
    try:
        with cluster_at(root, settings) as url:
            yield url
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def cluster_at(root: Path, settings: Sequence[str] = ()) -> Iterator[str]:
    """Start the cluster kept in `root` (created there first if there is none); yield its
    DATABASE_URL; stop it afterwards, keeping its files (bench/run.py --keep and --reuse).
    `settings` are server settings for this start ("shared_buffers=2GB")."""
    data, sockets = root / "data", root / "sock"
    root.mkdir(parents=True, exist_ok=True)
    sockets.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        root.chmod(0o755)
    user = "postgres"
    try:
        if not (data / "PG_VERSION").exists():
            _initdb(data, user)
        start_server(data, sockets, root / "server.log", settings)
        yield f"postgres://{user}@/archive?host={sockets}"
    finally:
        stop_server(data)


# Fast and throwaway: no fsync, a Unix socket only.
SERVER_OPTIONS = (
    "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=50"
)


def start_server(data: Path, sockets: Path, log: Path, settings: Sequence[str] = ()) -> None:
    """Start the server of the cluster in `data`, listening on a socket in `sockets`."""
    options = f"-k {sockets} {SERVER_OPTIONS}" + "".join(f" -c {s}" for s in settings)
    subprocess.run(
        _as_server_user(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def stop_server(data: Path) -> None:
    """Stop the server of the cluster in `data`, if it runs."""
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def _initdb(data: Path, user: str) -> None:
    subprocess.run(
        _as_server_user(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with throwaway_cluster() as url:
        print(f"PostgreSQL test cluster: {url}", flush=True)
        env = dict(os.environ, DATABASE_URL=url)
        # Create the main database too, so `manage.py` commands work against this cluster.
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", url.split("host=")[1], "-U", "postgres", "archive"],
            check=True,
        )
        return subprocess.run(argv, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
