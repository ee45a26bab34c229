"""Readers without rights see no curator controls: anonymous visitors, and bob (no rights)."""

import re

import pytest
from playwright.sync_api import Page, expect

from annotations.notes import create_note
from archive.models import Article
from tests.e2e.helpers import LIVE_DB, log_in

pytestmark = [pytest.mark.browser, LIVE_DB]

ARTICLE = "Le monde selon #Xi_Jinping"
PASSAGE = "Derrière son apparente bonhomie se cache un chef redoutable"


@pytest.fixture
def noted_article(archive) -> Article:
    """The article, with one anchored note by alice: its passage is marked for everyone."""
    article = Article.objects.get(title=ARTICLE)
    create_note(article, archive.alice, "Le chef, vu par #Arte.", PASSAGE)
    return article


def assert_reader_view(page: Page, base_url: str, article: Article) -> None:
    page.goto(base_url + article.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(ARTICLE)
    # What everybody sees: the text, the anchored passage, the note.
    note = page.locator("article.note")
    expect(note).to_have_count(1)
    expect(note.locator(".meta strong")).to_have_text("alice")
    expect(page.locator("#article-text mark.anchored")).to_have_text(PASSAGE)
    # What only curators get.
    expect(page.locator("#note-form")).to_have_count(0)
    expect(page.get_by_role("heading", name="Add a note")).to_have_count(0)
    expect(page.get_by_label("Passage (select it in the text, or paste it)")).to_have_count(0)
    expect(page.get_by_role("heading", name="Hashtags of this article")).to_have_count(0)
    expect(page.locator("#hashtags-field")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Save"))).to_have_count(0)
    expect(note.get_by_role("link", name="Edit")).to_have_count(0)
    expect(note.get_by_role("link", name="Delete")).to_have_count(0)
    expect(page.locator("script[src*='curator.js']")).to_have_count(0)

    page.goto(base_url + "/tags/chine/")
    expect(page.get_by_role("heading", level=1)).to_have_text("#Chine")
    expect(page.get_by_role("heading", name="Rename or merge")).to_have_count(0)
    expect(page.locator("#rename-field")).to_have_count(0)
    expect(page.get_by_role("button", name="Rename")).to_have_count(0)


def test_anonymous_reader_sees_no_curator_controls(page, archive, noted_article, shot):
    assert_reader_view(page, archive.url, noted_article)
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto(archive.url + noted_article.get_absolute_url())
    shot(page, "1-article")
    # The note form's address sends a visitor to the login page.
    page.goto(f"{archive.url}/articles/{noted_article.pk}/notes/new/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_bob_sees_no_curator_controls(page, archive, noted_article, shot):
    log_in(page, archive.url, "bob")
    expect(page.locator("header.site .who")).to_have_text("bob")
    assert_reader_view(page, archive.url, noted_article)
    page.goto(archive.url + noted_article.get_absolute_url())
    shot(page, "1-article")
    # Typing the note form's address gets a refusal, not the form.
    response = page.goto(f"{archive.url}/articles/{noted_article.pk}/notes/new/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.locator("textarea")).to_have_count(0)
    shot(page, "2-refused")
