"""Notes where their passage is: a curator selects a passage (or picks a paragraph from the
keyboard) and writes the note beside it; readers see each note in the margin level with its
passage on a wide screen, right after its paragraph on a phone, and the two light up together.
Notes whose passage is gone are listed apart, and the page works without JavaScript.

The article comes from a dump written here and imported with the real command; notes are made
with the real service (annotations/notes.py) or the real form.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from annotations.models import Commentary
from annotations.notes import create_note
from archive.models import Article
from tests.base import run_import
from tests.e2e.helpers import LIVE_DB, OVERFLOW, log_in, select_with_mouse

pytestmark = [pytest.mark.browser, LIVE_DB]

TITLE = "Cameras on the station square"
PARAGRAPHS = [
    "The city installed forty cameras on the square last spring. The mayor says they reduce "
    "crime, but the figures published so far show no effect at all on thefts or assaults.",
    "A second paragraph explains that the cameras record faces and keep the images for thirty "
    "days before anyone deletes them, which the data protection office finds too long.",
    "Residents were not asked. A petition against the cameras gathered two thousand names in a "
    "week; the council will discuss it in June, together with the budget for the next year.",
    "Elsewhere, a bakery opened near the river; its bread sells out by nine every morning, and "
    "the queue reaches the bridge on Sundays. Nobody has filmed it yet.",
] + [
    f"Paragraph {n} of the minutes lists who spoke at the council meeting and for how long, "
    "which nobody reads but everyone may check."
    for n in range(5, 15)
]
# Passages (each in one paragraph): the first three on the same lines, so their notes collide.
CROWDED = [
    "The city installed forty cameras",
    "The mayor says they reduce crime",
    "the figures published so far",
]
ALONE = "Paragraph 12 of the minutes lists who spoke"
GONE = "keep the images for thirty days"
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def write_dump(folder, paragraphs) -> None:
    body = "".join(f"    {p}\n\n" for p in paragraphs)
    path = folder / "cameras.txt"
    path.write_text(
        f"• {TITLE}\n    https://example.org/station-cameras\n\n{body}    #cameras\n",
        encoding="utf-8",
    )
    run_import(path)


@pytest.fixture
def article(archive, tmp_path):
    write_dump(tmp_path, PARAGRAPHS)
    article = Article.objects.get(title=TITLE)
    article.page = archive.url + article.get_absolute_url()
    article.server = archive.url
    return article


def add_notes(article, user_name="alice") -> dict[str, Commentary]:
    alice = User.objects.get(username=user_name)
    return {
        quote: create_note(article, alice, f"Note on “{quote}”.", quote)
        for quote in [*CROWDED, ALONE]
    }


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found, f"{selector} is not shown"
    return found


def overlap(a: dict, b: dict) -> bool:
    return a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_selecting_a_passage_opens_the_note_form_beside_it(page, article, shot):
    log_in(page, article.server, "alice")
    page.goto(article.page)
    expect(page.locator("#note-help")).to_contain_text("Alt+Shift+N")
    paragraph = page.locator("#article-text > p", has_text=ALONE)
    select_with_mouse(page, paragraph, ALONE)

    add = page.locator("#article-text").get_by_role("button", name="Add a note", exact=True)
    expect(add).to_be_visible()
    passage_end = page.evaluate(
        "() => { const r = getSelection().getRangeAt(0).getClientRects();"
        " const last = r[r.length - 1]; return {x: last.right, y: last.bottom}; }"
    )
    button = add.bounding_box()
    assert abs(button["y"] - passage_end["y"]) < 20, (button, passage_end)  # just below it
    assert abs(button["x"] - passage_end["x"]) < 200, (button, passage_end)
    shot(page, "1-add-button")
    add.click()

    form = page.locator("#add-note")
    expect(form).to_be_visible()
    expect(page.get_by_label("Passage (select it in the text, or paste it)")).to_have_value(ALONE)
    expect(page.get_by_label("Your note (hashtags and links welcome)")).to_be_focused()
    # In the margin, level with the passage; not at the bottom of the page.
    text_top = paragraph.bounding_box()
    form_box = form.bounding_box()
    assert form_box["x"] >= text_top["x"] + text_top["width"], (form_box, text_top)
    assert abs(form_box["y"] - text_top["y"]) < 40, (form_box, text_top)
    shot(page, "2-form-beside-the-passage")

    page.keyboard.type("Who spoke, and for how long. #council")
    page.get_by_role("button", name="Save the note").click()
    expect(page).to_have_url(re.compile(r"#note-\d+$"))
    note_id = page.url.rsplit("#note-", 1)[1]
    expect(page.get_by_role("status")).to_have_text("Your note is saved.")
    note = page.locator(f"#note-{note_id}")
    expect(note).to_contain_text("Who spoke, and for how long.")
    mark = page.locator(f"#passage-{note_id}")
    expect(mark).to_have_text(ALONE)
    # The note sits beside its passage, in the margin.
    note_box, mark_box = note.bounding_box(), mark.bounding_box()
    assert abs(note_box["y"] - mark_box["y"]) <= 4, (note_box, mark_box)
    assert note_box["x"] >= paragraph.bounding_box()["x"] + 600, note_box
    # After saving, the form is back under the article (no passage chosen yet).
    expect(page.locator("#article-text #add-note")).to_have_count(0)
    assert box(page, "#add-note")["y"] > box(page, "#commentary")["y"]
    shot(page, "3-note-beside-its-passage")


def test_keyboard_paragraph_buttons_and_the_shortcut(page, article, shot):
    log_in(page, article.server, "alice")
    page.goto(article.page)
    # Tab from the top of the page reaches a button for the first paragraph.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('add-note-paragraph')"):
            break
    focused = page.locator(":focus")
    expect(focused).to_have_text("Add a note to this paragraph")
    expect(focused).to_be_visible()
    assert focused.bounding_box()["width"] > 20  # shown when focused, not a 1 px box
    for _ in range(5):  # past the first paragraph's "Reader comments start here" link
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('add-note-paragraph')"):
            break
    expect(page.locator(":focus")).to_have_text("Add a note to this paragraph")
    page.keyboard.press("Enter")
    quote = page.get_by_label("Passage (select it in the text, or paste it)")
    expect(quote).to_have_value(PARAGRAPHS[1])
    expect(page.get_by_label("Your note (hashtags and links welcome)")).to_be_focused()
    shot(page, "1-paragraph-form")

    # Escape closes the form and gives the focus back to the paragraph's button.
    page.keyboard.press("Escape")
    expect(page.locator("#add-note")).not_to_have_class(re.compile("in-place"))
    expect(page.locator(":focus")).to_have_text("Add a note to this paragraph")

    # The documented shortcut opens the form for the selection.
    page.evaluate(
        """(needle) => {
          const p = [...document.querySelectorAll('#article-text > p')]
            .find(p => p.textContent.includes(needle));
          const node = p.firstChild, at = node.data.indexOf(needle);
          getSelection().setBaseAndExtent(node, at, node, at + needle.length);
        }""",
        ALONE,
    )
    assert page.evaluate("() => getSelection().toString()") == ALONE
    page.keyboard.press("Alt+Shift+N")
    expect(quote).to_have_value(ALONE)
    page.keyboard.type("Keyboard note on the minutes.")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Save the note")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Your note is saved.")
    note = Commentary.objects.get(text="Keyboard note on the minutes.")
    assert note.quote_exact == ALONE
    assert article.text.index(ALONE) == note.quote_start
    expect(page.locator(f"#passage-{note.pk}")).to_have_text(ALONE)
    shot(page, "2-keyboard-note-saved")


def test_margin_notes_level_with_their_passages_and_after_paragraphs_on_phones(
    new_context, article, shot
):
    notes = add_notes(article)
    page = new_context().new_page()
    page.goto(article.page)
    boxes = {q: box(page, f"#note-{n.pk}") for q, n in notes.items()}
    marks = {q: box(page, f"#passage-{n.pk}") for q, n in notes.items()}
    text_right = max(
        b["x"] + b["width"]
        for b in page.locator("#article-text > p").evaluate_all(
            "ps => ps.map(p => { const r = p.getBoundingClientRect();"
            " return {x: r.left, width: r.width}; })"
        )
    )
    for quote, note in boxes.items():
        assert note["x"] >= text_right, (quote, note, text_right)  # in the margin
        assert note["y"] >= marks[quote]["y"] - 4, (quote, note, marks[quote])  # never above
    # A note alone is level with its passage; crowded ones are stacked below each other.
    assert abs(boxes[ALONE]["y"] - marks[ALONE]["y"]) <= 4
    assert abs(boxes[CROWDED[0]]["y"] - marks[CROWDED[0]]["y"]) <= 4
    placed = sorted(boxes.values(), key=lambda b: b["y"])
    for upper, lower in zip(placed, placed[1:], strict=False):
        assert not overlap(upper, lower), (upper, lower)
    assert [boxes[q]["y"] for q in CROWDED] == sorted(boxes[q]["y"] for q in CROWDED)
    # What follows the text starts below the last note.
    assert box(page, "#commentary")["y"] >= max(b["y"] + b["height"] for b in placed)
    shot(page, "1-wide")

    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate(OVERFLOW) == []
    paragraphs = page.locator("#article-text > p")
    first, second = paragraphs.nth(0).bounding_box(), paragraphs.nth(1).bounding_box()
    for quote in CROWDED:
        note = box(page, f"#note-{notes[quote].pk}")
        assert first["y"] + first["height"] <= note["y"] < second["y"], (quote, note)
    note = box(page, f"#note-{notes[ALONE].pk}")
    twelfth, next_one = paragraphs.nth(11).bounding_box(), paragraphs.nth(12).bounding_box()
    assert twelfth["y"] + twelfth["height"] <= note["y"] < next_one["y"], note
    assert note["x"] < 40 and note["width"] > 300, note  # in the column, full width
    shot(page, "2-phone")


HIGHLIGHT = """(el) => getComputedStyle(el).backgroundColor"""


def test_hovering_or_focusing_a_note_highlights_its_passage_and_back(new_context, article, shot):
    notes = add_notes(article)
    page = new_context().new_page()
    page.goto(article.page)
    note = page.locator(f"#note-{notes[ALONE].pk}")
    mark = page.locator(f"#passage-{notes[ALONE].pk}")
    other = page.locator(f"#passage-{notes[CROWDED[0]].pk}")
    mark_before, note_before = mark.evaluate(HIGHLIGHT), note.evaluate(HIGHLIGHT)

    note.hover()
    expect(mark).to_have_class(re.compile(r"\blinked\b"))
    assert mark.evaluate(HIGHLIGHT) != mark_before
    expect(other).not_to_have_class(re.compile(r"\blinked\b"))
    shot(page, "1-note-hovered")
    page.mouse.move(5, 5)
    expect(mark).not_to_have_class(re.compile(r"\blinked\b"))
    assert mark.evaluate(HIGHLIGHT) == mark_before

    mark.hover()
    expect(note).to_have_class(re.compile(r"\blinked\b"))
    assert note.evaluate(HIGHLIGHT) != note_before
    page.mouse.move(5, 5)
    expect(note).not_to_have_class(re.compile(r"\blinked\b"))

    # From the keyboard: the passage's link, then the note's link back to its passage.
    mark.get_by_role("link").focus()
    expect(note).to_have_class(re.compile(r"\blinked\b"))
    note.get_by_role("link").first.focus()
    expect(mark).to_have_class(re.compile(r"\blinked\b"))
    shot(page, "2-note-focused")
    page.locator("h1 a").focus()
    expect(mark).not_to_have_class(re.compile(r"\blinked\b"))


def test_notes_whose_passage_was_lost_are_listed_apart(new_context, article, tmp_path, shot):
    notes = add_notes(article)
    gone = create_note(article, User.objects.get(username="alice"), "Thirty days!", GONE)
    # The dump again, that passage taken out of its paragraph: the real import marks it lost.
    write_dump(tmp_path, [p.replace(GONE + " ", "") for p in PARAGRAPHS])
    gone.refresh_from_db()
    assert gone.quote_lost
    page = new_context().new_page()
    page.goto(article.page)
    lost = page.locator(".lost-notes")
    expect(lost.get_by_role("heading")).to_have_text("On a passage no longer in the text")
    expect(lost.locator(f"#note-{gone.pk}")).to_contain_text("passage not found")
    expect(page.locator(f"#article-text #note-{gone.pk}")).to_have_count(0)
    for note in notes.values():  # the others are beside their passages
        expect(page.locator(f"#article-text #note-{note.pk}")).to_be_visible()
    shot(page, "lost-apart")


def test_without_javascript_the_form_under_the_article_adds_a_note(new_context, article, shot):
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, article.server, "alice")
    page.goto(article.page)
    expect(page.locator("#note-help")).to_be_hidden()
    expect(page.get_by_role("button", name="Add a note to this paragraph")).to_have_count(0)
    page.get_by_label("Passage (select it in the text, or paste it)").fill(ALONE)
    page.get_by_label("Your note (hashtags and links welcome)").fill("Added without scripts.")
    page.get_by_role("button", name="Save the note").click()
    expect(page.get_by_role("status")).to_have_text("Your note is saved.")
    note = Commentary.objects.get(text="Added without scripts.")
    # Listed under the article, its passage marked and linked in the text.
    expect(page.locator(f"#commentary #note-{note.pk}")).to_be_visible()
    expect(page.locator(f"#passage-{note.pk}")).to_have_text(ALONE)
    shot(page, "no-js")


def test_phone_search_page_has_one_search_box_and_a_short_header(
    new_context, article, shot, artifacts_dir
):
    for who in ("", "alice"):
        page = new_context("fr-FR").new_page()  # the French labels are the longer ones
        page.set_viewport_size({"width": 360, "height": 740})
        base = article.server
        if who:
            log_in(page, base, who)
        for step, path in (
            ("search", "/search/?q=cameras"),
            ("home", "/"),
            ("article", article.get_absolute_url()),
        ):
            page.goto(base + path)
            rows = page.evaluate(
                """() => new Set([...document.querySelectorAll('header.site nav > *')]
                  .filter(el => el.getClientRects().length)
                  .map(el => { const r = el.getBoundingClientRect();
                               return Math.round((r.top + r.bottom) / 2 / 6); })).size"""
            )
            page.locator("header.site").screenshot(
                path=str(artifacts_dir / f"phone-header-{step}-{who or 'reader'}.png")
            )
            assert rows <= 2, (who, path, rows)
            assert page.evaluate(OVERFLOW) == [], (who, path)
            boxes = page.get_by_role("searchbox")
            expect(boxes).to_have_count(1)
            expect(page.get_by_role("search")).to_have_count(1)
            shot(page, f"{step}-{who or 'reader'}")


def test_dark_mode_changes_the_background_and_passes_axe(new_context, article, shot):
    add_notes(article)
    context = new_context()
    page = context.new_page()
    log_in(page, article.server, "alice")
    page.emulate_media(color_scheme="dark")
    for path in ("/", "/search/?q=cameras", "/tags/", article.get_absolute_url()):
        page.goto(article.server + path)
        paper = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert paper == "rgb(22, 23, 26)", (path, paper)
    page.locator(".note").first.hover()  # a note and its passage highlighted, in dark too
    expect(page.locator("mark.anchored.linked").first).to_be_visible()
    shot(page, "article-dark")
    context.axe.finish(context)
    dark = {
        url.removeprefix(article.server) for url, scheme in context.axe.checked if scheme == "dark"
    }
    assert {"/", "/search/?q=cameras", article.get_absolute_url(), "/tags/"} <= dark, dark


def test_axe_runs_on_every_page_and_reports_violations(new_context, archive):
    context = new_context()
    page = context.new_page()
    page.goto(archive.url + "/")
    page.set_content("<html lang='en'><title>t</title><main><img src='x.png'></main></html>")
    context.axe.settle(context)  # waits for the checks under way
    assert [url for url, _scheme in context.axe.checked][0] == archive.url + "/"
    found = "\n".join(context.axe.violations)
    assert "image-alt" in found, found
    context.axe.violations.clear()  # this page was made to fail


def test_a_long_article_shows_in_its_margin_only_the_notes_of_the_part_shown(
    new_context, archive, tmp_path, shot
):
    filler = "the minutes go on about who spoke and for how long " * 20
    write_dump(tmp_path, [f"Section {n}. {filler}".strip() for n in range(1, 81)])
    article = Article.objects.get(title=TITLE)
    alice = User.objects.get(username="alice")
    early = create_note(article, alice, "On section 2.", "Section 2.")
    late = create_note(article, alice, "On section 78.", "Section 78.")
    page = new_context().new_page()
    page.goto(archive.url + article.get_absolute_url())
    expect(page.locator(".article-parts").first).to_contain_text("Part 1 of 2")
    expect(page.locator(f"#article-text #note-{early.pk}")).to_be_visible()
    # The later part's note stays in the list, linked to the part its passage is in.
    expect(page.locator(f"#article-text #note-{late.pk}")).to_have_count(0)
    listed = page.locator(f"#commentary #note-{late.pk}")
    expect(listed.get_by_role("link").first).to_have_attribute("href", re.compile(r"part=2"))
    listed.get_by_role("link").first.click()
    expect(page.locator(".article-parts").first).to_contain_text("Part 2 of 2")
    expect(page.locator(f"#article-text #note-{late.pk}")).to_be_visible()
    expect(page.locator(f"#commentary #note-{early.pk}")).to_be_visible()
    note, mark = box(page, f"#note-{late.pk}"), box(page, f"#passage-{late.pk}")
    assert abs(note["y"] - mark["y"]) <= 4, (note, mark)
    shot(page, "part-2")
