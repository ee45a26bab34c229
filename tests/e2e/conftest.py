"""Browser tests: a real chromium (Debian's, never a downloaded one) driven by Playwright.

Each test gets a fresh live server database with the two real dumps imported and the named
users (alice is a curator, bob has no rights, charlie is a superuser). Screenshots of the key
steps go to test-artifacts/ so a person can look at them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run
# beside it. The test code itself is synchronous, so this is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright  # noqa: E402

from tests.base import PLAIN_DUMP, SEENTHIS_DUMP, make_users, run_import  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (make browser-deps)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def archive(live_server) -> SimpleNamespace:
    """The live server, with the real dumps imported and the named users created."""
    missing = [p for p in (SEENTHIS_DUMP, PLAIN_DUMP) if not p.exists()]
    assert not missing, f"dump files missing (set ARCHIVE_SHARED_DUMPS?): {missing}"
    run_import(SEENTHIS_DUMP, PLAIN_DUMP)
    site = SimpleNamespace(url=live_server.url)
    make_users(site)
    return site


def _new_context(browser: Browser, locale: str) -> BrowserContext:
    # The locale also sets the Accept-Language header, as a real browser's language does.
    context = browser.new_context(locale=locale, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def new_context(browser):
    """Factory for extra contexts (another person, another browser language)."""
    made = []

    def make(locale: str = "en-GB") -> BrowserContext:
        context = _new_context(browser, locale)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context, archive) -> Page:
    """A page in an English browser, on a live server that holds the real dumps."""
    return new_context("en-GB").new_page()


@pytest.fixture
def shot(request, artifacts_dir):
    """shot(page, "step") saves a full-page screenshot as test-artifacts/<test>--<step>.png."""
    test = re.sub(r"[^\w-]+", "_", request.node.name)

    def take(page: Page, step: str) -> Path:
        path = artifacts_dir / f"{test}--{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page: Page, base_url: str, username: str, password: str = "password") -> None:
    """Log in through the real login form, the way a person does."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label(re.compile("User name|Nom d")).fill(username)
    page.get_by_label(re.compile("Password|Mot de passe")).fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
