"""What stemming each paragraph in its own language changes, on the real dumps and our demo
dumps: matches kept and lost, and the index's size in terms.

    DATABASE_URL=sqlite:////tmp/stems.sqlite3 .venv/bin/python bench/stemming_precision.py

Imports the dumps into that (fresh) database, then, for every article, builds its index
document twice: every word stemmed in the four languages (what the index held before), and
each paragraph's words in the paragraph's language only (what it holds now). Every distinct
word of the archive is then a query (its folded form and its stems in the four languages, as
search stems a query), and each (query word, article) match is counted under both. A match
lost is a query word whose stem in one language equals a stem, in another language, of a word
of an article that does not contain the query word itself. Prints figures and a sample of the
lost matches (word → the article's word that it matched through a stem), then one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("ARCHIVE_SHARED_DUMPS", ROOT.parent / "shared" / "dumps"))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    django.setup()
    from django.core.management import call_command

    from annotations.models import Commentary
    from archive.models import Article
    from archive.search import analysis

    call_command("migrate", verbosity=0)
    dumps = sorted(SHARED.glob("*.txt")) + sorted((ROOT / "fixtures" / "dumps").glob("*.txt"))
    call_command("import_dump", *map(str, dumps), "--no-progress", verbosity=0)

    replies = defaultdict(list)
    for article_id, text in Commentary.objects.values_list("article_id", "text"):
        replies[article_id].append(text)
    articles = list(Article.objects.order_by("pk"))
    texts = [
        (
            a.title,
            [t.name for t in a.hashtags.all()],
            replies[a.pk],
            [p["text"] for p in a.paragraphs],
            [p.get("lang", "") for p in a.paragraphs],
        )
        for a in articles
    ]
    everywhere = [(*t[:4], [analysis.ALL_LANGUAGES] * len(t[3])) for t in texts]
    before = analysis.article_documents(everywhere)
    now = analysis.article_documents(texts)

    def terms(document) -> set[str]:
        return set(
            f"{document.title} {document.tags} {document.commentary} {document.body}".split()
        )

    def postings(documents) -> dict[str, set[int]]:
        found = defaultdict(set)
        for i, document in enumerate(documents):
            for term in terms(document):
                found[term].add(i)
        return found

    old, new = postings(before), postings(now)
    words = sorted(
        {
            analysis.fold(w)
            for t in texts
            for paragraph in t[3]
            for w in analysis.TOKEN_RE.findall(paragraph.casefold())
            if not w.isdigit()
        }
    )
    kept = lost = 0
    examples = []
    for word in words:
        forms = analysis.forms(word)
        matched_old = set().union(*(old.get(f, ()) for f in forms))
        matched_new = set().union(*(new.get(f, ()) for f in forms))
        kept += len(matched_new)
        for i in matched_old - matched_new:
            lost += 1
            through = sorted(set(forms[1:]) & terms(before[i]))
            examples.append((word, through, articles[i].title[:60]))
    old_terms = sum(len(d.split()) for doc in before for d in _columns(doc))
    new_terms = sum(len(d.split()) for doc in now for d in _columns(doc))
    print(f"articles: {len(articles)}, paragraphs: {sum(len(t[3]) for t in texts)}")
    print(f"query words (every distinct word of the texts): {len(words)}")
    print(f"(word, article) matches: before {kept + lost}, now {kept}, lost {lost}")
    print(f"terms in the index documents: before {old_terms}, now {new_terms}")
    print("a sample of the lost matches (query word: stems shared → article):")
    for word, through, title in random.Random(1).sample(examples, min(25, len(examples))):
        print(f"  {word}: {' '.join(through)} → {title}")
    print(
        json.dumps(
            {
                "articles": len(articles),
                "query_words": len(words),
                "matches_before": kept + lost,
                "matches_now": kept,
                "lost": lost,
                "terms_before": old_terms,
                "terms_now": new_terms,
            }
        )
    )
    return 0


def _columns(document) -> tuple[str, ...]:
    return (document.title, document.tags, document.commentary, document.body)


if __name__ == "__main__":
    sys.exit(main())
