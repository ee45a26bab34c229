"""A throwaway PostgreSQL primary and its hot standby (streaming replication), for the read
replica tests (tests/test_read_replicas.py) and bench/replicas.py.

Both are clusters of tests/pg_cluster.py in one temporary folder, each on its own Unix socket:
the primary is made by initdb, the standby by `pg_basebackup -R` from it (a copy of its files and
the settings to stream from it), so that everything written to the primary afterwards reaches
the standby by streaming replication alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg

from tests.pg_cluster import PG_BIN, _as_server_user, _initdb, start_server, stop_server

DATABASE = "archive"
USER = "postgres"


class Server:
    """One cluster: its files in `root`/data, its socket in `root`/sock."""

    def __init__(self, root: Path, settings: Sequence[str] = ()) -> None:
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sock"
        self.settings = list(settings)

    @property
    def url(self) -> str:
        return f"postgres://{USER}@/{DATABASE}?host={self.sockets}"

    def prepare_folders(self) -> None:
        self.sockets.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            for folder in (self.root, self.sockets):
                shutil.chown(folder, USER)
            self.root.chmod(0o755)

    def start(self) -> None:
        if (self.data / "postmaster.pid").exists():
            return  # running
        start_server(self.data, self.sockets, self.root / "server.log", self.settings)

    def stop(self) -> None:
        stop_server(self.data)

    def connect(self, dbname: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(host=str(self.sockets), user=USER, dbname=dbname, autocommit=True)

    def value(self, sql: str, params: Sequence = ()):
        with self.connect() as conn:
            return conn.execute(sql, params).fetchone()[0]


class ReplicatedPair:
    """A primary and a hot standby streaming from it."""

    def __init__(self, root: Path) -> None:
        # Full-page writes on: a base backup needs them (pg_cluster turns them off for speed).
        self.primary = Server(root / "primary", ["full_page_writes=on"])
        self.standby = Server(root / "standby", ["full_page_writes=on"])

    def start(self) -> None:
        self.primary.prepare_folders()
        _initdb(self.primary.data, USER)
        self.primary.start()
        with self.primary.connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        self.standby.prepare_folders()
        subprocess.run(
            _as_server_user(
                [
                    str(PG_BIN / "pg_basebackup"),
                    "-h",
                    str(self.primary.sockets),
                    "-U",
                    USER,
                    "-D",
                    str(self.standby.data),
                    "-R",  # standby.signal, and primary_conninfo pointing at the primary
                    "--checkpoint=fast",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self.standby.start()
        assert self.standby.value("SELECT pg_is_in_recovery()") is True

    def stop(self) -> None:
        self.standby.stop()
        self.primary.stop()

    def pause_replay(self) -> None:
        """The standby keeps receiving the primary's changes but applies none of them."""
        with self.standby.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            deadline = time.monotonic() + 30
            while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != (
                "paused"
            ):
                assert time.monotonic() < deadline, "the standby's replay did not pause"
                time.sleep(0.02)

    def resume_replay(self) -> None:
        with self.standby.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def catch_up(self, timeout: float = 60) -> None:
        """Wait until the standby has applied everything the primary wrote so far."""
        with self.primary.connect() as conn:
            # The throwaway clusters commit asynchronously: a commit may not be written yet. One
            # synchronous commit that wrote WAL (a transaction that wrote none commits
            # asynchronously whatever the setting) writes and flushes the WAL up to it, past
            # every earlier commit.
            conn.execute("SET synchronous_commit = on")
            conn.execute("SELECT pg_logical_emit_message(true, 'archive-tests', 'catch up')")
            target = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
        deadline = time.monotonic() + timeout
        while not self.standby.value("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
            assert time.monotonic() < deadline, "the standby did not catch up with the primary"
            time.sleep(0.05)


@contextlib.contextmanager
def replicated_pair() -> Iterator[ReplicatedPair]:
    """A started primary and standby in a temporary folder; stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="archive-replicas-"))
    root.chmod(0o755)  # the server's user reaches its folders inside
    pair = ReplicatedPair(root)
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()
        shutil.rmtree(root, ignore_errors=True)
