"""Placing an order stays cheap: a fixed, small set of statements in one transaction, no bump
of the change stamp (no cached page shows a new order), and an answer built without reloading."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from lectureorder.models import ChangeStamp, Notification, Order, current_stamp
from lectureorder.services import reference
from tests.helpers import login, order_body

# What one placement needs and nothing more: one read — the reference counter (topics, the
# place, the township's blackouts come from the process's snapshot it keys; read once per
# change) with, in the same statement, the phone's recent orders (the per-phone limit and the
# repeat rule) — then the writes: the order (INSERT … ON CONFLICT (code) DO NOTHING RETURNING
# id: no search for a free code), its topics, its audit row and the "received" message: five
# statements on SQLite; on PostgreSQL one (data-modifying CTEs that write only when the read
# says the order is kept). No change_stamp bump, no entity, no reload for the answer.
READS = [("select", "change_stamp")]  # … and "order": the first FROM names the counter
WRITES = [("insert", "order"), ("insert", "order_topic"), ("insert", "audit_event"),
          ("insert", "notification")]


@pytest.fixture
def stamped(db):
    """The stamp row the migration creates (create_all in tests does not)."""
    db.session.add(ChangeStamp(id=1, value=0))
    db.session.commit()


def statements(queries) -> list[tuple[str, ...]]:
    """(verb, table) per statement; a WITH statement as ("with", every table it inserts into)."""
    found = []
    for sql in queries.statements:
        flat = " ".join(sql.split())
        verb = flat.split()[0].lower()
        if verb == "with":
            found.append(("with", *sorted(re.findall(r'INSERT INTO "?(\w+)', flat))))
            continue
        table = re.search(r'(?:INTO|UPDATE|FROM)\s+"?(\w+)', flat)
        found.append((verb, table.group(1) if table else None))
    return found


def expected_placement(db) -> list[tuple[str, ...]]:
    if db.engine.dialect.name == "postgresql":  # the read and the writes: one statement
        return [("with", *sorted(table for _, table in WRITES))]
    return READS + WRITES


def test_an_api_placement_runs_five_statements_one_on_postgresql_and_no_stamp_bump(
        client, world, frozen_now, db, stamped, count_queries):
    body = order_body(world, topics=["traffic_safety", "anti_fraud"])
    reference.current()  # the process has read its snapshot once (any earlier order did)
    db.session.expire_all()  # the test shares the request's session: start it cold
    with count_queries() as queries:
        response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 201, response.get_json()
    placed = [s for s in statements(queries) if s[1] not in ("user", "api_token")]
    assert sorted(placed) == sorted(expected_placement(db)), queries
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


def test_tracking_an_order_reads_it_in_one_query(client, world, frozen_now, db, count_queries,
                                                 dispatch_pass, make_member):
    """The order-status answer (asked again and again by someone waiting) loads the order with
    its topics, questions, rating and session in one statement, scheduled or not."""
    make_member()
    body = order_body(world, topics=["traffic_safety", "anti_fraud"],
                      questions=["冒充客服怎么识别？"])
    code = client.post("/api/v1/orders", json=body).get_json()["code"]
    for _ in range(2):  # waiting, then offered (a member and a time proposed)
        db.session.expire_all()
        with count_queries() as queries:
            answer = client.post("/api/v1/orders/track", json={"code": code, "phone_last4": "1234"})
        assert answer.status_code == 200
        reads = [s for s in statements(queries) if s[1] not in ("user", "api_token")]
        assert reads == [("select", "order")], queries
        assert answer.get_json()["questions"] == ["冒充客服怎么识别？"]
        dispatch_pass()
