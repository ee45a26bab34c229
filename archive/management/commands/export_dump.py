import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive.exporter import FORMATS, ExportError, export


class Command(BaseCommand):
    help = (
        "Export the archive (or one hashtag's articles) as a bulleted text dump, or as JSON "
        "with everything, anchors included. import_dump reads both back."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="file to write (written whole or not at all); - for stdout")
        parser.add_argument("--tag", help="only the articles with this hashtag")
        parser.add_argument("--format", choices=FORMATS, default="text")

    def handle(self, *args, **options):
        out, tag, fmt = options["out"], options["tag"], options["format"]
        try:
            if out == "-":
                count = export(sys.stdout, tag=tag, format=fmt)
                sys.stdout.flush()
            else:
                count = self._to_file(Path(out), tag, fmt)
        except ExportError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"{out}: cannot write: {error.strerror or error}") from None
        self.stderr.write(f"{count} article(s) exported to {out} ({fmt})")

    @staticmethod
    def _to_file(path: Path, tag, fmt) -> int:
        # Write beside the target, then rename: an interrupted export never leaves half a file.
        partial = path.with_name(f".{path.name}.partial")
        try:
            with open(partial, "w", encoding="utf-8", newline="\n") as handle:
                count = export(handle, tag=tag, format=fmt)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return count
