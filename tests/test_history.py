"""The history of changes (issue 19): every curator action and import is recorded with who, when,
what and before/after, in the service that makes the change; renames, merges and note deletions
can be undone, exactly, and an undo that later changes would make a guess is refused with the
reason. Runs on both databases (the suite runs once on each)."""

from __future__ import annotations

import json

from django.contrib.auth.models import User
from django.core.management import CommandError
from django.db.models import Count

from annotations.models import Commentary, TaggedCommentary
from annotations.notes import create_note, delete_commentary, update_note
from annotations.permissions import make_curator
from archive.articles import delete_articles
from archive.hashtags import merge, rename, set_article_hashtags
from archive.history import COMMAND_LINE, Kind, UndoConflict
from archive.models import (
    ArchiveRevision,
    Article,
    Hashtag,
    HashtagAlias,
    HashtagRemoval,
    HistoryEntry,
    TaggedArticle,
)
from archive.undo import undo
from tests.base import BaseTestCase, run_import, temporary_folder

# A small dump of our own, so that the hashtags' overlaps are known: #Météo is on "Orage",
# "Canicule" (written #météo) and "Sécheresse"; #Climat on "Sécheresse" and "Fonte".
POSTS = [
    ("Orage sur Lyon", "Un orage violent a frappé la ville hier soir.", "#Météo #Lyon"),
    ("Canicule en juin", "Les températures dépassent 40 degrés dans le sud.", "#météo #Été"),
    ("Sécheresse record", "Les nappes phréatiques sont au plus bas.", "#Météo #Climat"),
    ("Fonte des glaciers", "Les glaciers alpins reculent chaque année.", "#Climat #Alpes"),
    ("Marché de Noël", "Les chalets ouvrent samedi sur la place.", "#Lyon #Noël"),
]


def dump_text(posts=POSTS, *, changed: dict[str, str] | None = None) -> str:
    changed = changed or {}
    blocks = []
    for i, (title, text, tags) in enumerate(posts):
        blocks.append(
            f"{'• ' if i == 0 else '  • '}{title}\n    https://www.example.org/{i}\n\n"
            f"    {changed.get(title, text)}\n\n    {tags}\n"
        )
    return "\n".join(blocks)


def archive_state() -> dict:
    """Everything a hashtag merge or rename touches, by names and titles (not ids)."""
    return {
        "hashtags": sorted(Hashtag.objects.values_list("pk", "name", "key", "slug", "usage_count")),
        "uses": sorted(
            TaggedArticle.objects.values_list(
                "content_object__title", "tag__name", "spelling", "origin"
            )
        ),
        "note_uses": sorted(
            TaggedCommentary.objects.values_list("content_object__text", "tag__name", "spelling")
        ),
        "removals": sorted(HashtagRemoval.objects.values_list("article__title", "tag__name")),
        "aliases": sorted(HashtagAlias.objects.values_list("key", "tag__name")),
    }


class HistoryCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.folder = temporary_folder(self)
        self.dump = self.folder / "meteo.txt"
        self.dump.write_text(dump_text(), encoding="utf-8")
        run_import(self.dump)
        self.articles = {a.title: a for a in Article.objects.all()}

    def tag(self, name: str) -> Hashtag:
        return Hashtag.objects.get(key=name.casefold())

    def entries(self, kind: str) -> list[HistoryEntry]:
        return list(HistoryEntry.objects.filter(kind=kind).order_by("pk"))

    def assertCountsExact(self):
        real = dict(TaggedArticle.objects.values_list("tag_id").annotate(n=Count("id")).order_by())
        for pk, count in Hashtag.objects.values_list("pk", "usage_count"):
            self.assertEqual(count, real.get(pk, 0), Hashtag.objects.get(pk=pk).name)


class RecordingTests(HistoryCase):
    def test_an_import_is_recorded_per_file_with_its_counts(self):
        (entry,) = self.entries(Kind.FILE_IMPORTED)
        self.assertEqual(entry.actor, COMMAND_LINE)
        self.assertIsNone(entry.user)
        self.assertEqual(entry.label, str(self.dump))
        self.assertEqual(entry.after["new"], 5)
        self.assertEqual(entry.after["format"], "bulleted")
        empty = self.folder / "empty.txt"
        empty.write_bytes(b"")
        with self.assertRaisesMessage(CommandError, "1 file(s) could not be imported"):
            run_import(self.dump, empty, user="alice")
        imported = self.entries(Kind.FILE_IMPORTED)[-1]
        self.assertEqual((imported.actor, imported.user), ("alice", self.alice))
        self.assertEqual(imported.after["unchanged"], 5)
        (refused,) = self.entries(Kind.FILE_REFUSED)
        self.assertEqual(refused.label, str(empty))
        self.assertEqual(refused.after["reason"], "the file is empty")
        self.assertEqual(refused.actor, "alice")

    def test_notes_added_edited_and_deleted_are_recorded_with_before_and_after(self):
        article = self.articles["Orage sur Lyon"]
        note = create_note(article, self.alice, "À suivre #orage", "orage violent")
        update_note(note, "Corrigé #orage", by=self.alice)
        note_id = note.pk
        delete_commentary(note, by=self.charlie)
        added, edited, deleted = (
            self.entries(Kind.NOTE_ADDED)
            + self.entries(Kind.NOTE_EDITED)
            + self.entries(Kind.NOTE_DELETED)
        )
        self.assertEqual(
            (added.user, added.note_id, added.article_id), (self.alice, note_id, article.pk)
        )
        self.assertEqual(added.after, {"text": "À suivre #orage", "quote": "orage violent"})
        self.assertEqual(edited.before["text"], "À suivre #orage")
        self.assertEqual(edited.after["text"], "Corrigé #orage")
        self.assertEqual(deleted.actor, "charlie")
        self.assertEqual(deleted.before["text"], "Corrigé #orage")
        self.assertEqual(deleted.before["author_id"], self.alice.pk)
        self.assertEqual(deleted.before["quote_exact"], "orage violent")

    def test_the_api_and_the_admin_record_who_did_it(self):
        article = self.articles["Orage sur Lyon"]
        note = create_note(article, self.alice, "Première version")
        self.client.force_login(self.alice)
        url = f"/api/commentary/{note.pk}/"
        body = json.dumps({"text": "Seconde version"})
        self.assertEqual(
            self.client.patch(url, body, content_type="application/json").status_code, 200
        )
        self.assertEqual(self.client.delete(url).status_code, 204)
        other = create_note(article, self.alice, "Une autre")
        self.client.force_login(self.charlie)
        response = self.client.post(
            f"/admin/annotations/commentary/{other.pk}/delete/", {"post": "yes"}
        )
        self.assertEqual(response.status_code, 302)
        edited = self.entries(Kind.NOTE_EDITED)
        self.assertEqual(
            [(e.actor, e.after["text"]) for e in edited], [("alice", "Seconde version")]
        )
        deleted = self.entries(Kind.NOTE_DELETED)
        self.assertEqual(
            [(e.actor, e.before["text"]) for e in deleted],
            [("alice", "Seconde version"), ("charlie", "Une autre")],
        )

    def test_an_articles_hashtags_edited_on_its_page(self):
        article = self.articles["Orage sur Lyon"]
        self.client.force_login(self.alice)
        self.client.post(f"/articles/{article.pk}/hashtags/", {"hashtags": "#Lyon #Orages"})
        (entry,) = self.entries(Kind.ARTICLE_HASHTAGS)
        self.assertEqual(entry.user, self.alice)
        self.assertEqual(entry.article_id, article.pk)
        self.assertEqual(entry.before, {"hashtags": ["Lyon", "Météo"]})
        self.assertEqual(entry.after, {"hashtags": ["Lyon", "Orages"]})
        set_article_hashtags(article, ["Lyon", "Orages"], by=self.alice)  # no change: no entry
        self.assertEqual(len(self.entries(Kind.ARTICLE_HASHTAGS)), 1)

    def test_renames_and_merges_are_recorded(self):
        rename(self.tag("Météo"), "Temps", by=self.alice)
        (renamed,) = self.entries(Kind.HASHTAG_RENAMED)
        self.assertEqual((renamed.before["name"], renamed.after["name"]), ("Météo", "Temps"))
        self.assertEqual(renamed.label, "#Météo → #Temps")
        climat = self.tag("Climat")
        rename(self.tag("Temps"), "climat", by=self.alice)  # an existing name: a merge
        merge(self.tag("Alpes"), climat, by=self.charlie)
        by_rename, by_merge = self.entries(Kind.HASHTAG_MERGED)
        self.assertEqual(by_rename.before["source"]["name"], "Temps")
        self.assertEqual(by_rename.before["source"]["usage_count"], 3)
        self.assertEqual(by_rename.hashtag_id, climat.pk)
        self.assertEqual(by_rename.after["target"]["name"], "climat")
        self.assertEqual((by_merge.actor, by_merge.before["source"]["name"]), ("charlie", "Alpes"))

    def test_a_change_that_fails_leaves_no_entry(self):
        before = HistoryEntry.objects.count()
        self.client.force_login(self.alice)
        article = self.articles["Orage sur Lyon"]
        response = self.client.post(
            f"/articles/{article.pk}/notes/new/", {"text": "x", "quote": "pas dans le texte"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(HistoryEntry.objects.count(), before)


class UndoMergeTests(HistoryCase):
    def setUp(self):
        super().setUp()
        # An old spelling that is an alias of #Météo, a use written otherwise, a curator's use,
        # a dump use a curator took off, and notes that write it.
        rename(self.tag("Météo"), "Meteo", by=self.alice)
        rename(self.tag("Meteo"), "Météo", by=self.alice)
        grele = self.folder / "grele.txt"
        grele.write_text(
            "• Grêle en mai\n    https://www.example.org/grele\n\n    Des grêlons énormes.\n\n"
            "    #météo\n",
            encoding="utf-8",
        )
        run_import(grele)
        set_article_hashtags(self.articles["Orage sur Lyon"], ["Lyon"], by=self.alice)
        set_article_hashtags(
            self.articles["Marché de Noël"], ["Lyon", "Noël", "Météo"], by=self.alice
        )
        create_note(self.articles["Sécheresse record"], self.alice, "Voir #MÉTÉO et #climat")
        create_note(self.articles["Canicule en juin"], self.alice, "Encore la #météo")
        self.before = archive_state()

    def merged_entry(self) -> HistoryEntry:
        return HistoryEntry.objects.filter(kind=Kind.HASHTAG_MERGED).latest("pk")

    def test_undoing_a_rename_onto_an_existing_name_gives_everything_back(self):
        meteo = self.tag("Météo")
        self.assertEqual(meteo.usage_count, 4)
        meteo_id = meteo.pk
        rename(meteo, "CLIMAT", by=self.alice)
        self.assertFalse(Hashtag.objects.filter(key="météo").exists())
        self.assertEqual(self.tag("Climat").name, "CLIMAT")
        revision = ArchiveRevision.current()
        done, message = undo(self.merged_entry().pk, self.bob)
        self.assertEqual(archive_state(), self.before)
        self.assertCountsExact()
        self.assertEqual(message, "#Météo is back, on 4 articles; #Climat keeps the others.")
        self.assertEqual(
            (done.kind, done.undoes, done.actor), (Kind.UNDO, self.merged_entry(), "bob")
        )
        self.assertEqual(done.hashtag_id, meteo_id)
        self.assertGreater(ArchiveRevision.current(), revision)
        # The old spelling is #Météo's again: a new dump writing it lands there.
        self.assertEqual(HashtagAlias.objects.get(key="meteo").tag_id, meteo_id)

    def test_undoing_a_merge_gives_everything_back(self):
        merge(self.tag("Météo"), self.tag("Climat"), by=self.alice)
        self.assertEqual(self.tag("Climat").usage_count, 5)
        undo(self.merged_entry().pk, self.alice)
        self.assertEqual(archive_state(), self.before)
        self.assertCountsExact()
        response = self.client.get("/tags/météo/")
        self.assertContains(response, "Grêle en mai")
        self.assertNotContains(response, "Fonte des glaciers")

    def test_undoing_a_merge_whose_target_took_the_merged_name(self):
        # #Alpes is on one article: after the merge most of its uses are written "Météo", which
        # becomes its name (names are unique: the undo must hand it back in the right order).
        merge(self.tag("Météo"), self.tag("Alpes"), by=self.alice)
        self.assertEqual(Hashtag.objects.get(key="alpes").name, "Météo")
        undo(self.merged_entry().pk, self.alice)
        self.assertEqual(archive_state(), self.before)
        self.assertCountsExact()

    def test_a_merge_whose_articles_changed_since_is_not_undone(self):
        rename(self.tag("Météo"), "Climat", by=self.alice)
        set_article_hashtags(self.articles["Fonte des glaciers"], ["Alpes"], by=self.alice)
        after = archive_state()
        with self.assertRaisesMessage(
            UndoConflict,
            "The articles of #Climat changed since the merge (5 then, 4 now): undoing it would "
            "have to guess which of them #Météo should get back.",
        ):
            undo(self.merged_entry().pk, self.alice)
        self.assertEqual(archive_state(), after)
        self.assertFalse(HistoryEntry.objects.filter(kind=Kind.UNDO).exists())

    def test_a_merge_whose_name_is_taken_or_target_renamed_is_not_undone(self):
        rename(self.tag("Météo"), "Climat", by=self.alice)
        entry = self.merged_entry()
        rename(self.tag("Lyon"), "météo", by=self.alice)
        with self.assertRaisesMessage(UndoConflict, "The name #Météo is used by another hashtag"):
            undo(entry.pk, self.alice)
        rename(self.tag("météo"), "Lyon", by=self.alice)
        rename(self.tag("Climat"), "Climats", by=self.alice)
        with self.assertRaisesMessage(
            UndoConflict, "#Climat was renamed since the merge (it is #Climats now)"
        ):
            undo(entry.pk, self.alice)
        self.assertCountsExact()


class UndoRenameTests(HistoryCase):
    def test_undoing_a_rename_puts_name_slug_spellings_and_aliases_back(self):
        # "temps" was a name of #Climat: renaming #Météo to it takes it back from Climat.
        rename(self.tag("Climat"), "Temps", by=self.alice)
        rename(self.tag("Temps"), "Climat", by=self.alice)
        before = archive_state()
        self.assertEqual(HashtagAlias.objects.get(key="temps").tag, self.tag("Climat"))
        rename(self.tag("Météo"), "Temps", by=self.alice)
        self.assertFalse(HashtagAlias.objects.filter(key="temps").exists())
        entry = HistoryEntry.objects.filter(kind=Kind.HASHTAG_RENAMED).latest("pk")
        _done, message = undo(entry.pk, self.alice)
        self.assertEqual(message, "#Temps is #Météo again.")
        self.assertEqual(archive_state(), before)
        self.assertCountsExact()
        with self.assertRaisesMessage(UndoConflict, "This change was undone already."):
            undo(entry.pk, self.alice)

    def test_a_rename_whose_old_name_is_taken_is_not_undone(self):
        rename(self.tag("Météo"), "Temps", by=self.alice)
        entry = HistoryEntry.objects.get(kind=Kind.HASHTAG_RENAMED)
        rename(self.tag("Lyon"), "Météo", by=self.alice)
        with self.assertRaisesMessage(
            UndoConflict,
            "The name #Météo is used by another hashtag now: renaming #Temps back would merge "
            "the two.",
        ):
            undo(entry.pk, self.alice)
        rename(self.tag("Temps"), "Pluie", by=self.alice)
        with self.assertRaisesMessage(
            UndoConflict, "#Temps was renamed again since (it is #Pluie now): undo that first."
        ):
            undo(entry.pk, self.alice)

    def test_only_renames_merges_and_deletions_are_undone(self):
        set_article_hashtags(self.articles["Orage sur Lyon"], ["Lyon"], by=self.alice)
        entry = HistoryEntry.objects.get(kind=Kind.ARTICLE_HASHTAGS)
        with self.assertRaisesMessage(UndoConflict, "This kind of change cannot be undone."):
            undo(entry.pk, self.alice)


class UndoNoteDeletionTests(HistoryCase):
    def delete(self, title: str, text: str, quote: str | None = None) -> Commentary:
        note = create_note(self.articles[title], self.alice, text, quote)
        kept = Commentary.objects.get(pk=note.pk)
        delete_commentary(note, by=self.alice)
        return kept

    def deletion(self) -> HistoryEntry:
        return HistoryEntry.objects.filter(kind=Kind.NOTE_DELETED).latest("pk")

    def test_a_deleted_note_comes_back_as_it_was(self):
        note = self.delete("Orage sur Lyon", "Voir #orage_de_grêle", "orage violent")
        self.assertEqual(self.tag("orage_de_grêle").commentary_items.count(), 0)
        done, message = undo(self.deletion().pk, self.alice)
        self.assertEqual(message, "The note is back.")
        back = Commentary.objects.get(pk=note.pk)
        for field in ("text", "author", "article", "quote_exact", "quote_prefix", "created"):
            self.assertEqual(getattr(back, field), getattr(note, field), field)
        self.assertFalse(back.quote_lost)
        self.assertEqual(list(back.hashtags.values_list("name", flat=True)), ["orage_de_grêle"])
        self.assertEqual(done.note_id, note.pk)
        self.assertCountsExact()
        page = self.client.get(self.articles["Orage sur Lyon"].get_absolute_url())
        self.assertContains(page, "#orage_de_grêle")

    def test_a_note_whose_passage_left_the_text_comes_back_marked_lost(self):
        note = self.delete("Sécheresse record", "Alarmant", "nappes phréatiques")
        self.dump.write_text(
            dump_text(changed={"Sécheresse record": "Les réserves d'eau manquent partout."}),
            encoding="utf-8",
        )
        run_import(self.dump)
        _done, message = undo(self.deletion().pk, self.alice)
        self.assertEqual(
            message,
            "The note is back, but its passage is no longer in the article's text: it is kept "
            "and marked as lost, with the passage it quoted.",
        )
        back = Commentary.objects.get(pk=note.pk)
        self.assertTrue(back.quote_lost)
        self.assertEqual((back.text, back.quote_exact), ("Alarmant", "nappes phréatiques"))

    def test_a_note_whose_article_is_gone_is_not_put_back(self):
        self.delete("Orage sur Lyon", "Une note")
        delete_articles([self.articles["Orage sur Lyon"].pk])
        with self.assertRaisesMessage(
            UndoConflict,
            "The note's article was deleted since: there is nothing to put the note back on.",
        ):
            undo(self.deletion().pk, self.alice)
        self.assertFalse(Commentary.objects.exists())


class RecentChangesPageTests(HistoryCase):
    URL = "/changes/"

    def test_curators_only(self):
        self.assertRedirects(
            self.client.get(self.URL),
            f"/accounts/login/?next={self.URL}",
            fetch_redirect_response=False,
        )
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.URL).status_code, 403)
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.URL).status_code, 200)

    def test_newest_first_with_filters_and_links(self):
        rename(self.tag("Météo"), "Temps", by=self.alice)
        note = create_note(self.articles["Fonte des glaciers"], self.charlie, "Triste #glaciers")
        self.client.force_login(self.alice)
        html = self.client.get(self.URL).content.decode()
        order = [html.index(s) for s in ("Triste #glaciers", "#Météo renamed #Temps", "meteo.txt")]
        self.assertEqual(order, sorted(order))
        self.assertIn('href="/tags/temps/"', html)
        self.assertIn(
            f"{self.articles['Fonte des glaciers'].get_absolute_url()}#note-{note.pk}", html
        )
        self.assertIn("command line", html)
        mine = self.client.get(self.URL, {"user": "alice"}).content.decode()
        self.assertIn("#Météo renamed #Temps", mine)
        self.assertNotIn("Triste #glaciers", mine)
        imports = self.client.get(self.URL, {"kind": "file_imported"}).content.decode()
        self.assertIn("5 new, 0 updated, 0 unchanged, 0 replies", imports)
        self.assertNotIn("#Météo renamed #Temps", imports)

    def test_pages_of_fifty(self):
        for i in range(55):
            create_note(self.articles["Orage sur Lyon"], self.alice, f"Note numéro {i:02d}")
        self.client.force_login(self.alice)
        first = self.client.get(self.URL, {"kind": "note_added"}).content.decode()
        self.assertIn("Note numéro 54", first)
        self.assertNotIn("Note numéro 04", first)
        self.assertIn('href="?kind=note_added&amp;page=2"', first)
        second = self.client.get(self.URL, {"kind": "note_added", "page": 2}).content.decode()
        self.assertIn("Note numéro 04", second)
        self.assertNotIn("Note numéro 05", second)

    def test_undo_from_the_page(self):
        rename(self.tag("Météo"), "Temps", by=self.alice)
        entry = HistoryEntry.objects.get(kind=Kind.HASHTAG_RENAMED)
        url = f"/changes/{entry.pk}/undo/"
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(self.URL), f'action="{url}"')
        self.assertEqual(self.client.get(url).status_code, 405)
        response = self.client.post(url, {"back": "?kind=hashtag_renamed"}, follow=True)
        self.assertEqual(response.redirect_chain, [("/changes/?kind=hashtag_renamed", 302)])
        self.assertContains(response, "#Temps is #Météo again.")
        self.assertContains(response, "Undone by alice")
        self.assertNotContains(response, f'action="{url}"')
        self.assertEqual(self.tag("Météo").usage_count, 3)
        again = self.client.post(url, {"back": "https://elsewhere.example/?kind=undo"}, follow=True)
        self.assertEqual(again.redirect_chain, [("/changes/", 302)])
        self.assertContains(again, "This change was undone already.")

    def test_undo_needs_the_right_and_a_csrf_token(self):
        rename(self.tag("Météo"), "Temps", by=self.alice)
        entry = HistoryEntry.objects.get(kind=Kind.HASHTAG_RENAMED)
        url = f"/changes/{entry.pk}/undo/"
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(url).status_code, 403)
        checked = self.client_class(enforce_csrf_checks=True)
        checked.force_login(self.alice)
        self.assertEqual(checked.post(url).status_code, 403)
        self.assertFalse(HistoryEntry.objects.filter(kind=Kind.UNDO).exists())

    def test_a_deleted_note_is_put_back_by_its_author_or_who_deleted_it(self):
        dave = User.objects.create_user("dave", "dave@example.org", "password")
        make_curator(dave)
        note = create_note(self.articles["Orage sur Lyon"], self.alice, "La note d'alice")
        note_id = note.pk
        delete_commentary(note, by=self.charlie)
        entry = HistoryEntry.objects.get(kind=Kind.NOTE_DELETED)
        self.client.force_login(dave)
        self.assertNotContains(self.client.get(self.URL), "/undo/")
        self.assertEqual(self.client.post(f"/changes/{entry.pk}/undo/").status_code, 403)
        self.client.force_login(self.alice)
        response = self.client.post(f"/changes/{entry.pk}/undo/", follow=True)
        self.assertContains(response, "The note is back.")
        self.assertTrue(Commentary.objects.filter(pk=note_id).exists())

    def test_a_refused_undo_says_why(self):
        rename(self.tag("Météo"), "Temps", by=self.alice)
        entry = HistoryEntry.objects.get(kind=Kind.HASHTAG_RENAMED)
        rename(self.tag("Lyon"), "Météo", by=self.alice)
        self.client.force_login(self.alice)
        response = self.client.post(f"/changes/{entry.pk}/undo/", follow=True)
        self.assertContains(response, "is used by another hashtag now", status_code=200)
        self.assertContains(response, 'class="error"')

    def test_in_french(self):
        rename(self.tag("Météo"), "Temps", by=self.alice)
        self.client.force_login(self.alice)
        html = self.client.get(self.URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        self.assertIn("Modifications récentes", html)
        self.assertIn("Annuler", html)


class MergeConfirmationTests(HistoryCase):
    def test_a_merge_is_shown_then_confirmed(self):
        self.client.force_login(self.alice)
        url = "/tags/météo/rename/"
        response = self.client.post(url, {"name": "climat"})
        self.assertEqual(response.status_code, 200)
        for text in (
            "#Météo is on 3 articles.",
            "#Climat is on 2 articles.",
            "After the merge, one hashtag is on 4 articles.",
            "The spelling kept for every use: #climat.",
        ):
            self.assertContains(response, text)
        self.assertTrue(Hashtag.objects.filter(key="météo").exists())
        self.assertFalse(HistoryEntry.objects.filter(kind=Kind.HASHTAG_MERGED).exists())
        response = self.client.post(url, {"name": "climat", "confirm": "merge"})
        self.assertRedirects(response, "/tags/climat/", fetch_redirect_response=False)
        self.assertFalse(Hashtag.objects.filter(key="météo").exists())
        self.assertEqual(self.tag("climat").usage_count, 4)
        self.assertEqual(HistoryEntry.objects.get(kind=Kind.HASHTAG_MERGED).user, self.alice)

    def test_a_plain_rename_needs_no_confirmation(self):
        self.client.force_login(self.alice)
        response = self.client.post("/tags/météo/rename/", {"name": "Temps"})
        self.assertRedirects(response, "/tags/temps/", fetch_redirect_response=False)
