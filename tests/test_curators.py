"""Curators: notes anchored to passages, hashtag edits, renames and merges, permissions."""

from annotations.anchoring import TextQuote, locate
from annotations.models import Commentary
from archive.models import Article, Hashtag
from archive.search.service import search
from tests.base import SEENTHIS_DUMP, BaseTestCase, run_import, temporary_folder

PASSAGE = "Les petits bourgeois sont favorables à la surveillance des pauvres"


class CuratorNotesTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def setUp(self):
        self.article = Article.objects.get(title__startswith="China\u00a0: Totale")

    def post_note(self, user, **data):
        self.client.force_login(user)
        return self.client.post(f"/articles/{self.article.pk}/notes/new/", data)

    def test_curator_adds_an_anchored_note(self):
        response = self.post_note(
            self.alice, text="Voir aussi #Orwell https://example.org/x", quote=PASSAGE
        )
        note = Commentary.objects.get(origin="note")
        self.assertRedirects(
            response,
            f"{self.article.get_absolute_url()}#note-{note.pk}",
            fetch_redirect_response=False,
        )
        self.assertEqual(note.author, self.alice)
        self.assertEqual(note.quote_exact, PASSAGE)
        self.assertEqual(self.article.text[note.quote_start :].find(PASSAGE), 0)
        self.assertLessEqual(len(note.quote_prefix), 32)
        self.assertEqual(list(note.hashtags.values_list("name", flat=True)), ["Orwell"])
        page = self.client.get(self.article.get_absolute_url())
        self.assertContains(
            page,
            f'<mark class="anchored" data-note="{note.pk}" '
            f'id="passage-{note.pk}"><a href="#note-{note.pk}">{PASSAGE}',
            html=False,
        )
        self.assertContains(page, '<a href="https://example.org/x"', html=False)
        self.assertContains(page, 'href="/tags/orwell/">#Orwell</a>', html=False)
        self.assertContains(page, "alice")

    def test_note_is_searchable_at_once(self):
        self.post_note(self.alice, text="Une remarque sur le panoptique")
        self.assertEqual(search("panoptique").hits[0].article, self.article)

    def test_quote_not_in_article_is_refused(self):
        response = self.post_note(self.alice, text="x", quote="this passage is nowhere")
        self.assertContains(response, "not in the article", status_code=400)
        self.assertFalse(Commentary.objects.filter(origin="note").exists())

    def test_quote_with_other_white_space_is_found(self):
        self.post_note(self.alice, text="ok", quote="Les petits   bourgeois\nsont favorables")
        note = Commentary.objects.get(origin="note")
        self.assertEqual(note.quote_exact, "Les petits bourgeois sont favorables")

    def test_readers_cannot_write(self):
        response = self.client.post(f"/articles/{self.article.pk}/notes/new/", {"text": "x"})
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])
        self.assertEqual(self.post_note(self.bob, text="x").status_code, 403)
        self.assertFalse(Commentary.objects.filter(origin="note").exists())
        page = self.client.get(self.article.get_absolute_url())
        self.assertNotContains(page, "note-form")
        self.assertNotContains(page, "hashtags-field")

    def test_only_the_author_or_an_editor_changes_a_note(self):
        self.post_note(self.alice, text="mine")
        note = Commentary.objects.get(origin="note")
        other = self._other_curator()
        self.client.force_login(other)
        self.assertEqual(
            self.client.post(f"/notes/{note.pk}/edit/", {"text": "x"}).status_code, 403
        )
        self.assertEqual(self.client.post(f"/notes/{note.pk}/delete/").status_code, 403)
        self.client.force_login(self.charlie)  # superuser
        self.client.post(f"/notes/{note.pk}/edit/", {"text": "edited by charlie", "quote": ""})
        note.refresh_from_db()
        self.assertEqual(note.text, "edited by charlie")
        self.client.force_login(self.alice)
        self.client.post(f"/notes/{note.pk}/delete/")
        self.assertFalse(Commentary.objects.filter(pk=note.pk).exists())
        self.assertEqual(search("charlie").total, 0)

    def _other_curator(self):
        from django.contrib.auth.models import User

        from annotations.permissions import make_curator

        dave = User.objects.create_user("dave", password="password")
        make_curator(dave)
        return dave

    def test_anchor_survives_reimport_of_an_updated_dump(self):
        self.post_note(self.alice, text="note", quote=PASSAGE)
        note = Commentary.objects.get(origin="note")
        updated = SEENTHIS_DUMP.read_text().replace(
            "    Cet article décrit pouquoi",
            "    Un nouveau paragraphe ajouté en tête.\n\n    Cet article décrit pouquoi",
            1,
        )
        path = self._write(updated)
        out, _ = run_import(path)
        self.assertIn("1 updated", out)
        self.article.refresh_from_db()
        found = locate(
            self.article.text,
            TextQuote(note.quote_exact, note.quote_prefix, note.quote_suffix, note.quote_start),
        )
        self.assertEqual(found.how, "exact")
        self.assertEqual(self.article.text[found.start : found.end], PASSAGE)
        # The passage rewritten: found approximately, and the note quotes it as it now reads.
        path = self._write(
            updated.replace("favorables à la surveillance", "favorables à toute la surveillance")
        )
        out, _ = run_import(path)
        self.assertIn(f"re-anchored: note {note.pk} on “China", out)
        page = self.client.get(self.article.get_absolute_url())
        self.assertContains(page, f'id="passage-{note.pk}"')
        note.refresh_from_db()
        self.assertEqual(note.quote_exact, PASSAGE.replace("à la", "à toute la"))
        self.assertEqual(note.quote_original, PASSAGE)
        # The passage gone: the note stays, marked as not found.
        path = self._write(updated.replace(PASSAGE, "Tout autre chose"))
        out, _ = run_import(path)
        self.assertIn(f"passage lost: note {note.pk} on “China", out)
        page = self.client.get(self.article.get_absolute_url())
        self.assertContains(page, "passage not found")
        self.assertContains(page, f'id="note-{note.pk}"')

    def _write(self, text: str):

        folder = temporary_folder(self)
        path = folder / SEENTHIS_DUMP.name
        path.write_text(text, encoding="utf-8")
        return path


class HashtagEditingTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def test_curator_edits_an_articles_hashtags(self):
        article = Article.objects.get(title__startswith="Identité numérique")
        self.client.force_login(self.alice)
        self.client.post(
            f"/articles/{article.pk}/hashtags/",
            {"hashtags": "#Nécrotechnologies #identité_numérique, Italie"},
        )
        self.assertEqual(
            sorted(article.hashtags.values_list("name", flat=True), key=str.casefold),
            ["identité_numérique", "Italie", "Nécrotechnologies"],
        )
        self.assertEqual(search("#identite_numerique").hits[0].article, article)
        self.assertEqual(Hashtag.objects.get(key="italie").usage_count, 1)

    def test_hashtags_too_long_once_folded_are_ignored(self):
        article = Article.objects.get(title__startswith="Identité numérique")
        self.client.force_login(self.alice)
        response = self.client.post(
            f"/articles/{article.pk}/hashtags/", {"hashtags": "#" + "ß" * 100 + " #court"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(list(article.hashtags.values_list("name", flat=True)), ["court"])

    def test_merge_two_spellings(self):
        self.client.force_login(self.alice)
        before = {h.article.pk for h in search("#surveillance", page_size=50).hits}
        count = Hashtag.objects.get(key="surveillance").usage_count
        target = Hashtag.objects.get(key="surveillance_de_masse")
        response = self.client.post(
            "/tags/surveillance_de_masse/rename/", {"name": "surveillance", "confirm": "merge"}
        )
        merged = Hashtag.objects.get(key="surveillance")
        self.assertRedirects(response, merged.get_absolute_url(), fetch_redirect_response=False)
        self.assertFalse(Hashtag.objects.filter(pk=target.pk).exists())
        self.assertEqual(merged.name, "surveillance")
        self.assertEqual(merged.usage_count, count)  # the one article already had both
        self.assertEqual({h.article.pk for h in search("#surveillance", page_size=50).hits}, before)
        self.assertEqual(search("#surveillance_de_masse").total, 0)

    def test_rename_changes_the_display_name_and_search(self):
        self.client.force_login(self.alice)
        self.client.post("/tags/hambantota/rename/", {"name": "Port_de_Hambantota"})
        tag = Hashtag.objects.get(key="port_de_hambantota")
        self.assertEqual(tag.slug, "port_de_hambantota")
        self.assertEqual(search("#port_de_hambantota").total, 1)
        self.assertEqual(search("#hambantota").total, 0)
        # With words too (on PostgreSQL the index itself holds the hashtags: renamed there).
        self.assertEqual(search("hambantota #port_de_hambantota").total, 1)
        self.assertEqual(search("hambantota #hambantota").total, 0)
        self.assertEqual(self.client.get("/tags/port_de_hambantota/").status_code, 200)

    def test_readers_cannot_edit_hashtags(self):
        article = Article.objects.first()
        before = list(article.hashtags.values_list("pk", flat=True))
        self.assertEqual(
            self.client.post(f"/articles/{article.pk}/hashtags/", {"hashtags": "x"}).status_code,
            302,
        )
        self.client.force_login(self.bob)
        self.assertEqual(
            self.client.post(f"/articles/{article.pk}/hashtags/", {"hashtags": "x"}).status_code,
            403,
        )
        self.assertEqual(self.client.post("/tags/chine/rename/", {"name": "y"}).status_code, 403)
        self.assertEqual(list(article.hashtags.values_list("pk", flat=True)), before)
        self.assertTrue(Hashtag.objects.filter(key="chine").exists())


class NoteHashtagTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def test_a_hashtag_only_in_a_note_shows_the_note_on_its_page(self):
        from annotations.notes import create_note

        article = Article.objects.get(title__startswith="The AI myth")
        create_note(article, self.alice, "Cf. #Panoptique de Bentham")
        page = self.client.get("/tags/panoptique/")
        self.assertContains(page, "Commentary with #Panoptique")
        self.assertContains(page, f"{article.get_absolute_url()}#note-")
        self.assertContains(page, "Cf. #Panoptique de Bentham")
