"""Settings for the test suite: the real settings, with test-friendly environment defaults."""

import os

# Subprocesses started by tests (tests.base.manage) do not inherit these.
TEST_ENVIRONMENT = {
    "SECRET_KEY": "test-suite-only-secret-key-not-for-production-0123456789",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    "ARCHIVE_PLAIN_STATIC": "1",
}
for _name, _value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)

from archive.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
WHITENOISE_USE_FINDERS = True  # serve static files without collectstatic
WHITENOISE_AUTOREFRESH = True
