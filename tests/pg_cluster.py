"""Run a command against a throwaway PostgreSQL cluster.

    python tests/pg_cluster.py pytest -q
    python tests/pg_cluster.py --pgbouncer pytest -q     # every connection through PgBouncer

initdb into a temporary folder, start the server on a Unix socket only (no TCP port), export
DATABASE_URL for the command, then stop the server and delete everything. Run as root, the
server runs as the `postgres` user, since PostgreSQL refuses to run as root (PgBouncer too).
With --pgbouncer, DATABASE_URL leads to a PgBouncer in transaction mode in front of the
cluster, with few server connections, so that clients share them (docs/scaling.md); the run
ends with a warning that the test database could not be dropped (PgBouncer still holds
connections to it), harmless since the cluster is removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
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


PGBOUNCER = os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer")
PGBOUNCER_PORT = 6432  # names its socket file; no TCP port is opened

PGBOUNCER_INI = """\
[databases]
* = host={server_sockets} port={server_port} user={user}

[pgbouncer]
unix_socket_dir = {root}
listen_port = {port}
auth_type = any
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
logfile = {root}/pgbouncer.log
pidfile = {root}/pgbouncer.pid
log_connections = 0
log_disconnections = 0
"""


@contextlib.contextmanager
def throwaway_pgbouncer(
    server_sockets: Path | str, port: int | str = 5432, pool_size: int = 2
) -> Iterator[str]:
    """PgBouncer in transaction mode in front of the server listening in `server_sockets`, on a
    socket only; yield the DATABASE_URL of its `archive` database (pool_mode=transaction for
    archive/env.py); stop it and remove its folder afterwards."""
    if not Path(PGBOUNCER).exists():
        raise RuntimeError(f"{PGBOUNCER} is missing: apt-get install pgbouncer (make pg-deps)")
    root = Path(tempfile.mkdtemp(prefix="archive-pgbouncer-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    ini = root / "pgbouncer.ini"
    ini.write_text(
        PGBOUNCER_INI.format(
            server_sockets=server_sockets,
            server_port=port,
            user="postgres",
            root=root,
            port=PGBOUNCER_PORT,
            pool_size=pool_size,
        )
    )
    # Its log goes to its file (read if it does not start), not to the test's output.
    process = subprocess.Popen(
        [PGBOUNCER, str(ini)],
        user="postgres" if os.geteuid() == 0 else None,  # it refuses to run as root
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        socket_file = root / f".s.PGSQL.{PGBOUNCER_PORT}"
        for _ in range(600):
            if socket_file.exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        if not socket_file.exists():
            log = root / "pgbouncer.log"
            raise RuntimeError(
                "PgBouncer did not start: " + (log.read_text() if log.exists() else "")
            )
        yield (
            f"postgres://postgres@/archive?host={root}&port={PGBOUNCER_PORT}&pool_mode=transaction"
        )
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    through_pgbouncer = argv[:1] == ["--pgbouncer"]
    argv = argv[1:] if through_pgbouncer else argv
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with throwaway_cluster() as url:
        print(f"PostgreSQL test cluster: {url}", flush=True)
        server_sockets = url.split("host=")[1]
        # Create the main database too, so `manage.py` commands work against this cluster.
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", server_sockets, "-U", "postgres", "archive"],
            check=True,
        )
        with contextlib.ExitStack() as stack:
            if through_pgbouncer:
                # Few enough that clients share them, enough for the tests that hold two
                # transactions open at once while the test's own one is open too.
                url = stack.enter_context(throwaway_pgbouncer(server_sockets, pool_size=4))
                print(f"Through PgBouncer (transaction mode): {url}", flush=True)
            env = dict(os.environ, DATABASE_URL=url)
            return subprocess.run(argv, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
