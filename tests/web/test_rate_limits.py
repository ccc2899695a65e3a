"""Rate limits that hold: one bucket per order code and per address across the four tracking
endpoints, the per-account login delay, the per-address login limit, ProxyFix, the 429 answers
and the storage choices (memory, database, Redis)."""

from __future__ import annotations

import os
import time
import uuid

import flask_babel
import pytest
from flask import g
from sqlalchemy.orm import close_all_sessions

from lectureorder import create_app
from lectureorder.extensions import db as _db
from lectureorder.extensions import limiter
from lectureorder.models import Role
from tests.helpers import PASSWORD, login

REDIS_URI = os.environ.get("LECTUREORDER_TEST_REDIS", "redis://127.0.0.1:6379/0")


def redis_available() -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        return bool(redis.Redis.from_url(REDIS_URI, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def need_redis() -> None:
    if not redis_available():
        if os.environ.get("CI") == "true" or os.environ.get("LECTUREORDER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Redis is required in CI but does not answer at {REDIS_URI}")
        pytest.skip(f"no Redis at {REDIS_URI} (or the redis package is missing)")


def clean_redis(prefix: str) -> None:
    import redis

    conn = redis.Redis.from_url(REDIS_URI)
    for key in conn.scan_iter(match=f"*{prefix}*", count=500):
        conn.delete(key)


def _forget_login() -> None:
    g.pop("_login_user", None)


@pytest.fixture
def limited_app(app):
    """A second app on the test database with rate limits on (the suite runs without them).

    ``make(**config)`` builds it; its own app context is pushed for the test."""
    contexts = []

    def make(**config):
        settings = {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}",
            "TRACK_RATE_LIMIT": "4 per 10 minutes",
            "LOGIN_RATE_LIMIT": "50 per minute",
        }
        settings.update(config)
        # Flask-Limiter keeps the first app's key prefix on its singleton (it only reads the
        # config while its own is empty); one app per process in production, many here.
        limiter._key_prefix = ""
        limited = create_app(settings)
        # As the main fixture does: the pushed context must not carry a locale or a user over.
        limited.before_request(flask_babel.refresh)
        limited.before_request(_forget_login)
        ctx = limited.app_context()
        ctx.push()
        contexts.append((limited, ctx))
        return limited

    yield make
    # Every session the second app's requests opened (its own scope) gives its connection back
    # before the engine is disposed; otherwise one is collected still open (ResourceWarning).
    close_all_sessions()
    for limited, ctx in reversed(contexts):
        _db.session.remove()
        if str(limited.config["RATELIMIT_STORAGE_URI"]).startswith("redis"):
            clean_redis(limited.config["RATELIMIT_KEY_PREFIX"])
        ctx.pop()
        with limited.app_context():
            _db.engine.dispose()


def track_page(client, code="ABC123", last4="0000", **kw):
    return client.post("/track", data={"code": code, "phone_last4": last4}, **kw)


def track_api(client, action="track", code="ABC123", last4="0000", **kw):
    body = {"code": code, "phone_last4": last4}
    if action == "rate":
        body.update(rating=5, comment="")
    return client.post(f"/api/v1/orders/{action}", json=body, **kw)


ENDPOINTS = [
    lambda client, **kw: track_page(client, **kw),
    lambda client, **kw: track_api(client, "track", **kw),
    lambda client, **kw: track_api(client, "cancel", **kw),
    lambda client, **kw: track_api(client, "rate", **kw),
]


def four_endpoints(client, code="ABC123", **kw):
    """One wrong guess at each of the four places a code and last 4 digits are tried."""
    return [guess(client, code=code, **kw).status_code for guess in ENDPOINTS]


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


# ---------------------------------------------------------------- tracking

@pytest.mark.parametrize("storage", ["memory://", "database://"])
def test_one_bucket_per_code_across_page_and_api(limited_app, storage):
    client = limited_app(RATELIMIT_STORAGE_URI=storage).test_client()
    # Four guesses for one code, each from its own address: only the code's bucket fills.
    statuses = [guess(client, code=code, **from_address(f"10.0.0.{i}")).status_code
                for i, (guess, code) in enumerate(zip(ENDPOINTS, ["ABC123", "abc-123",
                                                                  "A B C 1 2 3", "abc123"], strict=True))]
    assert statuses == [404, 404, 404, 404]  # the page says "not found" with 404 too
    # The same code written any way, at any of the four endpoints, from a fifth address: refused.
    assert four_endpoints(client, code="Abc-123", **from_address("10.0.0.9")) == [429] * 4
    # Another code from a fresh address is untouched.
    assert track_api(client, code="ZZZ999", **from_address("10.0.0.10")).status_code == 404


@pytest.mark.parametrize("storage", ["memory://", "database://"])
def test_one_bucket_per_address_across_page_and_api(limited_app, storage):
    client = limited_app(RATELIMIT_STORAGE_URI=storage).test_client()
    # Four different codes from one address, one at each endpoint, then any fifth try is refused.
    statuses = [guess(client, code=f"CODE{i}").status_code for i, guess in enumerate(ENDPOINTS)]
    assert statuses == [404, 404, 404, 404]
    assert track_page(client, code="OTHER1").status_code == 429
    assert track_api(client, "rate", code="OTHER2").status_code == 429
    # Another address still gets through.
    assert track_api(client, code="OTHER3", **from_address("10.9.9.9")).status_code == 404


def test_an_ipv6_client_counts_by_its_64(limited_app):
    """One home or phone holds a whole /64: a fresh address per guess is still one bucket."""
    client = limited_app().test_client()
    statuses = [guess(client, code=f"CODE{i}", **from_address(f"2408:8000:1:2::{i + 1:x}"))
                .status_code for i, guess in enumerate(ENDPOINTS)]
    assert statuses == [404, 404, 404, 404]
    assert track_api(client, code="OTHER1",
                     **from_address("2408:8000:1:2:ffff::9")).status_code == 429
    # The next /64 is another client.
    assert track_api(client, code="OTHER2", **from_address("2408:8000:1:3::1")).status_code == 404


def test_the_track_page_itself_is_not_limited_to_read(limited_app):
    client = limited_app(TRACK_RATE_LIMIT="1 per 10 minutes").test_client()
    assert track_page(client).status_code == 404
    assert [client.get("/track").status_code for _ in range(3)] == [200, 200, 200]


def test_a_found_order_counts_too(limited_app, client, world, frozen_now):
    from tests.helpers import order_body

    placed = client.post("/api/v1/orders", json=order_body(world))
    assert placed.status_code == 201
    code = placed.get_json()["code"]
    limited = limited_app(TRACK_RATE_LIMIT="2 per 10 minutes").test_client()
    assert track_api(limited, code=code, last4="1234").status_code == 200
    assert track_page(limited, code=code, last4="1234").status_code == 302
    assert track_api(limited, code=code, last4="1234").status_code == 429


# ---------------------------------------------------------------- the 429 answers

def test_429_page_in_chinese_and_english(limited_app):
    client = limited_app(TRACK_RATE_LIMIT="1 per 10 minutes").test_client()
    track_page(client)
    zh = track_page(client)
    assert zh.status_code == 429
    page = zh.get_data(as_text=True)
    assert "尝试次数太多，请等几分钟再试。" in page
    assert "返回宣讲菜单" in page and "0972-8612110" in page
    assert 1 <= int(zh.headers["Retry-After"]) <= 600
    en = client.post("/track?lang=en", data={"code": "ABC123", "phone_last4": "0000"})
    assert en.status_code == 429
    page = en.get_data(as_text=True)
    assert "Too many attempts. Please wait a few minutes and try again." in page
    assert "You can try again in 10 minutes." in page
    assert "Back to the menu" in page


def test_429_json_for_the_api(limited_app):
    client = limited_app(TRACK_RATE_LIMIT="1 per 10 minutes").test_client()
    track_api(client)
    answer = track_api(client, "cancel", headers={"Accept-Language": "en"})
    assert answer.status_code == 429
    assert answer.is_json
    body = answer.get_json()
    assert body["status"] == 429 and "try again in 10 minutes" in body["error"]
    assert 1 <= int(answer.headers["Retry-After"]) <= 600


# ---------------------------------------------------------------- login

@pytest.fixture
def member_user(make_user, db):
    user = make_user(Role.MEMBER, username="member07")
    db.session.commit()
    return user


def test_login_delay_grows_per_account_and_the_right_password_works_after_it(
        limited_app, member_user):
    client = limited_app(LOGIN_ACCOUNT_FREE_ATTEMPTS=2, LOGIN_ACCOUNT_DELAY_SECONDS=1,
                         LOGIN_ACCOUNT_MAX_DELAY_SECONDS=2).test_client()
    first = login(client, "member07", "wrong")
    assert first.status_code == 401 and "请等" not in first.get_data(as_text=True)
    second = login(client, "member07", "wrong", )
    assert second.status_code == 401
    assert "请等 1 秒后再试。" in second.get_data(as_text=True)
    # During the wait even the right password is not checked, from any address.
    other = client.post("/auth/login", data={"username": " member07 ", "password": PASSWORD},
                        **from_address("10.1.1.1"))
    assert other.status_code == 429 and other.headers["Retry-After"] == "1"
    assert "请等 1 秒" in other.get_data(as_text=True)
    time.sleep(1.1)
    third = login(client, "member07", "wrong")  # checked after the wait; the next wait doubles
    assert third.status_code == 401
    assert "请等 2 秒" in third.get_data(as_text=True)
    assert login(client, "member07").status_code == 429
    time.sleep(2.1)
    fourth = login(client, "member07", "wrong")  # capped at the maximum
    assert "请等 2 秒" in fourth.get_data(as_text=True)
    time.sleep(2.1)
    assert login(client, "member07").status_code == 302  # the member gets in
    client.post("/auth/logout")
    # Success forgot the failures: the next mistakes are free again.
    assert "请等" not in login(client, "member07", "wrong").get_data(as_text=True)


def test_token_endpoint_shares_the_account_delay(limited_app, member_user):
    client = limited_app(LOGIN_ACCOUNT_FREE_ATTEMPTS=1, LOGIN_ACCOUNT_DELAY_SECONDS=60).test_client()
    assert login(client, "member07", "wrong").status_code == 401
    answer = client.post("/api/v1/auth/token", json={"username": "member07", "password": PASSWORD},
                         headers={"Accept-Language": "en"})
    assert answer.status_code == 429
    assert answer.get_json() == {
        "error": "Too many failed logins for this account. Please wait 60 seconds and try again.",
        "status": 429}
    assert 55 <= int(answer.headers["Retry-After"]) <= 60
    # Another account is not slowed down.
    assert client.post("/api/v1/auth/token",
                       json={"username": "someone", "password": "x"}).status_code == 401


def test_login_is_limited_per_address(limited_app, member_user):
    client = limited_app(LOGIN_RATE_LIMIT="3 per minute").test_client()
    # Three accounts tried from one address (page and API together), then the fourth is refused.
    assert login(client, "a", "x").status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "b", "password": "x"}).status_code == 401
    assert login(client, "c", "x").status_code == 401
    refused = login(client, "member07")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert client.post("/api/v1/auth/token",
                       json={"username": "member07", "password": PASSWORD}).status_code == 429
    # The same member from another address logs in.
    assert client.post("/auth/login", data={"username": "member07", "password": PASSWORD},
                       **from_address("10.2.2.2")).status_code == 302
    assert client.get("/auth/login").status_code in (200, 302)  # reading the page is never limited


# ---------------------------------------------------------------- ProxyFix

def test_forwarded_for_is_ignored_without_trusted_proxies(limited_app):
    client = limited_app(TRACK_RATE_LIMIT="2 per 10 minutes").test_client()
    # Behind no trusted proxy a client cannot pick a fresh address per request.
    statuses = [track_api(client, code=f"C{i}", headers={"X-Forwarded-For": f"203.0.113.{i}"})
                .status_code for i in range(3)]
    assert statuses == [404, 404, 429]


def test_forwarded_for_gives_the_client_behind_one_proxy(limited_app):
    client = limited_app(TRACK_RATE_LIMIT="2 per 10 minutes", TRUSTED_PROXIES=1).test_client()
    proxy = from_address("10.0.0.1")  # every request comes from the proxy
    first = [track_api(client, code=f"A{i}", headers={"X-Forwarded-For": "203.0.113.7"}, **proxy)
             .status_code for i in range(3)]
    assert first == [404, 404, 429]
    # Another client behind the same proxy has its own bucket ...
    assert track_api(client, code="B1", headers={"X-Forwarded-For": "203.0.113.8"},
                     **proxy).status_code == 404
    # ... and a client cannot escape by writing its own X-Forwarded-For: the proxy appends the
    # real address, and only the last value is believed.
    spoofed = track_api(client, code="B2", headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.7"},
                        **proxy)
    assert spoofed.status_code == 429


def test_trusted_proxies_must_not_be_negative():
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        create_app({"TRUSTED_PROXIES": -1, "RATELIMIT_ENABLED": True})


# ---------------------------------------------------------------- storage choices

def test_production_refuses_per_process_memory_storage():
    settings = {"PRODUCTION": True, "SECRET_KEY": "k" * 8 + uuid.uuid4().hex + uuid.uuid4().hex,
                "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}
    with pytest.raises(RuntimeError, match="redis://"):
        create_app(settings)
    create_app({**settings, "RATELIMIT_STORAGE_URI": "database://"})
    create_app({**settings, "RATELIMIT_STORAGE_URI": REDIS_URI})  # connects lazily


def test_database_storage_counts_survive_a_restart(limited_app):
    first = limited_app(RATELIMIT_STORAGE_URI="database://", RATELIMIT_KEY_PREFIX="restart",
                        TRACK_RATE_LIMIT="2 per 10 minutes")
    client = first.test_client()
    assert [track_api(client).status_code for _ in range(2)] == [404, 404]
    # A new process (a new app and storage) on the same database goes on counting.
    again = limited_app(RATELIMIT_STORAGE_URI="database://", RATELIMIT_KEY_PREFIX="restart",
                        TRACK_RATE_LIMIT="2 per 10 minutes")
    assert track_api(again.test_client()).status_code == 429


def test_database_storage_expires_windows(limited_app):
    limited_app(RATELIMIT_STORAGE_URI="database://")
    storage = limiter.storage
    assert storage.incr("k", 1) == 1 and storage.incr("k", 1) == 2
    assert storage.get("k") == 2 and storage.get_expiry("k") > time.time()
    time.sleep(1.05)
    assert storage.get("k") == 0
    assert storage.incr("k", 1) == 1  # a new window
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_redis_storage_shares_one_bucket(limited_app):
    need_redis()
    prefix = f"lo-test-{uuid.uuid4().hex[:8]}"
    one = limited_app(RATELIMIT_STORAGE_URI=REDIS_URI, RATELIMIT_KEY_PREFIX=prefix,
                      TRACK_RATE_LIMIT="3 per 10 minutes")
    assert [track_api(one.test_client(), code="R1").status_code for _ in range(2)] == [404, 404]
    # A second app (another worker) with the same Redis and prefix sees the same counts.
    two = limited_app(RATELIMIT_STORAGE_URI=REDIS_URI, RATELIMIT_KEY_PREFIX=prefix,
                      TRACK_RATE_LIMIT="3 per 10 minutes")
    client = two.test_client()
    assert [track_page(client, code="r-1").status_code for _ in range(2)] == [404, 429]
