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
