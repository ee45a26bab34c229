"""A curator selects a passage with the mouse, writes a note with a hashtag and sees it anchored."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import LIVE_DB, log_in

pytestmark = [pytest.mark.browser, LIVE_DB]

ARTICLE = "Le monde selon #Xi_Jinping"
PASSAGE = "Derrière son apparente bonhomie se cache un chef redoutable"
NOTE = "Le portrait d’un chef : voir aussi #culte_de_la_personnalité et #Chine."

# Viewport coordinates just inside the first and the last character of `needle`.
_ENDS_OF = """([root, needle]) => {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(needle);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + 1);
    const first = range.getBoundingClientRect();
    range.setStart(node, at + needle.length - 1); range.setEnd(node, at + needle.length);
    const last = range.getBoundingClientRect();
    return {x1: first.left + 1, y1: first.top + first.height / 2,
            x2: last.right - 1, y2: last.top + last.height / 2};
  }
  return null;
}"""


def select_with_mouse(page: Page, within: Locator, needle: str) -> None:
    """Press the mouse before the first character of `needle`, drag past its last one."""
    within.scroll_into_view_if_needed()
    ends = page.evaluate(_ENDS_OF, [within.element_handle(), needle])
    assert ends, f"{needle!r} is not in one text node of {within}"
    page.mouse.move(ends["x1"], ends["y1"])
    page.mouse.down()
    page.mouse.move((ends["x1"] + ends["x2"]) / 2, ends["y2"], steps=5)
    page.mouse.move(ends["x2"], ends["y2"], steps=5)
    page.mouse.up()


def test_curator_anchors_a_note_to_a_selected_passage(page, archive, shot):
    log_in(page, archive.url, "alice")
    expect(page.locator("header.site .who")).to_have_text("alice")

    page.goto(archive.url + "/tags/xi_jinping/")
    page.get_by_role("link", name=ARTICLE).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ARTICLE)
    expect(page.get_by_role("heading", name="Add a note")).to_be_visible()
    quote = page.get_by_label("Passage (select it in the text, or paste it)")
    expect(quote).to_have_value("")

    paragraph = page.locator("#article-text p", has_text=PASSAGE)
    select_with_mouse(page, paragraph, PASSAGE)
    assert page.evaluate("() => window.getSelection().toString()") == PASSAGE
    expect(quote).to_have_value(PASSAGE)
    expect(page.locator("#note-quote-start")).to_have_value(re.compile(r"^\d+$"))
    shot(page, "1-passage-selected")

    page.get_by_label("Your note (hashtags and links welcome)").fill(NOTE)
    shot(page, "2-note-written")
    page.get_by_role("button", name="Save the note").click()

    expect(page).to_have_url(re.compile(r"#note-\d+$"))
    note_id = page.url.rsplit("#note-", 1)[1]
    expect(page.get_by_role("status")).to_have_text("Your note is saved.")
    note = page.locator(f"#note-{note_id}")
    expect(note).to_be_visible()
    expect(note.locator(".meta strong")).to_have_text("alice")
    expect(note.locator(".meta")).to_contain_text("curator note")
    expect(note.locator(".note-text")).to_contain_text("Le portrait d’un chef")
    expect(note.get_by_role("link", name="#culte_de_la_personnalité")).to_be_visible()
    expect(note.get_by_role("blockquote")).to_contain_text(PASSAGE)
    expect(note.get_by_role("link", name="Edit")).to_be_visible()

    # The passage is highlighted in the text, linked to the note.
    mark = page.locator(f"#article-text mark.anchored[data-note='{note_id}']")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(PASSAGE)
    expect(mark).to_have_attribute("id", f"passage-{note_id}")
    expect(mark.get_by_role("link")).to_have_attribute("href", f"#note-{note_id}")
    expect(page.locator("#commentary-h .count")).to_have_text("1")
    shot(page, "3-note-saved")

    # Both ways: the passage leads to the note, the note's quote back to the passage.
    mark.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"#note-{note_id}$"))
    note.get_by_role("blockquote").get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"#passage-{note_id}$"))
    expect(mark).to_be_in_viewport()

    # The note's new hashtag has its page. (It lists no article yet: tag pages list articles
    # tagged themselves, not articles whose notes carry the hashtag.)
    note.get_by_role("link", name="#culte_de_la_personnalité").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("#culte_de_la_personnalité")
    shot(page, "4-new-hashtag-page")
