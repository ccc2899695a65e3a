"""Acknowledge first, dispatch right after: placing stores the order (and its audit event and
"received" message) and nothing else; the dispatch pass offers the waiting orders jointly."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lectureorder.models import AuditEvent, Notification, Offer, Order
from lectureorder.services import dispatch, ordering, reference
from tests.helpers import live_settings
from tests.services.test_loop import events, request_for

MONDAY = {"earliest": date(2026, 12, 7), "latest": date(2026, 12, 7)}


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_placing_stores_the_order_its_event_and_its_received_message_only(
        db, world, make_member, now, count_queries):
    make_member()
    reference.current()  # read once per change of the reference data, not per order
    with count_queries() as queries:
        order = ordering.place_order(request_for(world), now=now, settings=live_settings())
        db.session.commit()
    assert order.status == "submitted" and order.offers == []
    assert events(db, order) == [("submit", None, "submitted")]
    (note,) = db.session.scalars(select(Notification)).all()
    assert (note.kind, note.key, note.recipient_kind) == (
        "order_received", f"order:{order.id}:received", "requester")
    # Nothing in the request path ranks members or touches member or kit rows (no lock convoy).
    sql = repr(queries).lower()
    touched = set(re.findall(r"\b(?:from|join|update|into)\s+\"?(\w+)", sql))
    assert touched.isdisjoint({"member", "equipment_kit", "lecture_session", "offer"}), touched
    assert "for update" not in sql and "for share" not in sql, queries
    assert queries() <= 7, queries  # six to place it, one to load it (place_order)


def test_one_pass_offers_every_waiting_order_once(db, world, make_member, now, dispatch_pass):
    member = make_member()
    orders = [ordering.place_order(request_for(world, requester_name=f"村民{i}"), now=now)
              for i in range(3)]
    db.session.commit()
    assert dispatch_pass() == 3
    assert {o.status for o in orders} == {"offered"}
    assert all([x.member_id for x in o.offers] == [member.id] for o in orders)
    assert count(db, Notification, Notification.kind == "offer_new") == 3
    assert dispatch_pass() == 0  # nothing waits any more: a second pass changes nothing
    assert count(db, Offer) == 3


def test_orders_of_one_pass_are_assigned_jointly(db, world, make_member, now, dispatch_pass):
    """One by one, both orders would go to the nearer member (offers are not sessions, so her
    weekly limit of one does not stop the second); solved together, each member gets one."""
    near = make_member(name="近", weekly_cap=1)
    far = make_member(name="远", township=world.far)
    orders = [ordering.place_order(request_for(world, requester_name=f"村民{i}", **MONDAY),
                                   now=now) for i in range(2)]
    db.session.commit()
    greedy = [dispatch.candidates_for(o, now=now, settings=live_settings())[0].candidates[0]
              for o in orders]
    assert {c.member_id for c in greedy} == {near.id}

    assert dispatch_pass() == 2
    assert sorted(o.offers[0].member_id for o in orders) == sorted([near.id, far.id])
    modes = [e.detail["mode"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "order", AuditEvent.action == "offer"))]
    assert modes == ["joint", "joint"]
    assert all(o.offer_rounds == 1 for o in orders)


def test_what_the_solver_leaves_goes_the_usual_way(db, world, make_member, now, dispatch_pass):
    """Over its member's limits (the solver leaves it), an order still goes to the best
    candidate; with nobody to take it, it goes to the coordinator."""
    member = make_member(weekly_cap=1)
    both = [ordering.place_order(request_for(world, requester_name=f"村民{i}", **MONDAY),
                                 now=now) for i in range(2)]
    nobody = ordering.place_order(request_for(world, topics=("drug_awareness",)), now=now)
    db.session.commit()
    assert dispatch_pass() == 3
    assert [o.status for o in both] == ["offered", "offered"]
    assert {o.offers[0].member_id for o in both} == {member.id}
    modes = sorted(e.detail.get("mode") for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "offer")))
    assert modes == ["directed", "joint"]
    assert nobody.status == "needs_attention"
    assert events(db, nobody)[-1] == ("escalate", "submitted", "needs_attention")


def test_pool_mode_keeps_the_pool(db, world, make_member, now, app, dispatch_pass):
    app.config.update(DISPATCH_MODE="pool", DISPATCH_POOL_SIZE=2)
    for name in ("甲", "乙", "丙"):
        make_member(name=name)
    orders = [ordering.place_order(request_for(world, requester_name=f"村民{i}"), now=now)
              for i in range(2)]
    db.session.commit()
    assert dispatch_pass() == 2
    assert [len(o.offers) for o in orders] == [2, 2]
    assert {e.detail["mode"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "offer"))} == {"pool"}


def test_cancelled_or_assigned_orders_are_not_dispatched(db, world, make_member, coordinator, now,
                                                         dispatch_pass):
    member = make_member()
    cancelled = ordering.place_order(request_for(world), now=now)
    assigned = ordering.place_order(request_for(world, requester_name="李四"), now=now)
    db.session.commit()
    ordering.cancel_order(cancelled, now=now)
    slot = dispatch.order_slots(assigned, now=now)[0]
    dispatch.assign(assigned, member, slot.start, now=now, actor=coordinator)
    db.session.commit()
    assert dispatch_pass() == 0
    assert count(db, Offer) == 0
    assert (cancelled.status, assigned.status) == ("cancelled", "scheduled")


def test_a_pass_takes_the_oldest_first_up_to_its_limit(db, world, make_member, now):
    make_member()
    orders = [ordering.place_order(request_for(world, requester_name=f"村民{i}"), now=now)
              for i in range(3)]
    db.session.commit()
    assert dispatch.dispatch_pending(now=now, settings=live_settings(), limit=2) == 2
    db.session.commit()
    assert [o.status for o in orders] == ["offered", "offered", "submitted"]
    assert dispatch.dispatch_pending(now=now, settings=live_settings(), limit=2) == 1


def test_orders_wait_while_the_scheduler_is_down_and_go_out_when_it_returns(
        db, world, make_member, now, dispatch_pass):
    make_member()
    order = ordering.place_order(request_for(world), now=now)
    db.session.commit()
    later = now + timedelta(hours=3)  # nobody ran a pass meanwhile
    assert order.status == "submitted"
    assert dispatch_pass(later) == 1
    assert order.status == "offered" and order.offers[0].created_at == later


@pytest.mark.parametrize("mode", ["directed", "pool"])
def test_the_job_runs_a_pass_with_the_apps_settings(app, db, world, make_member, now, mode,
                                                    frozen_now):
    from lectureorder.jobs import JOBS, run_job

    app.config["DISPATCH_MODE"] = mode
    make_member()
    order = ordering.place_order(request_for(world), now=now)
    db.session.commit()
    assert run_job(app, JOBS["dispatch_pending"], "dispatch_pending") == 1
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "offered"
