"""My orders by phone, on /track and in the API: a texted code opens the phone's orders (the
same 202 whether or not it has any), wrong and expired codes are 422, too many tries 429, the
requests are limited per phone and per address, placing orders too; the rating link opens one
order; no phone number reaches a log."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lectureorder.domain import requester_code as rc
from lectureorder.models import Notification, Order
from lectureorder.services import clock, notify
from lectureorder.services.senders import Outgoing
from tests.helpers import live_settings, order_body
from tests.report_data import make_order, make_session
from tests.web import test_rate_limits
from tests.web.test_public import form_for
from tests.web.test_rate_limits import from_address

PHONE = "13800001234"
OTHER = "13911112222"
MOBILE = re.compile(r"1[3-9]\d{9}")
NEW_ROUTES = {"public.phone_code", "public.phone_orders", "public.mine", "public.open_mine",
              "public.rate_link", "api.requester_code", "api.requester_orders"}


class Capture:
    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def __call__(self, message: Outgoing) -> None:
        self.sent.append(message)


def place(client, world, phone=PHONE, **kw) -> str:
    body = order_body(world, confirm_repeat=True)
    body["requester"] = dict(body["requester"], phone=phone)
    answer = client.post("/api/v1/orders", json=body, **kw)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["code"]


@pytest.fixture
def placed(client, world, frozen_now):
    """Two orders of PHONE, one of OTHER, and their order_received texts sent."""
    codes = type("Placed", (), {"mine": [place(client, world), place(client, world)],
                                "theirs": place(client, world, OTHER)})
    notify.send_pending(now=frozen_now, settings=live_settings(), sender=Capture())
    return codes


def code_requests(db) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.kind == "requester_code")))


def send_code(db, now) -> str:
    """Run the sender, as the scheduler does every minute; the texted code."""
    sms = Capture()
    notify.send_pending(now=now, settings=live_settings(), sender=sms)
    db.session.commit()
    (message,) = [m for m in sms.sent if m.kind == "requester_code"]
    return re.search(r"\d{6}", message.text).group(0)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def limited(app):
    """A second app with the limiter on: test_rate_limits' ``limited_app`` kit, called here."""
    yield from test_rate_limits.limited_app.__wrapped__(app)


# --- the API ---------------------------------------------------------------------------------

def test_every_new_route_declares_its_audience(app):
    assert NEW_ROUTES <= set(app.view_functions)
    assert {name: getattr(app.view_functions[name], "access", None) for name in NEW_ROUTES} \
        == dict.fromkeys(NEW_ROUTES, "public")


def test_the_same_202_whether_or_not_the_phone_has_orders(client, db, placed):
    unknown = client.post("/api/v1/requester/code", json={"phone": "139 0000 0000"})
    assert unknown.status_code == 202 and code_requests(db) == []
    known = client.post("/api/v1/requester/code", json={"phone": "+86 138 0000 1234"})
    assert known.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert len(code_requests(db)) == 1


def test_a_missing_or_malformed_phone_is_422(client, placed):
    assert client.post("/api/v1/requester/code", json={}).status_code == 422
    answer = client.post("/api/v1/requester/code", json={"phone": "12345"})
    assert answer.status_code == 422 and "phone" in answer.get_json()["errors"]


def test_the_right_code_lists_only_that_phones_orders_as_track_does(client, db, placed,
                                                                    frozen_now):
    client.post("/api/v1/requester/code", json={"phone": PHONE})
    code = send_code(db, frozen_now)
    answer = client.post("/api/v1/requester/orders", json={"phone": "138-0000-1234", "code": code})
    assert answer.status_code == 200
    listed = answer.get_json()
    assert sorted(o["code"] for o in listed) == sorted(placed.mine)
    assert placed.theirs not in {o["code"] for o in listed}
    tracked = client.post("/api/v1/orders/track",
                          json={"code": placed.mine[0], "phone_last4": "1234"}).get_json()
    assert [o for o in listed if o["code"] == placed.mine[0]] == [tracked]  # the same shape


def test_a_wrong_code_is_422(client, db, placed, frozen_now):
    client.post("/api/v1/requester/code", json={"phone": PHONE})
    code = send_code(db, frozen_now)
    answer = client.post("/api/v1/requester/orders", json={"phone": PHONE, "code": wrong(code)})
    assert answer.status_code == 422 and list(answer.get_json()["errors"]) == ["code"]
    # Another phone's code does not open this one.
    client.post("/api/v1/requester/code", json={"phone": OTHER})
    theirs = send_code(db, frozen_now)
    assert client.post("/api/v1/requester/orders",
                       json={"phone": PHONE, "code": theirs}).status_code == 422


def test_an_expired_code_is_422(client, db, placed, frozen_now):
    client.post("/api/v1/requester/code", json={"phone": PHONE})
    code = send_code(db, frozen_now)
    clock.freeze(frozen_now + timedelta(minutes=15, seconds=1))
    answer = client.post("/api/v1/requester/orders", json={"phone": PHONE, "code": code})
    assert answer.status_code == 422 and "code" in answer.get_json()["errors"]


def test_the_api_contract_documents_both_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"202", "422", "429"} <= set(paths["/requester/code"]["post"]["responses"])
    assert {"200", "422", "429"} <= set(paths["/requester/orders"]["post"]["responses"])
    assert "429" in paths["/orders"]["post"]["responses"]


# --- limits (a second app with the limiter on) -----------------------------------------------

def test_too_many_tries_are_429_even_with_the_right_code(limited, db, world, frozen_now):
    client = limited().test_client()
    place(client, world)
    client.post("/api/v1/requester/code", json={"phone": PHONE})
    code = send_code(db, frozen_now)
    statuses = []
    for i in range(5):  # page and API share the count; each try from its own address
        if i % 2:
            r = client.post("/track/phone/code", data={"phone": PHONE, "code": wrong(code)},
                            **from_address(f"10.1.0.{i}"))
        else:
            r = client.post("/api/v1/requester/orders", json={"phone": PHONE, "code": wrong(code)},
                            **from_address(f"10.1.0.{i}"))
        statuses.append(r.status_code)
    assert statuses == [422] * 5
    refused = client.post("/api/v1/requester/orders", json={"phone": "138 0000 1234",
                                                            "code": code})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= rc.CODE_LIFETIME_SECONDS
    page = client.post("/track/phone/code", data={"phone": PHONE, "code": code})
    assert page.status_code == 429 and 1 <= int(page.headers["Retry-After"]) <= 900
    # Another phone is not held back.
    assert client.post("/api/v1/requester/orders",
                       json={"phone": OTHER, "code": "000000"}).status_code == 422


def test_a_right_code_forgets_the_tries(limited, db, world, frozen_now):
    client = limited().test_client()
    place(client, world)
    client.post("/api/v1/requester/code", json={"phone": PHONE})
    code = send_code(db, frozen_now)
    for _ in range(4):
        client.post("/api/v1/requester/orders", json={"phone": PHONE, "code": wrong(code)})
    assert client.post("/api/v1/requester/orders",
                       json={"phone": PHONE, "code": code}).status_code == 200
    assert client.post("/api/v1/requester/orders",
                       json={"phone": PHONE, "code": wrong(code)}).status_code == 422


def test_code_requests_are_limited_per_phone_across_page_and_api(limited, db, world,
                                                                 frozen_now):
    client = limited(REQUESTER_CODE_PHONE_LIMIT="2 per 10 minutes").test_client()
    ask = [client.post("/api/v1/requester/code", json={"phone": PHONE},
                       **from_address("10.2.0.1")).status_code,
           client.post("/track/phone", data={"phone": "138 0000 1234"},
                       **from_address("10.2.0.2")).status_code]
    assert ask == [202, 200]
    again = client.post("/api/v1/requester/code", json={"phone": "+8613800001234"},
                        **from_address("10.2.0.3"))
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1
    assert client.post("/track/phone", data={"phone": PHONE},
                       **from_address("10.2.0.4")).status_code == 429
    assert client.post("/api/v1/requester/code", json={"phone": OTHER},
                       **from_address("10.2.0.5")).status_code == 202


def test_code_requests_are_limited_per_address(limited, db, world, frozen_now):
    client = limited(REQUESTER_CODE_ADDRESS_LIMIT="3 per hour").test_client()
    phones = [f"1390000000{i}" for i in range(5)]
    statuses = [client.post("/api/v1/requester/code", json={"phone": p}).status_code
                for p in phones[:3]]
    assert statuses == [202] * 3
    assert client.post("/track/phone", data={"phone": phones[3]}).status_code == 429
    assert client.post("/api/v1/requester/code", json={"phone": phones[4]},
                       **from_address("10.3.0.1")).status_code == 202


def test_code_entry_is_limited_per_address(limited, db, world, frozen_now):
    client = limited(REQUESTER_ORDERS_ADDRESS_LIMIT="2 per hour").test_client()
    for i in range(2):
        assert client.post("/api/v1/requester/orders",
                           json={"phone": f"1390000000{i}", "code": "123456"}).status_code == 422
    assert client.post("/track/phone/code",
                       data={"phone": "13900000009", "code": "123456"}).status_code == 429


def test_placing_orders_is_limited_per_phone(limited, db, world, frozen_now):
    client = limited(ORDER_PHONE_RATE_LIMIT="2 per day").test_client()
    # A refused order costs nothing.
    bad = order_body(world, audience={"type": "villagers", "size": 0})
    assert client.post("/api/v1/orders", json=bad, **from_address("10.4.0.9")).status_code == 422
    place(client, world, **from_address("10.4.0.1"))
    assert client.post("/orders/new", data=form_for(world, confirm_repeat="y"),
                       **from_address("10.4.0.2")).status_code == 302
    body = order_body(world, confirm_repeat=True)
    body["requester"] = dict(body["requester"], phone="+86 138 0000 1234")
    assert client.post("/api/v1/orders", json=body, **from_address("10.4.0.3")).status_code == 429
    assert client.post("/orders/new", data=form_for(world),
                       **from_address("10.4.0.4")).status_code == 429
    place(client, world, OTHER, **from_address("10.4.0.5"))  # another phone still orders


def test_placing_orders_is_limited_per_address(limited, db, world, frozen_now):
    client = limited(ORDER_ADDRESS_RATE_LIMIT="2 per hour").test_client()
    place(client, world, "13900000001")
    place(client, world, "13900000002")
    body = order_body(world)
    body["requester"] = dict(body["requester"], phone="13900000003")
    assert client.post("/api/v1/orders", json=body).status_code == 429
    assert client.post("/orders/new", data=form_for(world, phone="13900000004")).status_code == 429
    place(client, world, "13900000005", **from_address("10.5.0.1"))


# --- the page flow ---------------------------------------------------------------------------

def test_request_code_list_open_one_and_cancel(client, db, placed, frozen_now):
    page = client.get("/track").get_data(as_text=True)
    assert 'action="/track/phone"' in page and 'name="phone"' in page
    asked = client.post("/track/phone", data={"phone": "138 0000 1234"})
    assert asked.status_code == 200
    text = asked.get_data(as_text=True)
    assert "138****1234" in text and PHONE not in text.replace(f'value="{PHONE}"', "")
    code = send_code(db, frozen_now)
    wrong_try = client.post("/track/phone/code", data={"phone": PHONE, "code": wrong(code)})
    assert wrong_try.status_code == 422 and "⚠" in wrong_try.get_data(as_text=True)
    answer = client.post("/track/phone/code", data={"phone": PHONE, "code": code})
    assert answer.status_code == 302 and answer.location.endswith("/track/mine")
    with client.session_transaction() as s:
        assert sorted(s["my_orders"]) == sorted(placed.mine)
        assert PHONE not in str(dict(s))
    listing = client.get("/track/mine").get_data(as_text=True)
    assert all(c in listing for c in placed.mine) and placed.theirs not in listing
    assert listing.count('action="/track/mine/open"') == 2
    # Open one: /track shows it with its cancel button; cancel it there.
    opened = client.post("/track/mine/open", data={"code": placed.mine[1]})
    assert opened.status_code == 302 and opened.location.endswith("/track")
    status = client.get("/track").get_data(as_text=True)
    assert placed.mine[1] in status and 'action="/track/cancel"' in status
    assert client.post("/track/cancel", data={"reason": ""}).status_code == 302
    order = db.session.scalar(select(Order).where(Order.code == placed.mine[1]))
    db.session.refresh(order)
    assert order.status == "cancelled"


def test_only_codes_verified_in_this_session_can_be_opened(client, db, placed, frozen_now):
    client.post("/track/phone", data={"phone": PHONE})
    client.post("/track/phone/code", data={"phone": PHONE, "code": send_code(db, frozen_now)})
    assert client.post("/track/mine/open", data={"code": placed.theirs}).status_code == 404
    stranger = client.application.test_client()
    assert stranger.post("/track/mine/open", data={"code": placed.mine[0]}).status_code == 404
    assert stranger.get("/track/mine").status_code == 302  # nothing verified: ask for a code


def test_the_phone_page_refuses_a_bad_phone_with_a_message(client, placed):
    answer = client.post("/track/phone", data={"phone": "12345"})
    assert answer.status_code == 422 and "⚠" in answer.get_data(as_text=True)
    assert client.post("/track/phone", data={"phone": ""}).status_code == 422
    assert client.get("/track/phone").status_code == 200


def test_the_pages_in_english(client, db, placed, frozen_now):
    asked = client.post("/track/phone?lang=en", data={"phone": PHONE},
                        headers={"Accept-Language": "en"})
    assert "a text with a 6-digit code is on its way" in asked.get_data(as_text=True)


# --- the signed rating link ------------------------------------------------------------------

@pytest.fixture
def delivered(db, world, make_member, now):
    order = make_order(db, world, created=now - timedelta(days=5), status="delivered")
    make_session(db, world, make_member(), order=order, start=now - timedelta(hours=3))
    db.session.commit()
    return order


def test_the_rating_link_opens_that_orders_rating_form(client, app, delivered, frozen_now):
    token = rc.rate_link_token(app.config["SECRET_KEY"], delivered.code, frozen_now)
    answer = client.get(f"/r/{token}")
    assert answer.status_code == 302 and answer.location.endswith("/track")
    page = client.get("/track").get_data(as_text=True)
    assert delivered.code in page and 'action="/track/rate"' in page
    assert client.post("/track/rate", data={"rating": "5", "comment": ""}).status_code == 302
    db_order = client.application.extensions["sqlalchemy"].session.get(Order, delivered.id)
    assert db_order.feedback.rating == 5


def test_an_expired_rating_link_is_a_friendly_410(client, app, delivered, frozen_now):
    token = rc.rate_link_token(app.config["SECRET_KEY"], delivered.code,
                               frozen_now - timedelta(days=30, seconds=1))
    answer = client.get(f"/r/{token}")
    assert answer.status_code == 410
    assert "链接已过期" in answer.get_data(as_text=True) or "expired" in answer.get_data(as_text=True)
    with client.session_transaction() as s:
        assert "tracked_order" not in s


@pytest.mark.parametrize("token", ["x", "IlQwMDAwMSI.abcdef.abcdefabcdefabcdefabcdefabc",
                                   "../../etc/passwd"])
def test_a_tampered_rating_link_is_a_friendly_400(client, app, delivered, token):
    answer = client.get(f"/r/{token}")
    assert answer.status_code in (400, 404)  # a path werkzeug will not route is a 404
    if answer.status_code == 400:
        assert "0972-8612110" in answer.get_data(as_text=True)


def test_a_link_signed_with_another_key_is_refused(client, delivered, frozen_now):
    token = rc.rate_link_token("another-key", delivered.code, frozen_now)
    assert client.get(f"/r/{token}").status_code == 400
    changed = rc.rate_link_token(client.application.config["SECRET_KEY"], delivered.code,
                                 frozen_now)
    assert client.get(f"/r/{changed[:-1]}{'A' if changed[-1] != 'A' else 'B'}").status_code == 400


# --- privacy ---------------------------------------------------------------------------------

def test_a_log_scan_finds_no_phone_number(client, app, db, world, make_member, caplog,
                                          frozen_now):
    with caplog.at_level(logging.DEBUG):
        codes = [place(client, world), place(client, world)]
        client.post("/orders/new", data=form_for(world, confirm_repeat="y"))
        client.post("/api/v1/requester/code", json={"phone": "138 0000 1234"})
        client.post("/track/phone", data={"phone": PHONE})
        notify.send_pending(now=frozen_now, settings=live_settings())  # the log backend
        db.session.commit()
        code = rc.code_for(app.config["SECRET_KEY"], PHONE, rc.window_of(frozen_now))
        client.post("/api/v1/requester/orders", json={"phone": PHONE, "code": wrong(code)})
        assert client.post("/api/v1/requester/orders",
                           json={"phone": PHONE, "code": code}).status_code == 200
        client.post("/track/phone/code", data={"phone": PHONE, "code": code})
        client.get("/track/mine")
        client.post("/track/mine/open", data={"code": codes[0]})
        client.post("/track/cancel", data={"reason": ""})
        token = rc.rate_link_token(app.config["SECRET_KEY"], codes[1], frozen_now)
        client.get(f"/r/{token}")
        client.get("/track")
    logged = caplog.text
    assert "sms (log backend)" in logged and "requester_code" in logged
    assert not MOBILE.search(logged)
    assert code not in logged
