"""The one settings module. Everything that differs between machines comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from archive.env import (
    database_from_url,
    env_bool,
    env_cache_limits,
    env_int,
    env_list,
    env_positive_int,
    env_whole_number,
    production_secret_key,
    replica_databases,
    replica_timings,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ARCHIVE_VAR_DIR", BASE_DIR / "var"))

# On by default so that `pip install -e . && python manage.py migrate` works anywhere; production
# sets DEBUG=0 (and then must set SECRET_KEY), and the WSGI entry point refuses to serve with DEBUG
# on (archive/wsgi.py).
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG:
    SECRET_KEY = production_secret_key(SECRET_KEY)  # 50+ characters, as Django's deploy check
elif not SECRET_KEY:
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "archive.api_errors.csrf_failure"  # JSON under /api/

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "taggit",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "archive.apps.ArchiveConfig",
    "annotations.apps.AnnotationsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: NUL and control characters end in a 400 here.
    "archive.middleware.RequestInputMiddleware",
    # A view that cannot reach the database answers 503 (archive/outage.py).
    "archive.outage.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "annotations.auth.TokenAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "archive.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: a locked-out login gets 429 (annotations/login.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "archive.urls"
WSGI_APPLICATION = "archive.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", "sqlite:///var/archive.sqlite3"), BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replicas: PostgreSQL streaming standbys (docs/scaling.md). Each request reads from one
# replica that is up and not lagging, or from the primary (every write; who wrote in the last
# ARCHIVE_READ_YOUR_WRITES_SECONDS; imports, commands, migrations); archive/read_routing.py
# chooses, archive/db_routers.py routes. With none configured, none of this is installed.
DATABASES.update(
    replica_databases(os.environ.get("DATABASE_REPLICA_URLS", ""), DATABASES["default"], BASE_DIR)
)
ARCHIVE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
(
    ARCHIVE_REPLICA_MAX_LAG_SECONDS,
    ARCHIVE_REPLICA_CHECK_SECONDS,
    ARCHIVE_READ_YOUR_WRITES_SECONDS,
) = replica_timings(len(ARCHIVE_REPLICAS))
if ARCHIVE_REPLICAS:
    DATABASE_ROUTERS = ["archive.db_routers.PrimaryReplicaRouter"]
    # After static files (no database), before anything that reads one (sessions, tokens).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
        "archive.read_routing.ReadRoutingMiddleware",
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Passwords: Argon2id (annotations/passwords.py); those stored by Django's default PBKDF2 still
# log in and are stored again in Argon2id.
PASSWORD_HASHERS = [
    "annotations.passwords.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# Logins: django-axes counts failures in the database (every server process sees the same
# counts) per user name AND client address, so a guesser locks out only that name from that
# address, never its owner logging in from elsewhere. The client address is read through
# TRUSTED_PROXIES proxies (archive/clientaddress.py). docs/security.md.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "archive.clientaddress.client_address"
AXES_LOCKOUT_CALLABLE = "annotations.login.lockout_response"
# How many proxies in front of the archive append to X-Forwarded-For (0: none, REMOTE_ADDR is
# the client). Too many lets visitors choose their address; too few makes them all one.
TRUSTED_PROXIES = env_whole_number("TRUSTED_PROXIES", 0, maximum=10)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
# Each language by its own name; the switcher (templates/base.html) offers them in this order.
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("Français")),
    ("de", _("Deutsch")),
    ("it", _("Italiano")),
]
LOCALE_PATHS = [BASE_DIR / "archive" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("ARCHIVE_PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

TAGGIT_CASE_INSENSITIVE = True

# Reader pages for anonymous visitors are kept per process until the archive changes
# (archive/pagecache.py), at most this long; 0 turns the page cache off.
ARCHIVE_PAGE_CACHE_SECONDS, ARCHIVE_PAGE_CACHE_ENTRIES = env_cache_limits(
    "ARCHIVE_PAGE_CACHE", seconds=300, entries=1000
)
# Article cards of the home and tag pages are kept per process until the archive changes
# (archive/cards.py), at most this long; 0 turns the card cache off. A card is ~1–2 KB.
ARCHIVE_CARD_CACHE_SECONDS, ARCHIVE_CARD_CACHE_ENTRIES = env_cache_limits(
    "ARCHIVE_CARD_CACHE", seconds=300, entries=5000
)


def _local_cache(location: str, seconds: int, entries: int) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": location,
        "TIMEOUT": seconds or 1,  # a cache turned off (0) is never read
        "OPTIONS": {"MAX_ENTRIES": entries},
    }


CACHES = {
    # Small things: counts, related hashtags.
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "archive-default",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
    # Whole pages, apart: visitors choose the addresses, and must not evict the small things.
    "pages": _local_cache("archive-pages", ARCHIVE_PAGE_CACHE_SECONDS, ARCHIVE_PAGE_CACHE_ENTRIES),
    # Article cards of list pages as HTML (archive/cards.py), for every visitor, curators too.
    "cards": _local_cache("archive-cards", ARCHIVE_CARD_CACHE_SECONDS, ARCHIVE_CARD_CACHE_ENTRIES),
}

# Production hardening; each can be relaxed from the environment (e.g. behind plain HTTP).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

ARCHIVE_PAGE_SIZE = env_int("ARCHIVE_PAGE_SIZE", 20)
ARCHIVE_TAGS_PAGE_SIZE = 200  # /api/tags/
# Broad queries rank only this many newest matches, so a common word stays fast at any size.
ARCHIVE_SEARCH_CANDIDATES = env_int("ARCHIVE_SEARCH_CANDIDATES", 1000)
# Counting stops here; pages then say "more than N".
ARCHIVE_SEARCH_COUNT_LIMIT = env_int("ARCHIVE_SEARCH_COUNT_LIMIT", 10000)
# Imports of more than ARCHIVE_IMPORT_WORKER_BYTES prepare posts (language, search analysis) in a
# second process while the first parses and writes; off: everything in one process.
ARCHIVE_IMPORT_WORKER = env_bool("ARCHIVE_IMPORT_WORKER", (os.cpu_count() or 1) > 1)
ARCHIVE_IMPORT_WORKER_BYTES = env_int("ARCHIVE_IMPORT_WORKER_BYTES", 4_000_000)
# That second process runs at this niceness (0-19) above the importer's: its CPU-bound work
# yields the cores to pages and curators' writes, while the importer, which holds SQLite's write
# lock as it writes, keeps its priority. An idle machine imports as fast either way.
ARCHIVE_IMPORT_WORKER_NICENESS = env_whole_number("ARCHIVE_IMPORT_WORKER_NICENESS", 10, 19)

# Imports from the browser (archive/uploads.py) run in the background: django-tasks' database
# backend keeps the queue, `manage.py db_worker` runs it (README). Uploaded dumps wait in
# ARCHIVE_UPLOAD_DIR, which the web and worker processes must both reach.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
ARCHIVE_UPLOAD_DIR = Path(os.environ.get("ARCHIVE_UPLOAD_DIR", VAR_DIR / "uploads"))
# What an upload may hold; past these it is refused before anything is stored or imported.
ARCHIVE_UPLOAD_MAX_FILE_BYTES = env_positive_int("ARCHIVE_UPLOAD_MAX_FILE_BYTES", 200_000_000)
ARCHIVE_UPLOAD_MAX_BYTES = env_positive_int("ARCHIVE_UPLOAD_MAX_BYTES", 500_000_000)
ARCHIVE_UPLOAD_MAX_FILES = env_positive_int("ARCHIVE_UPLOAD_MAX_FILES", 100)
# A zip's members (files and folders) and their total size once uncompressed (zip bombs).
ARCHIVE_UPLOAD_ZIP_MAX_MEMBERS = env_positive_int("ARCHIVE_UPLOAD_ZIP_MAX_MEMBERS", 1000)
ARCHIVE_UPLOAD_ZIP_MAX_BYTES = env_positive_int("ARCHIVE_UPLOAD_ZIP_MAX_BYTES", 1_000_000_000)
# Django refuses a request with more files than this before any view runs: one more than ours,
# so that our own limit's message is the one curators see.
DATA_UPLOAD_MAX_NUMBER_FILES = ARCHIVE_UPLOAD_MAX_FILES + 1
# An upload far past ARCHIVE_UPLOAD_MAX_BYTES is not written to disk before it is refused.
FILE_UPLOAD_HANDLERS = [
    "archive.uploads.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "one_line": {"()": "archive.logs.OneLine"},
        "not_outage": {"()": "archive.logs.NotOutage"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "console_one_line": {"class": "logging.StreamHandler", "filters": ["one_line"]},
    },
    "loggers": {
        # A refused Host header is the visitor's doing: one line, no traceback, header cut.
        "django.security.DisallowedHost": {"handlers": ["console_one_line"], "propagate": False},
        # A request answered 503 for want of a database: archive.outage logs bursts instead.
        "django.request": {"filters": ["not_outage"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
