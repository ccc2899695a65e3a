"""Leave and limits: validated, merged, audited, and honoured by matching and booking."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from lectureorder.domain import availability as av
from lectureorder.domain.calendars import TZ
from lectureorder.domain.errors import Conflict, ValidationFailed
from lectureorder.models import AuditEvent, Leave, Member
from lectureorder.services import dispatch, ordering, scheduling, team
from tests.services.test_loop import request_for


def local(d: date, h: int = 0, m: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, h, m, tzinfo=TZ)


DEC7, DEC8, DEC9 = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)


def fields(exc: ValidationFailed) -> set:
    return {e.field for e in exc.errors}


BAD_PERIODS = [
    (None, local(DEC8), "start"),
    (local(DEC8), None, "end"),
    (local(DEC8), local(DEC8), "end"),                        # ends when it starts
    (local(DEC8), local(DEC7), "end"),                        # ends before it starts
    (local(DEC8), local(DEC8) + timedelta(days=367), "end"),  # longer than a year
    (local(date(2026, 11, 20)), local(date(2026, 11, 25)), "end"),  # already over
]


def test_bad_leave_is_refused_with_the_field(db, make_member, now, coordinator):
    member = make_member()
    for start, end, field in BAD_PERIODS:
        with pytest.raises(ValidationFailed) as info:
            team.add_leave(member, start, end, "", now=now, actor=coordinator)
        assert field in fields(info.value), (start, end)
        db.session.rollback()
    assert db.session.scalars(select(Leave)).all() == []


def test_a_long_reason_is_refused(db, make_member, now):
    member = make_member()
    with pytest.raises(ValidationFailed) as info:
        team.add_leave(member, local(DEC7), local(DEC8), "很" * 121, now=now, actor=None)
    assert fields(info.value) == {"reason"}


def test_overlapping_and_touching_leave_is_merged(db, make_member, now):
    member = make_member()
    team.add_leave(member, local(DEC7), local(DEC8), "培训", now=now, actor=member.user)
    team.add_leave(member, local(DEC9), local(DEC9, 12), "", now=now, actor=member.user)
    db.session.commit()
    assert len(member.leaves) == 2
    result = team.add_leave(member, local(DEC7, 12), local(DEC9), "出差", now=now,
                            actor=member.user)
    db.session.commit()
    assert result.merged == 2
    (leave,) = member.leaves
    assert (leave.start, leave.end) == (local(DEC7), local(DEC9, 12))
    assert leave.reason == "培训；出差"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "member"))
    assert list(actions) == ["leave_add"] * 3


def test_merging_may_not_make_leave_longer_than_a_year(db, make_member, now):
    member = make_member()
    team.add_leave(member, local(DEC7), local(DEC7) + timedelta(days=300), "", now=now, actor=None)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        team.add_leave(member, local(DEC7) + timedelta(days=200), local(DEC7) + timedelta(days=400),
                       "", now=now, actor=None)


def test_leave_keeps_orders_away_and_reports_sessions_inside_it(db, world, make_member, now, dispatch_pass):
    member = make_member()
    booked = ordering.place_order(request_for(world, earliest=DEC7, latest=DEC7), now=now)
    dispatch_pass()
    db.session.commit()
    offer = booked.offers[0]
    session = dispatch.accept_offer(offer.id, member, offer.slot_times[0][0], now=now)
    db.session.commit()
    result = team.add_leave(member, local(DEC7), local(DEC9), "病假", now=now, actor=member.user)
    db.session.commit()
    assert result.clashes == (session,)  # stays booked; the page tells them to call
    order = ordering.place_order(request_for(world, requester_name="李四", earliest=DEC7,
                                             latest=DEC8), now=now)
    dispatch_pass()
    db.session.commit()
    assert order.status == "needs_attention"  # the only member is on leave
    ranking, _slots = dispatch.candidates_for(order, now=now)
    assert "leave" in ranking.excluded[0].reasons
    assert "leave" in av.reason_codes(
        scheduling.why_not(member, local(DEC8, 10), local(DEC8, 11), None))


def test_deleting_leave_only_for_its_member(db, make_member, now):
    member = make_member(name="甲")
    other = make_member(name="乙")
    leave = team.add_leave(other, local(DEC7), local(DEC8), "", now=now, actor=None).leave
    db.session.commit()
    with pytest.raises(LookupError):
        team.delete_leave(member, leave.id, now=now, actor=member.user)
    with pytest.raises(LookupError):
        team.delete_leave(member, 99999, now=now, actor=member.user)
    team.delete_leave(other, leave.id, now=now, actor=other.user)
    db.session.commit()
    assert other.leaves == [] and db.session.get(Leave, leave.id) is None


def test_adding_leave_bumps_the_schedule_version(db, make_member, now):
    """So a booking that checked leave before it was entered cannot commit after it."""
    member = make_member()
    before = member.schedule_version
    team.add_leave(member, local(DEC7), local(DEC8), "", now=now, actor=None)
    db.session.commit()
    assert member.schedule_version == before + 1


def changes(**overrides) -> team.MemberChanges:
    base = dict(daily_cap=2, weekly_cap=5, active=True, formats=("field_class",),
                specialties=("anti_fraud",), kit_qualified=False)
    return team.MemberChanges(**(base | overrides))


BAD_CHANGES = [
    ({"daily_cap": 0}, "daily_cap"), ({"daily_cap": 11}, "daily_cap"),
    ({"daily_cap": None}, "daily_cap"), ({"weekly_cap": 31}, "weekly_cap"),
    ({"weekly_cap": 0}, "weekly_cap"), ({"daily_cap": 4, "weekly_cap": 3}, "weekly_cap"),
    ({"formats": ("karaoke",)}, "formats"), ({"specialties": ("astrology",)}, "specialties"),
]


def test_bad_member_changes_are_refused(db, make_member, now, coordinator):
    member = make_member()
    for overrides, field in BAD_CHANGES:
        with pytest.raises(ValidationFailed) as info:
            team.update_member(member, changes(**overrides), now=now, actor=coordinator)
        assert fields(info.value) == {field}, overrides
    assert (member.daily_cap, member.weekly_cap) == (2, 5)


def test_coordinator_changes_limits_formats_topics(db, world, make_member, now, coordinator, dispatch_pass):
    member = make_member()
    team.update_member(member, changes(daily_cap=3, weekly_cap=9, formats=("mobile_film", "school_talk"),
                                       specialties=("traffic_safety", "anti_fraud"),
                                       kit_qualified=True, active=False),
                       now=now, actor=coordinator)
    db.session.commit()
    assert (member.daily_cap, member.weekly_cap, member.active, member.kit_qualified) == (3, 9, False, True)
    assert member.formats == ["mobile_film", "school_talk"]
    assert [t.code for t in member.specialties] == ["anti_fraud", "traffic_safety"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member_update"))
    assert event.actor_id == coordinator.id
    assert event.detail["daily_cap"] == {"from": 2, "to": 3}
    # Inactive members get no orders.
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    assert order.status == "needs_attention"


def test_stale_member_change_is_a_conflict(db, make_member, now, coordinator):
    """Someone else changed the member meanwhile: a Conflict (409), never a raw StaleDataError."""
    member = make_member()
    db.session.execute(update(Member).where(Member.id == member.id)
                       .values(schedule_version=Member.schedule_version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(Conflict):
        team.update_member(member, changes(daily_cap=4), now=now, actor=coordinator)
    db.session.rollback()
    db.session.execute(update(Member).where(Member.id == member.id)
                       .values(schedule_version=Member.schedule_version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(Conflict):
        team.add_leave(member, local(DEC7), local(DEC8), "", now=now, actor=coordinator)
