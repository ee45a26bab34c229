"""Whatever a visitor types, search answers: never a server error, never a database error."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.base import DEMO_DUMPS, run_import

SYNTAX = [
    '"',
    "-",
    "#",
    "OR",
    "AND",
    "NOT",
    "NEAR(",
    "(",
    ")",
    "*",
    ":",
    "^",
    "{",
    "}",
    "'",
    "\\",
    "%",
    "_",
    "|",
    "&",
    "!",
    "<->",
    ";",
    "--",
    "/*",
    "\x00",
    "é",
    "Ü",
    "😀",
    "#10",
]
queries = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.one_of(st.sampled_from(SYNTAX), st.text(alphabet="abcéü ", max_size=8)), max_size=20
    ).map(" ".join),
    st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=5)), max_size=30).map("".join),
)


class SearchFuzzTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        run_import(DEMO_DUMPS)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(query=queries, page=st.integers(min_value=-3, max_value=5))
    def test_search_page_and_api_never_fail(self, query, page):
        html = self.client.get("/search/", {"q": query, "page": page})
        self.assertIn(html.status_code, {200, 404})
        api = self.client.get("/api/search/", {"q": query, "page": page})
        self.assertIn(api.status_code, {200, 404})
        if api.status_code == 200:
            data = json.loads(api.content)
            self.assertGreaterEqual(data["count"], len(data["results"]))
