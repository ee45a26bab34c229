"""Our own demo dumps: both formats, four languages, every import rule."""

from io import StringIO

from django.core.management import call_command

from annotations.models import Commentary
from archive.hashtags import get_or_create_hashtags
from archive.models import Article, Hashtag
from archive.search.service import search
from tests.base import DEMO_DUMPS, BaseTestCase, run_import


class DemoDumpTests(BaseTestCase):
    dumps = (DEMO_DUMPS,)

    def test_both_formats_land(self):
        self.assertEqual(Article.objects.count(), 5)
        plain = Article.objects.get(title="Pourquoi la note sociale fascine-t-elle autant ?")
        self.assertEqual(len(plain.paragraphs), 4)  # blank lines separate paragraphs
        self.assertEqual(plain.language, "fr")
        self.assertEqual(list(plain.hashtags.values_list("key", flat=True)), ["notation"])

    def test_four_languages(self):
        languages = {a.title[:12]: a.language for a in Article.objects.all()}
        self.assertEqual(languages["Gesichtserke"], "de")
        self.assertEqual(languages["The quantifi"], "en")
        self.assertEqual(languages["Sistema di c"], "it")
        self.assertEqual(languages["La vidéosurv"], "fr")
        german = Article.objects.get(title__startswith="Gesichtserkennung")
        self.assertEqual([p["lang"] for p in german.paragraphs], ["de", "fr"])

    def test_replies_and_their_hashtags(self):
        worker = Article.objects.get(title__startswith="The quantified worker")
        replies = list(worker.commentary.order_by("position"))
        self.assertEqual(
            [r.text[:20] for r in replies], ["Et le télétravail n’", "Voir le rapport de l"]
        )
        self.assertIn("Il date de 2021", replies[1].text)
        nice = Commentary.objects.get(text__startswith="Même chose à Nice")
        self.assertEqual(list(nice.hashtags.values_list("name", flat=True)), ["Nice"])

    def test_tag_rules(self):
        italian = Article.objects.get(title__startswith="Sistema di credito")
        keys = set(italian.hashtags.values_list("key", flat=True))
        self.assertEqual(keys, {"crédit_social", "italie", "bologne"})  # "#10" is not a tag
        self.assertEqual(Hashtag.objects.get(key="surveillance").usage_count, 3)
        self.assertEqual(Hashtag.objects.get(key="surveillance").name, "surveillance")
        video = Article.objects.get(title__startswith="La vidéosurveillance")
        self.assertIn("règlement_ia", set(video.hashtags.values_list("key", flat=True)))
        self.assertIn("https://www.example.org/dossier-vsa", video.links)
        worker = Article.objects.get(title__startswith="The quantified worker")
        self.assertEqual(worker.mentions, ["curatrice"])

    def test_reindex_command_rebuilds_search(self):
        from archive.search.backends import get_backend

        get_backend().clear()
        self.assertEqual(search("Südkreuz").total, 0)
        out = StringIO()
        call_command("reindex", stdout=out)
        self.assertIn("Reindexed 5 articles", out.getvalue())
        self.assertEqual(search("sudkreuz").total, 1)

    def test_reimporting_a_folder_is_idempotent(self):
        out, _ = run_import(DEMO_DUMPS)
        self.assertIn("0 new, 0 updated, 5 unchanged", out)
        self.assertEqual(Commentary.objects.count(), 3)


class SlugClashTests(BaseTestCase):
    def test_hashtags_whose_slugs_clash_get_distinct_pages(self):
        # "#x²" and "#x2" are different hashtags whose slugs would both be "x2".
        first = get_or_create_hashtags(["x2"])["x2"]
        Hashtag.objects.create(name="x2_2_taken", slug="x2_2")
        second = get_or_create_hashtags(["x²"])["x²"]
        self.assertNotEqual(first.slug, second.slug)
        self.assertNotIn(second.slug, {"x2", "x2_2"})
        self.assertEqual(self.client.get(second.get_absolute_url()).status_code, 200)
