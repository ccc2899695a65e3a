"""PIPL: a coordinator exports and erases one requester's data by phone number; the anonymous
statistics (reports) stay, every erased order gets one audit row with the phone masked."""

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from lectureorder.models import AuditEvent, Order
from lectureorder.services import reports
from tests.helpers import login
from tests.report_data import accept, at, make_order, make_session

PHONE = "13800001234"
OTHER = "13900005678"
ROUTES = [("get", "/coord/privacy"), ("post", "/coord/privacy"),
          ("post", "/coord/privacy/export"), ("post", "/coord/privacy/erase")]


@pytest.fixture
def data(db, world, make_member):
    lead = make_member("马建国")
    delivered = make_order(db, world, created=at(date(2026, 11, 2), 9), status="closed",
                           phone=PHONE)
    delivered.notes = "请带投影仪，联系张三 13800001234"
    accept(db, delivered, at(date(2026, 11, 2), 15))
    session = make_session(db, world, lead, order=delivered, start=at(date(2026, 11, 10), 10),
                           rating=5, signins=40)
    db.session.flush()
    delivered.feedback.comment = "讲得好，我是东庄村张三"
    waiting = make_order(db, world, created=at(date(2026, 11, 20), 9), status="submitted",
                         phone=PHONE, fmt="market_talk")
    someone_else = make_order(db, world, created=at(date(2026, 11, 21), 9), status="submitted",
                              phone=OTHER)
    someone_else.requester_name = "李四"
    db.session.commit()
    return type("Data", (), {"mine": [delivered, waiting], "other": someone_else,
                             "session": session})


def find(client, phone):
    return client.post("/coord/privacy?lang=en", data={"phone": phone})


def test_a_coordinator_finds_the_orders_of_a_phone_in_any_spelling(client, coordinator, data):
    login(client, coordinator.username)
    page = client.get("/coord/privacy?lang=en")
    assert page.status_code == 200 and 'name="phone"' in page.get_data(as_text=True)
    response = find(client, "+86 138-0000-1234")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for order in data.mine:
        assert order.code in html
    assert data.other.code not in html and "李四" not in html
    assert "138****1234" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_a_bad_phone_is_a_field_message(client, coordinator, data):
    login(client, coordinator.username)
    response = find(client, "12345")
    assert response.status_code == 422
    assert "Please enter an 11-digit mobile number" in response.get_data(as_text=True)


def test_export_as_json_and_csv(client, coordinator, data, frozen_now):
    login(client, coordinator.username)
    response = client.post("/coord/privacy/export", data={"phone": "138 0000 1234",
                                                          "format": "json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and "1234" not in disposition
    body = json.loads(response.data)
    assert body["phone"] == PHONE
    codes = [o["code"] for o in body["orders"]]
    assert codes == [o.code for o in data.mine]
    first = body["orders"][0]
    assert first["status"] == "closed" and first["requester"]["name"] == "张三"
    assert first["requester"]["phone"] == PHONE and first["notes"].startswith("请带投影仪")
    assert first["feedback"]["rating"] == 5 and first["created_at"].startswith("2026-11-02T09:00")
    assert first["session"]["status"] == "delivered"
    assert [h["action"] for h in first["history"]] == ["schedule"]

    response = client.post("/coord/privacy/export", data={"phone": PHONE, "format": "csv"})
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["code"] for r in rows] == codes
    assert rows[1]["format"] == "market_talk" and rows[1]["requester_phone"] == PHONE


def report_pages(now):
    args = {"from": "2026-11-01", "to": "2026-11-30"}
    return (reports.build(args, now=now), reports.build(args, now=now, ledger=True),
            reports.build(args, now=now, lang="en"))


def test_erase_asks_first_then_erases_and_keeps_the_reports(client, db, coordinator, data,
                                                            frozen_now):
    before = report_pages(frozen_now)
    login(client, coordinator.username)
    # the first press only asks
    response = client.post("/coord/privacy/erase?lang=en", data={"phone": "+8613800001234"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "This cannot be undone." in html
    assert 'name="confirm"' in html and 'value="yes"' in html
    db.session.expire_all()
    assert {o.requester_phone for o in db.session.scalars(select(Order))} == {PHONE, OTHER}

    response = client.post("/coord/privacy/erase?lang=en",
                           data={"phone": "+8613800001234", "confirm": "yes"})
    assert response.status_code == 302 and response.location.endswith("/coord/privacy")
    db.session.expire_all()
    for order in data.mine:
        order = db.session.get(Order, order.id)
        assert (order.requester_name, order.requester_org, order.requester_phone,
                order.notes) == ("—", "", None, "")
        assert order.contact_purged_at is not None
    erased = db.session.get(Order, data.mine[0].id)
    assert erased.feedback.comment == "" and erased.feedback.rating == 5  # the rating stays
    assert erased.status == "closed" and erased.format == "field_class"
    other = db.session.get(Order, data.other.id)
    assert (other.requester_name, other.requester_phone) == ("李四", OTHER)

    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "erase_requester").order_by(AuditEvent.entity_id)).all()
    assert [(e.entity, e.entity_id, e.actor_id) for e in events] == [
        ("order", o.id, coordinator.id) for o in data.mine]
    for e in events:
        assert e.detail["phone"] == "138****1234"
        assert PHONE not in json.dumps(e.detail)

    assert report_pages(frozen_now) == before
    # nothing is left to find or export
    html = find(client, PHONE).get_data(as_text=True)
    assert data.mine[0].code not in html
    body = json.loads(client.post("/coord/privacy/export",
                                  data={"phone": PHONE, "format": "json"}).data)
    assert body["orders"] == []


def test_erase_needs_the_csrf_token(app, client, coordinator, data):
    login(client, coordinator.username)
    app.config["WTF_CSRF_ENABLED"] = True  # a signed-in coordinator, a forged POST
    response = client.post("/coord/privacy/erase", data={"phone": PHONE, "confirm": "yes"})
    assert response.status_code == 400
    assert client.post("/coord/privacy/export", data={"phone": PHONE}).status_code == 400


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_only_coordinators(client, db, data, make_member, method, url):
    form = {"phone": PHONE, "confirm": "yes", "format": "json"}
    call = getattr(client, method)
    response = call(url, data=form) if method == "post" else call(url)
    assert response.status_code == 302 and "/auth/login" in response.location
    member = make_member("王晓燕")
    login(client, member.user.username)
    response = call(url, data=form) if method == "post" else call(url)
    assert response.status_code == 403
    db.session.expire_all()
    assert {o.requester_phone for o in db.session.scalars(select(Order))} == {PHONE, OTHER}


def test_every_privacy_route_declares_its_access(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/coord/privacy"):
            assert getattr(app.view_functions[rule.endpoint], "access", None) == "coordinator"
