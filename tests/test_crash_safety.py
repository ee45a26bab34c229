"""An import killed in the middle (SIGKILL: no clean-up runs) leaves the archive exactly as
readers saw it; the next import (or `discard_unfinished_imports`) deletes what it left, and running
it again imports the file completely. An upload whose task worker is killed is shown stopped, and
can be uploaded again.

Runs on the database the suite runs on (DATABASE_URL): a fresh SQLite file, or a fresh database
on the same PostgreSQL server, since the import runs as a separate process (see tests/dbprocs.py).
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

from tests.base import SEENTHIS_DUMP
from tests.dbprocs import fresh_database, is_postgres, manage, run_here, snapshot, start_manage
from tests.dumpgen import write_bulleted

POSTS = 4000
KILL_AFTER = 2000  # posts parsed; with two batches in the worker, two are written by then


def _wait_for_progress(master: int, proc, at_least: int, timeout: float = 90) -> int:
    """Read the progress bar (drawn on a terminal) until it shows `at_least` posts."""
    deadline = time.monotonic() + timeout
    seen, text = 0, ""
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            continue
        try:
            text += os.read(master, 4096).decode("utf-8", "replace")
        except OSError:
            break
        counts = re.findall(r"([\d,]+) posts", text)
        if counts:
            seen = int(counts[-1].replace(",", ""))
            if seen >= at_least:
                return seen
        text = text[-200:]
    raise AssertionError(
        f"the import never got to {at_least} posts (saw {seen}); "
        f"exit code {proc.poll()}, output {text!r}"
    )


def _import_transaction_is_open(url: str) -> bool:
    """PostgreSQL: the import holds its lock, so its transaction is open and writing."""
    from tests.dbprocs import pg_connect

    name = urlsplit(url).path.lstrip("/")
    with pg_connect(url, name) as conn:
        (held,) = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = %s",
            [name],
        ).fetchone()
        return held > 0


def _sqlite_articles_hidden(url: str, timeout: float = 60) -> int:
    """SQLite: wait until the import has committed articles it has not published (staging.py);
    how many."""
    deadline = time.monotonic() + timeout
    db = sqlite3.connect(_sqlite_path(url), timeout=30, isolation_level=None)
    try:
        while time.monotonic() < deadline:
            (hidden,) = db.execute(
                "SELECT count(*) FROM archive_article a WHERE EXISTS (SELECT 1 FROM "
                "archive_unpublishedarticles u WHERE a.id BETWEEN u.first_id AND u.last_id)"
            ).fetchone()
            if hidden:
                return hidden
            time.sleep(0.05)
    finally:
        db.close()
    raise AssertionError("the import wrote no hidden article")


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _children(pid: int) -> dict[int, bytes]:
    """Child processes of `pid` and their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = command
    return found


def _gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_killed_import_changes_nothing_and_a_rerun_completes(tmp_path, monkeypatch):
    # Every import here prepares posts in its worker process, as large imports do.
    monkeypatch.setenv("ARCHIVE_IMPORT_WORKER_BYTES", "0")
    big = write_bulleted(tmp_path / "big.txt", POSTS, seed=7)
    with fresh_database(tmp_path) as url:
        manage(url, "import_dump", "--no-progress", str(SEENTHIS_DUMP), check=True)
        before = snapshot(url)
        assert before["Article"][0] == 15

        master, slave = pty.openpty()  # a terminal, so that the command draws its progress bar
        try:
            proc = start_manage(url, "import_dump", str(big), stderr=slave)
            os.close(slave)
            posts = _wait_for_progress(master, proc, KILL_AFTER)
            assert proc.poll() is None, "the import finished before it could be killed"
            assert posts < POSTS
            if is_postgres(url):
                assert _import_transaction_is_open(url)
            else:
                assert _sqlite_articles_hidden(url) > 0
            workers = [pid for pid, cmd in _children(proc.pid).items() if b"importer.worker" in cmd]
            assert len(workers) == 1, "the import runs without its worker process"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            # Its worker sees its input close and stops too: nothing is left running.
            assert _gone(workers[0])
            proc.stdout.close()
        finally:
            os.close(master)
        assert proc.returncode == -signal.SIGKILL

        # Readers see exactly what they saw: same articles and commentary, same content, same
        # search results (on SQLite the hashtag uses and the unused hashtags the import made stay
        # stored until the clean-up below: no reader reaches them but through their articles).
        killed = snapshot(url)
        seen = ["Article", "Commentary", "search:surveillance"]
        assert {k: killed[k] for k in seen} == {k: before[k] for k in seen}
        if not is_postgres(url):
            with sqlite3.connect(_sqlite_path(url)) as db:
                assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            # What it wrote is deleted at the next start (the server's, or the next import's).
            cleaned = manage(url, "discard_unfinished_imports", check=True)
            assert not cleaned.stdout.startswith("0 "), cleaned.stdout
        # Exactly as before: every stored row too.
        assert snapshot(url) == before

        done = manage(url, "import_dump", "--no-progress", str(big), timeout=180)
        assert done.returncode == 0, done.stderr
        assert f"{POSTS} new, 0 updated, 0 unchanged, {POSTS // 5} replies" in done.stdout
        after = snapshot(url)
        assert after["Article"][0] == 15 + POSTS
        assert after["Commentary"][0] == before["Commentary"][0] + POSTS // 5
        assert after["search:surveillance"] > before["search:surveillance"]
        # The articles of the first import are untouched.
        again = manage(url, "import_dump", "--no-progress", str(SEENTHIS_DUMP), check=True)
        assert "0 new, 0 updated, 15 unchanged" in again.stdout


def _progress_posts(path: Path, proc, at_least: int, timeout: float = 90) -> int:
    """Read an upload's progress file (what its page shows) until it counts `at_least` posts."""
    deadline = time.monotonic() + timeout
    posts = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            posts = json.loads(path.read_text()).get("posts", 0)
        except (OSError, ValueError):
            posts = 0
        if posts >= at_least:
            return posts
        time.sleep(0.05)
    raise AssertionError(f"the upload never got to {at_least} posts (saw {posts})")


def test_an_upload_whose_worker_is_killed_is_shown_stopped_and_can_be_sent_again(
    tmp_path, monkeypatch
):
    """The task worker importing an upload is killed: nothing could mark the import stopped,
    so the next look at it does (archive/processes.py), in the curator's language, and its
    stored files are deleted; the archive is as it was, and the same file uploaded again is
    imported completely."""
    monkeypatch.setenv("ARCHIVE_IMPORT_WORKER_BYTES", "0")
    uploads = tmp_path / "uploads"
    monkeypatch.setenv("ARCHIVE_UPLOAD_DIR", str(uploads))
    big = write_bulleted(tmp_path / "big.txt", POSTS, seed=11)
    with fresh_database(tmp_path) as url:
        manage(url, "import_dump", "--no-progress", str(SEENTHIS_DUMP), check=True)
        before = snapshot(url)
        sent = run_here(url, "upload", str(big))
        worker = start_manage(
            url, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"
        )
        try:
            _progress_posts(uploads / sent["folder"] / "progress.json", worker, KILL_AFTER)
            running = run_here(url, "import-pages", str(sent["run"]))
            assert running["status"]["status"] == "running"
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.stdout.close()
            worker.stderr.close()

        seen = run_here(url, "import-pages", str(sent["run"]))
        assert seen["status"]["status"] == "failed" and seen["status"]["over"]
        for page in ("page:en", "history:en"):
            assert (
                "its process ended before the import did (it was stopped or crashed)"
                in (seen[page])
            ), seen[page][:3000]
        for page in ("page:fr", "history:fr"):
            assert "son processus s’est arrêté avant la fin de l’import" in seen[page], seen[page][
                :3000
            ]
        assert not (uploads / sent["folder"]).exists()  # its stored files are deleted
        if not is_postgres(url):
            manage(url, "discard_unfinished_imports", check=True)
        assert snapshot(url) == before

        again = run_here(url, "upload", str(big))
        manage(
            url,
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            check=True,
            timeout=180,
        )
        done = run_here(url, "import-pages", str(again["run"]))
        assert done["status"]["status"] == "done", done["page:en"][:3000]
        assert snapshot(url)["Article"][0] == before["Article"][0] + POSTS
