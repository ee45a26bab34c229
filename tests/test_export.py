"""export_dump: the archive written back out, and read back in by import_dump.

The text export, imported into an empty archive, gives the same articles, paragraphs, hashtags
and replies (curator notes become replies); the JSON export gives back everything, anchors
included. Both stream the archive a chunk at a time.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Commentary
from annotations.notes import create_note
from archive import exporter
from archive.models import Article
from tests.archive_view import full_view, text_view, wipe
from tests.base import (
    HOSTILE_DUMPS,
    PLAIN_DUMP,
    SEENTHIS_DUMP,
    BaseTestCase,
    run_import,
    temporary_folder,
)
from tests.dbprocs import snapshot_here


def export_dump(path: Path, *args: str) -> str:
    err = io.StringIO()
    call_command("export_dump", str(path), *args, stderr=err)
    return err.getvalue()


class ExportTests(BaseTestCase):
    """The two real dumps, the hostile files that import, and curator notes with anchors."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        run_import(SEENTHIS_DUMP, PLAIN_DUMP)
        for name in ("cp1252.txt", "crlf_bom.txt", "nested_bullets.txt", "lone_cr.txt"):
            run_import(HOSTILE_DUMPS / name)
        article = Article.objects.get(title__startswith="Le système de crédit social chinois")
        cls.note = create_note(
            article,
            cls.alice,
            "Une note sur #Confucius\n\net la suite.",
            quote="la rectification des noms",
        )
        create_note(article, cls.bob, "Sans ancrage.")

    def setUp(self):
        import shutil
        import tempfile

        self.tmp = Path(tempfile.mkdtemp(prefix="export-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_text_export_reads_back_the_same(self):
        before = text_view()
        self.assertEqual(len(before), 20)
        out = self.tmp / "archive.txt"
        self.assertIn("20 article(s) exported", export_dump(out))
        text = out.read_text(encoding="utf-8")
        self.assertTrue(text.startswith("• China\u00a0: Totale Kontrolle"))
        self.assertIn("\n    • Une note sur #Confucius\n\n      et la suite.\n", text)
        wipe()
        run_import(out)
        self.assertEqual(text_view(), before)
        # The curator note came back as a reply, with its hashtag.
        reply = Commentary.objects.get(text__startswith="Une note sur")
        self.assertEqual(reply.origin, "reply")
        self.assertEqual([t.name for t in reply.hashtags.all()], ["Confucius"])

    def test_text_export_of_the_real_dump_matches_it(self):
        """Exporting an archive made of one dump gives the dump's posts back, line for line."""
        wipe()
        run_import(SEENTHIS_DUMP)
        out = self.tmp / "seenthis.txt"
        export_dump(out)
        exported = out.read_text(encoding="utf-8").splitlines()
        original = SEENTHIS_DUMP.read_text(encoding="utf-8").splitlines()
        titles = [
            line.strip()
            for line in original
            if line.lstrip(" ").startswith("• ") and not line.startswith("    ")
        ]
        self.assertEqual([line for line in exported if line.startswith("• ")], titles)
        self.assertEqual(len([line for line in exported if line.startswith("    • ")]), 2)

    def test_json_export_restores_everything(self):
        before = full_view()
        anchored = [n for a in before["articles"] for n in a["commentary"] if n["anchor"][0]]
        self.assertEqual(anchored[0]["anchor"][0], "la rectification des noms")
        out = self.tmp / "archive.json"
        export_dump(out, "--format", "json")
        document = json.loads(out.read_text(encoding="utf-8"))  # one valid JSON document
        self.assertEqual(document["format"], "quote-archive")
        self.assertEqual(len(document["articles"]), 20)
        wipe()
        out_text, _ = run_import(out)
        self.assertIn("json, 20 new", out_text)
        self.assertEqual(full_view(), before)
        note = Commentary.objects.get(text__startswith="Une note sur")
        self.assertEqual(
            (note.origin, note.author, note.quote_exact, note.quote_start),
            ("note", self.alice, "la rectification des noms", self.note.quote_start),
        )
        # Importing it again over the restored archive changes nothing.
        out_text, _ = run_import(out)
        self.assertIn("json, 0 new, 0 updated, 20 unchanged", out_text)
        self.assertEqual(full_view(), before)

    def test_export_of_one_hashtag(self):
        tagged = set(
            Article.objects.filter(hashtags__key="microsoft").values_list("title", flat=True)
        )
        self.assertGreater(len(tagged), 1)
        out = self.tmp / "microsoft.json"
        self.assertIn(
            f"{len(tagged)} article(s)", export_dump(out, "--tag", "#Microsoft", "--format", "json")
        )
        wipe()
        run_import(out)
        self.assertEqual(set(Article.objects.values_list("title", flat=True)), tagged)

    def test_unknown_hashtag_writes_nothing(self):
        out = self.tmp / "none.txt"
        with self.assertRaises(CommandError) as raised:
            export_dump(out, "--tag", "nosuchtag")
        self.assertEqual(str(raised.exception), "no hashtag #nosuchtag in the archive")
        self.assertEqual(list(self.tmp.iterdir()), [])

    def test_a_failed_export_leaves_the_previous_file(self):
        out = self.tmp / "backup.json"
        out.write_text("yesterday's backup", encoding="utf-8")
        with mock.patch.object(exporter, "json_article", side_effect=OSError(28, "No space")):
            with self.assertRaises(CommandError):
                export_dump(out, "--format", "json")
        self.assertEqual(out.read_text(encoding="utf-8"), "yesterday's backup")
        self.assertEqual([p.name for p in self.tmp.iterdir()], ["backup.json"])

    def test_export_streams_in_chunks(self):
        whole = io.StringIO()
        exporter.export(whole, format="json")
        small = io.StringIO()
        with mock.patch.object(exporter, "CHUNK", 4), CaptureQueriesContext(connection) as queries:
            self.assertEqual(exporter.export(small, format="json"), 20)
        self.assertEqual(small.getvalue().split("\n", 1)[1], whole.getvalue().split("\n", 1)[1])
        article_reads = [
            q["sql"]
            for q in queries.captured_queries
            if 'FROM "archive_article"' in q["sql"] and "LIMIT 4" in q["sql"]
        ]
        self.assertEqual(len(article_reads), 6)  # 20 articles, 4 at a time, then an empty read


class JsonImportRefusalTests(BaseTestCase):
    """A JSON file that is not a good export is refused whole, with its line."""

    dumps = (SEENTHIS_DUMP,)

    def refused(self, text: str, message: str, name: str = "bad.json") -> None:

        path = temporary_folder(self) / name
        path.write_text(text, encoding="utf-8")
        before = snapshot_here()
        out, err = io.StringIO(), io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import_dump", str(path), stdout=out, stderr=err, no_progress=True)
        self.assertIn(f"error: {path}:{message}", err.getvalue())
        self.assertEqual(snapshot_here(), before)

    def good_article(self, n: int) -> str:
        return json.dumps(
            {
                "title": f"Article {n}",
                "url": f"https://example.org/{n}",
                "paragraphs": [{"text": "Texte.", "lang": "fr"}],
                "hashtags": ["json"],
            }
        )

    def test_refusals(self):
        head = '{"format": "quote-archive", "version": 1, "articles": [\n'
        good = ",\n".join(self.good_article(n) for n in range(3))
        self.refused(head + good + ",\n", "5: not valid JSON: the file ends in the middle")
        self.refused(
            head + good + ',\n{"title": "x", "paragraphs": 5}\n]}',
            "5: article 4: “paragraphs” must be a list",
        )
        self.refused(
            head + good + ',\n{"title": "nul\\u0000"}\n]}',
            "5: article 4: “title” contains a NUL character",
        )
        self.refused(
            head + good + ",\n" + self.good_article(1) + "\n]}",
            "5: article 4: the same article (key ",
        )
        self.refused('{"format": "other", "articles": []}', "1: this JSON is not an archive")
        self.refused(
            '{"format": "quote-archive", "version": 99, "articles": []}',
            "1: export format version 99 is newer",
        )
        self.refused('{"format": "quote-archive"}', '1: this JSON has no "articles" list')
        self.refused(head + good + "\n]} trailing", "5: text after the end of the JSON")
        self.refused(
            '[{"title": "deep", "links": ' + "[" * 100_000 + "]" * 100_000 + "}]",
            "1: not valid JSON: lists or objects nested too deeply",
        )
        tag = "ß" * 100
        self.refused(f'[{{"title": "x", "hashtags": ["{tag}"]}}]', "1: article 1: hashtag #")

    def test_a_bare_list_of_articles_without_keys(self):
        path = temporary_folder(self) / "list.json"
        path.write_text(
            "[" + ",".join(self.good_article(n) for n in range(3)) + "]", encoding="utf-8"
        )
        out, _ = run_import(path)
        self.assertIn("json, 3 new", out)
        article = Article.objects.get(title="Article 1")
        self.assertEqual([t.name for t in article.hashtags.all()], ["json"])
        out, _ = run_import(path)  # the keys made from title and URL are stable
        self.assertIn("json, 0 new, 0 updated, 3 unchanged", out)

    def test_a_plain_article_starting_with_a_bracket_is_not_json(self):
        path = temporary_folder(self) / "tribune.txt"
        path.write_text("[Tribune] Un titre\nLe texte.\n", encoding="utf-8")
        out, _ = run_import(path)
        self.assertIn("plain, 1 new", out)
        self.assertTrue(Article.objects.filter(title="[Tribune] Un titre").exists())
