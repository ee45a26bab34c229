"""The interface speaks French, German and Italian: by the switcher, or by default in a browser
set to that language."""

import re
from datetime import datetime

import pytest
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from playwright.sync_api import expect

from archive.models import Article
from tests.e2e.helpers import LIVE_DB, OVERFLOW, log_in

pytestmark = [pytest.mark.browser, LIVE_DB]


# How a card writes a date in each language (Django's date format, month names of its locale).
CARD_DATE = {"fr": "j N Y", "de": "j. N Y", "it": "j b Y"}


def local_date(iso: str, language: str = "fr") -> str:
    """What a card shows for the moment in its datetime attribute, in that language."""
    moment = timezone.localtime(datetime.fromisoformat(iso))
    with translation.override(language):
        return date_format(moment, CARD_DATE[language])


def test_switcher_turns_the_interface_french_and_back(page, archive, shot):
    page.goto(archive.url + "/tags/chine/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Related hashtags")).to_be_visible()

    page.get_by_role("button", name="FR", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tags/chine/$"))  # the same page, now in French
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Hashtags associés")).to_be_visible()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Rechercher dans l’archive")).to_have_attribute(
        "placeholder", "Une citation, un mot, un #hashtag…"
    )
    expect(page.get_by_role("button", name="FR", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    shot(page, "1-tag-page-fr")

    # The choice holds on the next pages.
    page.get_by_role("link", name="Archive annotée").click()
    expect(page.get_by_role("heading", name="Derniers articles")).to_be_visible()
    expect(page.get_by_role("heading", name="Hashtags les plus utilisés")).to_be_visible()
    # The card's date in French, as Django formats it for that moment (any month: "déc.", "août").
    card_date = page.locator("article.card time").first
    expect(card_date).to_have_text(local_date(card_date.get_attribute("datetime")))
    shot(page, "2-home-fr")

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="Newest articles")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_french_browser_gets_french_by_default(new_context, archive, shot):
    page = new_context("fr-FR").new_page()
    page.goto(archive.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Derniers articles")).to_be_visible()
    expect(page.get_by_role("link", name="Tous les hashtags")).to_be_visible()
    expect(page.get_by_role("link", name="Plan du site")).to_be_visible()
    shot(page, "1-home")

    page.get_by_role("searchbox").fill("surveillance -microsoft")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"\d+ résultats"))
    shot(page, "2-search")

    # A curator works in French too.
    log_in(page, archive.url, "alice")
    page.goto(archive.url + "/tags/xi_jinping/")
    page.get_by_role("link", name="Le monde selon #Xi_Jinping").first.click()
    expect(page.get_by_role("heading", name="Ajouter une note")).to_be_visible()
    expect(page.get_by_label("Votre note (hashtags et liens bienvenus)")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer la note")).to_be_visible()
    page.get_by_label("Votre note (hashtags et liens bienvenus)").fill("Note en français.")
    page.get_by_role("button", name="Enregistrer la note").click()
    expect(page.get_by_role("status")).to_have_text("Votre note est enregistrée.")
    expect(page.locator("article.note .meta").first).to_contain_text("note de curateur")
    shot(page, "3-note-saved-fr")

    # An English browser next to it still gets English.
    english = new_context("en-US").new_page()
    english.goto(archive.url + "/")
    expect(english.get_by_role("heading", name="Newest articles")).to_be_visible()


def test_switcher_offers_german_and_italian(page, archive, shot):
    page.goto(archive.url + "/tags/chine/")
    page.get_by_role("button", name="DE", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tags/chine/$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Verwandte Hashtags")).to_be_visible()
    expect(page.get_by_role("link", name="Anmelden")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Archiv durchsuchen")).to_have_attribute(
        "placeholder", "Ein Zitat, ein Wort, ein #Hashtag …"
    )
    expect(page.get_by_role("button", name="DE", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    shot(page, "1-tag-page-de")

    page.get_by_role("link", name="Kommentiertes Archiv").click()
    expect(page.get_by_role("heading", name="Neueste Artikel")).to_be_visible()
    expect(page.get_by_role("heading", name="Meistverwendete Hashtags")).to_be_visible()
    card_date = page.locator("article.card time").first
    expect(card_date).to_have_text(local_date(card_date.get_attribute("datetime"), "de"))
    shot(page, "2-home-de")

    page.get_by_role("button", name="IT", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", name="Articoli più recenti")).to_be_visible()
    expect(page.get_by_role("heading", name="Hashtag più usati")).to_be_visible()
    card_date = page.locator("article.card time").first
    expect(card_date).to_have_text(local_date(card_date.get_attribute("datetime"), "it"))
    expect(page.get_by_role("button", name="IT", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    shot(page, "3-home-it")

    page.get_by_role("link", name="Tutti gli hashtag").click()
    expect(page.get_by_label("Filtra gli hashtag")).to_be_visible()
    shot(page, "4-tags-it")

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Filter hashtags")).to_be_visible()


def test_german_and_italian_browsers_get_their_language(new_context, archive, shot):
    for locale, newest, search, found in (
        ("de-DE", "Neueste Artikel", "Suchen", r"\d+ Ergebnisse"),
        ("it-IT", "Articoli più recenti", "Cerca", r"\d+ risultati"),
    ):
        page = new_context(locale).new_page()
        page.goto(archive.url + "/")
        expect(page.locator("html")).to_have_attribute("lang", locale[:2])
        expect(page.get_by_role("heading", name=newest)).to_be_visible()
        page.get_by_role("searchbox").fill("surveillance -microsoft")
        page.get_by_role("button", name=search, exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(re.compile(found))
        shot(page, f"search-{locale}")


def test_german_pages_fit_a_phone(new_context, archive, shot):
    """German labels are the longest of the four languages, and the header has four buttons."""
    page = new_context("de-DE").new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    article = Article.objects.get(title__startswith="Le monde selon")
    for step, path in (
        ("home", "/"),
        ("article", article.get_absolute_url()),
        ("search", "/search/?q=surveillance"),
    ):
        page.goto(archive.url + path)
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate(OVERFLOW) == [], f"{path} is wider than a phone"
        shot(page, f"phone-de-{step}")
