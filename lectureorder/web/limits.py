"""Rate limits that hold across processes: storage, keys, the tracking, login, "my orders by
phone" and order-placement limits, the per-account login delay, the per-phone code tries and
the proxy set-up.

Storage (RATELIMIT_STORAGE_URI): ``redis://…`` for any real deployment (every worker on every
host shares one count); ``database://`` keeps the counters in the app's own database
(`RateLimitCounter`, one atomic upsert per hit) for several processes without Redis;
``memory://`` counts per process and is only for the single-process dev server, so it is
refused when PRODUCTION is on.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import random
import time
from collections.abc import Callable

from flask import Flask, current_app, g, has_app_context, request
from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..domain import requester_code as rc
from ..domain.contact import normalise_order_code, normalise_phone
from ..domain.errors import DomainError
from ..extensions import db, limiter
from ..models.rate_limit import RateLimitCounter

log = logging.getLogger(__name__)

TRACK_CODE_SCOPE = "track-code"
TRACK_ADDRESS_SCOPE = "track-address"
LOGIN_ADDRESS_SCOPE = "login-address"
REQUESTER_CODE_PHONE_SCOPE = "requester-code-phone"
REQUESTER_CODE_ADDRESS_SCOPE = "requester-code-address"
REQUESTER_ORDERS_ADDRESS_SCOPE = "requester-orders-address"
ORDER_ADDRESS_SCOPE = "order-address"
NO_VALUE = "-"  # an empty key would make Flask-Limiter skip the limit altogether


def wall_clock() -> float:
    """Epoch seconds of the real clock, never the frozen business clock (`services.clock`):
    rate-limit windows are counted by the `limits` package and by Redis TTLs on the real
    clock, and this module's windows must agree with theirs. The one clock read here."""
    return time.time()


# ---------------------------------------------------------------- storage in the database

class DatabaseStorage(Storage):
    """Fixed-window counters in `rate_limit_counter` (SQLite or PostgreSQL).

    Each hit is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on its own connection and
    transaction (never the view's unit of work), so concurrent workers cannot both take the
    last slot: PostgreSQL locks the row, SQLite serialises writers."""

    STORAGE_SCHEME = ["database"]
    SWEEP_EVERY = 200  # about one hit in this many also deletes long-expired rows

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @staticmethod
    def _insert(dialect: str):
        if dialect == "postgresql":
            return postgresql.insert
        if dialect == "sqlite":
            return sqlite.insert
        raise RuntimeError(f"database:// rate limits support SQLite and PostgreSQL, not {dialect}")

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = wall_clock()
        table = RateLimitCounter.__table__
        with db.engine.begin() as conn:
            stmt = self._insert(conn.dialect.name)(table).values(
                key=key, count=amount, expires_at=now + expiry)
            expired = table.c.expires_at <= now
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((expired, amount), else_=table.c.count + amount),
                    "expires_at": case((expired, now + expiry), else_=table.c.expires_at),
                },
            ).returning(table.c.count)
            count = conn.execute(stmt).scalar_one()
            if random.randrange(self.SWEEP_EVERY) == 0:
                conn.execute(delete(table).where(table.c.expires_at < now - 3600))
        return int(count)

    def _row(self, key: str):
        table = RateLimitCounter.__table__
        with db.engine.connect() as conn:
            return conn.execute(select(table.c.count, table.c.expires_at).where(
                table.c.key == key, table.c.expires_at > wall_clock())).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row else wall_clock()

    def check(self) -> bool:
        if not has_app_context():
            return False
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(RateLimitCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(RateLimitCounter.__table__).where(
                RateLimitCounter.__table__.c.key == key))


# ---------------------------------------------------------------- keys

def _digest(value: str) -> str:
    """Keys built from what people type stay short and free of separators."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def client_address() -> str:
    """The client's address as a rate-limit key: ``remote_addr`` (which ProxyFix sets from
    X-Forwarded-For when TRUSTED_PROXIES says how many proxies to believe); an IPv6 address
    counts by its /64, since one home or phone is given a whole /64 and could otherwise use a
    fresh address for every try."""
    address = request.remote_addr or "127.0.0.1"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:10.0.0.1 is the IPv4 client 10.0.0.1
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _body_value(name: str) -> str:
    """A field of the posted form or JSON object, as text ('' when absent or not text)."""
    value = request.form.get(name) if request.form else None
    if value is None and request.is_json:
        data = request.get_json(silent=True)
        value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def order_code_key() -> str:
    """The order code being tried, normalised as the lookup does (so 'ab-12 3' and 'AB123' are
    one bucket) — wherever it is tried: the /track page or the API."""
    code = normalise_order_code(_body_value("code"))
    return _digest(code) if code else NO_VALUE


def phone_bucket(raw: str) -> str:
    """A requester phone as a bucket: the keyed digest of the normalised number (the same one
    however it was typed), never the number, nor an unkeyed hash anyone could reverse by
    trying every number."""
    if not raw.strip():
        return NO_VALUE
    secret = str(current_app.config["SECRET_KEY"])
    try:
        return rc.phone_digest(secret, normalise_phone(raw))
    except DomainError:  # refused by the view anyway; still one bucket per typed value
        return rc.phone_digest(secret, f"raw:{raw}")


def requester_phone_key() -> str:
    """The ``phone`` of a "my orders" request (the /track page's forms or the API)."""
    return phone_bucket(_body_value("phone"))


def account_name(username: str | None) -> str:
    return (username or "").strip().casefold()


# ---------------------------------------------------------------- the limits

def _track_limit() -> str:
    return current_app.config["TRACK_RATE_LIMIT"]


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def track_limits(methods: list[str] | None = None) -> Callable:
    """TRACK_RATE_LIMIT per order code and per address, each ONE bucket shared by every view
    where a code and last 4 digits are tried (the /track page, the API's track, cancel, rate)."""
    per_code = limiter.shared_limit(_track_limit, scope=TRACK_CODE_SCOPE,
                                    key_func=order_code_key, methods=methods)
    per_address = limiter.shared_limit(_track_limit, scope=TRACK_ADDRESS_SCOPE,
                                       key_func=client_address, methods=methods)

    def wrap(view: Callable) -> Callable:
        return per_address(per_code(view))

    return wrap


def login_address_limit(methods: list[str] | None = None) -> Callable:
    """LOGIN_RATE_LIMIT per address, one bucket for the login page and the token endpoint.
    Generous on purpose (a station behind one NAT shares it); the per-account delay is what
    stops guessing one account's password."""
    return limiter.shared_limit(_login_limit, scope=LOGIN_ADDRESS_SCOPE,
                                key_func=client_address, methods=methods)


def _config_limit(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def requester_code_limits(methods: list[str] | None = None) -> Callable:
    """Asking for a "my orders" code: REQUESTER_CODE_PHONE_LIMIT per phone and
    REQUESTER_CODE_ADDRESS_LIMIT per address, one bucket each for the page and the API."""
    per_phone = limiter.shared_limit(_config_limit("REQUESTER_CODE_PHONE_LIMIT"),
                                     scope=REQUESTER_CODE_PHONE_SCOPE,
                                     key_func=requester_phone_key, methods=methods)
    per_address = limiter.shared_limit(_config_limit("REQUESTER_CODE_ADDRESS_LIMIT"),
                                       scope=REQUESTER_CODE_ADDRESS_SCOPE,
                                       key_func=client_address, methods=methods)

    def wrap(view: Callable) -> Callable:
        return per_address(per_phone(view))

    return wrap


def requester_orders_limit(methods: list[str] | None = None) -> Callable:
    """Entering a code: REQUESTER_ORDERS_ADDRESS_LIMIT per address (page and API); per phone
    the tries are counted by `CodeTries`."""
    return limiter.shared_limit(_config_limit("REQUESTER_ORDERS_ADDRESS_LIMIT"),
                                scope=REQUESTER_ORDERS_ADDRESS_SCOPE, key_func=client_address,
                                methods=methods)


def placement_limits(methods: list[str] | None = None) -> Callable:
    """Placing orders (public form and API): ORDER_ADDRESS_RATE_LIMIT per address for every
    attempt, so nobody floods a stranger's phone through the order form. The per-phone limit
    (ORDER_PHONE_RATE_LIMIT) counts the orders placed themselves, in the database, in the
    statement placing one runs anyway (``ordering.place(limit_phone=True)``)."""
    return limiter.shared_limit(_config_limit("ORDER_ADDRESS_RATE_LIMIT"),
                                scope=ORDER_ADDRESS_SCOPE, key_func=client_address,
                                methods=methods)


class CodeTries:
    """Tries of a "my orders" code per phone: REQUESTER_CODE_TRIES while a code lives (15
    minutes from the first try), then every try is refused until that time is over, right code
    or not. Counted in the limiter's storage (every worker sees them); a right code forgets
    them."""

    def __init__(self, phone_bucket_key: str) -> None:
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
        self.enabled = bool(limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True))
        self.key = f"{prefix}/requester-code/{phone_bucket_key}/tries"
        self.limit = int(current_app.config["REQUESTER_CODE_TRIES"])

    @classmethod
    def of_request(cls) -> CodeTries:
        return cls(requester_phone_key())

    def admit(self) -> int:
        """0 when this try may be checked, else the seconds until tries are allowed again."""
        if not self.enabled:
            return 0
        if limiter.storage.incr(self.key, rc.CODE_LIFETIME_SECONDS) <= self.limit:
            return 0
        seconds = max(1, math.ceil(limiter.storage.get_expiry(self.key) - wall_clock()))
        g.account_retry_after = seconds  # the answer's Retry-After (see _account_retry_after)
        return seconds

    def succeeded(self) -> None:
        if self.enabled:
            limiter.storage.clear(self.key)


# ---------------------------------------------------------------- per-account login delay

class AccountGate:
    """Failed logins per account, with a growing wait and never a lockout.

    The first LOGIN_ACCOUNT_FREE_ATTEMPTS attempts for a username go straight through. After
    that each attempt must wait: LOGIN_ACCOUNT_DELAY_SECONDS after the last free failure,
    doubling with each further failure up to LOGIN_ACCOUNT_MAX_DELAY_SECONDS. An attempt
    after the wait has its password checked like any other, so the member with the right
    password gets in; success forgets the failures. Counts live in the limiter's storage (so
    every worker sees them) and are forgotten LOGIN_ACCOUNT_WINDOW_SECONDS after the first.

    Passing the wait is claimed with one atomic increment of a "gate" counter whose expiry is
    the next wait: of several attempts arriving together only the one that opened it is
    checked; refused attempts are not counted as failures.
    """

    def __init__(self, username: str | None) -> None:
        name = _digest(account_name(username))
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
        self.enabled = bool(limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True))
        self.attempts_key = f"{prefix}/account/{name}/attempts"
        self.gate_key = f"{prefix}/account/{name}/gate"
        config = current_app.config
        self.free = int(config["LOGIN_ACCOUNT_FREE_ATTEMPTS"])
        self.base = float(config["LOGIN_ACCOUNT_DELAY_SECONDS"])
        self.cap = float(config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"])
        self.window = int(config["LOGIN_ACCOUNT_WINDOW_SECONDS"])
        self.number = 0  # this attempt's number among the account's attempts

    @property
    def storage(self) -> Storage:
        return limiter.storage

    def wait_after(self, number: int) -> int:
        """Seconds to wait after attempt ``number`` failed (0 while attempts are free)."""
        if number < self.free:
            return 0
        return int(min(self.cap, self.base * 2 ** (number - self.free)))

    def _seconds_left(self) -> int:
        return max(1, math.ceil(self.storage.get_expiry(self.gate_key) - wall_clock()))

    def _claim(self, number: int) -> bool:
        return self.storage.incr(self.gate_key, max(1, self.wait_after(number))) == 1

    def admit(self) -> int:
        """0 when this attempt may check the password now, else the seconds still to wait."""
        if not self.enabled:
            return 0
        failed = self.storage.get(self.attempts_key)
        if failed >= self.free and not self._claim(failed + 1):
            return self._refuse()
        self.number = self.storage.incr(self.attempts_key, self.window)
        # Attempts that raced past the free ones together must hold the gate too.
        if failed < self.free < self.number and not self._claim(self.number):
            return self._refuse()
        return 0

    def _refuse(self) -> int:
        seconds = self._seconds_left()
        g.account_retry_after = seconds  # the answer's Retry-After (see _account_retry_after)
        return seconds

    def failed(self) -> int:
        """Record a wrong password; the seconds before the next attempt (0: no wait yet)."""
        if not self.enabled or self.number < self.free:
            return 0
        self.storage.incr(self.gate_key, max(1, self.wait_after(self.number)))
        return self._seconds_left()

    def succeeded(self) -> None:
        if self.enabled:
            self.storage.clear(self.attempts_key)
            self.storage.clear(self.gate_key)


def retry_after(exc: HTTPException | None = None) -> int:
    """Seconds until the limit that refused this request lets it through again."""
    try:
        current = limiter.current_limit
        # The window's end, never more than one window away (the store rounds its expiry up).
        seconds = (min(current.reset_at - wall_clock(), current.limit.get_expiry())
                   if current else 60)
    except Exception:  # noqa: BLE001 - a storage hiccup must not turn a 429 into a 500
        seconds = 60
    return max(1, round(seconds))


def _account_retry_after(response):
    """A refused login waits for its account, not for the address limit's window: its
    Retry-After is the account's wait."""
    seconds = g.pop("account_retry_after", None)
    if seconds is not None and response.status_code == 429:
        response.headers["Retry-After"] = str(seconds)
    return response


# ---------------------------------------------------------------- set-up

def _memory(uri: str) -> bool:
    return uri.startswith("memory://")


def init_app(app: Flask) -> None:
    """ProxyFix (TRUSTED_PROXIES), a storage check, then the limiter."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies < 0:
        raise RuntimeError("TRUSTED_PROXIES is the number of proxies in front of the app (0 or more)")
    if proxies:
        # Only the values the last `proxies` hops appended are believed; anything a client
        # put further left in X-Forwarded-For is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if app.config.get("RATELIMIT_ENABLED", True) and _memory(uri):
        if app.config.get("PRODUCTION"):
            raise RuntimeError(
                "RATELIMIT_STORAGE_URI=memory:// counts per process, so N workers allow N times "
                "every limit and a restart forgets them. In production set "
                "LECTUREORDER_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (or database:// to "
                "keep the counters in the app's database)."
            )
        if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite") and not app.testing:
            log.warning("Rate limits are kept in memory, per process: with several workers set "
                        "LECTUREORDER_RATELIMIT_STORAGE_URI to redis:// or database://.")
    # Registered before the limiter's own hook, so it runs after it (Flask runs them reversed).
    app.after_request(_account_retry_after)
    limiter.init_app(app)


def wait_message(seconds: int) -> str:
    """'Please wait N seconds', in the request's language (minutes from two minutes on)."""
    from flask_babel import ngettext

    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return ngettext("Too many failed logins for this account. Please wait %(num)s minute "
                        "and try again.",
                        "Too many failed logins for this account. Please wait %(num)s minutes "
                        "and try again.", minutes)
    return ngettext("Too many failed logins for this account. Please wait %(num)s second and "
                    "try again.",
                    "Too many failed logins for this account. Please wait %(num)s seconds and "
                    "try again.", seconds)
