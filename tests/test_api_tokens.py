"""API tokens: good for the JSON API only, stored as digests (the key shown once), and wrong ones
counted per client address in the database, ending in 429 with Retry-After."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import timedelta
from io import StringIO

import time_machine
from django.apps import apps as django_apps
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client, TransactionTestCase, override_settings
from django.utils import timezone

from annotations.auth import TOKEN_FAILURE_LIMIT, TOKEN_FAILURE_WINDOW
from annotations.models import ApiToken, Commentary
from annotations.permissions import make_curator
from archive.models import Article
from tests.base import DEMO_DUMPS, BaseTestCase

ARTICLE_TITLE = "La vidéosurveillance algorithmique"


def random_key() -> str:
    return secrets.token_urlsafe(32)


class TokenTestCase(BaseTestCase):
    dumps = (DEMO_DUMPS / "demo_seenthis_export.txt",)

    def setUp(self):
        super().setUp()
        self.article = Article.objects.filter(title__startswith=ARTICLE_TITLE).first()
        self.article = self.article or Article.objects.order_by("pk").first()
        self.notes_url = f"/api/articles/{self.article.pk}/commentary/"

    def post_note(self, key: str, text: str = "par jeton", client: Client | None = None, **extra):
        return (client or self.client).post(
            self.notes_url,
            json.dumps({"text": text}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {key}",
            **extra,
        )


class TokenScopeTests(TokenTestCase):
    def test_an_admins_token_is_no_key_to_the_admin(self):
        """With a superuser's token and no CSRF token, the admin created a user."""
        _token, key = ApiToken.issue(self.charlie, "script")
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            "/admin/auth/user/add/",
            {
                "username": "mallory",
                "usable_password": "true",
                "password1": "Wq8!vT3#zLp0",
                "password2": "Wq8!vT3#zLp0",
            },
            HTTP_AUTHORIZATION=f"Token {key}",
        )
        self.assertIn(response.status_code, {302, 403})
        self.assertFalse(User.objects.filter(username="mallory").exists())
        response = client.get("/admin/", HTTP_AUTHORIZATION=f"Token {key}")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])

    def test_a_curators_token_opens_no_curator_page(self):
        _token, key = ApiToken.issue(self.alice, "script")
        client = Client(enforce_csrf_checks=True)
        page = f"/articles/{self.article.pk}/notes/new/"
        response = client.get(page, HTTP_AUTHORIZATION=f"Token {key}")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])
        response = client.post(page, {"text": "sans CSRF"}, HTTP_AUTHORIZATION=f"Token {key}")
        self.assertIn(response.status_code, {302, 403})
        self.assertFalse(Commentary.objects.filter(text="sans CSRF").exists())
        # The API takes it, without a CSRF token.
        self.assertEqual(self.post_note(key, client=client).status_code, 201)

    def test_a_wrong_token_outside_the_api_is_not_counted(self):
        for _ in range(TOKEN_FAILURE_LIMIT + 2):
            response = self.client.get("/", HTTP_AUTHORIZATION=f"Token {random_key()}")
            self.assertEqual(response.status_code, 200)
        _token, key = ApiToken.issue(self.alice)
        self.assertEqual(self.post_note(key).status_code, 201)


class TokenStorageTests(TokenTestCase):
    def test_only_a_digest_of_the_key_is_stored(self):
        token, key = ApiToken.issue(self.alice, "script")
        self.assertGreaterEqual(len(key), 40)
        row = ApiToken.objects.filter(pk=token.pk).values().get()
        self.assertNotIn(key, json.dumps(row, default=str))
        self.assertEqual(row["key_hash"], hashlib.sha256(key.encode()).hexdigest())
        self.assertEqual(self.post_note(key).status_code, 201)
        self.assertEqual(self.post_note(row["key_hash"]).status_code, 401)  # the digest is no key

    def test_the_admin_shows_a_new_token_once(self):
        self.client.force_login(self.charlie)
        response = self.client.post(
            "/admin/annotations/apitoken/add/", {"user": self.alice.pk, "name": "script"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        page = response.content.decode()
        self.assertIn("shown only this once", page)
        key = re.search(r'id="api-token-key"[^>]*value="([^"]+)"', page).group(1)
        token = ApiToken.objects.get(name="script")
        self.assertEqual(token.user, self.alice)
        for url in [
            "/admin/annotations/apitoken/",
            f"/admin/annotations/apitoken/{token.pk}/change/",
            f"/admin/annotations/apitoken/{token.pk}/history/",
        ]:
            shown = self.client.get(url)
            self.assertEqual(shown.status_code, 200, url)
            self.assertNotIn(key, shown.content.decode(), url)
        self.assertContains(self.client.get("/admin/annotations/apitoken/"), key[:8])
        self.client.logout()
        self.assertEqual(self.post_note(key).status_code, 201)

    def test_make_curator_prints_a_new_token_once(self):
        out = StringIO()
        call_command("make_curator", "bob", "--token", stdout=out)
        key = re.search(r"API token \(shown only this once\): (\S+)", out.getvalue()).group(1)
        self.assertNotIn(key, json.dumps(list(ApiToken.objects.values()), default=str))
        self.assertEqual(self.post_note(key).status_code, 201)


class TokenFailureTests(TokenTestCase):
    def test_wrong_tokens_end_in_429_for_that_address(self):
        _token, key = ApiToken.issue(self.alice, "script")
        for _ in range(TOKEN_FAILURE_LIMIT):
            self.assertEqual(self.post_note(random_key()).status_code, 401)
        response = self.post_note(random_key())
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertIn("Too many wrong API tokens", response.json()["detail"])
        wait = int(response["Retry-After"])
        self.assertTrue(0 < wait <= TOKEN_FAILURE_WINDOW.total_seconds(), wait)
        # While it waits, that address cannot try even the right token: no guessing goes on.
        self.assertEqual(self.post_note(key).status_code, 429)
        # The count is in the database, not in a process's memory.
        for name in ("default", "pages", "cards"):
            caches[name].clear()
        self.assertEqual(self.post_note(key).status_code, 429)
        # Another address is not held back.
        self.assertEqual(self.post_note(key, REMOTE_ADDR="198.51.100.7").status_code, 201)
        with time_machine.travel(timezone.now() + timedelta(seconds=wait + 1), tick=False):
            self.assertEqual(self.post_note(key, "plus tard").status_code, 201)
            self.assertEqual(self.post_note(random_key()).status_code, 401)
        self.assertEqual(
            sorted(Commentary.objects.filter(origin="note").values_list("text", flat=True)),
            ["par jeton", "plus tard"],
        )

    def test_a_sweep_of_random_tokens_is_stopped(self):
        statuses = [self.post_note(random_key()).status_code for _ in range(60)]
        self.assertEqual(statuses.count(401), TOKEN_FAILURE_LIMIT)
        self.assertEqual(statuses.count(429), 60 - TOKEN_FAILURE_LIMIT)

    @override_settings(TRUSTED_PROXIES=1)
    def test_behind_a_proxy_each_client_is_counted_apart(self):
        _token, key = ApiToken.issue(self.alice, "script")
        proxy = {"REMOTE_ADDR": "10.0.0.2"}
        for _ in range(TOKEN_FAILURE_LIMIT + 1):
            # What a client writes in X-Forwarded-For before the proxy's own entry is not believed.
            spoofed = f"192.0.2.{secrets.randbelow(250)}, 203.0.113.5"
            self.post_note(random_key(), HTTP_X_FORWARDED_FOR=spoofed, **proxy)
        self.assertEqual(
            self.post_note(key, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code, 429
        )
        self.assertEqual(
            self.post_note(key, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code, 201
        )

    def test_an_inactive_users_token_is_refused_and_counted(self):
        _token, key = ApiToken.issue(self.alice, "script")
        User.objects.filter(pk=self.alice.pk).update(is_active=False)
        for _ in range(TOKEN_FAILURE_LIMIT):
            self.assertEqual(self.post_note(key).status_code, 401)
        self.assertEqual(self.post_note(key).status_code, 429)


class HashingMigrationTests(TransactionTestCase):
    """Tokens issued before keys were hashed keep working after `migrate`."""

    BEFORE = [("annotations", "0002_api_token")]
    # Named, so that the flush afterwards TRUNCATEs ... CASCADE: PostgreSQL's search table
    # references the articles by a key Django does not know (as tests/e2e/helpers.py).
    available_apps = [app.name for app in django_apps.get_app_configs()]

    def test_existing_keys_keep_working(self):
        call_command("migrate", *self.BEFORE[0], verbosity=0)
        old = MigrationLoader(connection).project_state(self.BEFORE).apps
        user = old.get_model("auth", "User").objects.create(username="ada")
        old_key = secrets.token_hex(20)  # what tokens were
        old.get_model("annotations", "ApiToken").objects.create(user=user, key=old_key, name="old")
        call_command("migrate", verbosity=0)  # the upgrade, as an administrator runs it

        row = ApiToken.objects.values().get()
        self.assertNotIn(old_key, json.dumps(row, default=str))
        self.assertEqual(row["prefix"], old_key[:8])
        make_curator(User.objects.get(username="ada"))
        call_command("import_dump", str(DEMO_DUMPS / "demo_seenthis_export.txt"), stdout=StringIO())
        article = Article.objects.order_by("pk").first()
        response = Client().post(
            f"/api/articles/{article.pk}/commentary/",
            json.dumps({"text": "ancien jeton"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {old_key}",
        )
        self.assertEqual(response.status_code, 201)
