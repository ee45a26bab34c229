import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from archive.importer.errors import DumpError
from archive.importer.run import import_paths
from archive.importer.worker import WorkerError
from archive.text import CONTROL_RE, control_names

IMPORT_WAIT_SECONDS = 600


class Command(BaseCommand):
    help = (
        "Import dumps (files or folders): bulleted exports, plain articles and JSON exports "
        "(export_dump --format json). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="dump files or folders of dumps")
        parser.add_argument("--title", help="title of a plain article (default: its first line)")
        parser.add_argument("--url", default="", help="source URL of a plain article")
        parser.add_argument(
            "--tag",
            action="append",
            default=[],
            dest="tags",
            help="hashtag to add to every imported article (repeatable)",
        )
        parser.add_argument(
            "--comments-from",
            type=int,
            metavar="LINE",
            help="for one plain article: the line where its readers' comments start (they "
            "become replies, one per paragraph; later imports of the article remember it)",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="whose import it is in the history of changes (default: the command line)",
        )
        parser.add_argument("--no-progress", action="store_true", help="never draw a progress bar")

    def handle(self, *args, **options):
        # User text is refused with control characters at the edge, as the web forms do.
        for option, values in (
            ("--title", [options["title"] or ""]),
            ("--url", [options["url"]]),
            ("--tag", options["tags"]),
        ):
            for value in values:
                if CONTROL_RE.search(value):
                    raise CommandError(
                        f"{option} {value!r}: control characters are not allowed"
                        f" ({control_names(value)})"
                    )
        show_bar = not options["no_progress"] and sys.stderr.isatty()
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user named {options['user']!r}")
        if connection.vendor == "sqlite":
            # Another import holds the write lock: wait for it (the pages' 30 s is too short).
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {IMPORT_WAIT_SECONDS * 1000}")
        try:
            summary = import_paths(
                options["paths"],
                title=options["title"],
                url=options["url"],
                tags=options["tags"],
                progress=ProgressBar(sys.stderr) if show_bar else None,
                comments_from=options["comments_from"],
                user=user,
            )
        except DumpError as error:
            raise CommandError(str(error)) from None
        except WorkerError as error:
            raise CommandError(f"{error}; nothing from the current file was kept") from None
        except DatabaseError as error:
            # The file being imported was rolled back; files finished before it were kept.
            raise CommandError(
                f"database error, nothing from the current file was kept: {error}".strip()
            ) from None
        for result in summary.files:
            for warning in result.warnings:
                self.stderr.write(self.style.WARNING(f"warning: {warning}"))
            self.stdout.write(
                f"{result.path}: {result.format}, {result.new} new, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.replies} replies"
                + (f", curator hashtags kept on {result.curated}" if result.curated else "")
                + (
                    f", curator edits kept on {result.curator_fields}"
                    if result.curator_fields
                    else ""
                )
                + (f", notes re-anchored: {len(result.reanchored)}" if result.reanchored else "")
                + (f", notes whose passage was lost: {len(result.lost)}" if result.lost else "")
            )
            for line in result.anchor_lines():
                self.stdout.write(line)
        for error in summary.errors:
            self.stderr.write(self.style.ERROR(f"error: {error} (nothing from this file was kept)"))
        self.stdout.write(self.style.SUCCESS(summary.describe()))
        if summary.errors:
            raise CommandError(f"{len(summary.errors)} file(s) could not be imported")


class ProgressBar:
    """A one-line bar on a terminal: file, percentage of bytes, posts so far."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.last = 0.0

    def __call__(self, name: str, done: int, total: int, posts: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self.last < 0.1:
            return
        self.last = now
        fraction = min(1.0, done / total) if total else 1.0
        filled = int(self.WIDTH * fraction)
        bar = "█" * filled + "·" * (self.WIDTH - filled)
        self.stream.write(f"\r{name[:30]:30} {bar} {fraction:4.0%} {posts:>9,} posts")
        if finished:
            self.stream.write("\n")
        self.stream.flush()
