"""Reading settings from the environment, failing loudly on values we cannot use."""

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_cache_limits(prefix: str, seconds: int, entries: int) -> tuple[int, int]:
    """`<prefix>_SECONDS` (0 turns the cache off) and `<prefix>_ENTRIES` of a per-process cache."""
    kept_seconds = env_int(f"{prefix}_SECONDS", seconds)
    kept_entries = env_int(f"{prefix}_ENTRIES", entries)
    if kept_seconds < 0 or kept_entries < 1:
        raise ImproperlyConfigured(
            f"{prefix}_SECONDS must be 0 (off) or more, {prefix}_ENTRIES 1 or more."
        )
    return kept_seconds, kept_entries


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str, base_dir: Path) -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry.

    sqlite:///relative/or/absolute.db and postgres://user:pass@host:port/name are understood;
    a socket directory can be given percent-encoded as the host (postgres://%2Ftmp%2Fpg/archive)
    or as ?host=/tmp/pg.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///var/db.sqlite3 is relative to the project, sqlite:////abs/db.sqlite3 absolute.
        path = unquote(parts.netloc + parts.path)
        if path in {"", "/"}:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file.")
        if path == "/:memory:":
            name = ":memory:"
        elif path.startswith("//"):
            name = path[1:]
        else:
            name = str(base_dir / path.lstrip("/"))
        if name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # Kept between requests, as on PostgreSQL: opening one (and its PRAGMAs) was half
            # the cost of a page served from the page cache.
            "CONN_MAX_AGE": 0 if name == ":memory:" else 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL lets pages read while an import writes; IMMEDIATE avoids lock upgrades
                # failing half-way through a write transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        query = dict(parse_qsl(parts.query))
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database.")
        host = query.pop("host", None) or unquote(parts.hostname or "")
        if parts.netloc and "%2f" in parts.netloc.lower():
            host = unquote(parts.netloc.rsplit("@", 1)[-1])
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": host,
            "PORT": str(parts.port or "") if "%2f" not in parts.netloc.lower() else "",
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": query,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r}: unknown scheme {scheme!r} (use sqlite:/// or postgres://)."
    )
