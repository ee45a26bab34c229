"""The two real dumps, imported with the real command: what a reader would check by eye."""

from annotations.models import Commentary
from archive.models import Article, Hashtag
from tests.base import PLAIN_DUMP, SEENTHIS_DUMP, BaseTestCase, run_import, temporary_folder


class SeenthisDumpTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def article(self, title_start: str) -> Article:
        return Article.objects.get(title__startswith=title_start)

    def test_every_post_and_reply_is_imported(self):
        self.assertEqual(Article.objects.count(), 15)
        self.assertEqual(Commentary.objects.filter(origin="reply").count(), 2)

    def test_titles_and_urls(self):
        first = self.article("China\u00a0: Totale Kontrolle")
        self.assertEqual(
            first.url,
            "https://www.berliner-zeitung.de/politik-gesellschaft/"
            "china-totale-kontrolle-die-wahrheit-ueber-das-sozialkreditpunktesys",
        )  # truncated in the dump, kept as given
        self.assertEqual(first.source_line, 1)
        self.assertEqual(self.article("Le monde selon").url, "")
        canada = self.article("Postes Canada")
        self.assertEqual(canada.url, "")
        self.assertIn(
            "https://www.ledevoir.com/societe/798445/postes-canada-recueille-illegalement-"
            "renseignements-personnels-loue",
            canada.links,
        )

    def test_replies_belong_to_the_post_above(self):
        reply = Commentary.objects.get(text__startswith="Et pourtant")
        self.assertTrue(reply.article.title.startswith("Le système de crédit social chinois"))
        self.assertIn("https://www.globaltimes.cn/page/202107/1228884.shtml", reply.text)
        second = Commentary.objects.get(text__startswith="J’ai contacté")
        self.assertTrue(second.article.title.startswith("Analyse du temps de travail"))
        self.assertIn("Edit\u00a0: le productivity score n’est pas activé", second.text)
        # Replies are commentary, not article text.
        self.assertNotIn("Et pourtant", second.article.text + reply.article.text)

    def test_hashtags_merge_case_variants(self):
        tag = Hashtag.objects.get(key="crédit_social")
        self.assertEqual(Hashtag.objects.filter(search_key="credit_social").count(), 1)
        tagged = Article.objects.filter(hashtags=tag).count()
        self.assertEqual(tagged, 13)
        # "Crédit_social" is written 10 times, "crédit_social" 3 times.
        self.assertEqual(tag.name, "Crédit_social")
        self.assertEqual(tag.slug, "crédit_social")

    def test_inline_hashtags_tag_the_post(self):
        xi = self.article("Le monde selon")
        names = set(xi.hashtags.values_list("key", flat=True))
        self.assertTrue({"xi_jinping", "chine", "port", "hambantota", "aéroport"} <= names)
        blacklists = self.article("China blacklists")
        self.assertIn("social_credit", set(blacklists.hashtags.values_list("key", flat=True)))

    def test_a_source_pasted_above_the_hashtags_and_a_via_line(self):
        """The post "China blacklists…" has no URL under its title: its independent.co.uk link
        stands alone above its hashtags, and "via @isskein" closes it."""
        article = self.article("China blacklists")
        self.assertTrue(article.url.startswith("https://www.independent.co.uk/news/world/asia/"))
        self.assertEqual(article.attribution, "@isskein")
        self.assertNotIn("independent.co.uk", article.text)
        self.assertNotIn("via @isskein", article.text)
        self.assertIn("#Chine", " ".join(f"#{t.name}" for t in article.hashtags.all()))
        page = self.client.get(article.get_absolute_url()).content.decode()
        self.assertIn(f'<a href="{article.url}" rel="nofollow noopener" class="ext">', page)
        self.assertIn('<span class="attribution">via @isskein</span>', page)
        self.assertEqual(
            self.client.get("/api/search/", {"q": '"discredited people become bankrupt"'}).json()[
                "count"
            ],
            1,
        )

    def test_hashtags_keep_their_apostrophes(self):
        """As seenthis reads them: #liberté_d'expression is one hashtag, not #liberté_d."""
        keys = set(Hashtag.objects.values_list("key", flat=True))
        self.assertIn("liberté_d'expression", keys)
        self.assertIn("investissements_à_l'étranger", keys)
        self.assertFalse({"liberté_d", "investissements_à_l"} & keys)
        tag = Hashtag.objects.get(key="liberté_d'expression")
        page = self.client.get(tag.get_absolute_url())
        self.assertContains(page, "#liberté_d&#x27;expression")
        found = self.client.get("/api/search/", {"q": "#liberté_d'expression"}).json()
        self.assertEqual(found["count"], tag.usage_count)

    def test_things_that_are_not_hashtags(self):
        identity = self.article("Identité numérique")
        self.assertEqual(
            list(identity.hashtags.values_list("name", flat=True)), ["Nécrotechnologies"]
        )  # "#10" in the text is not a tag
        self.assertIn("le nanomonde #10", identity.text)
        self.assertFalse(Hashtag.objects.filter(key__startswith="c3").exists())  # no URL fragments

    def test_hashtag_only_lines_leave_the_text(self):
        first = self.article("China\u00a0: Totale Kontrolle")
        self.assertNotIn("#exploitation", first.text)
        self.assertTrue(first.paragraphs[0]["text"].startswith("Cet article décrit"))

    def test_paragraph_languages(self):
        first = self.article("China\u00a0: Totale Kontrolle")
        languages = [p["lang"] for p in first.paragraphs]
        self.assertEqual(languages[0], "fr")
        self.assertIn("de", languages)
        self.assertEqual(self.article("Covid-19 | Codici").paragraphs[0]["lang"], "it")
        self.assertEqual(self.article("The AI myth").language, "en")

    def test_mentions(self):
        self.assertEqual(self.article("Le monde selon").mentions, ["etraces", "reka"])

    def test_reimport_changes_nothing(self):
        before = list(Article.objects.values_list("id", "content_hash", "updated"))
        out, _ = run_import(SEENTHIS_DUMP)
        self.assertIn("0 new, 0 updated, 15 unchanged", out)
        self.assertEqual(list(Article.objects.values_list("id", "content_hash", "updated")), before)
        self.assertEqual(Commentary.objects.count(), 2)

    def test_reimport_updates_a_reply_and_adds_one_with_their_hashtags(self):

        from archive.search.service import search

        edit = "      Edit\u00a0: le productivity score n’est pas activé et va le rester."
        reply = "    • J’ai contacté notre service info"
        text = SEENTHIS_DUMP.read_text()
        self.assertTrue(edit in text and reply in text, "the dump changed")
        text = text.replace(edit, edit + " #Résolu", 1)
        text = text.replace(reply, "    • Une réponse de plus, #Ajout_tardif\n\n" + reply, 1)
        path = temporary_folder(self) / "edited.txt"
        path.write_text(text, encoding="utf-8")
        for expected in ("1 updated, 14 unchanged", "0 updated, 15 unchanged"):
            out, _ = run_import(path)
            self.assertIn(expected, out)
            article = Article.objects.get(commentary__text__startswith="Une réponse de plus")
            replies = list(article.commentary.order_by("position"))
            self.assertEqual([r.position for r in replies], [1, 2])
            self.assertEqual(replies[0].text, "Une réponse de plus, #Ajout_tardif")
            self.assertTrue(replies[1].text.startswith("J’ai contacté notre service info"))
            self.assertIn("#Résolu", replies[1].text)
            self.assertEqual([t.name for t in replies[0].hashtags.all()], ["Ajout_tardif"])
            self.assertIn("Résolu", [t.name for t in replies[1].hashtags.all()])
            self.assertEqual(Commentary.objects.count(), 3)
            found = [hit.article.pk for hit in search("ajout tardif").hits]
            self.assertEqual(found, [article.pk])


class PlainDumpTests(BaseTestCase):
    dumps = (PLAIN_DUMP,)

    def test_plain_article(self):
        article = Article.objects.get()
        self.assertEqual(
            article.title, "Bloomberg News reports on China’s obliteration of privacy:"
        )
        self.assertTrue(article.paragraphs[0]["text"].startswith("China’s plan to judge"))
        self.assertEqual(len(article.paragraphs), 87)
        self.assertEqual(article.language, "en")
        self.assertIn("https://gadflyonthewallblog.com/category/grit/", article.links)

    def test_options_supply_metadata(self):
        out, _ = run_import(
            PLAIN_DUMP,
            title="China’s social credit",
            url="https://example.org/a",
            tags=["Chine", "#crédit_social"],
        )
        self.assertIn("1 new", out)  # another title and URL: another article
        article = Article.objects.get(url="https://example.org/a")
        self.assertEqual(article.title, "China’s social credit")
        self.assertEqual(
            sorted(article.hashtags.values_list("name", flat=True)), ["Chine", "crédit_social"]
        )


class UpdatedDumpTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def test_reimporting_an_edited_dump_updates_posts_and_hashtag_counts(self):

        chine = Hashtag.objects.get(key="chine").usage_count
        text = SEENTHIS_DUMP.read_text().replace(
            "    #Chine #Crédit_social\n\n  • China just announced",
            "    #CHINE #Crédit_social #Régulation\n\n  • China just announced",
            1,
        )
        text = text.replace("    #Chine #Crédit_social #Coronavirus", "    #Coronavirus", 1)
        path = temporary_folder(self) / "edited.txt"
        path.write_text(text, encoding="utf-8")
        out, _ = run_import(path)
        self.assertIn("2 updated, 13 unchanged", out)
        self.assertEqual(Article.objects.count(), 15)
        self.assertEqual(Hashtag.objects.get(key="chine").usage_count, chine - 1)
        self.assertEqual(Hashtag.objects.get(key="régulation").usage_count, 1)
        for tag in Hashtag.objects.all():
            self.assertEqual(tag.usage_count, tag.article_items.count(), tag.name)
        self.assertEqual(Hashtag.objects.get(key="chine").name, "Chine")  # still most common
