"""Property: whatever curators, imports, deletions and undos do, in any order, every hashtag's
count is the number of articles it is on, and no alias hides a hashtag. Runs on both databases
(the suite runs once on each)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from annotations.notes import create_note
from archive.articles import delete_articles
from archive.hashtags import delete_hashtags, merge, rename, set_article_hashtags
from archive.history import Kind, UndoConflict
from archive.models import Article, Hashtag, HashtagAlias, HistoryEntry, TaggedArticle
from archive.undo import undo
from tests.base import DEMO_DUMPS, make_users, run_import

DUMP = (DEMO_DUMPS / "demo_seenthis_export.txt").read_text(encoding="utf-8")
NAMES = ["France", "surveillance", "Télétravail", "JO_2024", "Nouveau", "nouveau", "Allemagne"]
OPERATIONS = [
    "import the dump",
    "import the dump without one hashtag",
    "curator sets hashtags",
    "rename",
    "merge",
    "note with a hashtag",
    "delete an article",
    "delete a hashtag",
    "undo a rename or a merge",
]
DUMP_TAGS = sorted(set(re.findall(r"#(\w+)", DUMP)))


class HashtagCountProperties(HypothesisTestCase):
    @classmethod
    def setUpTestData(cls):
        make_users(cls)

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="archive-counts-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def import_text(self, text: str) -> None:
        path = self.tmp / "dump.txt"
        path.write_text(text, encoding="utf-8")
        run_import(path)

    def pick(self, data, queryset):
        rows = list(queryset.order_by("pk"))
        return data.draw(st.sampled_from(rows)) if rows else None

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def test_counts_stay_true(self, data):
        self.import_text(DUMP)
        for _ in range(data.draw(st.integers(1, 8))):
            self.apply(data, data.draw(st.sampled_from(OPERATIONS)))
            real = dict(
                TaggedArticle.objects.values_list("tag_id").annotate(n=Count("id")).order_by()
            )
            counts = dict(Hashtag.objects.values_list("pk", "usage_count"))
            self.assertEqual(
                {pk: n for pk, n in counts.items() if n}, {pk: n for pk, n in real.items()}
            )
            hidden = HashtagAlias.objects.filter(key__in=Hashtag.objects.values("key"))
            self.assertFalse(hidden.exists())

    def apply(self, data, operation: str) -> None:
        if operation == "import the dump":
            self.import_text(DUMP)
        elif operation == "import the dump without one hashtag":
            gone = data.draw(st.sampled_from(DUMP_TAGS))
            self.import_text(re.sub(rf"#{gone}\b", "", DUMP))
        elif operation == "curator sets hashtags":
            article = self.pick(data, Article.objects.all())
            if article:
                names = [t.name for t in article.hashtags.all() if data.draw(st.booleans())]
                set_article_hashtags(article, names + data.draw(st.lists(st.sampled_from(NAMES))))
        elif operation == "rename":
            tag = self.pick(data, Hashtag.objects.all())
            if tag:
                rename(tag, data.draw(st.sampled_from(NAMES)))
        elif operation == "merge":
            source, target = (
                self.pick(data, Hashtag.objects.all()),
                self.pick(data, Hashtag.objects.all()),
            )
            if source and target:
                merge(source, target)
        elif operation == "note with a hashtag":
            article = self.pick(data, Article.objects.all())
            if article:
                create_note(article, self.alice, f"Note #{data.draw(st.sampled_from(NAMES))}")
        elif operation == "delete an article":
            article = self.pick(data, Article.objects.all())
            if article:
                delete_articles([article.pk])
        elif operation == "delete a hashtag":
            tag = self.pick(data, Hashtag.objects.all())
            if tag:
                delete_hashtags([tag.pk])
        elif operation == "undo a rename or a merge":
            entry = self.pick(
                data,
                HistoryEntry.objects.filter(
                    kind__in=[Kind.HASHTAG_RENAMED, Kind.HASHTAG_MERGED], undone_by=None
                ),
            )
            if entry:
                try:
                    undo(entry.pk, self.alice)
                except UndoConflict:
                    pass  # refused: nothing changed, which the counts check too
