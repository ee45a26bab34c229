"""Every endpoint and form, fed hostile strings, answers without a server error.

Hypothesis draws strings mixing control characters, NUL, lone surrogates (raw in query strings
and forms, as invalid UTF-8; escaped in JSON), markup, FTS and SQL syntax, very long words and
text in four languages; each is sent to every page, feed, form and API endpoint (as a visitor, a
curator and an admin where that matters). Any answer but a 5xx is fine: a refusal (400), a
404, a redirect to the login page. A test also checks that the table below names every URL of
the project, so a new endpoint cannot be forgotten.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from annotations.notes import create_note
from archive.models import Article, Hashtag, HistoryEntry, ImportedFile, ImportRun
from tests.base import make_users

PIECES = [
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\ud800",
    "\udfff",
    "\ufffe",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    '"',
    '"unterminated',
    "NEAR(a b)",
    "a* OR b*",
    "col:value",
    "-",
    "#",
    "#Chine",
    "%",
    "%00",
    "../../etc/passwd",
    "Überwachung",
    "crédit_social",
    "社会信用体系",
    "مراقبة",
    "a" * 3000,
    " ",
    "\n\n",
    "0",
    "-1",
    "99999999999999999999",
]
hostile = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=20)), min_size=1, max_size=4
).map("".join)


def q(text: str) -> str:
    """Percent-encoded as bytes: a lone surrogate becomes bytes that are not UTF-8."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


# (URL name, what is sent). `{a}` is the article's id, `{n}` a note's id, `{t}` a hashtag's slug,
# `{h}` a history entry's id, `{r}` an import's id, `{f}` an imported file's id,
# `{x}` the hostile string (percent-encoded in a path or a query string).
GETS = {
    "home": ["/?page={x}"],
    "article_detail": ["/articles/{a}/?q={x}"],
    "article_detail_slug": ["/articles/{a}/{x}/", "/articles/{a}/slug/?q={x}"],
    "tag_list": ["/tags/?q={x}&page={x}"],
    "tag_detail": ["/tags/{x}/", "/tags/{t}/?page={x}"],
    "tag_feed": ["/tags/{x}/feed/"],
    "search": ["/search/?q={x}", "/search/?q={x}&page={x}&lang={x}"],
    "search_feed": ["/search/feed/?q={x}"],
    "feed": ["/feed/?{x}={x}"],
    "django.contrib.sitemaps.views.sitemap": ["/sitemap.xml?p={x}"],
    "api_articles": ["/api/articles/?tag={x}&page={x}"],
    "api_article": ["/api/articles/{a}/?{x}"],
    "api_tags": ["/api/tags/?page={x}"],
    "api_search": ["/api/search/?q={x}&lang={x}&page={x}"],
    "login": ["/accounts/login/?next={x}"],
    "note_edit": ["/notes/{n}/edit/?{x}"],
    "note_delete": ["/notes/{n}/delete/?{x}"],
    "comments_start": ["/articles/{a}/comments/start/1/?{x}"],
    "recent_changes": ["/changes/?user={x}&kind={x}&page={x}"],
    "import_history": ["/imports/?page={x}"],
    "import_upload": ["/imports/new/?{x}"],
    "import_run": ["/imports/{r}/?{x}"],
    "import_status": ["/imports/{r}/status/?{x}"],
    "imported_file": ["/imports/files/{f}/?page={x}"],
    "article_add": ["/articles/new/?{x}"],
    "article_edit": ["/articles/{a}/edit/?{x}"],
}
FORMS = {
    "note_create": ("/articles/{a}/notes/new/", ["text", "quote", "quote_start"]),
    "note_edit": ("/notes/{n}/edit/", ["text", "quote", "quote_start"]),
    "article_hashtags": ("/articles/{a}/hashtags/", ["hashtags"]),
    "hashtag_rename": ("/tags/{t}/rename/", ["name"]),
    "article_add": ("/articles/new/", ["title", "url", "published", "text", "hashtags"]),
    "article_edit": ("/articles/{a}/edit/", ["title", "url", "published", "text", "hashtags"]),
    "comments_start": ("/articles/{a}/comments/start/1/", ["confirm"]),
    "comments_unsplit": ("/articles/{a}/comments/unsplit/", ["confirm"]),
    "comment_join": ("/notes/{n}/join/", ["confirm"]),
    "undo_change": ("/changes/{h}/undo/", ["back"]),
    "login": ("/accounts/login/", ["username", "password", "next"]),
    "logout": ("/accounts/logout/", ["next"]),
    "set_language": ("/i18n/setlang/", ["language", "next"]),
    "import_upload": ("/imports/new/", ["dumps"]),
}
JSON = {
    "api_commentary_create": ("post", "/api/articles/{a}/commentary/"),
    "api_commentary": ("patch", "/api/commentary/{n}/"),
}
ADMIN = ["/admin/archive/article/?q={x}", "/admin/archive/hashtag/?q={x}&o={x}"]


def url_names(patterns, prefix: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("admin/"):
                continue  # Django's admin: its lists' search is fuzzed through ADMIN
            names |= url_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


class FuzzEveryEndpointTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_users(cls)
        cls.article = Article.objects.create(
            title="Un article",
            url="https://example.org/a",
            paragraphs=[
                {"text": "Le crédit social et la surveillance.", "lang": "fr"},
                {"text": "Ein zweiter Absatz über Überwachung.", "lang": "de"},
            ],
            external_key="fuzz",
            created="2024-01-01T00:00:00Z",
            updated="2024-01-01T00:00:00Z",
        )
        cls.note = create_note(cls.article, cls.alice, "Une note #Chine", "surveillance")
        cls.tag = Hashtag.objects.get(key="chine")
        cls.change = HistoryEntry.objects.get(note_id=cls.note.pk)
        cls.import_run = ImportRun.objects.create(source=ImportRun.Source.COMMAND, status="done")
        cls.imported = ImportedFile.objects.create(
            run=cls.import_run, position=1, name="dump.txt", new=1, new_articles=[cls.article.pk]
        )

    def fill(self, template: str, text: str) -> str:
        return template.format(
            a=self.article.pk,
            n=self.note.pk,
            t=self.tag.slug,
            h=self.change.pk,
            r=self.import_run.pk,
            f=self.imported.pk,
            x=q(text),
        )

    def assert_no_server_error(self, response, what: str) -> None:
        self.assertLess(response.status_code, 500, what)

    def test_the_tables_name_every_url_of_the_project(self):
        covered = set(GETS) | set(FORMS) | set(JSON)
        self.assertEqual(url_names(get_resolver().url_patterns) - covered, set())

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=hostile)
    def test_hostile_strings_everywhere(self, text):
        visitor, curator, admin = Client(), Client(), Client()
        curator.force_login(self.alice)
        admin.force_login(self.charlie)
        for name, templates in GETS.items():
            for template in templates:
                url = self.fill(template, text)
                for client in (visitor, curator):
                    self.assert_no_server_error(client.get(url), f"GET {url} ({name})")
        body = "&".join(f"{field}={q(text)}" for _, fields in FORMS.values() for field in fields)
        for name, (template, fields) in FORMS.items():
            url = self.fill(template, text)
            data = "&".join(f"{field}={q(text)}" for field in fields)
            for payload in (data, body):
                response = curator.post(
                    url, payload, content_type="application/x-www-form-urlencoded"
                )
                self.assert_no_server_error(response, f"POST {url} ({name})")
        for name, (method, template) in JSON.items():
            url = self.fill(template, text)
            for payload in (
                json.dumps({"text": text, "quote": text, "quote_start": text}),
                json.dumps({"text": "Une note", "quote": text}),
                json.dumps([text, {text: text}]),
                text.encode("utf-8", "surrogatepass"),
            ):
                response = getattr(curator, method)(url, payload, content_type="application/json")
                self.assert_no_server_error(response, f"{method.upper()} {url} ({name})")
            response = getattr(curator, method)(
                url, json.dumps({"text": text}), content_type=q(text)
            )
            self.assert_no_server_error(response, f"{method.upper()} {url} ({name}), its type")
        for template in ADMIN:
            url = self.fill(template, text)
            self.assert_no_server_error(admin.get(url), f"GET {url}")
        for header in ("HTTP_AUTHORIZATION", "HTTP_ACCEPT_LANGUAGE", "HTTP_IF_NONE_MATCH"):
            value = text.encode("utf-8", "surrogatepass").decode("latin-1")
            response = visitor.get("/api/articles/", **{header: value})
            self.assert_no_server_error(response, f"GET /api/articles/ with {header}")
