"""CPU per post of an import's two processes: the importer (parse, write) and its worker
(languages, search analysis). Run against a fresh database, e.g.:

    DATABASE_URL=sqlite:////tmp/split.sqlite3 DJANGO_SETTINGS_MODULE=archive.settings \\
    SECRET_KEY=$(openssl rand -hex 32) .venv/bin/python manage.py migrate -v0
    DATABASE_URL=... .venv/bin/python bench/import_cpu.py bench/out/corpus/dump_000*.txt

The busier process bounds the import's rate: wall time per post is about the larger of the two.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")


def main(paths: list[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from archive.models import Article

    before = Article.objects.count()
    started = time.perf_counter()
    call_command("import_dump", "--no-progress", *paths, verbosity=0)
    wall = time.perf_counter() - started
    posts = Article.objects.count() - before
    own = resource.getrusage(resource.RUSAGE_SELF)
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)
    per_post = 1000 / max(posts, 1)
    print(
        f"{posts} new posts; per post: wall {wall * per_post:.3f} ms, importer CPU "
        f"{(own.ru_utime + own.ru_stime) * per_post:.3f} ms, worker CPU "
        f"{(worker.ru_utime + worker.ru_stime) * per_post:.3f} ms"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
