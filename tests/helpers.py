"""Plain helpers for tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from datetime import date, datetime, time

from lectureorder.domain.calendars import TZ

PASSWORD = "secret-pass-1"


def login(client, username: str, password: str = PASSWORD):
    return client.post("/auth/login", data={"username": username, "password": password})


def order_body(world, **overrides) -> dict:
    """A valid API order body; the window starts a few days after the fixed `now`."""
    body = {
        "topics": ["anti_fraud"], "format": "field_class",
        "place": {"kind": "village", "id": world.village.id},
        "audience": {"type": "villagers", "size": 60},
        "window": {"earliest": "2026-12-07", "latest": "2026-12-20"},
        "requester": {"name": "张三", "organisation": "东庄村委会", "phone": "138 0000 1234"},
        "channel": "qr", "notes": "",
    }
    body.update(overrides)
    return body


def local_dt(d: date, h: int, m: int = 0) -> datetime:
    return datetime.combine(d, time(h, m), TZ)


def require_browser() -> bool:
    return os.environ.get("LECTUREORDER_REQUIRE_BROWSER") == "1"


def live_settings():
    """The settings the edges would build now, from the current app's config (tests that
    change ``app.config`` and then call a service directly hand these on, like a view does)."""
    from flask import current_app

    from lectureorder.services.settings import from_app

    return from_app(current_app)


PG_ENV = "LECTUREORDER_TEST_POSTGRES"


def postgres_uri_or_skip() -> str:
    """The PostgreSQL server the tests may make databases on: skipped without it, except in CI,
    where a missing server is a failure (never a silently green run)."""
    import pytest

    uri = os.environ.get(PG_ENV)
    if not uri:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} must be set in CI")
        pytest.skip(f"set {PG_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test")
    return uri
