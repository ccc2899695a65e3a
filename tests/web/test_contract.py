"""The API contract: every operation's real answer schema and errors, required bodies, the
Allow header of a 405, and the member API's phone rule (the member pages' one rule)."""

from datetime import timedelta

import pytest

from lectureorder.services import privacy
from tests.helpers import login
from tests.report_data import make_order, make_session
from tests.web.test_api import token

PHONES = {"upcoming": "13800000001", "to_record": "13800000002", "old": "13800000003",
          "delivered": "13800000004", "cancelled": "13800000005"}


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_every_operation_has_a_real_answer_schema(spec):
    for path, method, op in operations(spec):
        for status, response in op["responses"].items():
            if status == "204":
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema != {"type": "object"} and schema != {"type": "array"}, (path, method)
            if schema.get("type") == "array":
                assert schema.get("items"), (path, method, status)


def test_bodies_are_required_and_errors_documented(spec):
    for path, method, op in operations(spec):
        codes = set(op["responses"])
        if "requestBody" in op:
            assert op["requestBody"]["required"] is True, (path, method)
            assert "422" in codes, (path, method)
        if op.get("security"):
            assert "401" in codes, (path, method)
            if not (path == "/auth/token" and method == "delete"):
                assert "403" in codes, (path, method)
        if "{" in path:
            assert "404" in codes, (path, method)
    limited = {p for p, m, op in operations(spec) if "429" in op["responses"]}
    assert limited == {"/orders/track", "/orders/cancel", "/orders/rate", "/auth/token",
                       "/orders", "/requester/code", "/requester/orders"}
    assert "409" in spec["paths"]["/member/offers/{id}/accept"]["post"]["responses"]


@pytest.mark.parametrize(("method", "url", "allowed"), [
    ("put", "/api/v1/menu", {"GET", "HEAD", "OPTIONS"}),
    ("get", "/api/v1/orders", {"POST", "OPTIONS"}),
    ("patch", "/api/v1/auth/token", {"POST", "DELETE", "OPTIONS"}),
    ("get", "/coord/privacy/erase", {"POST", "OPTIONS"}),
])
def test_a_405_names_the_allowed_methods(client, method, url, allowed):
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    if url.startswith("/api/"):
        assert response.get_json()["status"] == 405


def test_an_id_too_large_for_the_database_is_not_found_or_refused(client, world):
    big = 10**20
    assert client.get(f"/member/photos/{big}").status_code in (302, 404)  # login first
    response = client.get(f"/api/v1/slots?format=field_class&place_kind=village&place_id={big}"
                          "&from=2026-12-01&to=2026-12-05")
    assert response.status_code == 422 and "place_id" in response.get_json()["errors"]


@pytest.fixture
def sessions(db, world, make_member, now, frozen_now):
    member = make_member("马建国")
    made = {}
    plan = {"upcoming": (now + timedelta(days=3), "scheduled"),
            "to_record": (now - timedelta(days=13), "scheduled"),
            "old": (now - timedelta(days=15), "scheduled"),
            "delivered": (now - timedelta(days=2), "delivered"),
            "cancelled": (now + timedelta(days=4), "cancelled")}
    for name, (start, status) in plan.items():
        order = make_order(db, world, created=now - timedelta(days=20), status="scheduled",
                           phone=PHONES[name])
        made[name] = make_session(db, world, member, order=order, start=start, status=status)
    db.session.commit()
    return member, made


def test_the_member_api_shows_full_phones_only_where_the_pages_do(client, sessions, now):
    member, made = sessions
    login(client, member.user.username)
    page = client.get("/member/").get_data(as_text=True)
    on_page = {name for name, phone in PHONES.items() if phone in page}
    assert on_page == {"upcoming", "to_record"}
    client.post("/auth/logout")

    rows = client.get("/api/v1/member/sessions",
                      headers=token(client, member.user.username)).get_json()
    by_phone = {r["order"]["requester"]["phone"]: r for r in rows}
    full = {name for name, phone in PHONES.items() if phone in by_phone}
    assert full == on_page
    for name in set(PHONES) - full:
        assert PHONES[name][:3] + "****" + PHONES[name][-4:] in by_phone
    # the one rule both follow
    assert {n for n, s in made.items() if privacy.member_sees_phone(s, now)} == on_page


def test_the_rule_moves_with_the_clock(db, sessions, now):
    _member, made = sessions
    session = db.session.merge(made["to_record"])
    assert privacy.member_sees_phone(session, now)
    assert not privacy.member_sees_phone(session, now + timedelta(days=2))
