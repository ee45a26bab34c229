"""Logins: failures are counted in the database per user name and client address (django-axes),
so a guesser locks out only that name from its own address, in every server process."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import archive.settings as production
from tests.base import BaseTestCase
from tests.e2e.helpers import LIVE_DB

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
ELSEWHERE = "198.51.100.7"
FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


class LoginLimitTests(BaseTestCase):
    def login(self, password, username="alice", client=None, url=LOGIN, **extra):
        return (client or self.client).post(
            url, {"username": username, "password": password}, **extra
        )

    def guess_five_times(self, username="alice", url=LOGIN, **extra):
        for _ in range(4):
            response = self.login("wrong", username, url=url, **extra)
            self.assertEqual(response.status_code, 200)
            self.assertNotContains(response, "Too many failed logins")
        return self.login("wrong", username, url=url, **extra)

    def test_the_login_page_logs_in(self):
        self.assertContains(self.client.get(LOGIN), "Log in")
        response = self.login("password")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(logged_in(self.client))

    @override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS)
    def test_passwords_are_stored_in_argon2id_and_older_ones_move_to_it_at_login(self):
        argon2id = "argon2$argon2id$v=19$m=19456,t=2,p=1$"
        erin = User.objects.create_user("erin", password="a long pass phrase")
        self.assertTrue(erin.password.startswith(argon2id), erin.password[:40])
        # Stored by Django's default hasher before: it still logs in, and is stored again.
        User.objects.filter(pk=erin.pk).update(
            password=make_password("a long pass phrase", hasher="pbkdf2_sha256")
        )
        self.assertEqual(self.login("a long pass phrase", "erin").status_code, 302)
        self.assertTrue(logged_in(self.client))
        erin.refresh_from_db()
        self.assertTrue(erin.password.startswith(argon2id), erin.password[:40])
        other = Client()
        self.assertEqual(self.login("a wrong pass phrase", "erin", client=other).status_code, 200)
        self.assertFalse(logged_in(other))

    def test_five_wrong_passwords_lock_that_name_out_from_that_address(self):
        response = self.guess_five_times()
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response["Retry-After"], "900")
        self.assertContains(
            response,
            "Too many failed logins with this user name from your address. Try again in 15 "
            "minutes.",
            status_code=429,
        )
        self.assertContains(response, 'name="password"', status_code=429)  # still the login page
        response = self.login("password")
        self.assertEqual(response.status_code, 429)
        self.assertFalse(logged_in(self.client))
        # A crawl, or another process: the count is in the database, not in a cache.
        for name in ("default", "pages", "cards"):
            caches[name].clear()
        self.assertEqual(self.login("password").status_code, 429)
        # Alice, logging in from elsewhere, is not locked out by the guesser.
        alice = Client(REMOTE_ADDR=ELSEWHERE)
        self.assertEqual(self.login("password", client=alice).status_code, 302)
        self.assertTrue(logged_in(alice))
        # Nor is anyone else from the guesser's address.
        self.assertEqual(self.login("password", "bob").status_code, 302)
        # The wait ends (each try while locked out started it again).
        later = timezone.now() + timedelta(minutes=15, seconds=1)
        with time_machine.travel(later, tick=False):
            self.client.logout()
            self.assertEqual(self.login("password").status_code, 302)

    def test_a_right_password_before_the_limit_starts_the_count_again(self):
        for _ in range(4):
            self.login("wrong")
        self.assertEqual(self.login("password").status_code, 302)
        self.client.logout()
        for _ in range(4):
            self.assertEqual(self.login("wrong").status_code, 200)
        self.assertEqual(self.login("password").status_code, 302)

    def test_changing_x_forwarded_for_does_not_reset_the_count(self):
        # No trusted proxy (the default): the header is the visitor's own and is ignored.
        for n in range(5):
            self.login("wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        self.assertEqual(self.login("password", HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code, 429)

    @override_settings(TRUSTED_PROXIES=1)
    def test_behind_a_proxy_a_guesser_locks_out_only_itself(self):
        proxy = {"REMOTE_ADDR": "10.0.0.2"}
        guesser = {"HTTP_X_FORWARDED_FOR": "203.0.113.5", **proxy}
        self.assertEqual(self.guess_five_times(**guesser).status_code, 429)
        # What the guesser writes before the proxy's entry changes nothing.
        spoofed = {"HTTP_X_FORWARDED_FOR": f"{ELSEWHERE}, 203.0.113.5", **proxy}
        self.assertEqual(self.login("password", **spoofed).status_code, 429)
        # Every other visitor comes through the same proxy, and logs in.
        alice = Client(HTTP_X_FORWARDED_FOR=ELSEWHERE, **proxy)
        self.assertEqual(self.login("password", client=alice).status_code, 302)

    def test_the_admin_login_is_limited_too(self):
        response = self.guess_five_times("charlie", url=ADMIN_LOGIN)
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many failed logins", status_code=429)
        self.assertEqual(self.login("password", "charlie", url=ADMIN_LOGIN).status_code, 429)
        admin = Client(REMOTE_ADDR=ELSEWHERE)
        self.assertEqual(
            self.login("password", "charlie", client=admin, url=ADMIN_LOGIN).status_code, 302
        )
        self.assertEqual(admin.get("/admin/").status_code, 200)

    def test_the_lockout_is_explained_in_french(self):
        response = self.guess_five_times(**FR)
        self.assertEqual(response.status_code, 429)
        self.assertContains(
            response,
            "Trop d’échecs de connexion avec ce nom d’utilisateur depuis votre adresse. "
            "Réessayez dans 15 minutes.",
            status_code=429,
        )
        self.assertContains(response, "Mot de passe", status_code=429)


def write_turns(statements: list[str]) -> int:
    """How many times these statements take SQLite's write lock: each transaction, and each
    write outside one."""
    turns, in_transaction = 0, False
    for sql in statements:
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb == "BEGIN":
            turns, in_transaction = turns + 1, True
        elif verb in ("COMMIT", "ROLLBACK"):
            in_transaction = False
        elif verb in ("INSERT", "UPDATE", "DELETE", "REPLACE") and not in_transaction:
            turns += 1
    return turns


@LIVE_DB
def test_a_login_waits_for_sqlite_s_write_lock_twice_at_most():
    """During an import on SQLite, each write transaction waits its turn for the write lock:
    a login's writes (session, axes' log, last_login) in five turns took over a second. Now in
    two: the login's own, and the session's data saved after the view."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's writers do not queue for one lock")
    User.objects.create_user("dora", password="password")
    client = Client()
    client.get(LOGIN)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(LOGIN, {"username": "dora", "password": "password"})
    assert response.status_code == 302 and logged_in(client)
    statements = [q["sql"] for q in captured.captured_queries]
    assert write_turns(statements) == 2, "\n".join(s[:100] for s in statements)
