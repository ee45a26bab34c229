"""Reading settings from the environment, failing loudly on values we cannot use."""

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS

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


def env_whole_number(name: str, default: int, maximum: int) -> int:
    """A whole number from 0 to `maximum`."""
    value = env_int(name, default)
    if not 0 <= value <= maximum:
        raise ImproperlyConfigured(
            f"{name}={os.environ.get(name)!r} must be a whole number from 0 to {maximum}."
        )
    return value


def env_positive_int(name: str, default: int) -> int:
    """A whole number of 1 or more (a size, a count)."""
    value = env_int(name, default)
    if value < 1:
        raise ImproperlyConfigured(f"{name}={os.environ.get(name)!r} must be 1 or more.")
    return value


def env_cache_limits(prefix: str, seconds: int, entries: int) -> tuple[int, int]:
    """`<prefix>_SECONDS` (0 turns the cache off) and `<prefix>_ENTRIES` of a per-process cache."""
    kept_seconds = env_int(f"{prefix}_SECONDS", seconds)
    kept_entries = env_int(f"{prefix}_ENTRIES", entries)
    if kept_seconds < 0 or kept_entries < 1:
        raise ImproperlyConfigured(
            f"{prefix}_SECONDS must be 0 (off) or more, {prefix}_ENTRIES 1 or more."
        )
    return kept_seconds, kept_entries


# What Django's deploy check (security.W009) asks of a key; shorter keys are guessable.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5


def production_secret_key(key: str) -> str:
    """The SECRET_KEY for DEBUG off, refused (without showing it) if missing or weak."""
    advice = "e.g. SECRET_KEY=$(openssl rand -hex 32)"
    if not key:
        raise ImproperlyConfigured(f"SECRET_KEY must be set when DEBUG is off ({advice}).")
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE
        or key.startswith("django-insecure-")
    ):
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak ({len(key)} characters, {len(set(key))} different): use at "
            f"least {SECRET_KEY_MIN_LENGTH} characters, {SECRET_KEY_MIN_UNIQUE} of them "
            f"different, not starting with django-insecure- ({advice})."
        )
    return key


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# The engines this project runs on: its search is SQLite FTS5 or PostgreSQL tsvector.
SQLITE = "django.db.backends.sqlite3"
POSTGRESQL = "django.db.backends.postgresql"
SUPPORTED_ENGINES = {SQLITE, POSTGRESQL}
POSTGRESQL_SCHEMES = {"postgres", "postgresql", "pgsql"}


def database_from_url(url: str, base_dir: Path, setting: str = "DATABASE_URL") -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry (parsed by dj-database-url).

    sqlite:///relative.db is relative to `base_dir` (the project), sqlite:////absolute.db is
    absolute, sqlite:///:memory: is an in-memory database. postgres://user:pass@host:port/name;
    a socket directory can be given as ?host=/var/run/postgresql or percent-encoded as the host
    (postgres://%2Fvar%2Frun%2Fpostgresql/name). ?pool_mode=transaction says the URL is a
    connection pooler's in transaction mode (PgBouncer): no server-side cursors then. Other query
    parameters become OPTIONS. Anything else (another engine, no file or database name, a bad
    port) raises ImproperlyConfigured naming the problem and `setting`, the variable it came from.
    """
    shown = f"{setting}={_without_password(url)!r}"
    try:
        conf = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except dj_database_url.UnknownSchemeError as error:
        raise ImproperlyConfigured(
            f"{shown}: unknown scheme {error.scheme!r} (use sqlite:/// or postgres://)."
        ) from None
    except ValueError as error:  # dj_database_url.ParseError: its message names no part
        raise ImproperlyConfigured(
            f"{shown} is not a valid URL: {_url_problem(url) or error}"
        ) from None
    if conf["ENGINE"] not in SUPPORTED_ENGINES:
        scheme = urlsplit(url).scheme
        raise ImproperlyConfigured(
            f"{shown}: unsupported scheme {scheme!r} (use sqlite:/// or "
            "postgres://; search needs SQLite FTS5 or PostgreSQL)."
        )
    if conf["ENGINE"] == SQLITE:
        return _sqlite(url, shown, conf, base_dir)
    return _postgresql(url, shown, conf)


def _sqlite(url: str, shown: str, conf: dict, base_dir: Path) -> dict:
    parts = urlsplit(url)
    if url != "sqlite://:memory:":
        if parts.netloc:
            # dj-database-url would read sqlite://var/db.sqlite3 as host "var", file "db.sqlite3".
            raise ImproperlyConfigured(
                f"{shown}: a SQLite URL has no host; write "
                "sqlite:///relative/to/project.db or sqlite:////absolute/path.db."
            )
        if parts.path in {"", "/"}:  # dj-database-url would quietly use an in-memory database
            raise ImproperlyConfigured(f"{shown} names no SQLite file.")
    options = dict(conf.get("OPTIONS", {}))  # ?timeout=60 and the like, from the URL
    if isinstance(options.get("timeout"), str):  # dj-database-url turns only whole numbers
        try:
            options["timeout"] = float(options["timeout"])
        except ValueError:
            raise ImproperlyConfigured(
                f"{shown}: timeout={options['timeout']!r} is not a number of seconds."
            ) from None
    name = conf["NAME"]
    if name != ":memory:":
        # sqlite:///var/db.sqlite3 is relative to the project, not to the current folder.
        name = str(base_dir / name)  # an absolute NAME stays as it is
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": SQLITE,
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
            **options,
        },
    }


def _postgresql(url: str, shown: str, conf: dict) -> dict:
    if not conf["NAME"]:
        raise ImproperlyConfigured(f"{shown} names no database.")
    options = dict(conf.get("OPTIONS", {}))
    host = conf["HOST"]
    parts = urlsplit(url)
    netloc_host = parts.netloc.rpartition("@")[2]
    if "%2f" in netloc_host.lower():
        # A percent-encoded socket directory: dj-database-url lower-cases it (as a host name).
        if parts.port is not None:
            netloc_host = netloc_host.rpartition(":")[0]
        host = unquote(netloc_host)
    # ?host=/var/run/postgresql and ?port=5433 go where Django and our tools look for them.
    host = str(options.pop("host", host))
    port = str(options.pop("port", conf["PORT"]))
    database = {
        "ENGINE": POSTGRESQL,
        "NAME": conf["NAME"],
        "USER": conf["USER"],
        "PASSWORD": conf["PASSWORD"],
        "HOST": host,
        "PORT": port,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }
    pool_mode = str(options.pop("pool_mode", "session"))
    if pool_mode == "transaction":
        # Each transaction may run on another server connection: a cursor kept open across
        # transactions (Django's .iterator() in autocommit, dumpdata) would not be found there,
        # and neither would a prepared statement (Django does not prepare unless told to).
        refused = sorted(TRANSACTION_POOLING_BREAKS & options.keys())
        if refused:
            raise ImproperlyConfigured(
                f"{shown}: {', '.join(refused)} cannot work through a pooler in transaction mode "
                "(prepared statements live in one server connection)."
            )
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
    elif pool_mode != "session":
        raise ImproperlyConfigured(
            f"{shown}: pool_mode={pool_mode!r} is not one we run on (use transaction for "
            "PgBouncer's transaction mode, or leave it out; statement mode cannot run the "
            "transactions every write needs)."
        )
    return database


# What a URL may not ask for together with pool_mode=transaction.
TRANSACTION_POOLING_BREAKS = {"server_side_binding", "prepare_threshold"}

REPLICA_ALIAS = "replica{}"  # replica1, replica2... in DATABASES
# A replica that cannot be reached is skipped after this long rather than holding the request
# (libpq waits forever by default); a URL's own ?connect_timeout= wins.
REPLICA_CONNECT_TIMEOUT = 3


def replica_databases(raw: str, primary: dict, base_dir: Path) -> dict[str, dict]:
    """DATABASE_REPLICA_URLS (URLs separated by commas or spaces) as DATABASES entries, named
    replica1, replica2...; they must be PostgreSQL, as the primary must. A test run reads them
    from its test database (TEST MIRROR), where they are no standbys and so never used."""
    urls = [url for url in re.split(r"[\s,]+", raw) if url]
    if urls and primary["ENGINE"] != POSTGRESQL:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS needs a PostgreSQL primary (DATABASE_URL=postgres://...): "
            "replicas are PostgreSQL streaming standbys."
        )
    replicas = {}
    for number, url in enumerate(urls, start=1):
        setting = f"DATABASE_REPLICA_URLS (URL {number})"
        if urlsplit(url).scheme.lower() not in POSTGRESQL_SCHEMES:
            raise ImproperlyConfigured(
                f"{setting}={_without_password(url)!r}: a replica is a PostgreSQL standby "
                "(postgres://...)."
            )
        database = database_from_url(url, base_dir, setting)
        database["OPTIONS"].setdefault("connect_timeout", REPLICA_CONNECT_TIMEOUT)
        database["TEST"] = {"MIRROR": DEFAULT_DB_ALIAS}
        replicas[REPLICA_ALIAS.format(number)] = database
    return replicas


def replica_timings(replicas: int) -> tuple[int, int, int]:
    """ARCHIVE_REPLICA_MAX_LAG_SECONDS, ARCHIVE_REPLICA_CHECK_SECONDS and
    ARCHIVE_READ_YOUR_WRITES_SECONDS (archive/read_routing.py).

    A replica is used while its lag, measured at most CHECK seconds ago, was at most MAX_LAG; so
    it holds every write older than MAX_LAG + CHECK. Who wrote reads from the primary for
    READ_YOUR_WRITES seconds, which must cover that (or a curator could miss their own note).
    """
    max_lag = env_int("ARCHIVE_REPLICA_MAX_LAG_SECONDS", 5)
    check = env_int("ARCHIVE_REPLICA_CHECK_SECONDS", 2)
    own_writes = env_int("ARCHIVE_READ_YOUR_WRITES_SECONDS", max_lag + check + 3)
    if min(max_lag, check, own_writes) < 0:
        raise ImproperlyConfigured(
            "ARCHIVE_REPLICA_MAX_LAG_SECONDS, ARCHIVE_REPLICA_CHECK_SECONDS and "
            "ARCHIVE_READ_YOUR_WRITES_SECONDS are seconds, 0 or more."
        )
    if replicas and own_writes < max_lag + check:
        raise ImproperlyConfigured(
            f"ARCHIVE_READ_YOUR_WRITES_SECONDS={own_writes} is shorter than "
            f"ARCHIVE_REPLICA_MAX_LAG_SECONDS + ARCHIVE_REPLICA_CHECK_SECONDS ({max_lag} + "
            f"{check}): a replica may still lack a write that old, and its writer would not see "
            "it. Raise it, or lower the other two."
        )
    return max_lag, check, own_writes


def _url_problem(url: str) -> str:
    """What urllib finds wrong with the URL (a port that is not a number...), or ""."""
    try:
        urlsplit(url).port  # noqa: B018 - parsing the port is the check
    except ValueError as error:
        return str(error)
    return ""


def _without_password(url: str) -> str:
    """The URL as error messages show it: a password is replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user, _, host = parts.netloc.rpartition("@")
        return urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}"))
    except ValueError:
        return url
