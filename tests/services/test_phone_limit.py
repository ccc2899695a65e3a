"""Placing orders is limited per requester phone (ORDER_PHONE_RATE_LIMIT), counted from the
orders placed themselves in the one statement placing reads anyway: a rolling window, only
where a person orders for themself (the form, the API), never for staff or campaigns."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lectureorder.domain.errors import TooManyOrders
from lectureorder.models import Order
from lectureorder.services import ordering
from lectureorder.services.settings import DEFAULTS
from tests.services.test_loop import request_for

LIMITED = replace(DEFAULTS, order_phone_limit=(2, 86400))


def village(world, i: int):
    """Orders at different places, so none is a repeat of another."""
    return request_for(world, place_id=(world.village, world.far_village)[i % 2].id,
                       requester_name=f"村民{i}")


def test_the_limit_counts_placed_orders_over_a_rolling_day(db, world, now):
    for i in range(2):
        ordering.place(village(world, i), now=now + timedelta(hours=i), settings=LIMITED,
                       limit_phone=True)
    with pytest.raises(TooManyOrders) as refused:
        ordering.place(village(world, 2), now=now + timedelta(hours=3), settings=LIMITED,
                       limit_phone=True)
    assert refused.value.retry_after == 21 * 3600  # until the first order is a day old
    # Once the first order is a day old one more fits (a rolling window, not a calendar day).
    ordering.place(village(world, 3), now=now + timedelta(days=1, seconds=1), settings=LIMITED,
                   limit_phone=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 3


def test_cancelled_orders_still_count_and_another_phone_is_not_limited(db, world, now):
    for i in range(2):
        order = ordering.place_order(village(world, i), now=now, settings=LIMITED)
    ordering.cancel_order(order, now=now)
    with pytest.raises(TooManyOrders):
        ordering.place(village(world, 2), now=now, settings=LIMITED, limit_phone=True)
    ordering.place(replace(village(world, 2), phone="13900001111"), now=now, settings=LIMITED,
                   limit_phone=True)


def test_staff_and_campaigns_place_without_the_phone_limit(db, world, now):
    for i in range(4):  # limit_phone off: 代下单 for many callers, campaigns from the station
        ordering.place(village(world, i), now=now, settings=LIMITED)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 4


def test_a_taken_code_is_retried_and_nothing_is_written_twice(db, world, now, monkeypatch):
    first = ordering.place(village(world, 0), now=now)
    codes = iter([first.code, first.code, "K7M2QX"])
    monkeypatch.setattr(ordering, "new_order_code", lambda: next(codes))
    second = ordering.place(village(world, 1), now=now)
    db.session.commit()
    assert second.code == "K7M2QX"
    rows = db.session.execute(select(Order.code, func.count()).group_by(Order.code)).all()
    assert sorted(rows) == sorted([(first.code, 1), ("K7M2QX", 1)])
    from lectureorder.models import AuditEvent, Notification, order_topic

    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2
    assert db.session.scalar(select(func.count()).select_from(order_topic)) == 2
    note = db.session.scalar(select(Notification).where(Notification.order_id == second.id))
    assert (note.key, note.payload) == (f"order:{second.id}:received", {"code": "K7M2QX"})


def test_a_refused_order_writes_nothing(db, world, now):
    """A repeat asked about, or a phone over its limit, leaves no row behind even before the
    edge rolls back (on PostgreSQL the checks and the writes are one statement)."""
    from lectureorder.domain.errors import RepeatOrder

    ordering.place(village(world, 0), now=now, settings=LIMITED)
    with pytest.raises(RepeatOrder):
        ordering.place(village(world, 0), now=now, settings=LIMITED, check_repeat=True)
    ordering.place(village(world, 1), now=now, settings=LIMITED)
    with pytest.raises(TooManyOrders):
        ordering.place(village(world, 2), now=now, settings=LIMITED, limit_phone=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 2
