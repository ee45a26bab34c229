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


CONTRASTS = """() => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c)
      .map(v => v / 255)
      .map(v => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const paper = getComputedStyle(document.body).backgroundColor;
  const style = sel => getComputedStyle(document.querySelector(sel)).color;
  return {
    paper: lum(paper),
    text: ratio(style("main h1"), paper),
    link: ratio(style("main a"), paper),
    muted: ratio(style("main .meta"), paper),
  };
}"""


def test_dark_mode_follows_the_system_with_the_same_contrast(new_context, archive, shot):
    for scheme in ("light", "dark"):
        context = new_context()
        page = context.new_page()
        page.emulate_media(color_scheme=scheme)
        page.goto(archive.url + "/search/?q=surveillance")
        expect(page.locator("article.card").first).to_be_visible()
        found = page.evaluate(CONTRASTS)
        assert (found["paper"] < 0.05) == (scheme == "dark"), (scheme, found)
        assert found["text"] >= 7, (scheme, found)
        assert found["link"] >= 4.5, (scheme, found)
        assert found["muted"] >= 4.5, (scheme, found)
        shot(page, f"search-{scheme}")
