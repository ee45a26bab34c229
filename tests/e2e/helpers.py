"""What the browser tests share besides fixtures: the database mark, logging in, and what sticks
out sideways."""

from __future__ import annotations

import re

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Page

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
