"""Using the archive while an import runs, and two imports of the same file at once.

Real processes on a real database of the suite's kind (tests/dbprocs.py): on SQLite, WAL mode
lets readers go on while the import writes; on PostgreSQL, MVCC does. Two imports are serialized
(SQLite's write lock, PostgreSQL's advisory lock taken by the importer), so the second finds the
posts of the first: no duplicate, no loss, no IntegrityError.
"""

from __future__ import annotations

import json
import time

from tests.base import SEENTHIS_DUMP
from tests.dbprocs import fresh_database, manage, snapshot, start_manage, start_reader
from tests.dumpgen import write_bulleted

POSTS = 2500


def test_search_and_pages_keep_working_during_an_import(tmp_path):
    big = write_bulleted(tmp_path / "big.txt", POSTS, seed=3)
    stop = tmp_path / "stop"
    with fresh_database(tmp_path) as url:
        manage(url, "import_dump", "--no-progress", str(SEENTHIS_DUMP), check=True)
        reader = start_reader(url, stop)
        try:
            assert reader.stdout.readline().strip() == "ready", reader.stderr.read()
            importer = start_manage(url, "import_dump", "--no-progress", str(big))
            started = time.monotonic()
            # The import holds the write lock from its first batch until it commits; the file's
            # posts appear only then. Until they do, the reader must keep getting answers.
            while importer.poll() is None:
                time.sleep(0.01)
            finished = time.monotonic()
            out, err = importer.communicate(timeout=180)
        finally:
            stop.touch()
        report, reader_err = reader.communicate(timeout=60)
        assert importer.returncode == 0, err
        assert f"{POSTS} new" in out
        result = json.loads(report.strip().splitlines()[-1])
        assert result["error_count"] == 0, result["errors"]
        assert "database is locked" not in reader_err
        # Whole rounds of searches and pages answered while the import ran: the reader was
        # never made to wait for the writer, whatever the speed of the machine.
        during = [(a, b) for a, b in result["rounds"] if started <= a and b <= finished]
        assert len(during) >= 3, (len(result["rounds"]), finished - started)
        # And each round was answered in a small share of the import's time, not after it.
        longest = max(b - a for a, b in during)
        assert longest < (finished - started) / 2, (longest, finished - started)


def test_two_imports_of_the_same_file_at_once(tmp_path):
    big = write_bulleted(tmp_path / "big.txt", POSTS // 2, seed=5)
    with fresh_database(tmp_path) as url:
        manage(url, "import_dump", "--no-progress", str(SEENTHIS_DUMP), check=True)
        first = start_manage(url, "import_dump", "--no-progress", str(big))
        second = start_manage(url, "import_dump", "--no-progress", str(big))
        outputs = [proc.communicate(timeout=240) for proc in (first, second)]
        for proc, (_, err) in zip((first, second), outputs, strict=True):
            assert proc.returncode == 0, err
            assert "Traceback" not in err and "IntegrityError" not in err, err
        reports = sorted(out.splitlines()[0].split(": ", 1)[1] for out, _ in outputs)
        posts = POSTS // 2
        # One did the work, the other found every post already there.
        assert reports == [
            f"bulleted, 0 new, 0 updated, {posts} unchanged, 0 replies",
            f"bulleted, {posts} new, 0 updated, 0 unchanged, {posts // 5} replies",
        ]
        after = snapshot(url)
        assert after["Article"][0] == 15 + posts
        assert after["Commentary"][0] == 2 + posts // 5
        # Importing it a third time changes nothing.
        manage(url, "import_dump", "--no-progress", str(big), check=True)
        assert snapshot(url) == after
