"""Moving sessions: a coordinator's move, and rain calling off an evening's screenings."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lectureorder.domain.calendars import TZ
from lectureorder.domain.errors import DomainError
from lectureorder.models import AuditEvent, EquipmentKit, Notification
from lectureorder.services import dispatch, ordering, scheduling
from tests.helpers import live_settings
from tests.services.test_loop import request_for


@pytest.fixture
def film_season(app):
    app.config["FILM_SEASON_ALL_YEAR"] = True


def book(db, world, member, now, **changes):
    """Place an order and give it to `member` at its first valid slot (as a coordinator would)."""
    order = ordering.place_order(request_for(world, **changes), now=now, settings=live_settings())
    db.session.commit()
    first = next(s for s in dispatch.order_slots(order, now=now, settings=live_settings())
                 if not scheduling.why_not(member, s.start, s.end, order.township_id))
    session = dispatch.assign(order, member, first.start, now=now, actor=None, settings=live_settings())
    db.session.commit()
    return order, session


def test_coordinator_moves_a_session_and_both_sides_are_told(db, world, make_member, coordinator, now):
    member = make_member()
    order, session = book(db, world, member, now)
    earliest, latest = scheduling.reschedule_window(session, now=now)
    options = [s for s in scheduling.free_slots_for_session(session, earliest, latest, now=now, settings=live_settings())
               if s.start != session.start]
    target = options[3]
    scheduling.reschedule_session(session, target.start, now=now, actor=coordinator, reason="村里有事", settings=live_settings())
    db.session.commit()
    assert (session.start, session.end) == (target.start, target.end)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reschedule"))
    assert event.actor_id == coordinator.id and event.detail["to"] == target.start.isoformat()
    kinds = {(n.kind, n.recipient_kind) for n in db.session.scalars(select(Notification))}
    assert {("session_moved", "member"), ("session_moved", "requester")} <= kinds


def test_move_refuses_a_time_that_was_not_proposed(db, world, make_member, now):
    member = make_member()
    _, session = book(db, world, member, now)
    with pytest.raises(DomainError) as info:
        scheduling.reschedule_session(session, session.start + timedelta(minutes=13), now=now, settings=live_settings())
    assert info.value.field == "slot_start"


def test_move_never_lands_on_the_members_other_session(db, world, make_member, now):
    member = make_member()
    _, first = book(db, world, member, now)
    _, second = book(db, world, member, now, requester_name="李四")
    earliest, latest = scheduling.reschedule_window(second, now=now)
    options = scheduling.free_slots_for_session(second, earliest, latest, now=now, settings=live_settings())
    assert all(not (s.start < first.end and first.start < s.end) for s in options)


def screening(db, world, member, now, village):
    return book(db, world, member, now, format="mobile_film", place_id=village.id,
                earliest=date(2026, 12, 7), latest=date(2026, 12, 7))


def test_rain_moves_each_screening_to_its_next_free_evening(db, world, make_member, now, film_season):
    db.session.add(EquipmentKit(name="放映车二号"))
    db.session.commit()
    a = make_member(name="放映员甲", kit_qualified=True)
    b = make_member(name="放映员乙", kit_qualified=True)
    _, first = screening(db, world, a, now, world.village)
    _, second = screening(db, world, b, now, world.far_village)
    evening = first.start.astimezone(TZ).date()
    assert second.start.astimezone(TZ).date() == evening
    # another screening already holds one kit on the next evening
    c = make_member(name="放映员丙", kit_qualified=True)
    _, blocker = book(db, world, c, now, format="mobile_film", place_id=world.village.id,
                      earliest=evening + timedelta(days=1), latest=evening + timedelta(days=1))
    plan = scheduling.rain_out(evening, now=now, settings=live_settings())
    db.session.commit()
    new_days = sorted(s.start.astimezone(TZ).date() for s, slot in plan)
    assert new_days == [evening + timedelta(days=1), evening + timedelta(days=2)]
    assert all(slot is not None for _, slot in plan)
    kits = {s.kit_id for s in (first, second, blocker) if s.start.astimezone(TZ).date() == evening + timedelta(days=1)}
    assert len(kits) == 2  # never two screenings on one kit


def test_rain_with_no_free_evening_goes_back_to_the_coordinator(db, world, make_member, now, film_season, app):
    member = make_member(name="放映员", kit_qualified=True)
    order, session = screening(db, world, member, now, world.village)
    evening = session.start.astimezone(TZ).date()
    from datetime import datetime, time

    from lectureorder.models import Leave

    db.session.add(Leave(member_id=member.id,
                         start=datetime.combine(evening + timedelta(days=1), time(0), TZ),
                         end=datetime.combine(evening + timedelta(days=60), time(0), TZ)))
    db.session.commit()
    plan = scheduling.rain_out(evening, now=now, settings=live_settings())
    db.session.commit()
    assert plan[0][1] is None
    assert session.status == "cancelled" and order.status == "needs_attention"
