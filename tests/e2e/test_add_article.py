"""A curator adds an article in the browser, then corrects its publication date."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LIVE_DB, log_in

pytestmark = [pytest.mark.browser, LIVE_DB]

TITLE = "Les algorithmes de notation des locataires"
TEXT = (
    "Des agences immobilières trient les dossiers avec un score opaque, calculé par un "
    "logiciel dont personne ne connaît les critères.\n\n"
    "Les associations de locataires demandent que ces critères soient publiés. #logement"
)


def test_curator_adds_an_article_and_edits_its_date(page, archive, shot):
    log_in(page, archive.url, "alice")
    page.locator("details.curate summary").click()  # the curators' links
    page.get_by_role("link", name="Add an article").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an article")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Source address (URL)").fill("https://www.example.net/notation-locataires")
    page.get_by_label("Publication date").fill("2023-11-02")
    page.get_by_label("Text (a blank line between paragraphs)").fill(TEXT)
    page.get_by_label("Hashtags, separated by spaces").fill("#notation #surveillance")
    shot(page, "1-filled")
    page.get_by_role("button", name="Add the article").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("status")).to_have_text("The article is added.")
    meta = page.locator("article.article header .meta")
    expect(meta.locator("time")).to_have_text("2 Nov. 2023")
    expect(page.locator("#article-text p:not(.split-here)")).to_have_count(2)
    expect(page.locator("article.article .tags")).to_contain_text("#notation")
    expect(page.locator("article.article .tags")).to_contain_text("#logement")
    shot(page, "2-added")

    meta.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the article")
    date = page.get_by_label("Publication date")
    expect(date).to_have_value("2023-11-02")
    date.fill("2023-10-28")
    page.get_by_role("button", name="Save the article").click()

    expect(page.get_by_role("status")).to_have_text("The article is saved.")
    expect(meta.locator("time").first).to_have_text("28 Oct. 2023")
    expect(meta).to_contain_text("edited by curators on")
    shot(page, "3-date-edited")

    # Readers see the date too, on the home page's card.
    page.goto(archive.url + "/")
    card = page.locator("article.card", has_text=TITLE)
    expect(card.locator("time")).to_have_text("28 Oct. 2023")
