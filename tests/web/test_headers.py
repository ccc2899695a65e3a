"""Every answer carries the security headers; anything with personal data is never stored by a
cache; templates hold no inline script, style or event handler (so the CSP can forbid them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lectureorder import create_app
from lectureorder.extensions import db as _db
from lectureorder.models import Order
from tests.helpers import PASSWORD, login, order_body

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PHONE = "13800001234"


def assert_safe_headers(response, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    for part in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                 "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"):
        assert part in csp, (where, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert "Strict-Transport-Security" not in headers, where  # only with PRODUCTION


def crawl(client, paths, headers=None) -> dict:
    seen = {}
    for path in paths:
        response = client.get(path, headers=headers or {})
        response.get_data()
        response.close()  # static files are streamed from an open file
        assert response.status_code < 500, (path, response.status_code)
        assert_safe_headers(response, path)
        seen[path] = response
    return seen


@pytest.fixture
def placed(client, world, frozen_now, db):
    """An order placed through the form, so this client's session tracks it."""
    response = client.post("/orders/new", data={
        "topics": ["anti_fraud"], "format": "field_class", "place": f"village:{world.village.id}",
        "audience_type": "villagers", "audience_size": "60", "earliest": "2026-12-07",
        "latest": "2026-12-20", "requester_name": "张三", "phone": PHONE, "notes": ""})
    assert response.status_code == 302
    return db.session.scalar(select(Order))


def test_public_pages_carry_the_headers_and_only_the_menu_is_cacheable(client, world, placed):
    pages = crawl(client, ["/", "/menu/anti_fraud", "/orders/new", "/orders/placed", "/track",
                           "/auth/login", "/healthz", "/no-such-page", "/menu/nothing",
                           "/static/css/app.css", "/static/js/order.js", "/lang/en?next=/"])
    for path in ("/", "/menu/anti_fraud"):
        assert pages[path].headers["Cache-Control"] == "private, max-age=60"
        assert "Cookie" in pages[path].headers["Vary"]
    for path in ("/orders/new", "/orders/placed", "/track", "/auth/login", "/healthz",
                 "/no-such-page", "/menu/nothing", "/lang/en?next=/"):
        assert pages[path].headers["Cache-Control"] == "no-store", path
    assert "no-store" not in pages["/static/css/app.css"].headers.get("Cache-Control", "")
    # the confirmation and the tracking page show the (masked) phone: never stored
    assert "138****1234" in pages["/orders/placed"].get_data(as_text=True)
    status = client.get("/track")
    assert "138****1234" in status.get_data(as_text=True)
    assert status.headers["Cache-Control"] == "no-store"


def test_api_answers_carry_the_headers(client, world, frozen_now, db, make_member, coordinator):
    member = make_member()
    public = crawl(client, ["/api/v1/menu", "/api/v1/places", "/api/v1/openapi.json",
                            "/api/v1/slots?format=field_class&place_kind=village"
                            f"&place_id={world.village.id}&from=2026-12-07&to=2026-12-09",
                            "/api/v1/member/offers", "/api/v1/nothing"])
    assert public["/api/v1/menu"].headers["Cache-Control"] == "private, max-age=60"
    assert public["/api/v1/member/offers"].headers["Cache-Control"] == "no-store"  # the 401
    created = client.post("/api/v1/orders", json=order_body(world))
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    assert_safe_headers(created, "POST /api/v1/orders")
    tracked = client.post("/api/v1/orders/track", json={"code": created.get_json()["code"],
                                                         "phone_last4": "1234"})
    assert tracked.status_code == 200 and tracked.headers["Cache-Control"] == "no-store"
    for user, paths in ((member.user, ["/api/v1/member/offers", "/api/v1/member/sessions"]),
                        (coordinator, ["/api/v1/members", "/api/v1/sessions?from=2026-12-01&to=2026-12-31",
                                       f"/api/v1/orders/{created.get_json()['code']}/candidates"])):
        answer = client.post("/api/v1/auth/token", json={"username": user.username,
                                                         "password": PASSWORD})
        assert answer.headers["Cache-Control"] == "no-store"  # it holds the bearer token
        bearer = {"Authorization": f"Bearer {answer.get_json()['token']}"}
        for path, response in crawl(client, paths, headers=bearer).items():
            assert response.status_code == 200, path
            assert response.headers["Cache-Control"] == "no-store", path


def test_member_and_coordinator_pages_are_never_stored(client, world, make_member, coordinator,
                                                        placed):
    member = make_member()
    login(client, member.user.username)
    for path, response in crawl(client, ["/member/", "/member/schedule", "/member/availability",
                                         "/", "/menu/anti_fraud"]).items():
        assert response.headers["Cache-Control"] == "no-store", path  # logged in: even the menu
    client.post("/auth/logout")
    login(client, coordinator.username)
    pages = crawl(client, ["/coord/", "/coord/sessions", "/coord/calendar", "/coord/reports",
                           "/coord/orders/new", "/auth/login"])
    for path, response in pages.items():
        assert response.status_code in (200, 302), path
        assert response.headers["Cache-Control"] == "no-store", path


def test_production_adds_hsts_and_secure_cookies(tmp_path, make_user):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
                      "PRODUCTION": True, "SECRET_KEY": "k" * 16 + "Qz8#vR2!mW5^tY7&",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        _db.create_all()
        from lectureorder.models import Role, User

        user = User(username="m1", role=Role.COORDINATOR)
        user.set_password(PASSWORD, method="pbkdf2:sha256:1000")
        _db.session.add(user)
        _db.session.commit()
        client = app.test_client()
        response = client.get("/")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        response = client.post("/auth/login", data={"username": "m1", "password": PASSWORD,
                                                    "remember": "y"})
        assert response.status_code == 302
        cookies = response.headers.getlist("Set-Cookie")
        assert cookies and all("Secure" in c for c in cookies), cookies
        assert any(c.startswith("remember_token=") for c in cookies)
        _db.session.remove()
        _db.engine.dispose()


# ------------------------------------------------------------------ templates

INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "on…= handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_hold_no_inline_script_style_or_handler():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 20
    found = [f"{path.relative_to(TEMPLATES)}: {name}: {m.group(0)!r}"
             for path in templates for name, pattern in INLINE.items()
             for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_template_check_would_catch_each_kind():
    for sample in ['<script>alert(1)</script>', '<style>p{}</style>', '<p style="color:red">',
                   '<button onclick="go()">', '<a href="javascript:go()">']:
        assert any(p.search(sample) for p in INLINE.values()), sample
    assert not any(p.search('<script src="/static/js/order.js" defer></script>')
                   for p in INLINE.values())
