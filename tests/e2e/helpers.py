"""What the browser tests share besides fixtures: the database mark, logging in, what sticks
out sideways, and axe-core on every page visited."""

from __future__ import annotations

import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps as django_apps
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

# The live server needs a transactional database, emptied after each test. PostgreSQL's search
# index table references the articles by a foreign key Django does not know about, so the flush
# must TRUNCATE ... CASCADE, which Django only does for tests that name their available apps.
LIVE_DB = pytest.mark.django_db(
    transaction=True, available_apps=[app.name for app in django_apps.get_app_configs()]
)

# The elements (five at most) whose right edge is past the window's: on a phone, the page would
# scroll sideways.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .slice(0, 5).map(el => `${el.tagName}.${el.className}: ${el.textContent.slice(0, 40)}`);
}"""


def log_in(page: Page, base_url: str, username: str, password: str = "password") -> None:
    """Log in through the real login form, the way a person does."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label(re.compile("User name|Nom d")).fill(username)
    page.get_by_label(re.compile("Password|Mot de passe")).fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


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


class AxeWatch:
    """Runs axe-core on every HTML document a page loads (its `load` event) and keeps the
    violations, so that a test fails on any page it visited, not only on those it checks. What
    the Content-Security-Policy refuses (said on the console) is kept as a violation too.

    The check runs beside the test (Playwright runs event handlers in their own greenlet): a
    test that leaves a page before axe is done there gets that address checked again, in a page
    of its own, when it ends (`finish`). In a context without JavaScript, axe cannot run in the
    page: the addresses are checked at the end in a context with the same cookies whose
    requests for scripts are refused, so the pages are as the test saw them.
    """

    def __init__(self, scripts: bool = True, options: dict | None = None) -> None:
        self.scripts = scripts
        self.options = options or {}
        self.violations: list[str] = []
        self.missed: list[tuple[str, str]] = []  # (address, colour scheme)
        self.running = 0
        self.checked: list[tuple[str, str]] = []  # (address, colour scheme)
        self.quiet: list[Page] = []  # pages checked by `finish` itself

    def watch(self, page: Page) -> None:
        page.on("load", lambda: self._on_load(page))
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        # The Content-Security-Policy stays strict: anything it refuses is a failure too.
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.location.get('url')}: {message.text}")

    def _on_load(self, page: Page) -> None:
        if page in self.quiet:
            return
        url, scheme = page.url, "light"
        if not self.scripts:
            self.missed.append((url, scheme))
            return
        self.running += 1
        try:
            scheme = _scheme(page)
            self.check(page)
        except PlaywrightError as error:
            if _LEFT_PAGE.search(str(error)):
                self.missed.append((url, scheme))
            else:
                self.violations.append(f"{url}: axe did not run: {error}")
        finally:
            self.running -= 1

    def check(self, page: Page) -> None:
        """Axe on the page as it is now (nothing for a document that is not HTML)."""
        if page.evaluate("() => document.contentType") != "text/html":
            return
        url, scheme = page.url, _scheme(page)
        results = AXE.run(page)
        self.checked.append((url, scheme))
        for violation in results.response["violations"]:
            nodes = "; ".join(
                f"{' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1]}"
                for node in violation["nodes"][:5]
            )
            self.violations.append(
                f"{url} ({scheme}): {violation['id']} ({violation['impact']}) "
                f"{violation['help']}, {len(violation['nodes'])} element(s): {nodes}"
            )

    def settle(self, context) -> None:
        """Wait for the checks under way."""
        pages = [p for p in context.pages if not p.is_closed()]
        for _ in range(400):
            if not self.running:
                break
            (pages[0].wait_for_timeout if pages else time.sleep)(50)

    def finish(self, context) -> None:
        """Wait for the checks under way, check again the pages left too early, and fail with
        every violation found."""
        self.settle(context)
        checker = context
        if not self.scripts:
            state = context.storage_state()
            options = {**self.options, "java_script_enabled": True, "storage_state": state}
            checker = context.browser.new_context(**options)
            checker.route(re.compile(r"\.js(\?|$)"), lambda route: route.abort())
        try:
            for url, scheme in dict.fromkeys(self.missed):
                page = checker.new_page()
                self.quiet.append(page)
                page.emulate_media(color_scheme=scheme)
                page.goto(url)
                self.check(page)
                page.close()
        finally:
            if checker is not context:
                checker.close()
        assert not self.violations, "axe-core found accessibility violations:\n" + "\n".join(
            self.violations
        )


AXE = Axe()
# What Playwright says when the page went elsewhere (or closed) while axe ran; "axe is not
# defined" when it went between axe's injection and its run, into a document without it.
_LEFT_PAGE = re.compile(r"context was destroyed|navigat|closed|axe is not defined")
_SCHEME = "() => matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'"


def _scheme(page: Page) -> str:
    return page.evaluate(_SCHEME)
