"""Configuration classes; `LECTUREORDER_<KEY>` environment variables override any key."""

from __future__ import annotations


class DefaultConfig:
    """Safe defaults for the embedded SQLite set-up; production overrides by environment."""

    SECRET_KEY = "dev-only-change-me"  # create_app refuses this outside debug/testing
    # PRODUCTION (env LECTUREORDER_PRODUCTION=true): served over HTTPS. Adds
    # Strict-Transport-Security to every answer and marks the session and remember cookies
    # Secure (never sent over plain HTTP). Leave False for the dev server on http://.
    PRODUCTION = False
    # Relative SQLite paths are resolved inside the instance folder by create_app.
    SQLALCHEMY_DATABASE_URI = "sqlite:///lectureorder.sqlite"
    # hide_parameters: a failed statement's error (and so any log line) never shows its
    # values, e.g. a requester's phone. create_app keeps it when this dict is replaced.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    SQLALCHEMY_RECORD_QUERIES = False

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    WTF_CSRF_TIME_LIMIT = None  # no timeouts that change the screen (elderly-friendly pages)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    TRACK_RATE_LIMIT = "20 per 10 minutes"
    LOGIN_RATE_LIMIT = "10 per minute"

    # Dispatch
    DISPATCH_MODE = "directed"  # or "pool": the best DISPATCH_POOL_SIZE members all see it
    DISPATCH_POOL_SIZE = 10
    OFFER_EXPIRY_HOURS = 12.0
    MAX_OFFER_ROUNDS = 3
    MATCH_WEIGHTS: dict = {}
    API_TOKEN_DAYS = 30

    # Scheduling
    SLOT_MIN_LEAD_HOURS = 12
    FILM_SEASON_ALL_YEAR = False

    # Rendered calendar pages kept per worker, keyed by the change stamp (0 turns it off).
    PAGE_CACHE_SIZE = 64

    # Outreach station phone shown on confirmation pages (tel: link)
    STATION_PHONE = "0972-8612110"
    STATION_NAME = "平安区公安分局“枫”警宣讲队"

    # APScheduler runs only in the dedicated `flask scheduler` process.
    SCHEDULER_OFFER_SWEEP_MINUTES = 5
    # New orders are stored at once and offered by the scheduler's dispatch pass this often.
    DISPATCH_INTERVAL_SECONDS = 10
    # /bench/insert (a bare one-row insert, for bench/intake.py's ratio): never on by default.
    BENCH_ENDPOINTS = False
    CONTACT_RETENTION_DAYS = 365

    # Delivery evidence: photos are stored under the instance folder (a relative PHOTO_DIR is
    # resolved inside it), checked by their own header (JPEG/PNG/WebP), never by file name.
    PHOTO_DIR = "photos"
    PHOTO_MAX_BYTES = 8 * 1024 * 1024
    PHOTO_MAX_PER_SESSION = 9


class TestConfig(DefaultConfig):
    """Cheap settings for the test suite."""

    TESTING = True
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
