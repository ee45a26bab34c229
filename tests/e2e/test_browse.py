"""A reader browses by hashtag: home → tag page → article → inline hashtag → its tag page."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LIVE_DB

pytestmark = [pytest.mark.browser, LIVE_DB]


def test_reader_follows_hashtags(page, archive, shot):
    page.goto(archive.url + "/")
    expect(page.get_by_role("heading", name="Newest articles")).to_be_visible()
    shot(page, "1-home")

    page.get_by_role("complementary").get_by_role("link", name="#Crédit_social", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tags/cr%C3%A9dit_social/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("#Crédit_social")
    expect(page.locator("main")).to_contain_text("13 articles")
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    expect(cards.get_by_role("link", name="Le monde selon #Xi_Jinping")).to_be_visible()
    shot(page, "2-tag-page")

    cards.get_by_role("link", name="Le monde selon #Xi_Jinping").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le monde selon #Xi_Jinping")
    text = page.locator("#article-text")
    expect(text).to_contain_text("la superpuissance du XXIe siècle")
    shot(page, "3-article")

    # "#Chine" written inside the article's text is a link to the tag's page.
    inline = text.locator("a.hashtag", has_text=re.compile(r"^#Chine$")).first
    expect(inline).to_be_visible()
    inline.click()
    expect(page).to_have_url(re.compile(r"/tags/chine/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("#Chine")
    expect(
        page.locator("article.card").get_by_role("link", name="Le monde selon #Xi_Jinping")
    ).to_be_visible()
    shot(page, "4-inline-tag-page")
