"""A dump that changes while it is imported (still being written, or rewritten) is refused with a
message and nothing of it is kept; once complete, it imports whole.

The writer is a real process, and when it writes is decided by events, not by sleeping: either
the import is held at its lock (another connection holds it) once it has opened the file, seen
through inotify; or the import's progress callback runs the writer between two of its posts.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive.importer.decode import CHANGED
from archive.importer.lock import IMPORT_LOCK
from archive.importer.run import import_paths
from archive.models import Article
from tests.base import SEENTHIS_DUMP, run_import
from tests.dbprocs import (
    fresh_database,
    is_postgres,
    manage,
    pg_connect,
    snapshot,
    snapshot_here,
    start_manage,
)
from tests.dumpgen import write_bulleted

HALF_POST = "  • Le dernier article, encore en cours d’écri"
REST_OF_POST = "ture\n    https://example.org/last\n    Son texte, enfin complet.\n"
IN_OPEN = 0x20


class OpenWatch:
    """inotify: tells when a process opens a file."""

    def __init__(self, path: Path):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0 or libc.inotify_add_watch(self.fd, os.fsencode(path), IN_OPEN) < 0:
            raise OSError(ctypes.get_errno(), "inotify")

    def wait(self, timeout: float) -> bool:
        """Whether the file was opened (within `timeout` seconds: a bound for a failing test,
        not a wait for anything to happen)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            os.read(self.fd, 4096)
        return bool(ready)

    def close(self) -> None:
        os.close(self.fd)


@contextlib.contextmanager
def imports_held(url: str):
    """Another connection holds what an import waits for before it reads its file: the write
    lock (SQLite) or the import lock (PostgreSQL)."""
    if is_postgres(url):
        database = urlsplit(url).path.lstrip("/")
        with pg_connect(url, database) as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK])
            yield
            connection.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK])
        return
    connection = sqlite3.connect(urlsplit(url).path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def append(path: Path, text: str) -> None:
    """Another process writes to the dump."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; open(sys.argv[1], 'a', encoding='utf-8').write(sys.argv[2])",
            str(path),
            text,
        ],
        check=True,
    )


def test_a_dump_written_to_while_its_import_runs_is_refused(tmp_path):
    """The real command: it opens the dump, waits for the lock, and meanwhile the dump's last
    post is finished by its writer. Without the check, the import read a file other than the
    one it opened (before, a half-written last post)."""
    dump = write_bulleted(tmp_path / "growing.txt", 300, seed=9)
    with open(dump, "a", encoding="utf-8") as out:
        out.write(HALF_POST)
    with fresh_database(tmp_path) as url:
        manage(url, "import_dump", "--no-progress", str(SEENTHIS_DUMP), check=True)
        before = snapshot(url)
        watch = OpenWatch(dump)
        try:
            with imports_held(url):
                importer = start_manage(url, "import_dump", "--no-progress", str(dump))
                assert watch.wait(120), "the import never opened the dump"
                append(dump, REST_OF_POST)
            out, err = importer.communicate(timeout=300)
        finally:
            watch.close()
        assert importer.returncode != 0, out
        assert "Traceback" not in err, err
        assert f"error: {dump}: {CHANGED} (nothing from this file was kept)" in err
        assert snapshot(url) == before
        # Complete now: it imports whole, its last post too.
        done = manage(url, "import_dump", "--no-progress", str(dump), check=True)
        assert "301 new" in done.stdout


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("change", ["append", "rewrite"])
def test_a_dump_changed_between_two_of_its_posts_is_refused(tmp_path, change):
    """Between two posts of the import (its progress callback), a writer process appends half a
    post, or rewrites a title already read with the same number of bytes and puts the file's
    modification time back: either way, nothing of the file is kept."""
    run_import(SEENTHIS_DUMP)
    dump = write_bulleted(tmp_path / "changing.txt", 1200, seed=11)
    before = snapshot_here()
    original = dump.read_bytes()
    calls = []

    def progress(name, done, total, posts):
        if calls:
            return
        calls.append(posts)
        if change == "append":
            append(dump, HALF_POST)
        else:
            stat = dump.stat()
            rewritten = original.replace(b"Post 3:", b"Post 9:", 1)
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import sys; open(sys.argv[1], 'r+b').write(bytes.fromhex(sys.argv[2]))",
                    str(dump),
                    rewritten[:4096].hex(),
                ],
                check=True,
            )
            os.utime(dump, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    summary = import_paths([dump], progress=progress)
    assert calls and 0 < calls[0] < 1200  # the writer ran while the import was reading
    assert [str(e) for e in summary.errors] == [f"{dump}: {CHANGED}"]
    assert snapshot_here() == before
    assert not Article.objects.filter(source_file=str(dump)).exists()
