"""The background import of an upload: a django-tasks task, run by `manage.py db_worker`.

It calls the import command's service (archive/importer/run.py import_paths) on the stored
files, named as uploaded, so an upload keeps the command's guarantees and summary; the service
writes the upload's history entry as each file ends."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django_tasks import task

from archive.importer.errors import DumpError
from archive.importer.history import stop_run
from archive.importer.run import import_paths
from archive.importer.worker import WorkerError
from archive.models import ImportRun
from archive.uploads import ProgressFile, remove_upload, stored_paths

logger = logging.getLogger(__name__)
IMPORT_WAIT_SECONDS = 600  # as the command: another import holds SQLite's write lock


@task()
def import_upload(run_id: int) -> str:
    run = ImportRun.objects.get(pk=run_id)
    if run.status != ImportRun.Status.QUEUED:
        return run.status  # run already (a task retried by hand)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {IMPORT_WAIT_SECONDS * 1000}")
    try:
        import_paths(
            stored_paths(run.upload_folder, run.uploaded),
            run=run,
            user=run.user,  # the history of changes names the curator who uploaded
            progress=ProgressFile(run.upload_folder),
        )
    except (DumpError, WorkerError, DatabaseError) as error:
        # import_paths recorded why it stopped; before it started, this records it.
        run.refresh_from_db()
        if not run.is_over:
            stop_run(run, str(error))
        logger.warning("import %s stopped: %s", run.pk, error)
    finally:
        remove_upload(run.upload_folder)
    run.refresh_from_db()
    return run.status
