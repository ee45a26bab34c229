"""The import history: an ImportRun per import (the command's or a curator's upload) and an
ImportedFile per file, written as each file ends: what its transaction kept, or why it was
refused (then nothing of it was kept)."""

from __future__ import annotations

import getpass

from django.utils import timezone

from archive import processes
from archive.importer.errors import DumpError
from archive.importer.results import FileResult, ImportSummary
from archive.models import ImportedFile, ImportRun
from archive.uploads import remove_upload


def _command_user() -> str:
    try:
        return getpass.getuser()[:150]
    except (OSError, KeyError):  # no user name in this environment (a container)
        return ""


class ImportHistory:
    """The history entry of one running import."""

    def __init__(self, run: ImportRun) -> None:
        self.run = run
        self.position = run.files.count() if run.pk else 0

    @classmethod
    def begin(cls, run: ImportRun | None, files_total: int, user=None) -> ImportHistory:
        """Start the entry: an upload's, queued until now, is marked running; the command's is
        written with its first file (before, it would wait for another import's write lock on
        SQLite before opening a file)."""
        stop_runs_whose_process_is_gone()
        if run is None:
            who = user.get_username() if user is not None else _command_user()
            run = ImportRun(source=ImportRun.Source.COMMAND, user=user, who=who[:150])
        run.status = ImportRun.Status.RUNNING
        run.started = timezone.now()
        run.files_total = files_total
        run.process = processes.current()
        if run.pk:
            run.save(update_fields=["status", "started", "files_total", "process"])
        return cls(run)

    def _file(self, name: str, **values) -> ImportedFile:
        if not self.run.pk:
            self.run.save()
        self.position += 1
        return ImportedFile.objects.create(
            run=self.run, position=self.position, name=name, **values
        )

    def imported(self, result: FileResult) -> ImportedFile:
        return self._file(
            result.path,
            format=result.format,
            new=result.new,
            updated=result.updated,
            unchanged=result.unchanged,
            replies=result.replies,
            warnings=result.warnings,
            reanchored=len(result.reanchored),
            lost=len(result.lost),
            anchor_lines=[line.strip() for line in result.anchor_lines()],
            new_articles=result.new_ids,
            updated_articles=result.updated_ids,
        )

    def refused(self, error: DumpError) -> ImportedFile:
        return self._file(error.path, refused=str(error))

    def finish(self, summary: ImportSummary) -> None:
        self.run.status = ImportRun.Status.DONE
        self.run.summary = summary.describe()
        self.run.finished = timezone.now()
        self.run.save()

    def stopped(self, reason: str) -> None:
        stop_run(self.run, reason)


def stop_run(run: ImportRun, reason: str) -> None:
    """The import stopped before its end (the file being imported was rolled back)."""
    run.status = ImportRun.Status.FAILED
    run.error = reason
    run.finished = timezone.now()
    run.save()


def stop_runs_whose_process_is_gone(runs=None) -> list[ImportRun]:
    """The running imports (of `runs`, or all) whose process has ended without a word
    (ImportRun.stop_if_process_gone), marked stopped, and their uploaded files deleted. Their
    unfinished file left nothing visible: on SQLite the next import deletes what it wrote
    (staging.py), on PostgreSQL its transaction was rolled back."""
    if runs is None:
        runs = ImportRun.objects.filter(status=ImportRun.Status.RUNNING).exclude(process="")
    stopped = [run for run in runs if run.stop_if_process_gone()]
    for run in stopped:
        remove_upload(run.upload_folder)
    return stopped
