"""An import whose process ended without a word (killed, crashed, the machine restarted):
archive/processes.py tells on real processes, and the import screens and the next import mark
such a run stopped, in the curator's language, and delete its uploaded files. The real killed
worker is in tests/test_crash_safety.py."""

from __future__ import annotations

import subprocess
import sys

from django.test import override_settings

from archive import processes
from archive.models import ImportRun
from tests.base import PLAIN_DUMP, BaseTestCase, run_import, temporary_folder
from tests.dbprocs import PROJECT

NAMES_ITSELF = "from archive import processes; print(processes.current(), flush=True); input()"


def start_child() -> tuple[subprocess.Popen, str]:
    """A process that says its name, then waits for a line."""
    child = subprocess.Popen(
        [sys.executable, "-c", NAMES_ITSELF],
        cwd=PROJECT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return child, child.stdout.readline().strip()


def ended_process() -> str:
    child, name = start_child()
    child.kill()
    child.wait()
    child.stdout.close()
    child.stdin.close()
    return name


def with_parts(name: str, **changes: str) -> str:
    parts = dict(zip(("host", "boot", "namespace", "pid", "started"), name.split("|"), strict=True))
    return "|".join({**parts, **changes}.values())


def test_a_process_runs_until_it_ends_even_killed():
    child, name = start_child()
    try:
        assert name and processes.is_gone(name) is False
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        child.stdin.close()
    assert processes.is_gone(name) is True
    assert processes.is_gone(processes.current()) is False


def test_a_pid_used_again_is_another_process():
    me = processes.current()
    started = str(int(me.rsplit("|", 1)[1]) + 1)
    assert processes.is_gone(with_parts(me, started=started)) is True


def test_a_restarted_machine_runs_none_of_its_former_processes():
    assert processes.is_gone(with_parts(processes.current(), boot="another-boot")) is True


def test_a_process_it_cannot_see_is_never_taken_for_ended():
    me = processes.current()
    assert processes.is_gone(with_parts(me, host="another-machine")) is None
    assert processes.is_gone(with_parts(me, namespace="pid:[1]", pid="999999")) is None
    assert processes.is_gone("") is None
    assert processes.is_gone("not|a|name") is None


class RunsWhoseProcessEndedTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.uploads = temporary_folder(self)
        settings = override_settings(ARCHIVE_UPLOAD_DIR=self.uploads)
        settings.enable()
        self.addCleanup(settings.disable)
        self.client.force_login(self.alice)

    def running_upload(self, process: str) -> ImportRun:
        folder = self.uploads / "7"
        folder.mkdir()
        (folder / "1.txt").write_bytes(PLAIN_DUMP.read_bytes())
        return ImportRun.objects.create(
            source=ImportRun.Source.BROWSER,
            user=self.alice,
            who="alice",
            status=ImportRun.Status.RUNNING,
            files_total=1,
            upload_folder="7",
            uploaded=[{"name": "plain.txt", "stored": "1.txt"}],
            process=process,
        )

    def test_its_status_page_and_history_say_it_stopped_and_its_files_are_deleted(self):
        run = self.running_upload(ended_process())
        status = self.client.get(f"/imports/{run.pk}/status/").json()
        self.assertEqual((status["status"], status["over"]), ("failed", True))
        self.assertFalse((self.uploads / "7").exists())
        for page in (f"/imports/{run.pk}/", "/imports/"):
            self.assertContains(self.client.get(page), "its process ended before the import did")
            self.assertContains(
                self.client.get(page, HTTP_ACCEPT_LANGUAGE="fr"),
                "son processus s’est arrêté avant la fin de l’import",
            )

    def test_the_history_alone_finds_it(self):
        run = self.running_upload(ended_process())
        self.assertContains(self.client.get("/imports/"), "its process ended before the import did")
        run.refresh_from_db()
        self.assertEqual(run.status, ImportRun.Status.FAILED)

    def test_the_next_import_finds_it(self):
        run = self.running_upload(ended_process())
        run_import(PLAIN_DUMP)
        run.refresh_from_db()
        self.assertEqual(run.status, ImportRun.Status.FAILED)
        self.assertFalse((self.uploads / "7").exists())

    def test_an_import_still_running_or_out_of_sight_is_left_alone(self):
        for process in (processes.current(), with_parts(ended_process(), host="elsewhere")):
            run = self.running_upload(process)
            status = self.client.get(f"/imports/{run.pk}/status/").json()
            self.assertEqual(status["status"], "running")
            self.assertNotContains(self.client.get("/imports/"), "its process ended")
            self.assertTrue((self.uploads / "7" / "1.txt").exists())
            run.delete()
            (self.uploads / "7" / "1.txt").unlink()
            (self.uploads / "7").rmdir()

    def test_an_import_records_its_process(self):
        run_import(PLAIN_DUMP)
        run = ImportRun.objects.get()
        self.assertEqual(run.status, ImportRun.Status.DONE)
        self.assertIs(processes.is_gone(run.process), False)  # this process ran it
