"""A 30 MB paragraph: the import's peak memory, search latency with it in the archive, and its
article page. Prints figures (docs/performance.md, "A very long article"); never passes or fails.

    .venv/bin/python bench/long_article.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/long_article.py --databases sqlite --megabytes 30 --repeat 20

For each database (a fresh one: bench/run.py's), it imports a 10,000-post synthetic corpus
(bench/corpus.py), then one post whose text is one paragraph of about N MB made of the corpus's
own paragraphs, three times: as it is (one byte a character in memory), with one "’" in it (two
bytes a character: Python stores a string at its widest character's width) and with one emoji
(four); each with the import's worker process (the default for large files) and without; then
the same post as a JSON export. Each import is a child process (`python bench/long_article.py
--child-import`) that reports its own peak RSS and its worker's (getrusage). Then, with one
long article left in the archive, every query of the corpus's query set and a few words and a
phrase of the long article are searched end to end (GET /api/search/?q=, Django's test client)
`repeat` times each after a warm-up; and the article's page (its first and a middle part) is
loaded five times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from corpus import ensure_corpus  # noqa: E402
from run import database, django_env  # noqa: E402

PY = sys.executable
WIDTHS = {"1 byte": "", "2 bytes": "l’État", "4 bytes": "état 😀"}


def long_text(corpus_file: Path, megabytes: int) -> str:
    """About `megabytes` MB of the corpus's paragraphs, as one paragraph."""
    lines = [
        line.strip()
        for line in corpus_file.read_text(encoding="utf-8").splitlines()
        if line.startswith("    ")
        and not line.startswith("    •")
        and not line.strip().startswith(("#", "http"))
    ]
    words, size = [], 0
    while size < megabytes * 1_000_000:
        for line in lines:
            words.append(line)
            size += len(line) + 1
            if size >= megabytes * 1_000_000:
                break
    return " ".join(words)


def write_dumps(folder: Path, text: str) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    dumps = {}
    for width, extra in WIDTHS.items():
        middle = len(text) // 2
        body = text[:middle] + (f" {extra} " if extra else "") + text[middle:]
        for worker in ("worker", "one process"):
            name = f"{width}, {worker}"
            path = folder / f"long-{width[0]}-{worker[0]}.txt"
            if not path.exists():
                with open(path, "w", encoding="utf-8") as out:
                    out.write(f"• Long article ({name})\n    https://example.org/long/{name}\n")
                    out.write(f"    {body}\n\n    A short paragraph.\n\n    • A reply\n")
            dumps[name] = path
    path = folder / "long-json.json"
    if not path.exists():
        article = {
            "title": "Long article (JSON)",
            "url": "https://example.org/long/json",
            "paragraphs": [{"text": text, "lang": "fr"}, {"text": "A short one.", "lang": "en"}],
            "commentary": [{"origin": "reply", "text": "A reply", "position": 1}],
        }
        with open(path, "w", encoding="utf-8") as out:
            out.write('{"format": "quote-archive", "version": 1, "articles": [\n')
            out.write(json.dumps(article, ensure_ascii=False))
            out.write("\n]}\n")
    dumps["JSON export, worker"] = path
    return dumps


def child(url: str, *args: str, env: dict | None = None) -> dict:
    done = subprocess.run(
        [PY, str(Path(__file__).resolve()), *args],
        cwd=ROOT,
        env=django_env(url) | (env or {}),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_database(kind: str, megabytes: int, repeat: int, keep: bool = False) -> dict:
    corpus_files, queries = ensure_corpus(BENCH / "out" / "corpus", 10_000)
    text = long_text(corpus_files[0], megabytes)
    dumps = write_dumps(BENCH / "out" / f"long-{megabytes}mb", text)
    result: dict = {"database": kind, "paragraph_chars": len(text), "imports": {}}
    with database(kind, f"long-{megabytes}mb", BENCH / "out", keep=keep) as url:
        child(url, "--child-import", *map(str, corpus_files))
        for name, path in dumps.items():
            env = {"ARCHIVE_IMPORT_WORKER": "0" if "one process" in name else "1"}
            figures = child(url, "--child-import", str(path), env=env)
            result["imports"][name] = figures
            print(kind, name, figures, flush=True)
        words = text.split()[:3000]
        own = [words[10], words[500], words[2000], " ".join(words[100:103]).join('""')]
        result["search"] = child(
            url,
            "--child-search",
            json.dumps(queries),
            json.dumps(own),
            env={"ARCHIVE_PAGE_CACHE_SECONDS": "0"},  # pages rendered each time
        )
        print(kind, "search", json.dumps(result["search"]["summary"]), flush=True)
    return result


# --- in the child processes ----------------------------------------------------------------


def child_import(paths: list[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("import_dump", "--no-progress", *paths, verbosity=0, stdout=open(os.devnull, "w"))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # Linux: kilobytes
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(
        json.dumps(
            {
                "seconds": round(time.perf_counter() - started, 1),
                "peak_rss_mb": own,
                "worker_peak_rss_mb": worker or None,
            }
        )
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _searches(client, classes: dict, repeat: int, long_id: int | None):
    """Each query `repeat` times after a warm-up: wall and CPU ms per class, and the wall ms of
    the searches whose first page holds the article `long_id`."""
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    matching: list[float] = []
    for name, items in classes.items():
        for q in items:
            response = client.get("/api/search/", {"q": q})  # warm
            hits = [r["id"] for r in response.json()["results"]]
            for _ in range(repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get("/api/search/", {"q": q})
                elapsed = (time.perf_counter() - started) * 1000
                cpu.setdefault(name, []).append((time.process_time() - started_cpu) * 1000)
                assert response.status_code == 200
                times.setdefault(name, []).append(elapsed)
                if long_id in hits:
                    matching.append(elapsed)
    return times, cpu, matching


def child_search(corpus_queries: dict, own: list[str], repeat: int) -> None:
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from archive.articles import delete_articles
    from archive.models import Article

    try:  # (absent from the code before long articles came in parts: the bench runs on both)
        from archive.parts import article_parts
    except ImportError:
        article_parts = None

    setup_test_environment()  # the test client's host
    long_ids = list(
        Article.objects.filter(title__startswith="Long article")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    delete_articles(long_ids[1:])  # one long article in the archive
    article = Article.objects.defer("paragraphs").get(pk=long_ids[0])
    client = Client()
    classes = {k: v for k, v in corpus_queries.items() if not k.startswith("_")}
    classes["long article's words"] = own
    times, cpu, matching = _searches(client, classes, repeat, article.pk)
    every = [t for values in times.values() for t in values]
    every_cpu = [t for values in cpu.values() for t in values]
    texts = [p["text"] for p in Article.objects.get(pk=article.pk).paragraphs]
    parts = len(article_parts(texts)) if article_parts else 1
    pages = {}
    for label, query in [("part 1", ""), ("a middle part", f"?part={parts // 2 + 1}")]:
        durations, size = [], 0
        for _ in range(6):
            started = time.perf_counter()
            response = client.get(article.get_absolute_url() + query)
            durations.append((time.perf_counter() - started) * 1000)
            size = len(response.content)
        pages[label] = {
            "status": response.status_code,
            "bytes": size,
            "median_ms": round(statistics.median(durations[1:])),
        }
    # The same searches once the long article is deleted: what it adds.
    delete_articles([article.pk])
    without, _, _ = _searches(client, classes, repeat, None)
    every_without = [t for values in without.values() for t in values]
    print(
        json.dumps(
            {
                "per_class_ms": {
                    name: {
                        "p50": round(statistics.median(values), 1),
                        "p95": round(percentile(values, 0.95), 1),
                        "cpu_p95": round(percentile(cpu[name], 0.95), 1),
                    }
                    for name, values in times.items()
                },
                "summary": {
                    "queries": sum(map(len, classes.values())),
                    "p95_ms_all": round(percentile(every, 0.95), 1),
                    "p95_ms_all_without_the_long_article": round(
                        percentile(every_without, 0.95), 1
                    ),
                    "p95_cpu_ms_all": round(percentile(every_cpu, 0.95), 1),
                    "p95_ms_matching_the_long_article": round(percentile(matching, 0.95), 1)
                    if matching
                    else None,
                    "searches_matching_it": len(matching),
                    "page": pages,
                    "parts": parts,
                },
            }
        )
    )


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--child-import":
        child_import(argv[1:])
        return 0
    if argv and argv[0] == "--child-search":
        child_search(json.loads(argv[1]), json.loads(argv[2]), int(os.environ["BENCH_REPEAT"]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--megabytes", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="leave the databases in /tmp")
    options = parser.parse_args(argv)
    os.environ["BENCH_REPEAT"] = str(options.repeat)
    results = [
        bench_database(kind, options.megabytes, options.repeat, options.keep)
        for kind in options.databases.split(",")
    ]
    out = BENCH / "out" / f"long-article-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
