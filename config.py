"""Configuration classes; everything secret or site-specific comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SQLITE_URL = f"sqlite:///{INSTANCE_DIR / 'tumorboard.sqlite3'}"

# A key that is only good enough for the laptop demo; production refuses it.
DEVELOPMENT_SECRET_KEY = "development-only-not-secret"  # noqa: S105


def _database_url(default: str | None) -> str | None:
    url = os.environ.get("DATABASE_URL", default)
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver named.
    if url and url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _proxy_count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise RuntimeError(
            f"TRUSTED_PROXIES must be the number of reverse proxies in front of the app "
            f"(0 or more), not {value!r}."
        )
    return count


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url(DEFAULT_SQLITE_URL)
    # hide_parameters: a failed statement's message (and so the log) never carries patient data.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    # SQLite: WAL lets readers continue during a write; the busy timeout makes a writer wait
    # for the lock instead of failing at once (milliseconds).
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000"))
    # A meeting page stays open for hours; its CSRF token must not expire under it.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Server-side session limits (app/accounts/sessions.py): minutes without a request, and
    # hours after login, after which the member logs in again.
    SESSION_IDLE_MINUTES = float(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_ABSOLUTE_HOURS = float(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
    REMEMBER_COOKIE_HTTPONLY = True
    BOARD_NAME = os.environ.get("BOARD_NAME", "Spine Tumor Board")
    # The institution named at the top of every exported document (empty: the board name only).
    INSTITUTION_NAME = ""
    BOARD_TIMEZONE = os.environ.get("BOARD_TIMEZONE", "Europe/London")
    # argon2id cost; rehashed at login whenever these change.
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "3"))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", "65536"))
    ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "4"))
    PAGE_SIZE = 50
    # Live meeting events: "inprocess" (one server process) or "postgres" (LISTEN/NOTIFY, for
    # several workers or servers on one PostgreSQL database).
    LIVE_BROKER = "inprocess"
    # Seconds between keep-alive comments on an idle event stream (proxies close silent ones).
    LIVE_KEEPALIVE_SECONDS = 15
    # Specialty codes a new meeting needs present to be quorate (QUORUM_SPECIALTIES, comma
    # separated); the coordinator may change them per meeting.
    QUORUM_SPECIALTIES = (
        "medical_oncology",
        "radiation_oncology",
        "interventional_radiology",
        "spine_surgery",
    )
    # Reverse proxies in front of the app that append X-Forwarded-For/-Proto (0: none). Only
    # then are those headers believed: a client can send them itself.
    TRUSTED_PROXIES = 0

    @classmethod
    def from_environment(cls) -> dict:
        """Settings read from the environment when the app is created (not at import)."""
        settings = {
            "SECRET_KEY": os.environ.get("SECRET_KEY", cls.SECRET_KEY),
            "SQLALCHEMY_DATABASE_URI": _database_url(cls.SQLALCHEMY_DATABASE_URI),
        }
        for name in ("BOARD_NAME", "INSTITUTION_NAME", "BOARD_TIMEZONE", "LIVE_BROKER"):
            if name in os.environ:
                settings[name] = os.environ[name]
        if "LIVE_KEEPALIVE_SECONDS" in os.environ:
            settings["LIVE_KEEPALIVE_SECONDS"] = float(os.environ["LIVE_KEEPALIVE_SECONDS"])
        if "TRUSTED_PROXIES" in os.environ:
            settings["TRUSTED_PROXIES"] = _proxy_count(os.environ["TRUSTED_PROXIES"])
        if "QUORUM_SPECIALTIES" in os.environ:
            codes = os.environ["QUORUM_SPECIALTIES"].split(",")
            settings["QUORUM_SPECIALTIES"] = tuple(code.strip() for code in codes if code.strip())
        return settings


class DevelopmentConfig(Config):
    """The embedded default: SQLite under instance/, the demo key."""

    DEBUG = False


class TestingConfig(Config):
    """Used by the test suite; CSRF stays on so tests exercise it."""

    TESTING = True
    # Tests always name their database; this default only guards the demo database.
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SECRET_KEY = "test-secret-key-not-for-use-anywhere-else"  # noqa: S105
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1

    @classmethod
    def from_environment(cls) -> dict:
        """Tests set everything themselves; the environment must not leak in."""
        return {}


class ProductionConfig(Config):
    """A hospital deployment: secrets and the database must come from the environment."""

    SESSION_COOKIE_SECURE = True
    # "__Host-": the browser sends it only over HTTPS, to this host, for every path.
    SESSION_COOKIE_NAME = "__Host-tumorboard"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = False
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    # Served behind TLS only: browsers are told never to use plain HTTP for it.
    SECURITY_HSTS = True

    @classmethod
    def check(cls, workers: int | None = None) -> list[str]:
        """Return what is wrong with the environment for production, one line each.

        `workers` is the number of server processes (gunicorn's, else $WEB_CONCURRENCY).
        """
        problems = []
        if os.environ.get("FLASK_DEBUG", "").lower() in {"1", "true", "yes", "on"}:
            problems.append(
                "FLASK_DEBUG is on: the debugger runs code sent by the browser. Unset FLASK_DEBUG."
            )
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == DEVELOPMENT_SECRET_KEY or len(key) < 32:
            problems.append(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if not os.environ.get("DATABASE_URL"):
            problems.append("DATABASE_URL must name the production database (PostgreSQL).")
        return problems + several_workers_problems(workers)


def several_workers_problems(workers: int | None = None) -> list[str]:
    """What stops several server processes from working together, in any configuration.

    Live meeting events reach only the process that published them unless they go through
    PostgreSQL (LIVE_BROKER=postgres), and SQLite is one file for one process.
    """
    if workers is None:
        concurrency = os.environ.get("WEB_CONCURRENCY", "1")
        workers = int(concurrency) if concurrency.isdigit() else 1
    if workers <= 1:
        return []
    problems = []
    url = _database_url(DEFAULT_SQLITE_URL) or ""
    if url.startswith("sqlite"):
        problems.append(
            f"{workers} workers on SQLite: SQLite serves one server process. Use PostgreSQL "
            "(DATABASE_URL=postgresql://…) or run a single worker."
        )
    if os.environ.get("LIVE_BROKER", "inprocess") != "postgres":
        problems.append(
            f"{workers} workers with LIVE_BROKER={os.environ.get('LIVE_BROKER', 'inprocess')}: "
            "meeting events would reach only the worker that made the change. Set "
            "LIVE_BROKER=postgres (with PostgreSQL) or run a single worker."
        )
    return problems


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
