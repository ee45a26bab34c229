"""The interface speaks French: by the switcher, or by default in a French browser."""

import re
from datetime import datetime

import pytest
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from playwright.sync_api import expect

from tests.e2e.helpers import LIVE_DB, log_in

pytestmark = [pytest.mark.browser, LIVE_DB]


def french_date(iso: str) -> str:
    """What a card shows for the moment in its datetime attribute, in French."""
    moment = timezone.localtime(datetime.fromisoformat(iso))
    with translation.override("fr"):
        return date_format(moment, "j N Y")


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
    expect(card_date).to_have_text(french_date(card_date.get_attribute("datetime")))
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
