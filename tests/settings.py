"""Settings for the test suite: the real settings, with test-friendly environment defaults."""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-secret-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("ARCHIVE_PLAIN_STATIC", "1")

from archive.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
WHITENOISE_USE_FINDERS = True  # serve static files without collectstatic
WHITENOISE_AUTOREFRESH = True
