"""A curator selects a passage with the mouse, writes a note with a hashtag and sees it anchored."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LIVE_DB, log_in, select_with_mouse

pytestmark = [pytest.mark.browser, LIVE_DB]

ARTICLE = "Le monde selon #Xi_Jinping"
PASSAGE = "Derrière son apparente bonhomie se cache un chef redoutable"
NOTE = "Le portrait d’un chef : voir aussi #culte_de_la_personnalité et #Chine."


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
