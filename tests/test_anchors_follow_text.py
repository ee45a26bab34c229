"""Anchors follow the text: a re-import that changes an article's text moves its notes' anchors
then and there, and says so.

Through the real import command on dump files written for each test, the real note form and the
real pages, on whichever database the suite runs on: a note whose passage was reworded shows the
passage as it now reads (the first wording kept for curators), a note whose passage is gone is
marked lost and shown apart (never deleted), a passage that only moved is followed silently, and
the import's output names the notes re-anchored and lost.
"""

from __future__ import annotations

import importlib
import json
import re
from io import StringIO

from django.apps import apps
from django.core.management import call_command

from annotations.models import Commentary
from archive.models import Article
from tests.base import BaseTestCase, run_import, temporary_folder

TITLE = "Cameras on the station square"
FIRST = (
    "The city installed forty cameras on the square last spring. The mayor says they reduce "
    "crime, but the figures published so far show no effect at all on thefts or assaults."
)
SECOND = (
    "A second paragraph explains that the cameras record faces and keep the images for thirty "
    "days before anyone deletes them, which the data protection office finds too long."
)
REWORDED = "the figures published so far show no effect at all on thefts or assaults"
NOW_READS = "the figures released until now show no clear effect on thefts or assaults"
GONE = "keep the images for thirty days before anyone deletes them"
MOVED = "The city installed forty cameras on the square"
OTHER = (
    "Elsewhere, a bakery opened near the river; its bread sells out by nine every morning, "
    "and the queue reaches the bridge on Sundays."
)


def dump(*paragraphs: str) -> str:
    body = "".join(f"    {p}\n\n" for p in paragraphs)
    return f"• {TITLE}\n    https://example.org/station-cameras\n\n{body}    #cameras\n"


class AnchorsFollowTheTextTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.folder = temporary_folder(self)
        out, _ = run_import(self.write("v1.txt", dump(FIRST, SECOND)))
        self.assertIn("1 new", out)
        self.article = Article.objects.get(title=TITLE)
        self.client.force_login(self.alice)
        self.reworded = self.add_note("On the figures", REWORDED)
        self.gone = self.add_note("Thirty days is long", GONE)
        self.moved = self.add_note("Forty of them", MOVED)

    def write(self, name: str, text: str):
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def add_note(self, text: str, quote: str) -> Commentary:
        response = self.client.post(
            f"/articles/{self.article.pk}/notes/new/", {"text": text, "quote": quote}
        )
        self.assertEqual(response.status_code, 302)
        return Commentary.objects.get(text=text)

    def edit(self) -> tuple[str, str]:
        """The edited dump: a paragraph added on top, a passage reworded, one paragraph gone."""
        return run_import(
            self.write(
                "v2.txt", dump("A new introduction.", FIRST.replace(REWORDED, NOW_READS), OTHER)
            )
        )

    def test_an_edited_re_import_moves_rewords_and_loses_anchors_and_says_so(self):
        out, _ = self.edit()
        self.assertIn("1 updated", out)
        self.assertIn("notes re-anchored: 1", out)
        self.assertIn("notes whose passage was lost: 1", out)
        self.assertIn("1 note re-anchored, 1 note whose passage was lost", out)
        # Each named, with its article.
        self.assertRegex(
            out,
            rf"re-anchored: note {self.reworded.pk} on “{TITLE}” \(article {self.article.pk}\), "
            rf"“On the figures”: now quotes “{re.escape(NOW_READS[:40])}",
        )
        self.assertIn(f"passage lost: note {self.gone.pk} on “{TITLE}”", out)
        self.assertNotIn(f"note {self.moved.pk} ", out)  # moved, same words: followed silently

        text = Article.objects.get(pk=self.article.pk).text
        reworded = Commentary.objects.get(pk=self.reworded.pk)
        self.assertEqual(reworded.quote_exact, NOW_READS)
        self.assertEqual(reworded.quote_original, REWORDED)
        self.assertEqual(text[reworded.quote_start :].find(NOW_READS), 0)
        self.assertFalse(reworded.quote_lost)
        gone = Commentary.objects.get(pk=self.gone.pk)
        self.assertTrue(gone.quote_lost)
        self.assertEqual(gone.quote_exact, GONE)  # its last wording, to be found again
        moved = Commentary.objects.get(pk=self.moved.pk)
        self.assertEqual(moved.quote_start, text.index(MOVED))
        self.assertEqual(moved.quote_original, "")
        self.assertFalse(moved.quote_lost)
        self.assertEqual(moved.quote_prefix, "A new introduction.\n\n")

    def test_the_page_shows_the_passage_as_it_now_reads_and_lost_notes_apart(self):
        self.edit()
        url = self.article.get_absolute_url()
        self.client.logout()
        page = self.client.get(url).content.decode()
        # The note quotes the new wording, and the new wording is what is highlighted.
        self.assertIn(f"« {NOW_READS} »", page)
        self.assertRegex(page, rf'id="passage-{self.reworded.pk}"><a [^>]*>{NOW_READS}')
        self.assertNotIn(REWORDED, page)  # readers see the text as it is
        self.assertNotIn("Passage as first quoted", page)
        # The lost note is still there, apart, after the others.
        lost_section = page.index("On a passage no longer in the text")
        self.assertGreater(page.index(f'id="note-{self.gone.pk}"'), lost_section)
        self.assertLess(page.index(f'id="note-{self.reworded.pk}"'), lost_section)
        self.assertIn("passage not found", page)
        self.assertIn('<span class="count">3</span>', page)
        self.assertNotIn("Anchors after the text changed", page)

        self.client.force_login(self.alice)
        page = self.client.get(url).content.decode()
        self.assertIn(f"Passage as first quoted: « {REWORDED} »", page)
        panel = page[page.index("Anchors after the text changed") :]
        self.assertIn("1 note re-anchored to its passage as it now reads", panel)
        self.assertIn(f'href="#note-{self.reworded.pk}"', panel)
        self.assertIn("1 note whose passage was lost", panel)
        self.assertIn(f'href="#note-{self.gone.pk}"', panel)
        self.assertNotIn(f'href="#note-{self.moved.pk}"', panel)

    def test_the_same_dump_again_changes_nothing_and_the_old_text_finds_the_passages_again(self):
        self.edit()
        out, _ = self.edit()
        self.assertNotIn("re-anchored", out)
        self.assertNotIn("lost", out)
        out, _ = run_import(self.write("v3.txt", dump(FIRST, SECOND)))  # the first text back
        self.assertIn("notes re-anchored: 2", out)  # reworded back, and found again
        reworded = Commentary.objects.get(pk=self.reworded.pk)
        self.assertEqual((reworded.quote_exact, reworded.quote_original), (REWORDED, ""))
        gone = Commentary.objects.get(pk=self.gone.pk)
        self.assertFalse(gone.quote_lost)
        self.assertEqual(Article.objects.get(pk=self.article.pk).text.index(GONE), gone.quote_start)
        self.assertEqual(Commentary.objects.filter(article=self.article).count(), 3)

    def test_the_page_trusts_the_stored_anchor(self):
        """No approximate search on a view: an anchor that does not hold its passage exactly (a
        text changed behind the services' back) is shown as not found, not guessed."""
        self.edit()
        Commentary.objects.filter(pk=self.moved.pk).update(
            quote_exact="The city installed fourty cameras on the square"
        )
        page = self.client.get(self.article.get_absolute_url()).content.decode()
        self.assertNotIn(f'id="passage-{self.moved.pk}"', page)
        self.assertIn(f'id="passage-{self.reworded.pk}"', page)
        self.assertGreater(page.index(f'id="note-{self.moved.pk}"'), page.index("no longer in"))

    def test_an_export_keeps_the_first_wording_and_the_lost_mark(self):
        self.edit()
        exported = self.folder / "export.json"
        call_command("export_dump", str(exported), format="json", stderr=StringIO())
        notes = {
            n["text"]: n
            for a in json.loads(exported.read_text(encoding="utf-8"))["articles"]
            for n in a["commentary"]
        }
        self.assertEqual(notes["On the figures"]["quote"]["first_quoted"], REWORDED)
        self.assertTrue(notes["Thirty days is long"]["quote"]["lost"])
        Commentary.objects.filter(article=self.article).update(quote_original="", quote_lost=False)
        out, _ = run_import(exported)
        self.assertNotIn("re-anchored", out)
        reworded = Commentary.objects.get(pk=self.reworded.pk)
        self.assertEqual((reworded.quote_exact, reworded.quote_original), (NOW_READS, REWORDED))
        self.assertTrue(Commentary.objects.get(pk=self.gone.pk).quote_lost)

    def test_an_edit_of_the_text_in_the_admin_moves_the_anchors_too(self):
        self.client.force_login(self.charlie)
        url = f"/admin/archive/article/{self.article.pk}/change/"
        form = self.client.get(url).context
        data = {
            name: value
            for name, value in form["adminform"].form.initial.items()
            if name in ("title", "url", "language", "links", "mentions")
        }
        data["links"], data["mentions"] = json.dumps(data["links"]), json.dumps(data["mentions"])
        paragraphs = [
            {"text": FIRST.replace(REWORDED, NOW_READS), "lang": "en"},
            {"text": OTHER, "lang": "en"},
        ]
        data["paragraphs"] = json.dumps(paragraphs)
        for formset in form["inline_admin_formsets"]:
            management = formset.formset.management_form
            data.update({management.add_prefix(k): v for k, v in management.initial.items()})
            for inline in formset.formset.forms:
                data.update({inline.add_prefix(k): v for k, v in inline.initial.items()})
                data[inline.add_prefix("id")] = inline.instance.pk
                data[inline.add_prefix("tag")] = inline.instance.tag_id
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302, response.content[:3000])
        reworded = Commentary.objects.get(pk=self.reworded.pk)
        self.assertEqual((reworded.quote_exact, reworded.quote_original), (NOW_READS, REWORDED))
        self.assertTrue(Commentary.objects.get(pk=self.gone.pk).quote_lost)
        self.assertEqual(Commentary.objects.get(pk=self.moved.pk).quote_start, 0)

    def test_the_migration_moves_anchors_left_behind_by_earlier_imports(self):
        """Before anchors followed the text, a re-import left them where the text used to be
        (the page searched for them on each view): the migration moves them once."""
        edited = [
            {"text": t, "lang": "en"}
            for t in ("A new introduction.", FIRST.replace(REWORDED, NOW_READS), OTHER)
        ]
        Article.objects.filter(pk=self.article.pk).update(paragraphs=edited)
        migration = importlib.import_module(
            "annotations.migrations.0003_commentary_anchor_follows_text"
        )
        migration.move_anchors(apps, None)
        reworded = Commentary.objects.get(pk=self.reworded.pk)
        self.assertEqual((reworded.quote_exact, reworded.quote_original), (NOW_READS, REWORDED))
        self.assertTrue(Commentary.objects.get(pk=self.gone.pk).quote_lost)
        text = Article.objects.get(pk=self.article.pk).text
        self.assertEqual(Commentary.objects.get(pk=self.moved.pk).quote_start, text.index(MOVED))
