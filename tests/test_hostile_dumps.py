"""Hostile dumps: each one imports sensibly, or is refused with `file:line: reason` and leaves the
archive exactly as it was (same rows, same content, same search results).

The small files are committed in tests/hostile/; the big ones (a 2 MB line, 500 hashtags, a NUL
byte after the first thousand posts) are generated here.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from annotations.models import Commentary
from archive.models import Article, Hashtag, TaggedArticle
from archive.text import HASHTAG_MAX
from tests.base import HOSTILE_DUMPS, SEENTHIS_DUMP, BaseTestCase, run_import
from tests.dbprocs import fresh_database, manage, snapshot_here
from tests.dumpgen import write_bulleted

REFUSED = {
    # file: (line or None, reason)
    "binary.bin": (1, "this is a binary file, not a text dump"),
    "empty.txt": (None, "the file is empty"),
    "blank_lines.txt": (None, "the file is empty"),
    "nul_bytes.txt": (3, "this is a binary file, not a text dump"),
    "only_hashtags.txt": (1, "only hashtags: no title and no text to import"),
    "reply_without_post.txt": (1, "a reply (“    • ”) with no post above it"),
    "utf16.txt": (1, "UTF-16 text: save the dump as UTF-8 and import it again"),
}
ACCEPTED = {
    "cp1252.txt",
    "crlf_bom.txt",
    "latin1.txt",
    "lone_cr.txt",
    "long_hashtag.txt",
    "nested_bullets.txt",
    "truncated_utf8.txt",
}


def refusal(path: Path, line: int | None, reason: str) -> str:
    return f"{path}:{line}: {reason}" if line else f"{path}: {reason}"


def test_the_corpus_is_complete():
    """Every committed hostile file is covered by a test below."""
    on_disk = {p.name for p in HOSTILE_DUMPS.iterdir()}
    assert on_disk == set(REFUSED) | ACCEPTED


class HostileDumpTests(BaseTestCase):
    """An archive holding the real seenthis dump; every hostile file is imported on top of it."""

    dumps = (SEENTHIS_DUMP,)

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="hostile-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def assert_refused(self, path: Path, line: int | None, reason: str) -> None:
        before = snapshot_here()
        with self.assertRaises(CommandError) as raised:
            run_import(path)
        self.assertIn("could not be imported", str(raised.exception))
        self.assertEqual(
            snapshot_here(), before, "the archive changed although the file was refused"
        )
        # The message names the file and the line, and says why.
        out, err = self._import_and_capture(path)
        self.assertIn(
            f"error: {refusal(path, line, reason)} (nothing from this file was kept)", err
        )

    def _import_and_capture(self, path: Path) -> tuple[str, str]:
        from io import StringIO

        from django.core.management import call_command

        out, err = StringIO(), StringIO()
        with self.assertRaises(CommandError):
            call_command("import_dump", str(path), stdout=out, stderr=err, no_progress=True)
        return out.getvalue(), err.getvalue()

    def import_one(self, path: Path) -> tuple[Article, str]:
        before = Article.objects.count()
        out, err = run_import(path)
        self.assertEqual(Article.objects.count(), before + 1, out + err)
        return Article.objects.order_by("-pk").first(), err

    # --- refused ---------------------------------------------------------------------

    def test_refused_files_leave_the_archive_as_it_was(self):
        for name, (line, reason) in REFUSED.items():
            with self.subTest(name):
                self.assert_refused(HOSTILE_DUMPS / name, line, reason)

    def test_nul_byte_after_many_posts_rolls_back_every_post_of_the_file(self):
        path = write_bulleted(self.tmp / "late_nul.txt", 1200, replies_every=3)
        lines = path.read_text(encoding="utf-8").split("\n")
        # Far past the first batches (500 posts each) and past the 8 kB the sniffer looks at.
        at = next(n for n, text in enumerate(lines) if text.startswith("  • Post 1100:"))
        lines[at + 2] = lines[at + 2] + " \x00 oops"
        path.write_text("\n".join(lines), encoding="utf-8")
        self.assert_refused(path, at + 3, "contains a NUL byte: is this a text file?")
        self.assertFalse(Article.objects.filter(title__startswith="Post 1:").exists())

    def test_unreadable_path(self):
        before = snapshot_here()
        with self.assertRaises(CommandError) as raised:
            run_import(self.tmp / "missing.txt")
        self.assertIn(f"{self.tmp / 'missing.txt'}: no such file or folder", str(raised.exception))
        self.assertEqual(snapshot_here(), before)

    def test_a_fifo_or_a_device_is_refused_not_waited_for(self):
        fifo = self.tmp / "dump.fifo"
        os.mkfifo(fifo)  # open() would wait for a writer for ever
        # Should the import open it, a writer comes after 10 s: the test fails, it does not hang.
        rescue = threading.Timer(10, lambda: os.close(os.open(fifo, os.O_WRONLY)))
        rescue.start()
        self.addCleanup(rescue.cancel)
        before = snapshot_here()
        for path in [fifo, Path("/dev/null")]:
            with self.assertRaises(CommandError) as raised:
                run_import(path)
            self.assertIn(f"{path}: not a regular file", str(raised.exception))
        self.assertEqual(snapshot_here(), before)

    # --- imported sensibly -------------------------------------------------------------

    def test_cp1252(self):
        article, err = self.import_one(HOSTILE_DUMPS / "cp1252.txt")
        self.assertEqual(article.title, "L’œuvre — “citée” …")
        self.assertEqual(
            article.paragraphs[0]["text"], "Texte avec l’apostrophe courbe, un tiret — et 5 €."
        )
        self.assertEqual({t.name for t in article.hashtags.all()}, {"œuvre", "citation"})
        self.assertIn("not UTF-8 (near line 1); read as cp1252", err)

    def test_latin1(self):
        article, err = self.import_one(HOSTILE_DUMPS / "latin1.txt")
        self.assertEqual(article.title, "Été à Noël, ça coûte cher")
        self.assertIn("« guillemets »", article.paragraphs[0]["text"])
        self.assertIn("ÿ présent", article.paragraphs[0]["text"])
        self.assertEqual({t.name for t in article.hashtags.all()}, {"été", "Noël"})
        self.assertIn("not UTF-8", err)

    def test_crlf_with_bom(self):
        article, _ = self.import_one(HOSTILE_DUMPS / "crlf_bom.txt")
        self.assertEqual(article.title, "Titre CRLF avec BOM")  # no BOM, no \r
        self.assertEqual(article.url, "https://example.org/crlf")
        self.assertEqual(
            [p["text"] for p in article.paragraphs], ["Premier paragraphe.", "Second paragraphe."]
        )
        self.assertEqual(article.commentary.get().text, "Une réponse\nqui continue.")
        self.assertNotIn("\r", repr(Article.objects.values_list("paragraphs", flat=True)))

    def test_lone_cr_line_endings(self):
        article, _ = self.import_one(HOSTILE_DUMPS / "lone_cr.txt")
        self.assertEqual(article.title, "Old Mac title")
        self.assertEqual(article.url, "https://example.org/cr")
        self.assertEqual(
            [p["text"] for p in article.paragraphs], ["First paragraph.", "Second paragraph."]
        )
        self.assertEqual([t.name for t in article.hashtags.all()], ["mac"])

    def test_a_utf8_dump_with_a_few_bad_bytes_stays_utf8(self):
        """One stray byte in a large UTF-8 dump: every post is read as UTF-8, the byte becomes
        "�", and the warning names its line (it used to turn the whole file into mojibake)."""
        path = write_bulleted(self.tmp / "big.txt", 1500, seed=4)
        lines = path.read_bytes().split(b"\n")
        middle = next(
            n
            for n in range(len(lines) // 2, len(lines))
            if lines[n].startswith(b"    ") and len(lines[n]) > 20
        )
        lines[middle] = lines[middle][:10] + b"\xff" + lines[middle][10:]
        lines[middle + 40] = lines[middle + 40] + b"\xe9"
        path.write_bytes(b"\n".join(lines))
        out, err = run_import(path)
        self.assertIn("1500 new", out)
        self.assertIn(f"replaced by � on lines {middle + 1}, {middle + 41}", err)
        self.assertNotIn("read as cp1252", err)
        replaced = [
            p["text"] for a in Article.objects.all() for p in a.paragraphs if "\ufffd" in p["text"]
        ]
        self.assertEqual(len(replaced), 2)
        self.assertTrue(Article.objects.filter(title__contains="crédit").exists())
        self.assertFalse(Article.objects.filter(title__contains="Ã").exists())

    def test_cut_in_the_middle_of_a_utf8_character(self):
        article, err = self.import_one(HOSTILE_DUMPS / "truncated_utf8.txt")
        self.assertEqual(article.paragraphs[-1]["text"], "Il finit par un caractère coupé : �")
        self.assertIn("ends in the middle of a UTF-8 character", err)

    def test_bullets_nested_deeper_than_replies_stay_text(self):
        article, _ = self.import_one(HOSTILE_DUMPS / "nested_bullets.txt")
        self.assertEqual(
            [p["text"] for p in article.paragraphs],
            ["Body text.", "  • a sub-bullet inside the text\n    going on"],
        )
        reply = article.commentary.get()
        self.assertEqual(
            reply.text,
            "A reply\ncontinued\n\n• nested deeper than a reply\n\n"
            "  • deeper still\n    text\n\n      • and deeper",
        )
        self.assertEqual(Article.objects.filter(title__contains="nested").count(), 0)

    def test_hashtag_of_a_thousand_characters_is_text_not_a_hashtag(self):
        tags_before = Hashtag.objects.count()
        article, _ = self.import_one(HOSTILE_DUMPS / "long_hashtag.txt")
        self.assertEqual(article.paragraphs[-1]["text"], "#" + "a" * 1000)
        self.assertEqual(article.hashtags.count(), 0)
        self.assertEqual(Hashtag.objects.count(), tags_before)

    def test_hashtag_that_grows_when_case_folded(self):
        # 100 letters, but "ß" folds to "ss": the key would not fit the column (PostgreSQL).
        path = self.tmp / "eszett.txt"
        path.write_text(
            "• Eszett\n    https://example.org/ss\n    Text.\n\n"
            f"    #{'ß' * HASHTAG_MAX} #{'ﬃ' * 40} #ok\n",
            encoding="utf-8",
        )
        article, _ = self.import_one(path)
        self.assertEqual([t.name for t in article.hashtags.all()], ["ok"])
        self.assertTrue(
            all(len(k) <= HASHTAG_MAX for k in Hashtag.objects.values_list("search_key", flat=True))
        )

    def test_post_with_500_hashtags(self):
        path = self.tmp / "tags500.txt"
        tags = " ".join(f"#étiquette{n}" for n in range(500))
        path.write_text(
            f"• Five hundred\n    https://example.org/500\n    Text.\n\n    {tags}\n",
            encoding="utf-8",
        )
        tags_before = Hashtag.objects.count()
        article, _ = self.import_one(path)
        self.assertEqual(article.hashtags.count(), 500)
        self.assertEqual(Hashtag.objects.count(), tags_before + 500)
        self.assertEqual([p["text"] for p in article.paragraphs], ["Text."])

    def test_single_two_megabyte_line(self):
        path = self.tmp / "one_line.txt"
        words = "surveillance " * 160_000  # 2 MB, no line break
        path.write_text(words, encoding="utf-8")
        self.assertGreaterEqual(path.stat().st_size, 2_000_000)
        article, _ = self.import_one(path)
        # A plain article whose first line is no title: the line is kept whole as the text, and
        # the title is its beginning.
        self.assertEqual([p["text"] for p in article.paragraphs], [words.strip()])
        self.assertTrue(article.title.startswith("surveillance surveillance"))
        self.assertTrue(article.title.endswith("…"))
        self.assertLessEqual(len(article.title), 201)

    def test_two_megabyte_paragraph_in_a_post(self):
        path = self.tmp / "long_paragraph.txt"
        text = ("mot #tag https://example.org/x @someone " * 52_000).strip()
        path.write_text(f"• Long\n    https://example.org/long\n    {text}\n", encoding="utf-8")
        self.assertGreaterEqual(path.stat().st_size, 2_000_000)
        article, _ = self.import_one(path)
        self.assertEqual(article.paragraphs[0]["text"], text)
        self.assertEqual([t.name for t in article.hashtags.all()], ["tag"])
        self.assertEqual(article.links, ["https://example.org/x"])

    def test_a_folder_with_good_and_bad_files(self):
        before = Article.objects.count()
        with self.assertRaises(CommandError):
            run_import(HOSTILE_DUMPS)
        self.assertEqual(Article.objects.count(), before + len(ACCEPTED))
        self.assertFalse(
            Article.objects.filter(source_file__endswith="reply_without_post.txt").exists()
        )


def test_refusals_from_the_command_line(tmp_path):
    """The real command in a real process: non-zero exit, one clear line, no traceback."""
    with fresh_database(tmp_path) as url:
        manage(url, "import_dump", "--no-progress", str(SEENTHIS_DUMP), check=True)
        for name, (line, reason) in REFUSED.items():
            path = HOSTILE_DUMPS / name
            done = manage(url, "import_dump", "--no-progress", str(path))
            assert done.returncode != 0, name
            assert "Traceback" not in done.stderr, done.stderr
            assert f"error: {refusal(path, line, reason)}" in done.stderr
        done = manage(url, "import_dump", "--no-progress", str(HOSTILE_DUMPS))
        assert done.returncode != 0
        assert "Traceback" not in done.stderr, done.stderr
        refused = re.findall(
            r"^error: (.+?): .* \(nothing from this file was kept\)$", done.stderr, re.MULTILINE
        )
        assert {Path(r.split(":")[0]).name for r in refused} == set(REFUSED)
        assert f"{len(ACCEPTED)} file(s) imported, {len(REFUSED)} refused" in done.stdout


@pytest.mark.django_db
def test_reply_keys_survive_refusal_and_retry(tmp_path):
    """A refused file can be fixed and imported again: nothing half-imported is in the way."""
    path = tmp_path / "retry.txt"
    path.write_text(
        "    • orphan reply\n• Post\n    https://example.org/retry\n    Text.\n\n    • a reply\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        run_import(path)
    path.write_text(path.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    run_import(path)
    article = Article.objects.get(title="Post")
    assert [c.text for c in Commentary.objects.filter(article=article)] == ["a reply"]
    assert TaggedArticle.objects.filter(content_object=article).count() == 0
