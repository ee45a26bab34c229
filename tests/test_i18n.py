"""The interface in French and in English: the browser's language, the switcher, the catalogue."""

from __future__ import annotations

import ast
import gettext
import io
import re
import tokenize
from pathlib import Path

from django.conf import settings
from django.test import override_settings
from django.utils.translation.template import templatize

from annotations.notes import create_note
from archive.models import Article
from tests.base import SEENTHIS_DUMP, BaseTestCase

LOCALE = Path(settings.LOCALE_PATHS[0])
PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "fr" / "LC_MESSAGES" / "django.mo"
FR = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.5"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


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
        response = self.client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
        self.assertContains(response, "Newest articles")
        self.assertContains(response, '<html lang="en">')

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
        month = article.created.strftime("%m")
        french_months = {
            "01": "janv.",
            "02": "fév.",
            "03": "mars",
            "04": "avril",
            "05": "mai",
            "06": "juin",
            "07": "juil.",
            "08": "août",
            "09": "sept.",
            "10": "oct.",
            "11": "nov.",
            "12": "déc.",
        }
        day = f"{article.created.day} {french_months[month]} {article.created.year}"
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
    def test_every_page_offers_both_languages(self):
        html = self.client.get("/tags/", **EN).content.decode()
        form = re.search(r'<form class="lang-switch.*?</form>', html, flags=re.S).group(0)
        self.assertIn('action="/i18n/setlang/"', form)
        self.assertIn('name="next" value="/tags/"', form)
        self.assertRegex(form, r'value="en"[^>]*aria-current="true"[^>]*>EN<')
        self.assertRegex(form, r'value="fr"[^>]*lang="fr"\s*>FR<')

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


ESCAPES = {"n": "\n", "t": "\t"}


def _po_entries(path: Path) -> list[tuple[str | None, str, str | None, list[str]]]:
    """(context, msgid, msgid_plural, msgstrs) of every entry of a .po file but its header."""
    entries, fields, current = [], {}, None

    def flush():
        if "msgid" in fields and fields["msgid"] != "":
            strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries.append(
                (fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), strs)
            )

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            flush()
            fields, current = {}, None
        elif line.startswith("#"):
            continue
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


def test_french_catalogue_is_complete_and_compiled():
    """Every message has a French translation, and django.mo holds exactly what django.po says
    (CI has no gettext: forgetting `manage.py compilemessages` would go unnoticed)."""
    entries = _po_entries(PO)
    assert len(entries) > 80
    with MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for context, msgid, plural, strs in entries:
        assert all(strs), f"untranslated: {msgid!r}"
        if plural:
            assert [catalogue.ngettext(msgid, plural, n) for n in (1, 2)] == strs, msgid
        elif context:
            assert catalogue.pgettext(context, msgid) == strs[0], msgid
        else:
            assert catalogue.gettext(msgid) == strs[0], msgid
        for text in strs:  # the same placeholders on both sides
            assert sorted(re.findall(r"%\(\w+\)s", text)) == sorted(
                re.findall(r"%\(\w+\)s", plural if plural and text is strs[-1] else msgid)
            ), msgid


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


def test_every_interface_string_is_in_the_french_catalogue():
    """A string added to a template or a Python message without a translation fails here, even
    where gettext is not installed (run makemessages -l fr, translate, compilemessages)."""
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
    assert len(wanted) > 80
    translated = {
        (context, msgid) for context, msgid, _plural, strs in _po_entries(PO) if all(strs)
    }
    missing = sorted(
        f"{where}: {msgid!r}" + (f" (context {context!r})" if context else "")
        for (context, msgid), where in wanted.items()
        if (context, msgid) not in translated
    )
    assert not missing, "not translated in archive/locale/fr:\n" + "\n".join(missing)
