"""A member or a kit can never hold two overlapping sessions, even when bookings race."""

from datetime import date

from sqlalchemy import func, select

from lectureorder.domain.errors import Conflict
from lectureorder.domain.orders import OrderRequest
from lectureorder.extensions import db
from lectureorder.models import (
    LectureSession,
    Member,
    Order,
)
from lectureorder.services import dispatch, ordering
from tests.concurrency.conftest import build_team, race
from tests.helpers import live_settings

N = 8


def build(app, now, *, film: bool):
    with app.app_context():
        village = build_team(N if film else 1, ("field_class", "mobile_film"), kit=True,
                             kit_qualified=True)
        members = db.session.scalars(select(Member).order_by(Member.id)).all()
        orders = []
        for i in range(N):
            orders.append(ordering.place_order(OrderRequest(
                topics=("anti_fraud",), format="mobile_film" if film else "field_class",
                place_kind="village", place_id=village.id, audience_type="villagers",
                audience_size=50, earliest=date(2026, 12, 7), latest=date(2026, 12, 7),
                requester_name=f"村民{i}", phone="13800001234"), now=now, settings=live_settings()))
        db.session.commit()
        slot = dispatch.order_slots(orders[0], now=now, settings=live_settings())[0]
        return [o.id for o in orders], [m.id for m in members], slot.start


def book_all(app, now, order_ids, member_ids, start):
    def work(i):
        order = db.session.get(Order, order_ids[i])
        member = db.session.get(Member, member_ids[i % len(member_ids)])
        session = dispatch.assign(order, member, start, now=now, actor=None, settings=live_settings())
        db.session.commit()
        return session.id

    return race(app, N, work)


def test_one_member_is_booked_once_for_one_time(race_app, now):
    order_ids, member_ids, start = build(race_app, now, film=False)
    results = book_all(race_app, now, order_ids, member_ids, start)
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int)), results
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LectureSession)) == 1


def test_one_kit_serves_one_screening_at_a_time(race_app, now, monkeypatch):
    race_app.config["FILM_SEASON_ALL_YEAR"] = True
    order_ids, member_ids, start = build(race_app, now, film=True)
    results = book_all(race_app, now, order_ids, member_ids, start)
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results  # eight members, but only one kit
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int)), results
