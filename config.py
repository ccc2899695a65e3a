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
    # Where the counts live (web/limits.py): "redis://127.0.0.1:6379/0" for any deployment
    # with several workers or hosts; "database://" keeps them in the app's database (no Redis);
    # "memory://" is per process, for the single-process dev server only (refused in PRODUCTION).
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_KEY_PREFIX = "lectureorder"  # several apps can share one Redis
    # No X-RateLimit-* headers on every answer: each costs the shared store two more round trips
    # per limited request (measured: a third of an order's limiter time on Redis), and they tell a
    # guesser how many tries are left. A 429 still says Retry-After (web/errors.py).
    RATELIMIT_HEADERS_ENABLED = False
    # Per order code AND per address, one bucket each across the /track page and the API's
    # track, cancel and rate: every try of a code and last 4 digits counts.
    TRACK_RATE_LIMIT = "20 per 10 minutes"
    # Per address, login page and token endpoint together (generous: a station behind one NAT).
    LOGIN_RATE_LIMIT = "30 per minute"
    # "My orders by phone" (/track, POST /api/v1/requester/code and /requester/orders; README
    # "Messages"). Asking for a texted code: per phone (a keyed digest, never the number) and
    # per address. Entering it: REQUESTER_CODE_TRIES tries per phone while a code lives (10–15
    # minutes), then 429 until it has expired; and per address.
    REQUESTER_CODE_PHONE_LIMIT = "3 per 10 minutes;6 per day"
    REQUESTER_CODE_ADDRESS_LIMIT = "20 per hour"
    REQUESTER_CODE_TRIES = 5
    REQUESTER_ORDERS_ADDRESS_LIMIT = "30 per hour"
    # Placing orders (the order form and POST /api/v1/orders): per requester phone (counted
    # when an order is placed) and per address (every attempt; generous for a village cadre or
    # a station placing orders for many callers). Staff's 代下单 is not limited.
    ORDER_PHONE_RATE_LIMIT = "10 per day"
    ORDER_ADDRESS_RATE_LIMIT = "60 per hour"
    # Per account (username): this many attempts go straight through; after that each attempt
    # waits, from LOGIN_ACCOUNT_DELAY_SECONDS doubling per failure up to the maximum. Never a
    # lockout: after the wait a right password works. Forgotten a window after the first failure.
    LOGIN_ACCOUNT_FREE_ATTEMPTS = 5
    LOGIN_ACCOUNT_DELAY_SECONDS = 5
    LOGIN_ACCOUNT_MAX_DELAY_SECONDS = 300
    LOGIN_ACCOUNT_WINDOW_SECONDS = 24 * 3600
    # How many reverse proxies stand in front of the app (0: none, X-Forwarded-* ignored).
    # With 1, the client address is the last one the proxy appended to X-Forwarded-For.
    TRUSTED_PROXIES = 0

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

    # Notifications (services/notify.py; README "Messages"). SMS_BACKEND: "log" (ids only,
    # no gateway), "webhook" (POST {"to", "text", "key"} JSON to SMS_WEBHOOK_URL; any 2xx is
    # delivered) or "aliyun" (Alibaba Cloud SMS SendSms, signed with the access key).
    SMS_BACKEND = "log"
    SMS_WEBHOOK_URL = ""
    SMS_TIMEOUT_SECONDS = 10.0  # every provider call (HTTP and SMTP) gives up after this
    ALIYUN_SMS_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
    ALIYUN_SMS_REGION = "cn-hangzhou"
    ALIYUN_ACCESS_KEY_ID = ""
    ALIYUN_ACCESS_KEY_SECRET = ""  # a secret: from the environment, never logged
    ALIYUN_SMS_SIGN_NAME = ""
    # The approved template: one variable ${text} (the whole message) and ${code} (order code);
    # ALIYUN_SMS_TEMPLATES maps an event kind to its own template code instead.
    ALIYUN_SMS_TEMPLATE_CODE = ""
    ALIYUN_SMS_TEMPLATES: dict = {}
    # E-mail for coordinators (when SMTP_HOST is set), to these addresses.
    SMTP_HOST = ""
    SMTP_PORT = 587
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""  # a secret
    SMTP_STARTTLS = True
    SMTP_FROM = ""
    NOTIFY_COORDINATOR_EMAILS: tuple = ()
    # A failed delivery is tried again after base, 2×base, 4×base … seconds, at most
    # NOTIFY_MAX_ATTEMPTS times in all; then it shows as failed at /coord/notifications.
    NOTIFY_RETRY_BASE_SECONDS = 60
    NOTIFY_MAX_ATTEMPTS = 5
    # A sender that died mid-delivery gives its claim up after this long (retried, same key).
    NOTIFY_CLAIM_STALE_SECONDS = 600
    # Reminders are not sent at night (Beijing time): they wait until the end hour.
    NOTIFY_QUIET_START_HOUR = 21
    NOTIFY_QUIET_END_HOUR = 8
    # Links in texts (the rating link) start with this, e.g. "https://xj.example.cn".
    PUBLIC_BASE_URL = ""
    # At most this many texts a Beijing day to one requester phone, whatever their kind: the
    # rest wait until NOTIFY_QUIET_END_HOUR the next day (a requester has no in-app channel); a
    # "my orders" code over the cap is dropped (it would be stale by then).
    SMS_DAILY_LIMIT_PER_PHONE = 5
    # The scheduler's single-instance lease: renewed every third of it; a second scheduler
    # idles (and says so) until the lease of a dead one runs out.
    SCHEDULER_LEASE_SECONDS = 90
    REMINDER_INTERVAL_MINUTES = 10

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
