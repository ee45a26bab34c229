"""The write API: every endpoint refuses anonymous users and non-curators."""

import json

from django.test import Client

from annotations.models import ApiToken, Commentary
from archive.models import Article
from archive.search.service import search
from tests.base import SEENTHIS_DUMP, BaseTestCase

QUOTE = "Das Sozialpunktesystem ist im Versuchsstadium stecken geblieben."


class WriteApiTests(BaseTestCase):
    dumps = (SEENTHIS_DUMP,)

    def setUp(self):
        self.article = Article.objects.get(title__startswith="China\u00a0: Totale")
        self.url = f"/api/articles/{self.article.pk}/commentary/"

    def post(self, data, **headers):
        body = data if isinstance(data, str) else json.dumps(data)
        return self.client.post(self.url, body, content_type="application/json", **headers)

    def test_curator_creates_a_note_with_a_quote(self):
        self.client.force_login(self.alice)
        response = self.post({"text": "Bien vu #Schufa", "quote": QUOTE})
        self.assertEqual(response.status_code, 201)
        data = response.json()
        self.assertEqual(data["quote"], QUOTE)
        self.assertEqual(data["author"], "alice")
        self.assertEqual(data["origin"], "note")
        shown = self.client.get(f"/api/articles/{self.article.pk}/").json()["commentary"]
        self.assertIn(data, shown)
        self.assertEqual(search("Schufa bien").hits[0].article, self.article)

    def test_bad_requests(self):
        self.client.force_login(self.alice)
        for body, message in [
            ("{not json", "not valid JSON"),
            ('["a"]', "JSON object"),
            ({"text": ""}, "empty"),
            ({"text": "  "}, "empty"),
            ({"text": 5}, "must be a string"),
            ({"text": "x", "quote": "nowhere in the text"}, "not in the article"),
        ]:
            response = self.post(body)
            self.assertEqual(response.status_code, 400, body)
            self.assertIn(message, response.json()["detail"])
        self.assertFalse(Commentary.objects.filter(origin="note").exists())
        self.assertEqual(
            self.client.post(
                "/api/articles/999999/commentary/", "{}", content_type="application/json"
            ).status_code,
            404,
        )

    def test_anonymous_and_readers_are_refused(self):
        self.assertEqual(self.post({"text": "x"}).status_code, 401)
        self.client.force_login(self.bob)
        self.assertEqual(self.post({"text": "x"}).status_code, 403)
        note = Commentary.objects.get(text__startswith="J’ai contacté")
        for method in ("patch", "delete"):
            call = getattr(self.client, method)
            self.assertEqual(
                call(
                    f"/api/commentary/{note.pk}/", "{}", content_type="application/json"
                ).status_code,
                403,
            )
        self.client.logout()
        for method in ("patch", "delete"):
            call = getattr(self.client, method)
            self.assertEqual(
                call(
                    f"/api/commentary/{note.pk}/", "{}", content_type="application/json"
                ).status_code,
                401,
            )
        self.assertFalse(Commentary.objects.filter(origin="note").exists())
        self.assertTrue(Commentary.objects.filter(pk=note.pk).exists())

    def test_token_authentication(self):
        _token, key = ApiToken.issue(self.alice, name="script")
        response = self.post({"text": "par jeton"}, HTTP_AUTHORIZATION=f"Token {key}")
        self.assertEqual(response.status_code, 201)
        note_id = response.json()["id"]
        response = self.client.patch(
            f"/api/commentary/{note_id}/",
            json.dumps({"text": "changé"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {key}",
        )
        self.assertEqual(response.json()["text"], "changé")
        self.assertEqual(
            self.post({"text": "x"}, HTTP_AUTHORIZATION="Token wrong").status_code, 401
        )
        _bob_token, bob_key = ApiToken.issue(self.bob)
        self.assertEqual(
            self.post({"text": "x"}, HTTP_AUTHORIZATION=f"Token {bob_key}").status_code, 403
        )
        response = self.client.delete(
            f"/api/commentary/{note_id}/", HTTP_AUTHORIZATION=f"Token {key}"
        )
        self.assertEqual(response.status_code, 204)
        self.assertFalse(Commentary.objects.filter(pk=note_id).exists())

    def test_session_writes_need_csrf(self):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(self.alice)
        response = client.post(self.url, json.dumps({"text": "x"}), content_type="application/json")
        self.assertEqual(response.status_code, 403)
        page = client.get(self.article.get_absolute_url())
        token = page.cookies["csrftoken"].value
        response = client.post(
            self.url,
            json.dumps({"text": "x"}),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
        self.assertEqual(response.status_code, 201)

    def test_patch_moves_the_anchor_and_only_owner_edits(self):
        self.client.force_login(self.alice)
        note_id = self.post({"text": "a"}).json()["id"]
        response = self.client.patch(
            f"/api/commentary/{note_id}/",
            json.dumps({"quote": QUOTE}),
            content_type="application/json",
        )
        self.assertEqual(response.json()["quote"], QUOTE)
        from django.contrib.auth.models import User

        from annotations.permissions import make_curator

        dave = User.objects.create_user("dave")
        make_curator(dave)
        self.client.force_login(dave)
        response = self.client.patch(
            f"/api/commentary/{note_id}/",
            json.dumps({"text": "b"}),
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 403)
        self.client.force_login(self.charlie)
        response = self.client.patch(
            f"/api/commentary/{note_id}/",
            json.dumps({"text": "b"}),
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 200)


class LoginTests(BaseTestCase):
    def test_make_curator_command(self):
        from io import StringIO

        from django.core.management import call_command

        from annotations.permissions import is_curator

        call_command("make_curator", "bob", stdout=StringIO())
        self.bob.refresh_from_db()
        from django.contrib.auth.models import User

        self.assertTrue(is_curator(User.objects.get(pk=self.bob.pk)))


class ApiErrorsAreJsonTests(BaseTestCase):
    """Whatever stops a request under /api/ (the CSRF check before the view, a missing note, a
    page past the end), the answer is JSON, as the README says."""

    dumps = (SEENTHIS_DUMP,)

    def test_writes_stopped_by_the_csrf_check(self):
        article = Article.objects.order_by("pk").first()
        url = f"/api/articles/{article.pk}/commentary/"
        body = json.dumps({"text": "Une note"})
        browser = Client(enforce_csrf_checks=True)
        anonymous = browser.post(url, body, content_type="application/json")
        self.assertEqual(anonymous.status_code, 401)
        self.assertEqual(anonymous["WWW-Authenticate"], "Token")
        self.assertIn("Authentication required", anonymous.json()["detail"])
        browser.force_login(self.alice)
        no_token = browser.post(url, body, content_type="application/json")
        self.assertEqual(no_token.status_code, 403)
        self.assertIn("CSRF", no_token.json()["detail"])
        self.assertFalse(Commentary.objects.filter(text="Une note").exists())
        # Pages keep Django's own answer.
        page = Client(enforce_csrf_checks=True).post(f"/articles/{article.pk}/notes/new/", {})
        self.assertEqual(page.status_code, 403)
        self.assertTrue(page["Content-Type"].startswith("text/html"))

    def test_missing_things_are_json_404s(self):
        self.client.force_login(self.alice)
        for method, url in (
            ("patch", "/api/commentary/999999/"),
            ("get", "/api/articles/999999/"),
            ("get", "/api/articles/?page=999999"),
            ("get", "/api/tags/?page=x"),
            ("get", "/api/nothing-here/"),
        ):
            if method == "get":
                response = self.client.get(url)
            else:
                response = self.client.patch(url, "{}", content_type="application/json")
            self.assertEqual(response.status_code, 404, url)
            self.assertTrue(response.json()["detail"], url)
        self.assertTrue(self.client.get("/nothing-here/")["Content-Type"].startswith("text/html"))
