"""Every write, form or API, refuses anonymous visitors and users who are not curators."""

import json

from annotations.models import Commentary
from annotations.notes import create_note, delete_commentary
from archive.models import Article, Hashtag, HistoryEntry
from tests.base import DEMO_DUMPS, BaseTestCase


class WriteEndpointTests(BaseTestCase):
    dumps = (DEMO_DUMPS,)

    def setUp(self):
        self.article = Article.objects.get(title__startswith="La vidéosurveillance")
        self.note = create_note(self.article, self.alice, "note d’alice")
        self.tag = Hashtag.objects.get(key="surveillance")
        delete_commentary(create_note(self.article, self.alice, "note effacée"), by=self.alice)
        self.deleted = HistoryEntry.objects.get(kind=HistoryEntry.Kind.NOTE_DELETED)
        self.before = self.snapshot()

    def snapshot(self):
        return (
            list(Commentary.objects.order_by("pk").values_list("pk", "text", "quote_exact")),
            list(Hashtag.objects.order_by("pk").values_list("pk", "name", "slug")),
            sorted(self.article.hashtags.values_list("pk", flat=True)),
        )

    def endpoints(self):
        a, n, t, h = self.article.pk, self.note.pk, self.tag.slug, self.deleted.pk
        return [
            ("post", f"/articles/{a}/notes/new/", {"text": "x"}, "form"),
            ("post", f"/notes/{n}/edit/", {"text": "x"}, "form"),
            ("post", f"/notes/{n}/delete/", {}, "form"),
            ("post", f"/articles/{a}/hashtags/", {"hashtags": "#x"}, "form"),
            ("post", f"/tags/{t}/rename/", {"name": "x"}, "form"),
            ("post", f"/changes/{h}/undo/", {}, "form"),
            ("post", f"/api/articles/{a}/commentary/", {"text": "x"}, "json"),
            ("patch", f"/api/commentary/{n}/", {"text": "x"}, "json"),
            ("delete", f"/api/commentary/{n}/", {}, "json"),
        ]

    def call(self, method, url, data, kind):
        if kind == "json":
            return getattr(self.client, method)(
                url, json.dumps(data), content_type="application/json"
            )
        return getattr(self.client, method)(url, data)

    def test_anonymous_visitors_are_refused_everywhere(self):
        for method, url, data, kind in self.endpoints():
            response = self.call(method, url, data, kind)
            if kind == "json":
                self.assertEqual(response.status_code, 401, url)
            else:
                self.assertEqual(response.status_code, 302, url)
                self.assertTrue(response["Location"].startswith("/accounts/login/"), url)
        self.assertEqual(self.snapshot(), self.before)

    def test_users_who_are_not_curators_are_refused_everywhere(self):
        self.client.force_login(self.bob)
        for method, url, data, kind in self.endpoints():
            self.assertEqual(self.call(method, url, data, kind).status_code, 403, url)
        self.assertEqual(self.snapshot(), self.before)

    def test_forms_need_the_csrf_token(self):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(self.alice)
        for method, url, data, kind in self.endpoints():
            if kind == "form":
                self.assertEqual(getattr(client, method)(url, data).status_code, 403, url)
        self.assertEqual(self.snapshot(), self.before)

    def test_curator_pages_hidden_from_readers(self):
        for user in (None, self.bob):
            if user:
                self.client.force_login(user)
            page = self.client.get(self.article.get_absolute_url()).content.decode()
            for marker in ("note-form", "hashtags-field", f"/notes/{self.note.pk}/edit/"):
                self.assertNotIn(marker, page)
            tag_page = self.client.get(self.tag.get_absolute_url()).content.decode()
            self.assertNotIn("rename-field", tag_page)
