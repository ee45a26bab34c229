"""A plain article's reader comments become commentary, and curators' edits of an article's
fields survive re-imports.

The real dump 003 is a blog post quoting a Bloomberg article (its title line and nine
paragraphs, lines 1–10) followed by 78 lines of readers' comments (lines 11–88), with no markup.
Tested through the real import command and the real curator pages.
"""

from __future__ import annotations

import io
import json
import re
import shutil

from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from annotations.models import Commentary
from archive.models import Article
from tests.base import DEMO_DUMPS, PLAIN_DUMP, BaseTestCase, run_import, temporary_folder
from tests.test_curated_reimport import assert_counts_true

FIRST_COMMENT = "I wonder what rating a certain person would get for being a Twitter bully"
LAST_ARTICLE_WORDS = "easier to catch — and punish — than ever before."
# Line 37 of the dump is a lone link that belongs to the comment on line 36.
LINK_ALONE = "https://www.selligent.com/platform/capabilities/behavioral-retargeting"


class ReaderCommentsTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.folder = temporary_folder(self)
        self.dump = self.folder / PLAIN_DUMP.name
        shutil.copy(PLAIN_DUMP, self.dump)

    def article(self) -> Article:
        return Article.objects.get()

    def comments(self) -> list[str]:
        return [c.text for c in self.article().commentary.order_by("position")]

    def edit_dump(self, old: str, new: str) -> None:
        text = self.dump.read_text(encoding="utf-8")
        self.assertIn(old, text)
        self.dump.write_text(text.replace(old, new, 1), encoding="utf-8")

    def assert_split_at_line_11(self) -> None:
        article = self.article()
        self.assertEqual(len(article.paragraphs), 9)
        self.assertTrue(article.paragraphs[-1]["text"].endswith(LAST_ARTICLE_WORDS))
        comments = self.comments()
        self.assertEqual(len(comments), 78)
        self.assertTrue(comments[0].startswith(FIRST_COMMENT))
        self.assertNotIn(FIRST_COMMENT, article.text)
        self.assertNotIn(LINK_ALONE, article.links)  # a comment's link is the comment's

    def test_import_option_makes_the_comments_replies_shown_and_searched_as_commentary(self):
        out, _ = run_import(self.dump, comments_from=11)
        self.assertIn("78 replies", out)
        self.assert_split_at_line_11()
        page = self.client.get(self.article().get_absolute_url())
        self.assertContains(page, '<span class="count">78</span>', html=False)
        self.assertContains(page, "Reader comment")
        found = self.client.get("/api/search/", {"q": '"Twitter bully with name calling"'})
        self.assertEqual([r["id"] for r in found.json()["results"]], [self.article().pk])
        # Lines keep pointing into the file.
        first = self.article().commentary.order_by("position").first()
        self.assertEqual(first.source_line, 11)

    def test_the_split_is_remembered_by_later_imports_of_the_same_and_an_edited_dump(self):
        run_import(self.dump, comments_from=11)
        out, _ = run_import(self.dump)
        self.assertIn("1 unchanged", out)
        self.assert_split_at_line_11()
        self.edit_dump("social credit will get", "social credit would get")
        out, err = run_import(self.dump)
        self.assertIn("1 updated", out)
        self.assertEqual(err, "")
        self.assert_split_at_line_11()
        self.assertIn("would get", self.article().text)
        self.assertEqual(Commentary.objects.count(), 78)  # updated in place, no duplicate

    def test_an_edited_first_comment_keeps_the_split_where_it_was_and_says_so(self):
        run_import(self.dump, comments_from=11)
        self.edit_dump("Twitter bully", "Twitter troll")
        out, err = run_import(self.dump)
        self.assertIn("was edited: they still start at paragraph 10", err)
        comments = self.comments()
        self.assertEqual(len(comments), 78)
        self.assertIn("Twitter troll", comments[0])
        self.assertEqual(len(self.article().paragraphs), 9)

    def test_the_option_names_a_line_where_a_paragraph_starts(self):
        for line in (1, 500):
            err = self.import_refused(self.dump, comments_from=line)
            self.assertIn(
                f"{self.dump}:{line}: --comments-from: no paragraph of the article's text "
                "starts on this line",
                err,
            )
        err = self.import_refused(DEMO_DUMPS / "demo_seenthis_export.txt", comments_from=3)
        self.assertIn("--comments-from applies to a plain article", err)
        self.assertFalse(Article.objects.exists())
        with self.assertRaisesMessage(CommandError, "name a single file"):
            run_import(self.dump, DEMO_DUMPS, comments_from=11)

    def import_refused(self, *paths, **options) -> str:
        """The command's error output for an import it refuses."""
        err = io.StringIO()
        with self.assertRaisesMessage(CommandError, "1 file(s) could not be imported"):
            call_command(
                "import_dump",
                *map(str, paths),
                stdout=io.StringIO(),
                stderr=err,
                no_progress=True,
                **options,
            )
        return err.getvalue()

    def test_a_curator_says_where_comments_start_joins_two_and_reimports_keep_both(self):
        run_import(self.dump)
        article = self.article()
        self.assertEqual(len(article.paragraphs), 87)
        self.assertEqual(self.comments(), [])
        self.client.force_login(self.alice)
        page = self.client.get(article.get_absolute_url())
        start_url = reverse("comments_start", args=[article.pk, 9])
        self.assertContains(page, f'href="{start_url}"')
        confirm = self.client.get(start_url)
        self.assertContains(confirm, "The last 78 paragraphs")
        self.assertContains(confirm, FIRST_COMMENT)
        done = self.client.post(start_url)
        self.assertEqual(done.status_code, 302)
        self.assert_split_at_line_11()
        # Line 37 (a lone link) is joined to the comment above it.
        link_reply = next(c for c in self.article().commentary.all() if c.text == LINK_ALONE)
        # As a browser does: the form's own CSRF token, checked.
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(self.alice)
        page = browser.get(self.article().get_absolute_url()).content.decode()
        join_url = reverse("comment_join", args=[link_reply.pk])
        form = re.search(
            rf'<form method="post" action="{re.escape(join_url)}"[^>]*>'
            r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">',
            page,
        )
        self.assertIsNotNone(form, "no join form with a CSRF token")
        self.assertEqual(browser.post(join_url).status_code, 403)  # without the token
        response = browser.post(join_url, {"csrfmiddlewaretoken": form.group(1)})
        self.assertEqual(response.status_code, 302)
        comments = self.comments()
        self.assertEqual(len(comments), 77)
        joined = next(c for c in comments if c.endswith(LINK_ALONE))
        self.assertIn("\n\n", joined)
        # The same dump, then an edited one: the split and the join stay.
        out, _ = run_import(self.dump)
        self.assertIn("1 unchanged", out)
        self.edit_dump("social credit will get", "social credit would get")
        run_import(self.dump)
        self.assertEqual(len(self.article().paragraphs), 9)
        self.assertEqual(self.comments(), comments)
        # A JSON export carries it: restored into an empty archive, then re-imported.
        export = self.folder / "archive.json"
        call_command("export_dump", str(export), format="json", stdout=io.StringIO())
        Article.objects.all().delete()
        run_import(export)
        self.assertEqual(self.comments(), comments)
        run_import(self.dump)
        self.assertEqual(self.comments(), comments)
        self.assertEqual(Commentary.objects.count(), 77)
        # Put back: the text is whole again, and stays so.
        self.client.post(reverse("comments_unsplit", args=[self.article().pk]))
        self.assertEqual(len(self.article().paragraphs), 87)
        self.assertEqual(self.comments(), [])
        self.edit_dump("social credit would get", "social credit will get")
        run_import(self.dump)
        self.assertEqual(len(self.article().paragraphs), 87)
        self.assertEqual(self.comments(), [])
        assert_counts_true(self)

    def test_only_curators_split_and_join(self):
        run_import(self.dump)
        article = self.article()
        start_url = reverse("comments_start", args=[article.pk, 9])
        self.assertNotContains(self.client.get(article.get_absolute_url()), start_url)
        self.assertEqual(self.client.post(start_url).status_code, 302)  # to the login page
        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(start_url).status_code, 403)
        self.assertEqual(self.comments(), [])

    def test_an_edited_dump_that_drops_a_reply_drops_it_from_the_archive(self):
        dump = self.folder / "posts.txt"
        dump.write_text(
            "• Un article\nhttps://example.org/a\n    Le texte.\n"
            "    • Première réponse #Réponse\n    • Seconde réponse\n",
            encoding="utf-8",
        )
        run_import(dump)
        self.assertEqual(len(self.comments()), 2)
        dump.write_text(
            "• Un article\nhttps://example.org/a\n    Le texte.\n    • Seconde réponse\n",
            encoding="utf-8",
        )
        run_import(dump)
        self.assertEqual(self.comments(), ["Seconde réponse"])


class CuratorFieldsTests(BaseTestCase):
    """A field a curator edits in the admin stays as they left it through re-imports."""

    def test_an_edited_title_and_text_survive_an_edited_dump(self):
        folder = temporary_folder(self)
        dump = folder / "posts.txt"
        dump.write_text(
            "• Titre du flux\nhttps://example.org/a\n    Texte du flux.\n\n    #Flux\n",
            encoding="utf-8",
        )
        run_import(dump)
        article = Article.objects.get()
        self.client.force_login(self.charlie)
        change = reverse("admin:archive_article_change", args=[article.pk])
        form = self.client.get(change).context["adminform"].form
        data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
        data.update(
            {
                "title": "Titre corrigé par une curatrice",
                "paragraphs": json.dumps([{"text": "Texte corrigé.", "lang": "fr"}]),
                "links": json.dumps([]),
                "mentions": json.dumps([]),
                "taggedarticle_set-TOTAL_FORMS": "0",
                "taggedarticle_set-INITIAL_FORMS": "0",
            }
        )
        self.assertEqual(self.client.post(change, data).status_code, 302)
        dump.write_text(
            "• Titre du flux\nhttps://example.org/a\n    Texte du flux, modifié.\n\n    #Flux\n",
            encoding="utf-8",
        )
        out, _ = run_import(dump)
        self.assertIn("1 updated", out)
        self.assertIn("curator edits kept on 1", out)
        article = Article.objects.get()
        self.assertEqual(article.title, "Titre corrigé par une curatrice")
        self.assertEqual(article.text, "Texte corrigé.")
        self.assertEqual(sorted(article.curator_fields), ["paragraphs", "title"])
        found = self.client.get("/api/search/", {"q": "corrigé"}).json()
        self.assertEqual([r["id"] for r in found["results"]], [article.pk])


class AdminBulkDeleteTests(BaseTestCase):
    def test_deleting_thousands_of_articles_at_once_in_the_admin(self):
        folder = temporary_folder(self)
        dump = folder / "many.txt"
        dump.write_text(
            "".join(
                f"• Article {n}\nhttps://example.org/{n}\n    Texte {n}.\n\n    #Masse\n\n"
                for n in range(1500)
            ),
            encoding="utf-8",
        )
        run_import(dump)
        self.client.force_login(self.charlie)
        changelist = reverse("admin:archive_article_changelist") + "?q=Article"
        first_page = list(Article.objects.order_by("-created", "id").values_list("pk", flat=True))
        choose = {
            "action": "delete_selected",
            "select_across": "1",
            "index": "0",
            "_selected_action": [str(pk) for pk in first_page[:50]],
        }
        confirm = self.client.post(changelist, choose)
        self.assertContains(confirm, "Delete 1500 articles?")
        # Posted back as a browser would: every field of the confirmation form.
        fields: dict[str, list[str]] = {}
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.content.decode()
        ):
            fields.setdefault(name, []).append(value)
        self.assertLess(sum(map(len, fields.values())), 100)
        confirmed = self.client.post(changelist, fields)
        self.assertEqual(confirmed.status_code, 302)
        self.assertFalse(Article.objects.exists())
        self.assertEqual(self.client.get("/api/tags/").json()["results"], [])
        assert_counts_true(self)
