"""What an import does with text it cannot keep as it is (docs/security.md, "Imports"): control
characters are removed with a warning naming each line; a post's hashtags past the limit stay
text, its words past the search index's budget stay unsearched, each with a warning naming the
post; a post too large to import is refused. The same on both databases, through the real
import_dump command on dumps written here."""

from __future__ import annotations

import json
import shutil
import tempfile
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.models import Commentary
from archive.importer.limits import MAX_HASHTAGS, MAX_POST_CHARS
from archive.models import Article, Hashtag
from archive.search.service import search
from tests.base import SEENTHIS_DUMP, BaseTestCase, run_import
from tests.dbprocs import snapshot_here


class ImportLimitsTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def setUp(self):
        super().setUp()
        self.tmp = Path(tempfile.mkdtemp(prefix="limits-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, name: str, text: str) -> Path:
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return path

    # --- control characters ------------------------------------------------------------

    def test_command_line_text_with_control_characters_is_refused(self):
        path = self.write("plain.txt", "Un titre\n\nUn paragraphe.\n")
        before = Article.objects.count()
        for option, value in [
            ("--title", "Titre\x1b[31m rouge"),
            ("--url", "https://example.org/\x07"),
            ("--tag", "ok\x08"),
        ]:
            with self.assertRaises(CommandError) as raised:
                call_command("import_dump", str(path), option, value, "--no-progress")
            self.assertIn(option, str(raised.exception))
            self.assertIn("control characters are not allowed", str(raised.exception))
        self.assertEqual(Article.objects.count(), before)

    def test_control_characters_are_removed_with_a_warning_per_line(self):
        path = self.write(
            "controls.txt",
            "• Titre\x1b avec\x0b contrôles\x08\n"
            "    https://example.org/controls\n"
            "    Un paragraphe\x7f avec\x85 une tabulation\tgardée.\n"
            "\n"
            "    #contrôle\n"
            "\n"
            "    • Une réponse\x01 ici\n",
        )
        out, err = run_import(path)
        self.assertIn("1 new", out)
        article = Article.objects.get(url="https://example.org/controls")
        self.assertEqual(article.title, "Titre avec contrôles")
        self.assertEqual(
            [p["text"] for p in article.paragraphs], ["Un paragraphe avec une tabulation\tgardée."]
        )
        self.assertEqual(article.commentary.get().text, "Une réponse ici")
        for line, names in [
            (1, "U+001B ESC, U+000B VT, U+0008 BS"),
            (3, "U+007F DEL, U+0085"),
            (7, "U+0001 SOH"),
        ]:
            self.assertIn(f"warning: {path}:{line}: control characters removed ({names})", err)
        # The feeds that carry the title answer, as XML a feed reader parses.
        for url in ["/feed/", "/tags/contrôle/feed/", "/search/feed/?q=contrôles"]:
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertIn("Titre avec contrôles", response.content.decode())
            ET.fromstring(response.content)

    def test_control_characters_in_a_json_export(self):
        article = {
            "title": "Titre\u001b JSON",
            "url": "https://example.org/json-controls",
            "paragraphs": [{"text": "Texte\u0007 et passage\u0008 cité.", "lang": "fr"}],
            "hashtags": ["contrôle"],
            "commentary": [
                {
                    "origin": "note",
                    "text": "Une note\u001f.",
                    "quote": {"exact": "passage\u0008 cité"},
                }
            ],
        }
        path = self.write(
            "controls.json",
            '{"format": "quote-archive", "version": 1, "articles": [\n'
            + json.dumps(article)
            + "\n]}\n",
        )
        out, err = run_import(path)
        self.assertIn("1 new", out)
        restored = Article.objects.get(url="https://example.org/json-controls")
        self.assertEqual(restored.title, "Titre JSON")
        self.assertEqual(restored.paragraphs[0]["text"], "Texte et passage cité.")
        note = Commentary.objects.get(article=restored)
        self.assertEqual((note.text, note.quote_exact), ("Une note.", "passage cité"))
        self.assertIn(
            f"{path}:2: article 1: control characters removed from “title” (U+001B ESC)", err
        )
        self.assertIn(
            f"{path}:2: article 1: control characters removed from “paragraphs” "
            "(U+0007 BEL, U+0008 BS)",
            err,
        )

    # --- hashtags per post ---------------------------------------------------------------

    def test_seventy_thousand_hashtags_on_one_post(self):
        """PostgreSQL refused the whole file ("string is too long for tsvector"), with no line:
        now the post's first MAX_HASHTAGS hashtags are its hashtags and the others stay text."""
        tags = " ".join(f"#étiquette{n}" for n in range(70_000))
        path = self.write(
            "tags70000.txt",
            f"• Seventy thousand\n    https://example.org/70000\n    Du texte sur la "
            f"panoptique.\n\n    {tags}\n",
        )
        tags_before = Hashtag.objects.count()
        out, err = run_import(path)
        self.assertIn("1 new", out)
        self.assertIn(
            f"warning: {path}:1: this post has 70,000 hashtags: the first {MAX_HASHTAGS} are its "
            f"hashtags, the other {70_000 - MAX_HASHTAGS:,} stay in its text",
            err,
        )
        article = Article.objects.get(url="https://example.org/70000")
        self.assertEqual(
            sorted(article.hashtags.values_list("name", flat=True)),
            sorted(f"étiquette{n}" for n in range(MAX_HASHTAGS)),
        )
        self.assertEqual(Hashtag.objects.count(), tags_before + MAX_HASHTAGS)
        self.assertEqual(
            [p["text"] for p in article.paragraphs], ["Du texte sur la panoptique.", tags]
        )
        self.assertEqual([h.article for h in search("panoptique #étiquette7").hits], [article])
        self.assertEqual(search("panoptique #étiquette600").total, 0)
        # The page (its second part: the text is long) shows the hashtags that stayed text as
        # text, the others as links.
        page = self.client.get(article.get_absolute_url() + "?part=2").content.decode()
        self.assertIn('href="/tags/%C3%A9tiquette7/">#étiquette7</a>', page)
        self.assertIn(" #étiquette600 ", page)
        self.assertNotIn("/tags/%C3%A9tiquette600/", page)
        # Imported again, or exported and imported again: the same post, unchanged.
        out, _ = run_import(path)
        self.assertIn("0 new, 0 updated, 1 unchanged", out)
        export = self.tmp / "export.txt"
        self._export(export)
        before = snapshot_here()
        out, _ = run_import(export)
        self.assertIn("0 updated", out)
        self.assertEqual(snapshot_here(), before)

    def test_a_reply_with_too_many_hashtags(self):
        tags = " ".join(f"#mot{n}" for n in range(MAX_HASHTAGS + 20))
        path = self.write(
            "reply_tags.txt",
            f"• Reply tags\n    https://example.org/reply-tags\n    Texte.\n\n    • {tags}\n",
        )
        _, err = run_import(path)
        self.assertIn(
            f"warning: {path}:5: a reply has {MAX_HASHTAGS + 20:,} hashtags: the first "
            f"{MAX_HASHTAGS} are its hashtags, the other 20 stay in its text",
            err,
        )
        reply = Commentary.objects.get(article__url="https://example.org/reply-tags")
        self.assertEqual(reply.hashtags.count(), MAX_HASHTAGS)
        self.assertEqual(reply.text, tags)

    def _export(self, path: Path) -> None:
        call_command("export_dump", str(path), stderr=StringIO())

    # --- words per search document ------------------------------------------------------

    def test_words_past_the_index_budget_are_not_searched_the_same_on_both_databases(self):
        # Words far apart in spelling (search forgives typos in rare words): one before the
        # index's budget of terms runs out (about 16,000 words here), one after.
        filler = " remplissage" * 12_000
        path = self.write(
            "long_text.txt",
            "• Un texte long\n    https://example.org/long-text\n    ouverture"
            f"{filler} alphamarqueur bravonote{filler} zoulouterme{filler} finale\n",
        )
        _, err = run_import(path)
        warning = next(
            (line for line in err.splitlines() if "too long to be searched in full" in line), ""
        )
        self.assertTrue(warning.startswith(f"warning: {path}:1: too long to be searched"), err)
        indexed = int(warning.split("its text after ")[1].split(" words")[0].replace(",", ""))
        self.assertTrue(12_003 < indexed < 24_003, warning)
        article = Article.objects.get(url="https://example.org/long-text")

        def found(query: str) -> bool:
            return article in [h.article for h in search(query).hits]

        self.assertTrue(found("ouverture"))
        self.assertTrue(found("alphamarqueur"))
        self.assertTrue(found('"alphamarqueur bravonote"'))
        self.assertFalse(found("zoulouterme"))
        self.assertFalse(found("finale"))
        # The text itself is kept whole.
        self.assertTrue(article.paragraphs[0]["text"].endswith("remplissage finale"))

    # --- a post too large to import -------------------------------------------------------

    def test_a_post_larger_than_the_limit_is_refused(self):
        line = "    " + "mot " * (MAX_POST_CHARS // 8)
        lines = self.tmp / "many_lines.txt"
        with open(lines, "w", encoding="utf-8") as out:
            out.write("• Petit\n    https://example.org/small\n    Texte.\n\n")
            out.write("• Énorme\n    https://example.org/huge\n")
            out.write(f"{line}\n\n{line}\n\n{line}\n")
        one_line = self.tmp / "one_line.txt"
        one_line.write_text("Titre\n" + "x" * (MAX_POST_CHARS + 1), encoding="utf-8")
        for path, message in [
            (lines, f"{lines}:5: a post longer than 32 MB"),
            (one_line, f"{one_line}:2: a line longer than 32 MB"),
        ]:
            before = snapshot_here()
            with self.assertRaises(CommandError):
                run_import(path)
            self.assertEqual(snapshot_here(), before)
            _, err = self._refusal(path)
            self.assertIn(f"error: {message} (nothing from this file was kept)", err)

    def _refusal(self, path: Path) -> tuple[str, str]:
        out, err = StringIO(), StringIO()
        with self.assertRaises(CommandError):
            call_command("import_dump", str(path), stdout=out, stderr=err, no_progress=True)
        return out.getvalue(), err.getvalue()
