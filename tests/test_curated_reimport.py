"""A curator's hashtag work survives re-imports, and every hashtag count stays true.

Through the real curator screens and the real import command, on whichever database the suite
runs on: a rename, an added hashtag and a removed one stay as the curator left them after the same
dump and an edited dump are imported again; the old spelling in any later dump or note lands on
the renamed hashtag.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.db.models import Count

from annotations.notes import create_note
from archive.articles import delete_articles
from archive.changes import record_change
from archive.hashtags import set_article_hashtags
from archive.models import Article, Hashtag, TaggedArticle
from tests.base import DEMO_DUMPS, SEENTHIS_DUMP, BaseTestCase, run_import

DUMP = DEMO_DUMPS / "demo_seenthis_export.txt"
GARES = "La vidéosurveillance algorithmique arrive dans les gares"
SUDKREUZ = "Gesichtserkennung am Bahnhof Südkreuz: Abschlussbericht"


def assert_counts_true(case) -> None:
    """Each hashtag's count is the number of articles it is on."""
    real = dict(TaggedArticle.objects.values_list("tag_id").annotate(n=Count("id")).order_by())
    wrong = [
        (tag.name, tag.usage_count, real.get(tag.pk, 0))
        for tag in Hashtag.objects.all()
        if tag.usage_count != real.get(tag.pk, 0)
    ]
    case.assertEqual(wrong, [])


class CuratedReimportTests(BaseTestCase):
    dumps = (DUMP,)

    def setUp(self):
        super().setUp()
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp)
        self.client.force_login(self.alice)

    def tags_of(self, title: str) -> set[str]:
        return {t.name for t in Article.objects.get(title=title).hashtags.all()}

    def curate(self) -> None:
        """Rename #JO_2024, add #Télétravail to one article, take #Allemagne off another."""
        jo = Hashtag.objects.get(key="jo_2024")
        renamed = self.client.post(f"/tags/{jo.slug}/rename/", {"name": "Jeux_olympiques_2024"})
        self.assertEqual(renamed.status_code, 302)
        gares = Article.objects.get(title=GARES)
        names = " ".join(self.tags_of(GARES) | {"Télétravail"})
        saved = self.client.post(f"/articles/{gares.pk}/hashtags/", {"hashtags": names})
        self.assertEqual(saved.status_code, 302)
        sudkreuz = Article.objects.get(title=SUDKREUZ)
        names = " ".join(self.tags_of(SUDKREUZ) - {"Allemagne"})
        saved = self.client.post(f"/articles/{sudkreuz.pk}/hashtags/", {"hashtags": names})
        self.assertEqual(saved.status_code, 302)

    def assert_curated(self) -> None:
        self.assertFalse(Hashtag.objects.filter(key="jo_2024").exists())
        self.assertIn("Jeux_olympiques_2024", self.tags_of(GARES))
        self.assertIn("Télétravail", self.tags_of(GARES))
        self.assertNotIn("Allemagne", self.tags_of(SUDKREUZ))
        page = self.client.get(Article.objects.get(title=GARES).get_absolute_url())
        self.assertContains(page, "#Jeux_olympiques_2024")
        self.assertNotContains(page, "#JO_2024")
        assert_counts_true(self)

    def edited_dump(self) -> Path:
        """The same posts, their text changed: every one is updated on import."""
        text = DUMP.read_text(encoding="utf-8").replace("Les associations", "Des associations")
        text = text.replace("Der Test am", "Der lange Test am")
        path = self.tmp / "edited.txt"
        path.write_text(text, encoding="utf-8")
        return path

    def test_the_same_and_an_edited_dump_keep_the_curators_work(self):
        self.curate()
        self.assert_curated()
        run_import(DUMP)  # the same dump: nothing changed, nothing touched
        self.assert_curated()
        out, _ = run_import(self.edited_dump())
        self.assertIn("2 updated", out)
        self.assertIn("curator hashtags kept on 2", out)
        self.assert_curated()
        out, _ = run_import(self.edited_dump())  # again: still as the curator left it
        self.assert_curated()

    def test_the_old_spelling_lands_on_the_renamed_hashtag(self):
        self.curate()
        target = Hashtag.objects.get(name="Jeux_olympiques_2024")
        path = self.tmp / "later.txt"
        path.write_text(
            "• Les JO et la vidéo\n    https://example.org/jo\n\n    Un bilan. #JO_2024\n\n"
            "    • Une réponse #jo_2024\n",
            encoding="utf-8",
        )
        run_import(path)
        later = Article.objects.get(title="Les JO et la vidéo")
        self.assertEqual([t.pk for t in later.hashtags.all()], [target.pk])
        self.assertEqual([t.pk for t in later.commentary.get().hashtags.all()], [target.pk])
        note = create_note(later, self.alice, "Encore les #JO_2024")
        self.assertEqual([t.pk for t in note.hashtags.all()], [target.pk])
        target.refresh_from_db()
        self.assertEqual(target.name, "Jeux_olympiques_2024")  # not pulled back
        self.assertFalse(Hashtag.objects.filter(key="jo_2024").exists())
        found = self.client.get("/tags/jeux_olympiques_2024/")
        self.assertContains(found, "Les JO et la vidéo")
        assert_counts_true(self)

    def test_a_merge_is_remembered_too(self):
        surveillance = Hashtag.objects.get(key="surveillance")
        video = Hashtag.objects.get(key="vidéosurveillance")
        self.client.post(
            f"/tags/{video.slug}/rename/", {"name": surveillance.name, "confirm": "merge"}
        )
        self.assertFalse(Hashtag.objects.filter(key="vidéosurveillance").exists())
        run_import(self.edited_dump())
        self.assertFalse(Hashtag.objects.filter(key="vidéosurveillance").exists())
        self.assertIn("surveillance", self.tags_of(GARES))
        assert_counts_true(self)

    def test_a_curator_may_put_back_what_they_took_off(self):
        self.curate()
        sudkreuz = Article.objects.get(title=SUDKREUZ)
        set_article_hashtags(sudkreuz, [*self.tags_of(SUDKREUZ), "Allemagne"])
        run_import(self.edited_dump())
        self.assertIn("Allemagne", self.tags_of(SUDKREUZ))
        assert_counts_true(self)


class HashtagCountTests(BaseTestCase):
    dumps = (DUMP,)

    def test_a_hashtag_taken_off_with_the_curator_form_is_counted_down(self):
        article = Article.objects.get(title=SUDKREUZ)
        allemagne = Hashtag.objects.get(key="allemagne")
        before = allemagne.usage_count
        set_article_hashtags(article, [t.name for t in article.hashtags.all() if t != allemagne])
        allemagne.refresh_from_db()
        self.assertEqual(allemagne.usage_count, before - 1)
        assert_counts_true(self)

    def test_deleting_articles_counts_their_hashtags_down(self):
        france = Hashtag.objects.get(key="france")
        on_france = list(Article.objects.filter(hashtags=france).values_list("pk", flat=True))
        delete_articles(on_france[:1])
        france.refresh_from_db()
        self.assertEqual(france.usage_count, len(on_france) - 1)
        api = self.client.get("/api/articles/", {"tag": "france"}).json()
        self.assertEqual(api["count"], len(on_france) - 1)
        assert_counts_true(self)


class RecountCommandTests(BaseTestCase):
    dumps = (DUMP,)

    def test_recount_repairs_drift_and_says_what_it_fixed(self):
        out = io.StringIO()
        call_command("recount_hashtags", stdout=out)
        self.assertIn("Every hashtag count is right", out.getvalue())
        france = Hashtag.objects.get(key="france")
        right = france.usage_count
        Hashtag.objects.filter(pk=france.pk).update(usage_count=right + 3)  # around the services
        out = io.StringIO()
        call_command("recount_hashtags", stdout=out)
        self.assertIn(f"#{france.name}: {right + 3} → {right} articles", out.getvalue())
        self.assertIn("1 hashtag count(s) repaired", out.getvalue())
        assert_counts_true(self)


class CountsAgreeWithListsTests(BaseTestCase):
    dumps = (DUMP,)

    def test_the_api_count_follows_a_write_made_by_another_process(self):
        """The count is kept per revision: a write that this process did not make (an import
        in another process) shows at once, not a minute later."""
        first = self.client.get("/api/articles/").json()
        self.assertEqual(first["count"], Article.objects.count())
        source = Article.objects.first()
        Article.objects.create(
            title="Written elsewhere",
            external_key="elsewhere",
            created=source.created,
            updated=source.updated,
        )
        record_change()  # what the other process's write path ends with
        again = self.client.get("/api/articles/").json()
        self.assertEqual(again["count"], first["count"] + 1)


class OneAnswerPerHashtagTests(BaseTestCase):
    """A hashtag written only in a reply or a note tags that commentary, not its article: the
    tag page's articles, a #tag search and the API list the same articles, for every hashtag
    of the real dumps (the tag page shows the commentary apart, under its own heading)."""

    dumps = (SEENTHIS_DUMP, DUMP)

    def test_tag_page_search_and_api_list_the_same_articles(self):
        checked = 0
        for tag in Hashtag.objects.order_by("key"):
            on_page = set(
                TaggedArticle.objects.filter(tag=tag).values_list("content_object_id", flat=True)
            )
            self.assertEqual(tag.usage_count, len(on_page), tag.name)
            api = self.client.get("/api/articles/", {"tag": tag.key}).json()
            self.assertEqual(api["count"], len(on_page), tag.name)
            found = self.client.get("/api/search/", {"q": f"#{tag.key}"}).json()
            self.assertEqual(found["count"], len(on_page), tag.name)
            if len(on_page) <= 20:
                self.assertEqual({a["id"] for a in api["results"]}, on_page, tag.name)
                self.assertEqual({a["id"] for a in found["results"]}, on_page, tag.name)
            checked += 1
        self.assertGreater(checked, 100)

    def test_a_hashtag_only_in_a_reply_shows_its_commentary_not_an_article(self):
        nice = Hashtag.objects.get(key="nice")
        self.assertEqual(nice.usage_count, 0)
        page = self.client.get(nice.get_absolute_url()).content.decode()
        self.assertIn("Même chose à Nice depuis 2019", page)  # under "Commentary with #Nice"
        self.assertNotIn('<article class="card">', page)
        self.assertEqual(self.client.get("/api/search/", {"q": "#Nice"}).json()["count"], 0)
        self.assertNotIn(">#Nice<", self.client.get("/tags/").content.decode())
