"""Search latency per query class, end to end and on the bare engine (run by bench/run.py).

    python bench/search.py bench/out/corpus/queries.json 10     # DATABASE_URL set

End to end is GET /api/search/?q= through Django's test client when that route exists, else
archive.search.service.search() (ranking, counting, loading articles, tags, commentary,
snippets) plus the JSON encoding of its hits. The bare engine is the same words as one plain
FTS5 MATCH or one
websearch_to_tsquery on the stored tsvector, ranked and limited to 20: what the database alone
costs. Prints one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from urllib.parse import parse_qsl

import django


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str]) -> int:
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.urls import Resolver404, resolve

    from archive.search.query import Phrase, Term, parse
    from archive.search.service import search
    from archive.text import fold

    queries = json.loads(open(argv[0], encoding="utf-8").read())
    repeat = int(argv[1]) if len(argv) > 1 else 10
    classes = {k: v for k, v in queries.items() if not k.startswith("_")}
    try:
        resolve("/api/search/")
        client = Client()
        mode = "GET /api/search/?q= (Django test client)"
    except Resolver404:
        client = None
        mode = "archive.search.service.search() + JSON of the hits (no /api/search/ route yet)"

    def params(q: str) -> dict:
        """A class's entry: the words, or the API's whole query string when it starts with "?"."""
        return dict(parse_qsl(q[1:])) if q.startswith("?") else {"q": q}

    def end_to_end(q: str) -> int:
        if client is not None:
            response = client.get("/api/search/", params(q))
            assert response.status_code == 200, (q, response.status_code)
            body = response.json()
            return int(body.get("total", body.get("count", 0)))
        results = search(q)
        json.dumps(
            [
                {
                    "id": h.article.pk,
                    "title": h.article.title,
                    "url": h.article.url,
                    "score": h.score,
                    "snippet": str(h.snippet),
                    "tags": [t.name for t in h.article.tag_list],
                }
                for h in results.hits
            ]
        )
        return results.total

    def bare_text(q: str) -> tuple[str, str]:
        """The query's words as plain FTS5 and websearch syntax (no stems, no tag table)."""
        query = parse(params(q)["q"])
        fts, web = [], []
        for clause in query.required:
            words = [clause.word] if isinstance(clause, Term) else list(clause.words)
            fts.append('"' + fold(" ".join(words)) + '"')
            web.append('"' + fold(" ".join(words)) + '"' if len(words) > 1 else fold(words[0]))
        for tag in query.tags:  # a hashtag's words, in the hashtags column
            words = " ".join(fold(tag).replace("_", " ").replace("-", " ").split())
            fts.append(f'tags : "{words}"')
            web.append(f'"{words}"')
        for unit in query.excluded:
            words = [unit.word] if isinstance(unit, Term) else list(unit.words)
            if isinstance(unit, Phrase) or len(words) > 1:
                fts.append('NOT "' + fold(" ".join(words)) + '"')
            else:
                fts.append(f'NOT "{fold(words[0])}"')
            web.append("-" + fold(" ".join(words)))
        expression = " AND ".join(f for f in fts if not f.startswith("NOT "))
        expression += "".join(" " + f for f in fts if f.startswith("NOT "))
        return expression, " ".join(web)

    def bare(q: str) -> int:
        fts, web = bare_text(q)
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT rowid FROM archive_search WHERE archive_search MATCH %s "
                    "ORDER BY bm25(archive_search) LIMIT 20",
                    [fts],
                )
            else:
                cursor.execute(
                    "SELECT article_id FROM archive_searchdoc WHERE document @@ "
                    "websearch_to_tsquery('simple', %s) ORDER BY ts_rank(document, "
                    "websearch_to_tsquery('simple', %s)) DESC LIMIT 20",
                    [web, web],
                )
            return len(cursor.fetchall())

    def timed(function, q: str) -> tuple[float, int]:
        started = time.perf_counter()
        value = function(q)
        return (time.perf_counter() - started) * 1000, value

    # Warm: every query once, both ways, before anything is timed.
    for items in classes.values():
        for q in items:
            end_to_end(q)
            bare(q)
    report: dict = {"mode": mode, "repeat": repeat, "classes": {}, "queries": {}}
    for name, items in classes.items():
        full, raw, matches = [], [], []
        for q in items:
            per_query = []
            for _ in range(repeat):
                ms, total = timed(end_to_end, q)
                full.append(ms)
                per_query.append(ms)
                raw.append(timed(bare, q)[0])
            matches.append(total)
            report["queries"][q] = {
                "class": name,
                "matches": total,
                "p50": round(statistics.median(per_query), 1),
                "max": round(max(per_query), 1),
                "bare": bare_text(q),
            }
        p50, bare_p50 = statistics.median(full), statistics.median(raw)
        report["classes"][name] = {
            "p50": round(p50, 1),
            "p95": round(percentile(full, 0.95), 1),
            "max": round(max(full), 1),
            "bare_p50": round(bare_p50, 1),
            "bare_p95": round(percentile(raw, 0.95), 1),
            "ratio_p50": round(p50 / bare_p50, 1) if bare_p50 else None,
            "matches": "/".join(str(m) for m in matches),
        }
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
