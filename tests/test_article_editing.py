"""Curators add articles in the browser and edit their fields; readers cannot.

Through the real curator screens: an added article has a key no dump can have, its hashtags,
languages and links as an import would find them, and is found by search at once. An edited
field is the curators' (Article.curator_fields, as the admin records it): the real import_dump
command, given the article's dump again with changes, keeps it. Notes follow an edited text.
"""

from __future__ import annotations

from datetime import date

from annotations.models import Commentary
from annotations.notes import create_note
from archive.models import Article, HistoryEntry, TaggedArticle
from archive.search.service import search
from tests.base import DEMO_DUMPS, BaseTestCase, run_import, temporary_folder

DUMP = DEMO_DUMPS / "demo_seenthis_export.txt"
GARES = "La vidéosurveillance algorithmique arrive dans les gares"
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
NEW = {
    "title": "Les algorithmes de notation des locataires",
    "url": "https://www.example.net/notation-locataires",
    "published": "2023-11-02",
    "text": (
        "Des agences immobilières trient les dossiers avec un score opaque, calculé par un "
        "logiciel dont personne ne connaît les critères. #logement\r\n\r\n"
        "Voir aussi https://www.example.net/enquete et le témoignage de @locataire."
    ),
    "hashtags": "#notation, #Surveillance",
}


class AddArticleTests(BaseTestCase):
    dumps = (DUMP,)

    def test_a_curator_adds_an_article(self):
        self.client.force_login(self.alice)
        home = self.client.get("/", **EN).content.decode()
        self.assertIn('href="/articles/new/">Add an article</a>', home)
        self.assertEqual(self.client.get("/articles/new/", **EN).status_code, 200)
        response = self.client.post("/articles/new/", NEW, **EN)
        article = Article.objects.get(title=NEW["title"])
        self.assertRedirects(response, article.get_absolute_url(), fetch_redirect_response=False)
        self.assertTrue(article.external_key.startswith("curator:"))
        self.assertEqual(article.published, date(2023, 11, 2))
        self.assertEqual(len(article.paragraphs), 2)
        self.assertEqual([p["lang"] for p in article.paragraphs], ["fr", "fr"])
        self.assertEqual(article.language, "fr")
        self.assertEqual(article.links, ["https://www.example.net/enquete"])
        self.assertEqual(article.mentions, ["locataire"])
        # (#Surveillance is the archive's #surveillance, whichever spelling it shows)
        self.assertEqual(
            sorted(t.key for t in article.hashtags.all()), ["logement", "notation", "surveillance"]
        )
        self.assertEqual(
            set(
                TaggedArticle.objects.filter(content_object=article).values_list(
                    "origin", flat=True
                )
            ),
            {"curator"},
        )
        page = self.client.get(article.get_absolute_url(), **EN).content.decode()
        self.assertIn("The article is added.", page)
        self.assertIn('<time datetime="2023-11-02">2 Nov. 2023</time>', page)
        self.assertEqual([h.article.pk for h in search("locataires").hits], [article.pk])
        self.assertEqual([h.article.pk for h in search("#notation").hits], [article.pk])
        # Recent changes: who added it, linked to it.
        entry = HistoryEntry.objects.get(kind="article_added")
        self.assertEqual((entry.user, entry.article_id), (self.alice, article.pk))
        changes = self.client.get("/changes/", **EN).content.decode()
        self.assertIn("Article added", changes)
        self.assertIn(article.get_absolute_url(), changes)

    def test_without_a_date_it_says_when_it_was_added(self):
        self.client.force_login(self.alice)
        self.client.post("/articles/new/", {**NEW, "published": ""})
        article = Article.objects.get(title=NEW["title"])
        self.assertIsNone(article.published)
        page = self.client.get(article.get_absolute_url(), **EN).content.decode()
        self.assertIn("added on <time", page)

    def test_form_errors_say_what_is_wrong_and_keep_what_was_typed(self):
        self.client.force_login(self.alice)
        cases = [
            ({"title": ""}, "This field is required."),
            ({"url": "javascript:alert(1)"}, "Give a web address starting with http://"),
            ({"url": "https://exa mple.org"}, "Give a web address starting with http://"),
            ({"hashtags": "#ok #2024"}, "“#2024” is not a hashtag"),
            ({"published": "2999-01-01"}, "The publication date cannot be in the future."),
            ({"published": "14/05/2019"}, "Enter a valid date."),
            ({"title": "Titre\u0085caché"}, "Control characters are not allowed (U+0085)."),
            ({"text": "x" * 300_000}, "Ensure this value has at most"),
        ]
        for change, message in cases:
            response = self.client.post("/articles/new/", {**NEW, **change}, **EN)
            self.assertEqual(response.status_code, 400, change)
            self.assertContains(response, message, status_code=400)
            self.assertContains(response, "Please correct the errors below.", status_code=400)
            if "text" not in change:  # what was typed is kept in the form
                self.assertContains(response, "score opaque", status_code=400)
        self.assertFalse(Article.objects.filter(external_key__startswith="curator:").exists())
        # C0 control characters are refused before any view (archive/middleware.py).
        response = self.client.post("/articles/new/", {**NEW, "title": "Titre\x1b[31m"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Article.objects.filter(external_key__startswith="curator:").exists())

    def test_readers_and_visitors_cannot_add(self):
        response = self.client.get("/articles/new/")
        self.assertRedirects(response, "/accounts/login/?next=/articles/new/")
        self.assertEqual(self.client.post("/articles/new/", NEW).status_code, 302)
        self.client.force_login(self.bob)
        self.assertNotIn("Add an article", self.client.get("/", **EN).content.decode())
        self.assertEqual(self.client.get("/articles/new/").status_code, 403)
        self.assertEqual(self.client.post("/articles/new/", NEW).status_code, 403)
        self.assertFalse(Article.objects.filter(title=NEW["title"]).exists())


class EditArticleTests(BaseTestCase):
    dumps = (DUMP,)

    def setUp(self):
        super().setUp()
        self.article = Article.objects.get(title=GARES)
        self.url = f"/articles/{self.article.pk}/edit/"

    def form(self, **changes) -> dict:
        """The edit form as the page fills it, with these changes."""
        self.client.force_login(self.alice)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        form = response.context["form"]
        values = {name: form[name].value() or "" for name in form.fields}
        values["published"] = values["published"] and str(values["published"])
        return {**values, **changes}

    def edited_dump(self, old: str, new: str):
        """The article's real dump, with a change the next import brings."""
        path = temporary_folder(self) / "edited.txt"
        text = DUMP.read_text(encoding="utf-8")
        self.assertIn(old, text)
        path.write_text(text.replace(old, new), encoding="utf-8")
        return path

    def test_the_page_offers_edit_to_curators_only(self):
        page = self.article.get_absolute_url()
        self.assertNotIn(f'href="{self.url}"', self.client.get(page).content.decode())
        self.client.force_login(self.bob)
        self.assertNotIn(f'href="{self.url}"', self.client.get(page).content.decode())
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.post(self.url, {"title": "Pris"}).status_code, 403)
        self.assertEqual(Article.objects.get(pk=self.article.pk).title, GARES)
        self.client.force_login(self.alice)
        self.assertIn(f'href="{self.url}"', self.client.get(page).content.decode())

    def test_saving_the_form_unchanged_edits_nothing(self):
        response = self.client.post(self.url, self.form())
        self.assertEqual(response.status_code, 302)
        article = Article.objects.get(pk=self.article.pk)
        self.assertEqual(article.curator_fields, [])
        self.assertIsNone(article.curator_edited)
        self.assertEqual(article.paragraphs, self.article.paragraphs)
        self.assertFalse(HistoryEntry.objects.filter(kind="article_edited").exists())

    def test_an_edited_title_and_date_survive_a_reimport_of_the_dump(self):
        title = "Gares : la vidéosurveillance algorithmique à l’essai"
        response = self.client.post(self.url, self.form(title=title, published="2024-03-05"))
        article = Article.objects.get(pk=self.article.pk)
        self.assertRedirects(response, article.get_absolute_url(), fetch_redirect_response=False)
        article = Article.objects.get(pk=self.article.pk)
        self.assertEqual(article.curator_fields, ["published", "title"])
        self.assertIsNotNone(article.curator_edited)
        entry = HistoryEntry.objects.get(kind="article_edited")
        self.assertEqual(entry.article_id, article.pk)
        self.assertEqual(entry.after, {"fields": ["published", "title"]})
        page = self.client.get(article.get_absolute_url(), **EN).content.decode()
        self.assertIn("edited by curators on", page)
        self.assertIn('<time datetime="2024-03-05">5 March 2024</time>', page)
        self.assertEqual([h.article.pk for h in search("essai").hits], [article.pk])

        out, _ = run_import(self.edited_dump("Les associations", "Des associations"))
        self.assertIn("1 updated", out)
        article = Article.objects.get(pk=self.article.pk)
        self.assertEqual(article.title, title)  # the curators'
        self.assertEqual(article.published, date(2024, 3, 5))  # the curators'
        self.assertIn("Des associations", article.text)  # the dump's, not edited by curators
        self.assertEqual([h.article.pk for h in search("essai").hits], [article.pk])

    def test_notes_follow_an_edited_text_and_a_reimport_keeps_it(self):
        passage = "capables de repérer les « comportements suspects »"
        note = create_note(self.article, self.alice, "Lesquels ?", quote=passage)
        start = note.quote_start
        text = self.form()["text"]
        added = "Un paragraphe ajouté en tête par une curatrice."
        edited = added + "\n\n" + text.replace("capables de repérer", "capables de détecter")
        response = self.client.post(self.url, self.form(text=edited), **EN, follow=True)
        self.assertContains(response, f"Note {note.pk}: re-anchored to its passage as it now reads")
        note = Commentary.objects.get(pk=note.pk)
        self.assertEqual(note.quote_exact, "capables de détecter les « comportements suspects »")
        self.assertEqual(note.quote_original, passage)
        self.assertEqual(note.quote_start, start + len(added) + 2)
        article = Article.objects.get(pk=self.article.pk)
        self.assertEqual(article.paragraphs[0], {"text": added, "lang": "fr"})
        self.assertEqual(article.curator_fields, ["paragraphs"])

        run_import(self.edited_dump("Les associations", "Des associations"))
        article = Article.objects.get(pk=self.article.pk)
        self.assertEqual(article.paragraphs[0]["text"], added)  # the curators' text stays
        self.assertNotIn("Des associations", article.text)
        note = Commentary.objects.get(pk=note.pk)
        self.assertFalse(note.quote_lost)
        self.assertEqual(article.text[note.quote_start :].index(note.quote_exact), 0)

    def test_hashtags_edited_with_the_article(self):
        tags = {t.name for t in self.article.hashtags.all()}
        self.assertIn("France", tags)
        kept = " ".join(f"#{t}" for t in tags - {"France"})
        text = self.form()["text"] + "\n\nÀ suivre : #VSA"
        self.client.post(self.url, self.form(hashtags=kept + " #Gares", text=text))
        now = {t.name for t in Article.objects.get(pk=self.article.pk).hashtags.all()}
        self.assertEqual(now, tags - {"France"} | {"Gares", "VSA"})
        run_import(self.edited_dump("Les associations", "Des associations"))
        again = {t.name for t in Article.objects.get(pk=self.article.pk).hashtags.all()}
        self.assertEqual(again, now)  # the dump's #France stays off, the curators' stay on
