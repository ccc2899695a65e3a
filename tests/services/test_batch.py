"""Assign the backlog: plan every waiting order at once, preview, then send re-checked offers."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lectureorder.domain.errors import DomainError
from lectureorder.models import AuditEvent, LectureSession, Notification, Offer, Order
from lectureorder.services import batch, dispatch, ordering
from tests.conftest import run_dispatch_pass
from tests.services.test_loop import request_for

ONE_DAY = {"earliest": date(2026, 12, 7), "latest": date(2026, 12, 7)}


def backlog_of(db, world, now, n=1, **changes):
    """`n` orders placed while nobody could take them: all wait for the coordinator."""
    orders = [ordering.place_order(request_for(world, requester_name=f"村民{i}", **changes), now=now)
              for i in range(n)]
    db.session.commit()
    run_dispatch_pass(now)
    assert {o.status for o in orders} == {"needs_attention"}
    return orders


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_plan_assigns_every_order_it_can_and_changes_nothing(db, world, make_member, now):
    orders = backlog_of(db, world, now, n=3)
    near = make_member(name="近")
    far = make_member(name="远", township=world.far)
    plan = batch.plan_backlog(now)
    assert {p.order.id for p in plan.offers} == {o.id for o in orders}
    assert {p.member_id for p in plan.offers} <= {near.id, far.id}
    assert plan.unplanned == ()
    for p in plan.offers:
        assert p.start in {s.start for s in dispatch.order_slots(p.order, now=now)}
        assert p.score == pytest.approx(sum(part.points for part in p.parts))
        assert [part.name for part in p.parts] == [
            "vice_principal", "distance", "fairness", "experience", "rating"]
    assert plan.objective == pytest.approx(sum(p.score for p in plan.offers))
    assert count(db, Offer) == 0 and {o.status for o in orders} == {"needs_attention"}


def test_plan_says_why_an_order_is_left_over(db, world, make_member, now):
    capped = backlog_of(db, world, now, n=2, **ONE_DAY)
    nobody = backlog_of(db, world, now, topics=("drug_awareness",))[0]
    past = backlog_of(db, world, now)[0]
    past.earliest = past.latest = date(2026, 11, 20)  # its window has gone by
    db.session.commit()
    make_member(weekly_cap=1)
    plan = batch.plan_backlog(now)
    assert len(plan.offers) == 1 and plan.offers[0].order in capped
    reasons = {u.order.id: u.reason for u in plan.unplanned}
    left = next(o for o in capped if o is not plan.offers[0].order)
    assert reasons == {left.id: batch.FULL, nobody.id: batch.NOBODY, past.id: batch.NO_SLOT}


def test_orders_with_a_live_offer_are_not_in_the_backlog(db, world, make_member, now, dispatch_pass):
    make_member()
    offered = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    assert offered.status == "offered"
    plan = batch.plan_backlog(now)
    assert plan.offers == () and plan.unplanned == ()
    # Once its offer has run out (before the sweep passes), it is back in the backlog; the
    # member who let it run out is not asked again.
    later = offered.offers[0].expires_at + timedelta(minutes=1)
    plan = batch.plan_backlog(later)
    assert [(u.order.id, u.reason) for u in plan.unplanned] == [(offered.id, batch.NOBODY)]


def test_apply_sends_one_directed_offer_per_order_with_the_previewed_time_first(
        db, world, make_member, coordinator, now):
    orders = backlog_of(db, world, now, n=2)
    make_member(name="甲")
    make_member(name="乙")
    plan = batch.plan_backlog(now)
    report = batch.apply_backlog(batch.parse_plan_token(plan.token), now=now, actor=coordinator)
    db.session.commit()
    assert report.skipped == () and len(report.sent) == 2
    for p in plan.offers:
        order = p.order
        assert order.status == "offered" and order.offer_rounds == 1
        (offer,) = order.offers
        assert offer.member_id == p.member_id and offer.status == "open"
        assert offer.slot_times[0] == (p.start, p.end)
        assert offer.expires_at > now and offer.score == pytest.approx(p.score, abs=1e-3)
        assert {part["name"] for part in offer.parts} >= {"distance", "fairness"}
        event = order.events[-1]
        assert (event.action, event.actor_id, event.detail["mode"]) == ("offer", coordinator.id, "batch")
    assert count(db, Notification, Notification.kind == "offer_new") == 2
    # Nothing is left to send; sending the same preview again changes nothing.
    assert batch.plan_backlog(now).offers == ()
    again = batch.apply_backlog(batch.parse_plan_token(plan.token), now=now, actor=coordinator)
    assert again.sent == () and {s.reason for s in again.skipped} == {batch.GONE}
    assert {o.id for o in orders} == {s.order_id for s in again.skipped}


def test_apply_skips_what_changed_since_the_preview(db, world, make_member, coordinator, now, dispatch_pass):
    orders = backlog_of(db, world, now, n=4, **ONE_DAY)
    team = [make_member(name=f"队员{i}") for i in range(4)]
    plan = batch.plan_backlog(now)
    assert len(plan.offers) == 4
    rows = {p.order.id: p for p in plan.offers}
    booked, cancelled, retired, untouched = (rows[o.id] for o in orders)
    # Since the preview: a member took another session at that time, an order was cancelled,
    # a member left the team.
    busy = next(m for m in team if m.id == booked.member_id)
    other = ordering.place_order(request_for(world, requester_name="别人", **ONE_DAY), now=now)
    dispatch_pass()
    dispatch.assign(other, busy, booked.start, now=now, actor=coordinator)
    ordering.cancel_order(cancelled.order, now=now, reason="下雪")
    gone = next(m for m in team if m.id == retired.member_id)
    gone.active = False
    db.session.commit()

    report = batch.apply_backlog(batch.parse_plan_token(plan.token), now=now, actor=coordinator)
    db.session.commit()
    assert [o.order_id for o in report.sent] == [untouched.order.id]
    why = {s.order_id: s.reason for s in report.skipped}
    assert why == {booked.order.id: batch.NOT_FREE, cancelled.order.id: batch.GONE,
                   retired.order.id: batch.MEMBER_GONE}
    assert booked.order.status == "needs_attention" and retired.order.status == "needs_attention"
    assert count(db, LectureSession) == 1  # offers only: nothing is booked by the batch


def test_apply_refuses_a_proposal_for_a_time_the_member_cannot_take(
        db, world, make_member, coordinator, now):
    (order,) = backlog_of(db, world, now)
    member = make_member()
    odd = datetime(2026, 12, 8, 3, 17, tzinfo=UTC)
    report = batch.apply_backlog([batch.Proposal(order.id, member.id, odd),
                                  batch.Proposal(order.id, member.id, odd)], now=now, actor=coordinator)
    assert report.sent == ()
    assert [s.reason for s in report.skipped] == [batch.NOT_FREE, batch.TWICE]
    assert report.skipped[0].params == {"name": member.name}


def test_apply_expires_offers_that_ran_out_before_the_sweep(db, world, make_member, coordinator, now, dispatch_pass):
    first = make_member(name="甲")
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    later = order.offers[0].expires_at + timedelta(minutes=1)
    second = make_member(name="乙")
    plan = batch.plan_backlog(later)
    assert [p.member_id for p in plan.offers] == [second.id]  # 甲 let it run out
    batch.apply_backlog(batch.parse_plan_token(plan.token), now=later, actor=coordinator)
    db.session.commit()
    assert [(o.member_id, o.status) for o in order.offers] == [(first.id, "expired"),
                                                                (second.id, "open")]


@pytest.mark.parametrize("token", ["", "1:2", "1:2:x", "a:b:c", "1:2:3:4", "1:2:" + "9" * 40,
                                   "-1:2:3", ",".join(["1:2:3"] * (batch.MAX_PROPOSALS + 1))])
def test_a_token_that_is_not_a_preview_is_refused(token):
    with pytest.raises(DomainError) as info:
        batch.parse_plan_token(token)
    assert info.value.field == "plan"


def test_token_round_trip():
    start = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    proposals = [batch.Proposal(3, 4, start), batch.Proposal(5, 6, start + timedelta(hours=2))]
    assert batch.parse_plan_token(batch.plan_token(proposals)) == proposals


def test_plan_takes_a_fixed_number_of_queries(db, world, make_member, now, count_queries):
    def queries() -> int:
        db.session.expire_all()
        with count_queries() as n:
            plan = batch.plan_backlog(now)
        assert plan.offers
        return n()

    def more_backlog(n: int) -> None:
        # Every kind of place (schools read their terms, markets their cycle), while nobody is
        # active, so that the orders wait in the backlog.
        for member in team:
            member.active = False
        db.session.commit()
        backlog_of(db, world, now, n=n)
        backlog_of(db, world, now, n=n, place_id=world.far_village.id)
        backlog_of(db, world, now, n=n, format="school_talk", place_kind="school",
                   place_id=world.school.id, audience_type="pupils")
        backlog_of(db, world, now, n=n, format="market_talk", place_kind="market",
                   place_id=world.market.id, audience_type="market_goers")
        for member in team:
            member.active = True
        db.session.commit()

    team = [make_member(name="甲", vice_principal_of=[world.school])]
    more_backlog(1)
    few = queries()
    team += [make_member(name=f"队员{i}", township=world.far) for i in range(4)]
    more_backlog(2)
    many = queries()
    assert many == few, "plan_backlog must not query per order or per member"
    assert many <= 25


def test_events_record_the_batch(db, world, make_member, coordinator, now):
    backlog_of(db, world, now)
    make_member()
    plan = batch.plan_backlog(now)
    batch.apply_backlog(plan.offers and [plan.offers[0].proposal], now=now, actor=coordinator)
    db.session.commit()
    assert count(db, AuditEvent, AuditEvent.action == "offer") == 1
    assert db.session.scalar(select(Order)).status == "offered"
