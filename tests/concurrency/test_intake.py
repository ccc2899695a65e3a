"""Intake under real races: concurrent placements never wait on each other (no member or kit
row is touched until dispatch), and two dispatch passes at once offer each order once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text

from lectureorder.domain.orders import OrderRequest
from lectureorder.extensions import db
from lectureorder.models import (
    AuditEvent,
    Offer,
    Order,
)
from lectureorder.services import dispatch, ordering
from tests.concurrency.conftest import build_team, race
from tests.helpers import live_settings

N = 8
# Tables a placement must not even read: ranking, offers and bookings wait for dispatch.
DISPATCH_TABLES = {"member", "equipment_kit", "lecture_session", "offer"}


def team(app, members: int) -> int:
    """A village and `members` interchangeable members; returns the village id."""
    with app.app_context():
        return build_team(members).id


def request(village_id: int, i: int) -> OrderRequest:
    return OrderRequest(
        topics=("anti_fraud",), format="field_class", place_kind="village", place_id=village_id,
        audience_type="villagers", audience_size=50, earliest=date(2026, 12, 7),
        latest=date(2026, 12, 11), requester_name=f"村民{i}", phone="13800001234")


def test_eight_placements_at_once_never_wait_on_each_other(race_app, now):
    village_id = team(race_app, members=3)
    postgres = race_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    # On PostgreSQL all eight transactions stay open side by side, each with its order written,
    # while an observer reads pg_locks; a placement that needed another's lock would hit the
    # low lock_timeout (or never reach the barrier). SQLite has one writer at a time by design:
    # there the eight simply all complete.
    placed = threading.Barrier(N + 1, timeout=30)
    release = threading.Barrier(N + 1, timeout=30)
    seen: dict = {}

    def place(i: int):
        if i == N:  # the observer
            placed.wait()
            seen["locks"] = db.session.execute(text(
                "SELECT l.locktype, c.relname, l.mode, l.granted FROM pg_locks l "
                "LEFT JOIN pg_class c ON c.oid = l.relation "
                "WHERE l.pid <> pg_backend_pid() AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )).all()
            db.session.rollback()
            release.wait()
            return "observer"
        if postgres:
            db.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
        order = ordering.place_order(request(village_id, i), now=now, settings=live_settings())
        db.session.flush()
        if postgres:
            placed.wait()
            release.wait()
        db.session.commit()
        return order.code

    results = race(race_app, N + 1 if postgres else N, place)

    codes = [r for r in results if isinstance(r, str) and r != "observer"]
    assert len(codes) == N and len(set(codes)) == N, results
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == N
        assert set(db.session.scalars(select(Order.status))) == {"submitted"}
        assert db.session.scalar(select(func.count()).select_from(Offer)) == 0
    if postgres:
        locks = seen["locks"]
        assert all(granted for *_rest, granted in locks), locks  # nobody waits
        assert not {rel for _t, rel, _m, _g in locks} & DISPATCH_TABLES, locks
        assert any(rel == "order" for _t, rel, _m, _g in locks), locks  # they were all open


@pytest.mark.parametrize("mode", ["directed", "pool"])
def test_two_dispatch_passes_at_once_offer_each_order_once(race_app, now, mode):
    members, orders = 3, 6
    race_app.config.update(DISPATCH_MODE=mode, DISPATCH_POOL_SIZE=members)
    village_id = team(race_app, members=members)
    with race_app.app_context():
        ids = [ordering.place_order(request(village_id, i), now=now).id for i in range(orders)]
        db.session.commit()

    def run_pass(i: int) -> int:
        count = dispatch.dispatch_pending(now=now, settings=live_settings())
        db.session.commit()
        return count

    results = race(race_app, 2, run_pass)

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == orders, results  # each order dispatched by one pass
    per_order = members if mode == "pool" else 1
    with race_app.app_context():
        for order_id in ids:
            order = db.session.get(Order, order_id)
            assert order.status == "offered"
            assert len(order.offers) == per_order
            assert order.offer_rounds == 1
        offer_events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity == "order", AuditEvent.action == "offer"))
        assert offer_events == orders
