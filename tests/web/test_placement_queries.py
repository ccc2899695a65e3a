"""Placing an order stays cheap: a fixed, small set of statements in one transaction, no bump
of the change stamp (no cached page shows a new order), and an answer built without reloading."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from lectureorder.models import ChangeStamp, Notification, Order, current_stamp
from tests.helpers import login, order_body

# What one placement needs and nothing more: the asked-for topics (one query however many),
# the place, the township's blackouts (can the order happen at all: a field class needs no
# other calendar), the same phone's orders of the last 24 hours (is it a repeat), a free code,
# the order and its topics (one flush, for the order's id), its audit row and the "received"
# message (enqueue's one INSERT … ON CONFLICT DO NOTHING). No change_stamp, no reload for the
# answer. (The test compares statements, not their order.)
PLACEMENT = [
    ("select", "topic"), ("select", "village"), ("select", "blackout"), ("select", "order"),
    ("select", "order"), ("insert", "order"), ("insert", "order_topic"),
    ("insert", "audit_event"), ("insert", "notification"),
]


@pytest.fixture
def stamped(db):
    """The stamp row the migration creates (create_all in tests does not)."""
    db.session.add(ChangeStamp(id=1, value=0))
    db.session.commit()


def statements(queries) -> list[tuple[str, str]]:
    found = []
    for line in repr(queries).splitlines()[1:]:
        m = re.match(r'(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b', line)
        if m:
            verb = m.group(1).split()[0].lower()
            table = re.search(r'(?:INTO|UPDATE|FROM)\s+"?(\w+)', line) if verb != "select" else None
            found.append([verb, table.group(1) if table else None])
        elif found and found[-1][1] is None and line.startswith("FROM "):
            found[-1][1] = re.match(r'FROM\s+"?(\w+)', line).group(1)
    return [tuple(s) for s in found]


def test_an_api_placement_runs_nine_statements_and_no_stamp_bump(
        client, world, frozen_now, db, stamped, count_queries):
    body = order_body(world, topics=["traffic_safety", "anti_fraud"])
    db.session.expire_all()  # the test shares the request's session: start it cold
    with count_queries() as queries:
        response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 201, response.get_json()
    placed = [s for s in statements(queries) if s[1] not in ("user", "api_token")]
    assert sorted(placed) == sorted(PLACEMENT), queries
    assert current_stamp() == 0  # a submitted order is on no cached page

    # The answer, built from memory, is what a reload says (topics in menu order).
    answer = response.get_json()
    db.session.expire_all()
    code = answer["code"]
    track = client.post("/api/v1/orders/track", json={"code": code, "phone_last4": "1234"})
    assert track.get_json() == answer
    assert [t["code"] for t in answer["topics"]] == ["anti_fraud", "traffic_safety"]
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    assert db.session.scalar(select(Order.status)) == "submitted"


def test_the_form_placement_leaves_the_stamp_alone_too(client, world, frozen_now, db, stamped):
    from tests.web.test_public import form_for

    assert client.post("/orders/new", data=form_for(world)).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert current_stamp() == 0


def test_an_order_the_coordinator_must_see_shows_on_a_cached_calendar_at_once(
        client, world, frozen_now, db, stamped, coordinator, dispatch_pass, app):
    """Placing bumps nothing; the pass that sends the order to the coordinator (no member can
    take it) does, so the cached calendar page shows it waiting at once."""
    app.config["PAGE_CACHE_SIZE"] = 16
    login(client, coordinator.username)
    url = f"/coord/calendar?view=month&date={date(2026, 12, 8).isoformat()}"
    db.session.expire_all()
    before = client.get(url).get_data(as_text=True)
    response = client.post("/api/v1/orders", json=order_body(world))
    code = response.get_json()["code"]
    assert code not in before
    assert current_stamp() == 0
    assert dispatch_pass() == 1  # nobody to offer it to: it goes to the coordinator
    db.session.expire_all()
    assert db.session.scalar(select(Order.status)) == "needs_attention"
    assert current_stamp() > 0
    assert code in client.get(url).get_data(as_text=True)
