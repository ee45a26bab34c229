"""A curator merges two hashtags through the confirmation page, then undoes the merge from
Recent changes: the merged-away hashtag is back on its articles."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LIVE_DB, log_in

pytestmark = [pytest.mark.browser, LIVE_DB]


def article_count(page) -> int:
    return int(re.match(r"(\d+) article", page.locator("main p.meta").first.inner_text()).group(1))


def test_curator_merges_two_hashtags_then_undoes_it(page, archive, shot):
    log_in(page, archive.url, "alice")
    page.goto(archive.url + "/tags/workplace_analytics/")
    target = page.get_by_role("heading", level=1).inner_text().lstrip("#")
    target_count = article_count(page)
    page.goto(archive.url + "/tags/productivity_score/")
    source = page.get_by_role("heading", level=1).inner_text().lstrip("#")
    source_count = article_count(page)
    source_articles = sorted(page.locator("main article h2").all_inner_texts())
    assert source_count == len(source_articles) > 0

    # An existing hashtag's name: the merge is shown first, and asks to be confirmed.
    field = page.get_by_label("New name (an existing hashtag's name merges the two)")
    field.fill(target)
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merge the two hashtags?")
    main = page.locator("main")
    expect(main).to_contain_text(f"#{source} is on {source_count} article")
    expect(main).to_contain_text(f"#{target} is on {target_count} article")
    expect(main).to_contain_text(f"The spelling kept for every use: #{target}.")
    shot(page, "1-merge-confirmation")
    page.get_by_role("button", name="Merge them").click()

    expect(page.get_by_role("status")).to_have_text(f"#{source} is merged into #{target}.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{target}")
    merged_count = article_count(page)
    assert merged_count >= target_count
    assert page.goto(archive.url + "/tags/productivity_score/").status == 404

    # Recent changes, from the header: the merge is the newest entry; undo it.
    page.goto(archive.url + "/")
    page.locator("details.curate summary").click()  # the curators' links
    page.get_by_role("link", name="Recent changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recent changes")
    entry = page.locator("ol.history > li").first
    expect(entry.locator(".kind")).to_have_text("Hashtags merged")
    expect(entry.locator(".actor")).to_have_text("alice")
    expect(entry).to_contain_text(f"#{source} ({source_count} article")
    shot(page, "2-recent-changes")
    entry.get_by_role("button", name="Undo").click()

    expect(page.get_by_role("status")).to_have_text(
        re.compile(
            rf"^#{source} is back, on {source_count} articles?; #{target} keeps the others\.$"
        )
    )
    undone = page.locator("ol.history > li", has_text="Hashtags merged").first
    expect(undone.locator(".undone")).to_have_text("Undone by alice")
    expect(undone.get_by_role("button", name="Undo")).to_have_count(0)
    expect(page.locator("ol.history > li").first.locator(".kind")).to_have_text("Undone")
    shot(page, "3-undone")

    page.goto(archive.url + "/tags/productivity_score/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{source}")
    assert article_count(page) == source_count
    assert sorted(page.locator("main article h2").all_inner_texts()) == source_articles
    page.goto(archive.url + "/tags/workplace_analytics/")
    assert article_count(page) == target_count
