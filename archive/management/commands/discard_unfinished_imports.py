from django.core.management.base import BaseCommand

from archive.importer.staging import discard_unfinished


class Command(BaseCommand):
    help = (
        "Delete what a killed import left on SQLite (articles no reader sees: "
        "archive/importer/staging.py). Does nothing while an import runs; every import does it "
        "first anyway."
    )

    def handle(self, *args, **options):
        deleted = discard_unfinished(wait=False)
        self.stdout.write(f"{deleted} unpublished article(s) of unfinished imports deleted")
