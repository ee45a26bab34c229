import sys
import time

from django.core.management.base import BaseCommand

from archive.search.index import reindex_all


class Command(BaseCommand):
    help = "Rebuild the full-text search index from the archive (in one transaction)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        tty = sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if tty:
                sys.stderr.write(f"\rreindexed {done:,} of {total:,} articles")
                sys.stderr.flush()

        count = reindex_all(progress=progress)
        if tty:
            sys.stderr.write("\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"Reindexed {count:,} articles in {time.perf_counter() - started:.1f} s"
            )
        )
