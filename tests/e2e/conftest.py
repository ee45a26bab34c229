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
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.base import PLAIN_DUMP, SEENTHIS_DUMP, make_users, run_import
from tests.e2e.helpers import AxeWatch

HERE = Path(__file__).resolve().parent
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """While Playwright's sync API is open, its event loop counts as running in this thread, and
    Django's ORM refuses to run (SynchronousOnlyOperation). The tests themselves are synchronous,
    so they may say so with DJANGO_ALLOW_ASYNC_UNSAFE, but only during the browser tests: other
    tests, and the subprocesses they start (manage.py check --deploy), must not inherit it."""
    if HERE not in Path(str(item.path)).parents:
        return (yield)
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        return (yield)
    finally:
        if before is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture(scope="package")
def browser() -> Browser:
    """One chromium for all the browser tests, closed after the last of them (so that the tests
    that run after these have no event loop around)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (make browser-deps)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
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


def _new_context(browser: Browser, locale: str, **options) -> BrowserContext:
    # The locale also sets the Accept-Language header, as a real browser's language does.
    context = browser.new_context(**{"locale": locale, "viewport": VIEWPORT, **options})
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture
def new_context(request, browser, artifacts_dir):
    """Factory for extra contexts (another person, another browser language).

    Every page of these contexts is checked by axe-core each time it loads (helpers.AxeWatch):
    a test that passes fails at its end if a page it visited has accessibility violations.
    When the test fails, the last state of each of its pages is saved as a screenshot.
    """
    made = []

    def make(locale: str = "en-GB", **options) -> BrowserContext:
        context = _new_context(browser, locale, **options)
        scripts = options.get("java_script_enabled", True)
        watch = AxeWatch(scripts, {"locale": locale, "viewport": VIEWPORT, **options})
        context.on("page", watch.watch)
        context.axe = watch  # for the tests that check the check
        made.append((context, watch))
        return context

    yield make
    failed = getattr(request.node, "e2e_failed", False)
    test = re.sub(r"[^\w-]+", "_", request.node.name)
    try:
        if not failed:
            for context, watch in made:
                watch.finish(context)
    finally:
        _close(made, failed, test, artifacts_dir)


def _close(made, failed: bool, test: str, artifacts_dir: Path) -> None:
    for i, (context, _watch) in enumerate(made):
        if failed:
            for j, page in enumerate(context.pages):
                try:
                    page.screenshot(
                        path=str(artifacts_dir / f"{test}--FAILED-{i}-{j}.png"), full_page=True
                    )
                except Exception:  # a closed page must not hide the failure
                    pass
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
