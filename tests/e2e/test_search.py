"""A visitor searches a quote typed without its accents and lands on the highlighted passage."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LIVE_DB

pytestmark = [pytest.mark.browser, LIVE_DB]

QUOTE = '"le systeme de credit social a des racines anciennes"'
ARTICLE = "Covid-19 | Codici salute e crediti sociali"


def test_quote_without_accents_finds_the_passage(page, archive, shot):
    page.goto(archive.url + "/")
    box = page.get_by_role("searchbox", name="Search the archive")
    box.fill(QUOTE)
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"/search/\?q="))
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"^\s*1 result\b"))
    result = page.locator("article.card").first
    expect(result.get_by_role("heading")).to_contain_text(ARTICLE)
    # The snippet shows the passage with its accents, the searched words marked.
    expect(result.locator(".snippet mark").first).to_be_visible()
    expect(result.locator(".snippet")).to_contain_text("système de crédit social")
    shot(page, "1-results")

    result.get_by_role("link", name=re.compile(re.escape(ARTICLE))).click()
    expect(page).to_have_url(re.compile(r"/articles/\d+/[^?#]*\?q=.+#match$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(ARTICLE)
    first = page.locator("#article-text mark#match")
    expect(first).to_have_count(1)
    expect(first).to_be_visible()
    expect(first).to_be_in_viewport()
    marked = page.locator("#article-text mark").all_inner_texts()
    assert " ".join(marked).count("crédit") >= 1, marked
    assert "système" in " ".join(marked), marked
    expect(page.get_by_text("Words of your search are highlighted.")).to_be_visible()
    shot(page, "2-article-highlighted")


def test_a_typo_is_corrected_and_the_visitor_can_search_as_typed(page, archive, shot):
    page.goto(archive.url + "/search/?q=" + "Überwachnug")
    banner = page.locator(".did-you-mean")
    expect(banner).to_contain_text("Showing results for uberwachung")
    expect(page.locator("article.card").first).to_be_visible()
    expect(page.locator("article.card .snippet mark").first).to_contain_text(
        re.compile("Überwachung", re.IGNORECASE)
    )
    shot(page, "3-did-you-mean")
    banner.get_by_role("link", name="Überwachnug").click()
    expect(page).to_have_url(re.compile(r"exact=1"))
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"^\s*0 results\b"))
    expect(page.locator(".did-you-mean")).to_have_count(0)
    page.go_back()
    banner.get_by_role("link", name="uberwachung").click()
    expect(page.locator(".did-you-mean")).to_have_count(0)
    expect(page.locator("article.card").first).to_be_visible()
