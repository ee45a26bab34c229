"""Layout checks a person would notice at once: nothing sticks out sideways on a phone, long
hashtags stay in their column."""

import pytest
from playwright.sync_api import expect

from archive.models import Article
from tests.e2e.helpers import LIVE_DB

pytestmark = [pytest.mark.browser, LIVE_DB]

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .slice(0, 5).map(el => `${el.tagName}.${el.className}: ${el.textContent.slice(0, 40)}`);
}"""


def test_phone_pages_do_not_scroll_sideways(new_context, archive, shot):
    page = new_context("fr-FR").new_page()  # the French labels are the longer ones
    page.set_viewport_size({"width": 360, "height": 740})
    article = Article.objects.get(title__startswith="Le monde selon")
    for step, path in (
        ("home", "/"),
        ("article", article.get_absolute_url()),
        ("tags", "/tags/"),
        ("search", "/search/?q=surveillance"),
    ):
        page.goto(archive.url + path)
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate(OVERFLOW) == [], f"{path} is wider than a phone"
        shot(page, f"phone-{step}")


def test_long_hashtags_stay_in_their_column(page, archive, shot):
    page.goto(archive.url + "/tags/")
    expect(
        page.locator("ul.az a", has_text="#Organisation_de_coopération_de_Shangaï")
    ).to_be_visible()
    spilling = page.evaluate("""() => [...document.querySelectorAll("ul.az li")]
        .filter(li => li.scrollWidth > li.clientWidth + 1).map(li => li.textContent)""")
    assert spilling == []
    # A–Z ignores accents: #évaluation comes among the e's, not after #Xinjiang.
    names = page.locator("ul.az a.hashtag").all_inner_texts()
    assert names.index("#évaluation") < names.index("#exil") < names.index("#Xinjiang")
    shot(page, "tags")
