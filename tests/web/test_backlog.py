"""/coord/backlog: the coordinator previews the batch, then sends exactly what was shown."""

import re

from flask import g
from sqlalchemy import func, select

from lectureorder.models import Offer, Order
from lectureorder.services import batch
from tests.helpers import login, order_body


def waiting_orders(client, world, n=2):
    codes = []
    for i in range(n):
        body = order_body(world)
        body["requester"]["name"] = f"村民{i}"
        body["requester"]["phone"] = f"13{8 - i}00001234"  # other callers (last 4 digits 1234)
        response = client.post("/api/v1/orders", json=body)
        assert response.status_code == 201
        codes.append(response.get_json()["code"])
    return codes


def token_in(page: str) -> str:
    return re.search(r'name="plan" type="hidden" value="([^"]*)"', page).group(1)


def test_anonymous_is_sent_to_login(client, world):
    for method in ("get", "post"):
        response = getattr(client, method)("/coord/backlog")
        assert response.status_code == 302 and "/auth/login" in response.location


def test_members_are_refused(client, make_member):
    member = make_member()
    login(client, member.user.username)
    for method in ("get", "post"):
        assert getattr(client, method)("/coord/backlog", data={"plan": "1:1:1"}).status_code == 403


def test_preview_then_send(client, world, make_member, coordinator, frozen_now, db):
    codes = waiting_orders(client, world)  # nobody in the team yet: both wait
    member = make_member(name="马警官")
    login(client, coordinator.username)
    page = client.get("/coord/backlog").get_data(as_text=True)
    assert 'action="/coord/backlog"' in page  # the send button's form
    for code in codes:
        assert f'data-order="{code}"' in page
    assert member.name in page and 'data-part="distance"' in page
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 0  # a preview only

    response = client.post("/coord/backlog", data={"plan": token_in(page)})
    assert response.status_code == 302 and response.location.endswith("/coord/backlog")
    assert {o.status for o in db.session.scalars(select(Order))} == {"offered"}
    offers = db.session.scalars(select(Offer)).all()
    assert len(offers) == 2 and {o.member_id for o in offers} == {member.id}
    page = client.get("/coord/backlog").get_data(as_text=True)
    assert 'data-testid="planned"' not in page  # nothing left to offer


def test_what_changed_is_reported_not_sent(client, world, make_member, coordinator, frozen_now, db):
    codes = waiting_orders(client, world)
    make_member()
    login(client, coordinator.username)
    token = token_in(client.get("/coord/backlog").get_data(as_text=True))
    cancelled = client.post("/api/v1/orders/cancel", json={"code": codes[0], "phone_last4": "1234"})
    assert cancelled.status_code == 200
    response = client.post("/coord/backlog", data={"plan": token}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and codes[0] in page
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 1


def test_a_broken_preview_is_422_and_sends_nothing(client, world, make_member, coordinator,
                                                  frozen_now, db):
    waiting_orders(client, world, n=1)
    make_member()
    login(client, coordinator.username)
    for plan in ("", "garbage", "1:2", "1:2:99999999999999999999"):
        response = client.post("/coord/backlog", data={"plan": plan})
        assert response.status_code == 422, plan
        assert 'role="alert"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 0


def test_nav_links_to_the_backlog(client, coordinator, world):
    login(client, coordinator.username)
    assert 'href="/coord/backlog"' in client.get("/coord/").get_data(as_text=True)


def fresh_locale() -> None:
    """The test app context outlives requests, and Flask-Babel caches the locale in `g`."""
    g.pop("_flask_babel", None)


def test_unplanned_orders_show_why(client, world, make_member, coordinator, frozen_now, db, app):
    waiting_orders(client, world, n=1)
    login(client, coordinator.username)
    fresh_locale()
    page = client.get("/coord/backlog?lang=en").get_data(as_text=True)
    assert 'data-testid="unplanned"' in page
    assert batch.NOBODY in page
