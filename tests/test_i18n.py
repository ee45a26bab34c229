"""The interface in English, French, German and Italian: the browser's language, the switcher,
the catalogues."""

from __future__ import annotations

import ast
import gettext
import io
import re
import tokenize
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django.utils.translation.template import templatize

from annotations.notes import create_note
from archive.models import Article
from tests.base import SEENTHIS_DUMP, BaseTestCase

LOCALE = Path(settings.LOCALE_PATHS[0])
# Every language of the switcher but the one the strings are written in has a catalogue.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
FR = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.5"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
DE = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
IT = {"HTTP_ACCEPT_LANGUAGE": "it-IT,it;q=0.9,en;q=0.5"}


def visible(html: str) -> str:
    """The page's text, tags dropped and spaces (non-breaking ones too) made plain."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text.replace("&nbsp;", " ").replace("\u00a0", " "))


class AcceptLanguageTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def page(self, url: str, headers=FR, status: int = 200) -> str:
        response = self.client.get(url, **headers)
        self.assertEqual(response.status_code, status, url)
        self.assertEqual(response.headers.get("Content-Language"), "fr" if headers is FR else "en")
        self.assertIn("Accept-Language", response.headers.get("Vary", ""))
        return response.content.decode()

    def test_home_in_french(self):
        html = self.page("/")
        self.assertIn('<html lang="fr">', html)
        text = visible(html)
        for label in (
            "Archive annotée",
            "Derniers articles",
            "Hashtags les plus utilisés",
            "Tous les hashtags",
            "Se connecter",
            "Rechercher",
            "Flux Atom",
            "Plan du site",
            "Aller au contenu",
        ):
            self.assertIn(label, text)
        self.assertIn('placeholder="Une citation, un mot, un #hashtag…"', html)
        for english in ("Newest articles", "Most used hashtags", "Log in", "Sitemap"):
            self.assertNotIn(english, text)

    def test_home_in_english(self):
        html = self.page("/", headers=EN)
        self.assertIn('<html lang="en">', html)
        text = visible(html)
        self.assertIn("Newest articles", text)
        self.assertIn("Most used hashtags", text)
        self.assertNotIn("Derniers articles", text)

    def test_a_language_without_translation_falls_back_to_english(self):
        response = self.client.get("/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
        self.assertContains(response, "Newest articles")
        self.assertContains(response, '<html lang="en">')
        self.assertEqual(response.headers["Content-Language"], "en")

    def test_tag_page_in_french(self):
        text = visible(self.page("/tags/crédit_social/"))
        self.assertIn("#Crédit_social", text)
        self.assertIn("13 articles", text)
        self.assertIn("Hashtags associés", text)
        self.assertIn("1 commentaire", text)  # the plural forms of French

    def test_article_page_in_french(self):
        article = Article.objects.get(title__startswith="Le système de crédit social chinois")
        text = visible(self.page(article.get_absolute_url()))
        self.assertIn("Commentaires 1", text)
        self.assertIn("Réponse (importée)", text)
        self.assertNotIn("Ajouter une note", text)  # nobody is logged in
        french_months = {
            "01": "jan.",
            "02": "fév.",
            "03": "mars",
            "04": "avr.",
            "05": "mai",
            "06": "juin",
            "07": "juil.",
            "08": "août",
            "09": "sept.",
            "10": "oct.",
            "11": "nov.",
            "12": "déc.",
        }
        created = timezone.localtime(article.created)
        day = f"{created.day} {french_months[created.strftime('%m')]} {created.year}"
        self.assertIn(day, text)  # dates follow the language too

    def test_search_in_french(self):
        text = visible(self.page("/search/?q=%22le+systeme+de+credit+social+a+des+racines%22"))
        self.assertIn(
            'Recherche : "le systeme de credit social a des racines"', text.replace("&quot;", '"')
        )
        self.assertIn("1 résultat", text)
        self.assertNotIn("1 résultats", text)
        # A hit with commentary (one imported reply) says so as the article page's heading does.
        url = "/search/?q=%22miroir+pour+l%E2%80%99Occident%22"
        self.assertIn("· 1 commentaire", visible(self.page(url)))
        english = visible(self.page(url, headers=EN))
        self.assertIn("· commentary (1)", english)
        self.assertNotIn("comment ", english)
        text = visible(self.page("/search/?q=zzzzqqq"))
        self.assertIn("0 résultat", text)
        self.assertIn("Rien ne correspond à tout cela.", text)
        text = visible(self.page("/search/"))
        self.assertIn("Des mots, une « citation » exacte", text)
        self.assertIn("Exemples :", text)

    def test_hashtag_list_login_and_not_found_in_french(self):
        self.assertIn("Filtrer les hashtags", visible(self.page("/tags/")))
        text = visible(self.page("/accounts/login/"))
        self.assertIn("Nom d’utilisateur", text)
        self.assertIn("Mot de passe", text)
        with override_settings(DEBUG=False):
            text = visible(self.page("/tags/no-such-tag-here/", status=404))
        self.assertIn("Page introuvable", text)

    def test_wrong_password_is_explained_in_french(self):
        response = self.client.post(
            "/accounts/login/", {"username": "alice", "password": "no"}, **FR
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "Saisissez un nom d’utilisateur et un mot de passe valides",
            visible(response.content.decode()),
        )

    def test_feeds_in_french(self):
        feed = self.client.get("/tags/chine/feed/", **FR).content.decode()
        self.assertIn("Articles avec #Chine", feed)
        feed = self.client.get("/feed/", **FR).content.decode()
        self.assertIn("Derniers articles", feed)


class CuratorInFrenchTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def setUp(self):
        self.client.force_login(self.alice)
        self.article = Article.objects.get(title__startswith="Le monde selon")

    def test_curator_controls_in_french(self):
        text = visible(self.client.get(self.article.get_absolute_url(), **FR).content.decode())
        for label in (
            "Ajouter une note",
            "Passage (sélectionnez-le dans le texte, ou collez-le)",
            "Votre note (hashtags et liens bienvenus)",
            "Enregistrer la note",
            "Hashtags de cet article",
            "Enregistrer les hashtags",
            "Se déconnecter",
        ):
            self.assertIn(label, text)
        text = visible(self.client.get("/tags/chine/", **FR).content.decode())
        self.assertIn("Renommer ou fusionner", text)

    def test_messages_and_errors_in_french(self):
        url = f"/articles/{self.article.pk}/notes/new/"
        response = self.client.post(url, {"text": "Une note sur #Xi_Jinping."}, follow=True, **FR)
        self.assertIn("Votre note est enregistrée.", visible(response.content.decode()))

        response = self.client.post(url, {"text": "   "}, **FR)
        self.assertEqual(response.status_code, 400)
        self.assertIn("La note est vide.", visible(response.content.decode()))
        response = self.client.post(url, {"text": "Une note.", "quote": "pas dans le texte"}, **FR)
        self.assertEqual(response.status_code, 400)
        self.assertIn(
            "Le passage cité ne figure pas dans l’article.", visible(response.content.decode())
        )
        response = self.client.post(url, {"text": "x" * 20_001}, **FR)
        self.assertIn(
            "La note est trop longue (20 000 caractères au plus).",
            visible(response.content.decode()),
        )
        response = self.client.post(url, {"text": "x" * 20_001}, **EN)
        self.assertIn(
            "The note is too long (at most 20,000 characters).", visible(response.content.decode())
        )

        response = self.client.post("/tags/chine/rename/", {"name": "a b"}, follow=True, **FR)
        self.assertIn(
            "Indiquez un seul hashtag : lettres, chiffres", visible(response.content.decode())
        )

    def test_note_edit_and_delete_pages_in_french(self):
        note = create_note(self.article, self.alice, "Une note.")
        text = visible(self.client.get(f"/notes/{note.pk}/edit/", **FR).content.decode())
        self.assertIn("Modifier la note", text)
        self.assertIn("Sur Le monde selon", text)
        text = visible(self.client.get(f"/notes/{note.pk}/delete/", **FR).content.decode())
        self.assertIn("Supprimer la note ?", text)
        self.assertIn("Annuler", text)

    def test_bob_is_refused_in_french(self):
        self.client.force_login(self.bob)
        with override_settings(DEBUG=False):
            response = self.client.get(f"/articles/{self.article.pk}/notes/new/", **FR)
        self.assertEqual(response.status_code, 403)
        self.assertIn("Seuls les curateurs peuvent faire cela.", visible(response.content.decode()))


class LanguageSwitcherTests(BaseTestCase):
    def test_every_page_offers_the_four_languages(self):
        html = self.client.get("/tags/", **EN).content.decode()
        form = re.search(r'<form class="lang-switch.*?</form>', html, flags=re.S).group(0)
        self.assertIn('action="/i18n/setlang/"', form)
        self.assertIn('name="next" value="/tags/"', form)
        self.assertEqual(re.findall(r'value="(\w+)"[^>]*lang="\1"', form), ["en", "fr", "de", "it"])
        self.assertRegex(form, r'value="en"[^>]*aria-current="true"[^>]*>EN<')
        self.assertRegex(form, r'value="fr"[^>]*lang="fr"\s*>FR<')
        self.assertRegex(form, r'value="de"[^>]*lang="de"\s*>DE<')
        self.assertRegex(form, r'value="it"[^>]*lang="it"\s*>IT<')
        # Each button says its language's own name when hovered, whatever the page's language.
        for name in ("English", "Français", "Deutsch", "Italiano"):
            self.assertIn(f'title="{name}"', form)

    def test_choosing_french_then_english(self):
        response = self.client.post("/i18n/setlang/", {"language": "fr", "next": "/tags/"}, **EN)
        self.assertRedirects(response, "/tags/", fetch_redirect_response=False)
        self.assertEqual(self.client.cookies[settings.LANGUAGE_COOKIE_NAME].value, "fr")
        # The choice wins over the browser's language, on every page.
        response = self.client.get("/tags/", **EN)
        self.assertContains(response, '<html lang="fr">')
        self.assertContains(response, "Filtrer les hashtags")
        self.assertRegex(response.content.decode(), r'value="fr"[^>]*aria-current="true"[^>]*>FR<')
        self.assertContains(self.client.get("/", **EN), "Derniers articles")

        response = self.client.post("/i18n/setlang/", {"language": "en", "next": "/"}, **FR)
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertContains(self.client.get("/", **FR), "Newest articles")

    def test_choosing_german_then_italian(self):
        self.client.post("/i18n/setlang/", {"language": "de", "next": "/tags/"}, **FR)
        self.assertEqual(self.client.cookies[settings.LANGUAGE_COOKIE_NAME].value, "de")
        response = self.client.get("/tags/", **FR)
        self.assertEqual(response.headers["Content-Language"], "de")
        self.assertContains(response, '<html lang="de">')
        self.assertContains(response, "Hashtags filtern")
        self.assertRegex(response.content.decode(), r'value="de"[^>]*aria-current="true"[^>]*>DE<')

        self.client.post("/i18n/setlang/", {"language": "it", "next": "/"}, **DE)
        response = self.client.get("/", **DE)
        self.assertContains(response, '<html lang="it">')
        self.assertContains(response, "Articoli più recenti")
        self.assertRegex(response.content.decode(), r'value="it"[^>]*aria-current="true"[^>]*>IT<')

    def test_the_switcher_refuses_other_sites_and_unknown_languages(self):
        response = self.client.post(
            "/i18n/setlang/", {"language": "fr", "next": "https://evil.example/"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(response["Location"].startswith("https://evil.example"))
        self.client.cookies.clear()
        self.client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
        self.assertNotIn(settings.LANGUAGE_COOKIE_NAME, self.client.cookies)
        self.assertContains(self.client.get("/", **EN), "Newest articles")


# The dump is imported on this day and hour (an article's date is the day it entered the archive),
# so the dates below mean the same on any day the tests run; September has an abbreviated month
# name in German ("Sept.").
IMPORTED = datetime(2026, 9, 15, 12, 0, tzinfo=ZoneInfo(settings.TIME_ZONE))


class GermanAndItalianPagesTests(BaseTestCase):
    """The reading pages a visitor meets first, in a German and in an Italian browser."""

    dumps = (SEENTHIS_DUMP,)

    @classmethod
    def setUpTestData(cls):
        with time_machine.travel(IMPORTED, tick=False):
            super().setUpTestData()
        cls.article = Article.objects.get(title__startswith="Le système de crédit social chinois")

    def page(self, url: str, headers: dict) -> tuple[str, str]:
        """The page's HTML and its visible text, checked to be in the language asked for."""
        language = headers["HTTP_ACCEPT_LANGUAGE"][:2]
        response = self.client.get(url, **headers)
        self.assertEqual(response.status_code, 200, url)
        self.assertEqual(response.headers["Content-Language"], language, url)
        html = response.content.decode()
        self.assertIn(f'<html lang="{language}">', html)
        return html, visible(html)

    def assert_none_in(self, english: tuple[str, ...], text: str):
        for label in english:
            self.assertNotIn(label, text)

    def test_home_in_german(self):
        html, text = self.page("/", DE)
        for label in (
            "Kommentiertes Archiv",
            "Neueste Artikel",
            "Meistverwendete Hashtags",
            "Alle Hashtags",
            "Anmelden",
            "Suchen",
            "Atom-Feed",
            "Zum Inhalt springen",
            "15. Sept. 2026",  # German dates: a dot after the day, the month's short name
            "· 1 Kommentar",
        ):
            self.assertIn(label, text)
        self.assertIn('placeholder="Ein Zitat, ein Wort, ein #Hashtag …"', html)
        self.assertIn('<nav aria-label="Hauptnavigation">', html)
        self.assert_none_in(("Newest articles", "Most used", "Log in", "15 Sept."), text)

    def test_home_in_italian(self):
        html, text = self.page("/", IT)
        for label in (
            "Archivio annotato",
            "Articoli più recenti",
            "Hashtag più usati",
            "Tutti gli hashtag",
            "Accedi",
            "Cerca",
            "Feed Atom",
            "Mappa del sito",
            "Vai al contenuto",
            "15 set 2026",  # Italian dates: the month's short name in lower case, no dot
            "· 1 commento",
        ):
            self.assertIn(label, text)
        self.assertIn('placeholder="Una citazione, una parola, un #hashtag…"', html)
        self.assert_none_in(("Newest articles", "Most used", "Log in", "Set.", "Settembre"), text)

    def test_search_with_results_in_german_and_italian(self):
        one = "/search/?q=%22le+systeme+de+credit+social+a+des+racines%22"
        for headers, heading, found, sort in (
            (DE, "Suche:", "1 Ergebnis", "Sortieren nach"),
            (IT, "Ricerca:", "1 risultato", "Ordina per"),
        ):
            _html, text = self.page(one, headers)
            searched = f'{heading} "le systeme de credit social a des racines"'
            self.assertIn(searched, text.replace("&quot;", '"'))
            self.assertIn(found, text)
            self.assertNotIn(found + ("se" if headers is DE else "i"), text)
            self.assertIn(sort, text)
            self.assertIn("15. Sept. 2026" if headers is DE else "15 set 2026", text)
        _html, text = self.page("/search/?q=surveillance", DE)
        self.assertRegex(text, r"\b\d+ Ergebnisse\b")
        self.assertIn("Relevanz", text)
        _html, text = self.page("/search/?q=surveillance", IT)
        self.assertRegex(text, r"\b\d+ risultati\b")
        self.assertIn("pertinenza", text)
        _html, text = self.page("/search/?q=zzzzqqq", DE)
        self.assertIn("0 Ergebnisse", text)
        self.assertIn("Kein Ergebnis erfüllt all diese Kriterien.", text)
        _html, text = self.page("/search/?q=zzzzqqq", IT)
        self.assertIn("0 risultati", text)
        self.assertIn("Nessun risultato soddisfa tutti questi criteri.", text)

    def test_article_in_german_and_italian(self):
        url = self.article.get_absolute_url()
        _html, text = self.page(url, DE)
        self.assertIn("15. Sept. 2026", text)
        self.assertIn("Kommentare 1", text)
        self.assertIn("Antwort (importiert) · importiert am 15. Sept. 2026", text)
        self.assertNotIn("Anmerkung hinzufügen", text)  # nobody is logged in
        _html, text = self.page(url, IT)
        self.assertIn("15 set 2026", text)
        self.assertIn("Commenti 1", text)
        self.assertIn("Risposta (importata) · importato il 15 set 2026", text)
        self.assert_none_in(("Commentary", "Reply (imported)"), text)

    def test_hashtags_in_german_and_italian(self):
        _html, text = self.page("/tags/", DE)
        for label in ("Hashtags filtern", "Meistverwendet", "A–Z"):
            self.assertIn(label, text)
        _html, text = self.page("/tags/", IT)
        for label in ("Filtra gli hashtag", "Più usati", "A–Z"):
            self.assertIn(label, text)
        _html, text = self.page("/tags/crédit_social/", DE)
        self.assertIn("13 Artikel", text)
        self.assertIn("Verwandte Hashtags", text)
        self.assertIn("1 Kommentar", text)
        _html, text = self.page("/tags/crédit_social/", IT)
        self.assertIn("13 articoli", text)
        self.assertIn("Hashtag correlati", text)
        self.assertIn("1 commento", text)

    def test_browsers_pick_german_and_italian_by_their_preferences(self):
        for accept, language in (
            ("de-CH,de;q=0.9", "de"),
            ("de-AT", "de"),
            ("it-CH,it;q=0.9,fr;q=0.8", "it"),
            ("es-ES,es;q=0.9,it;q=0.8,de;q=0.7", "it"),  # the first language there is
            ("pt-BR,de;q=0.5,fr;q=0.9", "fr"),  # by weight, not by order
        ):
            response = self.client.get("/tags/", HTTP_ACCEPT_LANGUAGE=accept)
            self.assertEqual(response.headers["Content-Language"], language, accept)

    def test_curator_screens_in_german_and_italian(self):
        self.client.force_login(self.alice)
        url = self.article.get_absolute_url()
        text = visible(self.client.get(url, **DE).content.decode())
        for label in ("Anmerkung hinzufügen", "Anmerkung speichern", "Hashtags speichern"):
            self.assertIn(label, text)
        text = visible(self.client.get(url, **IT).content.decode())
        for label in ("Aggiungi una nota", "Salva la nota", "Salva gli hashtag", "Esci"):
            self.assertIn(label, text)
        notes = f"/articles/{self.article.pk}/notes/new/"
        response = self.client.post(notes, {"text": "Eine Anmerkung."}, follow=True, **DE)
        self.assertIn("Ihre Anmerkung wurde gespeichert.", visible(response.content.decode()))
        response = self.client.post(notes, {"text": "x" * 20_001}, **IT)
        self.assertIn(
            "La nota è troppo lunga (al massimo 20.000 caratteri).",
            visible(response.content.decode()),
        )


ESCAPES = {"n": "\n", "t": "\t"}


def _po_entries(path: Path) -> list[tuple[str | None, str, str | None, list[str], bool]]:
    """(context, msgid, msgid_plural, msgstrs, fuzzy) of every entry of a .po file, the header
    (msgid "") first; obsolete entries (#~) are comments to gettext and left out."""
    entries, fields, current, fuzzy = [], {}, None, False

    def flush():
        if "msgid" in fields:
            strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries.append(
                (fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), strs, fuzzy)
            )

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            flush()
            fields, current, fuzzy = {}, None, False
        elif line.startswith("#"):
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
        else:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?)?\s*"(.*)"$', line)
            assert match, f"{path}: cannot read {line!r}"
            if match.group(1):
                current = match.group(1)
                fields[current] = ""
            fields[current] += re.sub(
                r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), match.group(2)
            )
    return entries


def _catalogue_files(language: str) -> tuple[Path, Path]:
    folder = LOCALE / language / "LC_MESSAGES"
    return folder / "django.po", folder / "django.mo"


PLACEHOLDER = re.compile(r"%\(\w+\)\w")
MARKUP = re.compile(r"<[^>]+>|&\w+;")


def test_the_translated_languages_are_those_of_the_switcher():
    assert TRANSLATED == ["fr", "de", "it"]
    on_disk = sorted(p.name for p in LOCALE.iterdir() if (p / "LC_MESSAGES").is_dir())
    assert on_disk == sorted(TRANSLATED)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_is_complete_and_compiled(language):
    """Every message has a translation that is not marked fuzzy, with the placeholders and
    markup of the English, and django.mo holds exactly what django.po says (CI has no gettext:
    forgetting `manage.py compilemessages` would go unnoticed)."""
    po, mo = _catalogue_files(language)
    header, *entries = _po_entries(po)
    assert header[1] == "" and not header[4], f"{po}: the header is missing or fuzzy"
    assert len(entries) > 80
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.info().get("language") == language, f"{mo}: compiled from another header"
    forms = int(re.search(r"nplurals=(\d+)", catalogue.info()["plural-forms"]).group(1))
    # A number that takes each plural form (nplurals=2: 1 and 2 in every language here).
    numbers = {catalogue.plural(n): n for n in range(200, -1, -1)}
    assert sorted(numbers) == list(range(forms)), language
    problems = []
    for context, msgid, plural, strs, fuzzy in entries:
        name = f"{msgid!r}" + (f" (context {context!r})" if context else "")
        if fuzzy or not all(strs):
            problems.append(f"{'fuzzy' if fuzzy else 'untranslated'}: {name}")
            continue
        if plural:
            if len(strs) != forms:
                problems.append(f"{len(strs)} plural forms instead of {forms}: {name}")
                continue
            compiled = [catalogue.ngettext(msgid, plural, numbers[i]) for i in range(forms)]
        elif context:
            compiled = [catalogue.pgettext(context, msgid)]
        else:
            compiled = [catalogue.gettext(msgid)]
        if compiled != strs:
            problems.append(f"django.mo is stale (run compilemessages): {name}")
        for i, text in enumerate(strs):
            # The first form has what the English singular has, the others what its plural has.
            english = plural if plural and i else msgid
            for what, pattern in (("placeholders", PLACEHOLDER), ("markup", MARKUP)):
                if sorted(pattern.findall(text)) != sorted(pattern.findall(english)):
                    problems.append(f"not the same {what} as the English: {text!r}")
    # Strings dropped from django.po are gone from django.mo as well.
    known = set()
    for context, msgid, plural, strs, _fuzzy in entries:
        key = f"{context}\x04{msgid}" if context else msgid
        if plural:
            known.update((key, i) for i in range(len(strs)))
        else:
            known.add(key)
    stale = [key for key in catalogue._catalog if key != "" and key not in known]
    problems += [f"django.mo is stale (run compilemessages), it still has {k!r}" for k in stale]
    assert not problems, f"archive/locale/{language}:\n" + "\n".join(problems)


GETTEXT_CALLS = {
    "gettext": (1, False),
    "gettext_lazy": (1, False),
    "_": (1, False),
    "ngettext": (2, False),
    "ngettext_lazy": (2, False),
    "pgettext": (1, True),
    "pgettext_lazy": (1, True),
    "npgettext": (2, True),
    "npgettext_lazy": (2, True),
}


def _messages_in_python(source: str) -> set[tuple[str | None, str]]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in GETTEXT_CALLS
        ):
            continue
        count, has_context = GETTEXT_CALLS[node.func.id]
        args = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        if len(args) < count + has_context:
            continue  # not a literal: nothing to extract
        context = args.pop(0) if has_context else None
        found.add((context, args[0]))
    return found


def _messages_in_template(source: str) -> set[tuple[str | None, str]]:
    """What makemessages would extract: Django turns the template into gettext calls."""
    code = templatize(source)
    found, tokens = set(), list(tokenize.generate_tokens(io.StringIO(code).readline))
    for i, token in enumerate(tokens):
        if token.type != tokenize.NAME or token.string not in GETTEXT_CALLS:
            continue
        count, has_context = GETTEXT_CALLS[token.string]
        args = []
        for following in tokens[i + 2 :]:
            if following.type == tokenize.STRING:
                args.append(ast.literal_eval(following.string))
            elif following.string == ")":
                break
        context = args.pop(0) if has_context else None
        found.add((context, args[0]))
    return found


def _interface_strings() -> dict[tuple[str | None, str], str]:
    """(context, msgid) of every string of the templates and of our Python code: where it is."""
    project = Path(settings.BASE_DIR)
    wanted: dict[tuple[str | None, str], str] = {}
    for path in sorted((project / "templates").rglob("*.html")):
        for message in _messages_in_template(path.read_text(encoding="utf-8")):
            wanted.setdefault(message, str(path.relative_to(project)))
    for package in ("archive", "annotations"):
        for path in sorted((project / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for message in _messages_in_python(path.read_text(encoding="utf-8")):
                wanted.setdefault(message, str(path.relative_to(project)))
    return wanted


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_interface_string_is_in_the_catalogue(language):
    """A string added to a template or a Python message without a translation fails here, even
    where gettext is not installed (run makemessages -l fr -l de -l it, translate,
    compilemessages: the commands are in the header of each django.po)."""
    wanted = _interface_strings()
    assert len(wanted) > 80
    po, _mo = _catalogue_files(language)
    translated = {
        (context, msgid)
        for context, msgid, _plural, strs, fuzzy in _po_entries(po)
        if all(strs) and not fuzzy
    }
    missing = sorted(
        f"{where}: {msgid!r}" + (f" (context {context!r})" if context else "")
        for (context, msgid), where in wanted.items()
        if (context, msgid) not in translated
    )
    assert not missing, f"not translated in archive/locale/{language}:\n" + "\n".join(missing)
