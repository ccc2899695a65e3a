"""First accept wins, exactly once; the expiry sweep expires each offer once — under real races."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from lectureorder.domain.errors import Conflict
from lectureorder.domain.orders import OrderRequest
from lectureorder.extensions import db
from lectureorder.models import (
    AuditEvent,
    LectureSession,
    Member,
    Notification,
    Offer,
    Order,
)
from lectureorder.services import dispatch, ordering
from lectureorder.services.unit import TAKEN
from tests.concurrency.conftest import build_team, race
from tests.conftest import run_dispatch_pass
from tests.helpers import live_settings

N = 16


def build(app, now, *, members: int, orders: int = 1, mode: str = "directed") -> list[int]:
    """A village, `members` interchangeable members and `orders` orders, each offered already."""
    app.config.update(DISPATCH_MODE=mode, DISPATCH_POOL_SIZE=members)
    with app.app_context():
        village = build_team(members)
        ids = []
        for i in range(orders):
            order = ordering.place_order(OrderRequest(
                topics=("anti_fraud",), format="field_class", place_kind="village",
                place_id=village.id, audience_type="villagers", audience_size=50,
                earliest=date(2026, 12, 7), latest=date(2026, 12, 9),
                requester_name=f"村民{i}", phone="13800001234"), now=now, settings=live_settings())
            ids.append(order.id)
        db.session.commit()
        assert run_dispatch_pass(now) == orders
        assert {db.session.get(Order, i).status for i in ids} == {"offered"}
        return ids


def accept(offer_id: int, now):
    offer = db.session.get(Offer, offer_id)
    member = db.session.get(Member, offer.member_id)
    session = dispatch.accept_offer(offer_id, member, offer.slot_times[0][0], now=now)
    db.session.commit()
    return session.id


def winners_and_losers(results):
    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if not isinstance(r, int)]
    assert all(isinstance(r, Conflict) and r.reason == TAKEN for r in losers), losers
    return winners, losers


def test_pool_of_sixteen_first_accept_wins(race_app, now):
    (order_id,) = build(race_app, now, members=N, mode="pool")
    with race_app.app_context():
        offer_ids = db.session.scalars(select(Offer.id).where(Offer.order_id == order_id)).all()
    assert len(offer_ids) == N  # every member holds an offer for the same order

    results = race(race_app, N, lambda i: accept(offer_ids[i], now))

    winners, losers = winners_and_losers(results)
    assert len(winners) == 1 and len(losers) == N - 1, results
    with race_app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == "scheduled"
        assert db.session.scalar(select(func.count()).select_from(LectureSession)) == 1
        statuses = sorted(o.status for o in order.offers)
        assert statuses == ["accepted"] + ["withdrawn"] * (N - 1)
        scheduled = [e for e in order.events if e.action == "schedule"]
        assert len(scheduled) == 1


def test_sixteen_taps_on_one_offer_book_once(race_app, now):
    (order_id,) = build(race_app, now, members=1)
    with race_app.app_context():
        (offer_id,) = db.session.scalars(select(Offer.id).where(Offer.order_id == order_id)).all()

    results = race(race_app, N, lambda i: accept(offer_id, now))

    winners, losers = winners_and_losers(results)
    assert len(winners) == 1 and len(losers) == N - 1, results
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LectureSession)) == 1
        assert db.session.get(Offer, offer_id).status == "accepted"
        notes = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "order_scheduled"))
        assert notes == 1


def sweep(now):
    count = dispatch.expire_offers(now=now, settings=live_settings())
    db.session.commit()
    return count


def test_expiry_sweep_run_twice_at_once_expires_each_offer_once(race_app, now):
    order_ids = build(race_app, now, members=2, orders=4)
    with race_app.app_context():
        first = db.session.scalars(select(Offer).order_by(Offer.id)).all()
        later = max(o.expires_at for o in first) + timedelta(minutes=1)
        first_ids = {o.id for o in first}

    results = race(race_app, 2, lambda i: sweep(later))

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == len(first_ids)
    with race_app.app_context():
        for order_id in order_ids:
            order = db.session.get(Order, order_id)
            # The first member's offer expired once; the order went on to the other member once.
            assert [o.status for o in order.offers] == ["expired", "open"]
            assert order.offer_rounds == 2
        expired_events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "offer", AuditEvent.from_state == "offered"))
        assert expired_events == len(order_ids)


def test_accept_racing_the_expiry_sweep_has_one_outcome(race_app, now):
    (order_id,) = build(race_app, now, members=1)
    with race_app.app_context():
        offer = db.session.scalar(select(Offer).where(Offer.order_id == order_id))
        offer_id, expires = offer.id, offer.expires_at
    before, after = expires - timedelta(minutes=1), expires + timedelta(minutes=1)

    def work(i):
        return ("accepted", accept(offer_id, before)) if i % 2 else ("expired", sweep(after))

    results = race(race_app, 8, work)

    accepted = [r for r in results if isinstance(r, tuple) and r[0] == "accepted"]
    expired = sum(r[1] for r in results if isinstance(r, tuple) and r[0] == "expired")
    losers = [r for r in results if not isinstance(r, tuple)]
    assert all(isinstance(r, Conflict) and r.reason == TAKEN for r in losers), results
    assert len(accepted) + expired == 1, results
    with race_app.app_context():
        status = db.session.get(Offer, offer_id).status
        sessions = db.session.scalar(select(func.count()).select_from(LectureSession))
        assert (status, sessions) == (("accepted", 1) if accepted else ("expired", 0))


def test_sending_the_same_backlog_twice_at_once_offers_each_order_once(race_app, now):
    from lectureorder.services import batch

    order_ids = build(race_app, now, members=2, orders=4)
    with race_app.app_context():
        for offer in db.session.scalars(select(Offer)):  # every first offer ran out unanswered
            offer.expires_at = now - timedelta(minutes=1)
        db.session.commit()
        proposals = [p.proposal for p in batch.plan_backlog(now, settings=live_settings()).offers]
    assert sorted(p.order_id for p in proposals) == sorted(order_ids)

    def send(i):
        report = batch.apply_backlog(proposals, now=now, actor=None, settings=live_settings())
        db.session.commit()
        return len(report.sent)

    results = race(race_app, 2, send)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == len(order_ids)
    with race_app.app_context():
        for order_id in order_ids:
            statuses = [o.status for o in db.session.get(Order, order_id).offers]
            assert statuses == ["expired", "open"]
