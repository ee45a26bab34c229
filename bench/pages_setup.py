"""Which URLs the page benchmark loads, or why it is skipped (run by bench/run.py).

Prints one JSON object: {"paths": {"home": "/", "tag": "/tags/<slug>/", "article": ...}}, with
a tag of middling popularity and a recent article; or {"skipped": "why"} when the routes do not
exist yet or do not answer 200.
"""

from __future__ import annotations

import json
import sys

import django


def main() -> int:
    django.setup()
    from django.test import Client
    from django.urls import Resolver404, resolve

    from archive.models import Article, Hashtag, TaggedArticle

    tag = (
        Hashtag.objects.filter(pk__in=TaggedArticle.objects.values("tag_id")[:20000])
        .order_by("pk")[50:51]
        .first()
        or Hashtag.objects.order_by("pk").first()
    )
    article = Article.objects.order_by("-pk").only("pk", "title").first()
    if tag is None or article is None:
        print(json.dumps({"skipped": "the database is empty"}))
        return 0
    # Canonical addresses: /articles/<id>/ alone answers with a redirect to the slugged one.
    paths = {"home": "/", "tag": tag.get_absolute_url(), "article": article.get_absolute_url()}
    client = Client()
    problems = []
    for path in paths.values():
        try:
            resolve(path)
        except Resolver404:
            problems.append(f"no route for {path} yet")
            continue
        status = client.get(path, follow=True).status_code
        if status != 200:
            problems.append(f"{path} answers {status}")
    if problems:
        print(json.dumps({"skipped": "; ".join(problems)}))
    else:
        uses = TaggedArticle.objects.filter(tag=tag).count()
        print(json.dumps({"paths": paths, "tag_uses": uses}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
