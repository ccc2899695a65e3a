"""The calendar service: query parsing, periods, clash detection, day flags, filters, JSON span."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InvalidRequestError

from lectureorder.domain import calendars as cal
from lectureorder.domain.errors import DomainError, ValidationFailed
from lectureorder.models import EquipmentKit, HolidayOverride, LectureSession, Market
from lectureorder.services import calendar_view as cv
from tests.calendar_builders import add_session, add_waiting_order
from tests.helpers import local_dt

TODAY = date(2026, 12, 1)


def parse(**args):
    return cv.parse_query(args, today=TODAY)


# ------------------------------------------------------------------------------------ parsing

@pytest.mark.parametrize(("args", "view", "anchor", "fields"), [
    ({}, "month", TODAY, []),
    ({"view": "week", "date": "2026-12-09"}, "week", date(2026, 12, 9), []),
    ({"view": "agenda"}, "agenda", TODAY, []),
    ({"view": "year"}, "month", TODAY, ["view"]),
    ({"date": "2026-13-01"}, "month", TODAY, ["date"]),
    ({"date": "yesterday"}, "month", TODAY, ["date"]),
    ({"date": "2026-2-1"}, "month", TODAY, ["date"]),
    ({"date": "1850-01-01"}, "month", TODAY, ["date"]),
    ({"date": "2099-12-31"}, "month", TODAY, ["date"]),
    ({"township": "x", "member": "-1", "format": "opera", "status": "lost", "topic": "t" * 41},
     "month", TODAY, ["township", "member", "format", "status", "topic"]),
])
def test_parse_query_keeps_what_is_usable(args, view, anchor, fields):
    query, problems = cv.parse_query(args, today=TODAY)
    assert (query.view, query.anchor) == (view, anchor)
    assert [p.field for p in problems] == fields
    assert all(isinstance(p, DomainError) and p.reason for p in problems)
    assert query.filter_args() == {}


def test_parse_query_reads_filters():
    query, problems = parse(township="3", member="7", format="market_talk", status="any",
                            topic="anti_fraud")
    assert problems == []
    assert query.filter_args() == {"township": "3", "member": "7", "format": "market_talk",
                                   "status": "any", "topic": "anti_fraud"}
    assert query.filtered


def test_member_views_have_their_own_default():
    query, problems = cv.parse_query({"view": "agenda"}, today=TODAY, views=("week", "month"))
    assert query.view == "week" and [p.field for p in problems] == ["view"]


@pytest.mark.parametrize(("view", "anchor", "first", "last", "prev", "nxt"), [
    # December 2026 starts on a Tuesday and ends on a Thursday: whole Monday-first weeks.
    ("month", date(2026, 12, 17), date(2026, 11, 30), date(2027, 1, 3), date(2026, 11, 1),
     date(2027, 1, 1)),
    ("month", date(2027, 2, 1), date(2027, 2, 1), date(2027, 2, 28), date(2027, 1, 1),
     date(2027, 3, 1)),
    ("week", date(2026, 12, 6), date(2026, 11, 30), date(2026, 12, 6), date(2026, 11, 23),
     date(2026, 12, 7)),
    ("agenda", date(2026, 12, 6), date(2026, 12, 6), date(2026, 12, 19), date(2026, 11, 22),
     date(2026, 12, 20)),
])
def test_periods(view, anchor, first, last, prev, nxt):
    assert cv.period_of(view, anchor) == (first, last, prev, nxt)


# ----------------------------------------------------------------------------------- clashes

def brute_force_clashes(rows):
    """Every (id, kind) that overlaps another live session of the same member or kit."""
    found = set()
    live = [r for r in rows if r["status"] != "cancelled"]
    for a in live:
        for b in live:
            if a["id"] == b["id"] or not (a["start"] < b["end"] and b["start"] < a["end"]):
                continue
            if a["people"] & b["people"]:
                found.add((a["id"], "member"))
            if a["kit"] is not None and a["kit"] == b["kit"]:
                found.add((a["id"], "kit"))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_clashes_match_brute_force(db, world, make_member, seed):
    rng = random.Random(seed)
    members = [make_member(name=f"队员{i}") for i in range(4)]
    kits = [world.kit, EquipmentKit(name="放映车二号")]
    db.session.add(kits[1])
    db.session.commit()
    # PostgreSQL refuses a lead's or a kit's overlapping live sessions (exclusion constraints):
    # there, only helpers can clash, and the rows it would refuse are not added.
    constrained = db.engine.dialect.name == "postgresql"
    rows = []
    for _ in range(40):
        start = local_dt(date(2026, 12, 1) + timedelta(days=rng.randrange(4)), rng.randrange(6, 22),
                         rng.choice([0, 30]))
        lead = rng.choice(members)
        helpers = [m for m in members if m is not lead and rng.random() < 0.15]
        kit = rng.choice(kits) if rng.random() < 0.3 else None
        status = rng.choice(["scheduled"] * 4 + ["delivered", "cancelled"])
        minutes = rng.choice([45, 90, 150])
        end = start + timedelta(minutes=minutes)
        if constrained and status != "cancelled" and any(
                r["status"] != "cancelled" and r["start"] < end and start < r["end"]
                and (r["lead"] == lead.id or (kit is not None and r["kit"] == kit.id))
                for r in rows):
            continue
        s = add_session(db, world, lead, start, minutes=minutes, kit=kit,
                        status=status, helpers=helpers, with_order=False)
        rows.append({"id": s.id, "start": s.start, "end": s.end, "status": status,
                     "lead": lead.id, "people": {lead.id} | {h.id for h in helpers},
                     "kit": kit.id if kit else None})
    clash = cv.clash_subquery(local_dt(date(2026, 12, 1), 0), local_dt(date(2026, 12, 5), 0))
    got = {(sid, kind) for sid, kind in db.session.execute(select(clash.c.sid, clash.c.kind))}
    assert got == brute_force_clashes(rows)
    assert got  # the seeds do produce clashes


def test_touching_sessions_do_not_clash(db, world, make_member):
    m = make_member()
    add_session(db, world, m, local_dt(date(2026, 12, 3), 9), minutes=60, kit=world.kit)
    add_session(db, world, m, local_dt(date(2026, 12, 3), 10), minutes=60, kit=world.kit)
    clash = cv.clash_subquery(local_dt(date(2026, 12, 1), 0), local_dt(date(2026, 12, 5), 0))
    assert db.session.execute(select(clash.c.sid)).all() == []


# ------------------------------------------------------------------------------- a month page

def month(now, **args):
    query, problems = cv.parse_query({"date": "2026-12-01", **args}, today=TODAY)
    assert problems == []
    return cv.calendar_page(query, now=now)


def day_of(page, d):
    return next(x for x in page.days if x.day == d)


def test_month_page_days_and_flags(db, world, make_member, now):
    db.session.add(HolidayOverride(day=date(2026, 12, 12), working=True, name="调休"))
    db.session.commit()
    page = month(now)
    assert page.first == date(2026, 11, 30) and len(page.days) == 35
    assert day_of(page, date(2026, 12, 1)).is_today
    assert not day_of(page, date(2026, 11, 30)).in_period
    market_days = [d.day for d in page.days if d.markets]
    rule = cal.MarketRule.from_contract(world.market.cycle)
    assert market_days == [d.day for d in page.days if cal.is_market_day(rule, d.day)]
    assert day_of(page, market_days[0]).markets == ("三合集市（示例）",)
    first = day_of(page, date(2026, 12, 1))
    assert first.lunar_zh == cal.lunar_label(date(2026, 12, 1)).removeprefix("农历")
    # 2027 has no official arrangement yet: New Year's Day is an estimated day off.
    new_year = day_of(page, date(2027, 1, 1))
    assert new_year.holiday and new_year.unconfirmed
    assert day_of(page, date(2026, 12, 12)).makeup_workday  # an admin-entered 调休 Saturday
    assert not day_of(page, date(2026, 12, 13)).unconfirmed  # 2026 is published


def test_holidays_and_makeup_days_in_october(db, world, now):
    query, _ = cv.parse_query({"date": "2026-10-01"}, today=TODAY)
    page = cv.calendar_page(query, now=now)
    national = day_of(page, date(2026, 10, 1))
    assert national.holiday and national.status.holiday_name == "National Day"
    assert not national.unconfirmed
    assert day_of(page, date(2026, 10, 10)).makeup_workday


def test_sessions_clashes_and_waiting_orders(db, world, make_member, now):
    a, b, c = make_member(name="甲"), make_member(name="乙"), make_member(name="丙")
    s1 = add_session(db, world, a, local_dt(date(2026, 12, 3), 9))
    s2 = add_session(db, world, c, local_dt(date(2026, 12, 3), 10), helpers=[a])  # a: two places
    s3 = add_session(db, world, b, local_dt(date(2026, 12, 3), 19), fmt="mobile_film", kit=world.kit)
    kit_clash = {"kit"}
    if db.engine.dialect.name == "postgresql":  # no_kit_overlap: such a clash cannot be stored
        with pytest.raises(IntegrityError, match="no_kit_overlap"):
            add_session(db, world, a, local_dt(date(2026, 12, 3), 20), fmt="mobile_film",
                        kit=world.kit)
        db.session.rollback()
        s4 = add_session(db, world, a, local_dt(date(2026, 12, 3), 20), fmt="mobile_film")
        kit_clash = set()
    else:  # SQLite keeps what an older version let through; the calendar shows it
        s4 = add_session(db, world, a, local_dt(date(2026, 12, 3), 20), fmt="mobile_film",
                         kit=world.kit)
    add_session(db, world, b, local_dt(date(2026, 12, 4), 9), status="cancelled")
    add_waiting_order(db, world, date(2026, 12, 7), date(2026, 12, 9))
    add_waiting_order(db, world, date(2027, 2, 1), date(2027, 2, 9))  # not on this page
    page = month(now)
    day = day_of(page, date(2026, 12, 3))
    assert [i.lecture.id for i in day.items] == [s1.id, s2.id, s3.id, s4.id]
    assert {i.lecture.id: i.clashes for i in day.items} == {
        s1.id: {"member"}, s2.id: {"member"}, s3.id: kit_clash, s4.id: kit_clash}
    assert (day.total, day.clash_count) == (4, 2 + 2 * len(kit_clash))
    assert day_of(page, date(2026, 12, 4)).total == 0  # cancelled ones are hidden by default
    assert [d.day.day for d in page.days if d.waiting] == [7, 8, 9]
    assert len(page.waiting) == 1
    cancelled = month(now, status="cancelled")
    assert day_of(cancelled, date(2026, 12, 4)).total == 1 and cancelled.waiting == []


def test_month_cells_show_the_first_few_and_count_the_rest(db, world, make_member, now):
    members = [make_member(name=f"队员{i}") for i in range(cv.MONTH_CELL_LIMIT + 2)]
    for i, m in enumerate(members):
        add_session(db, world, m, local_dt(date(2026, 12, 8), 8 + i))
    day = day_of(month(now), date(2026, 12, 8))
    assert len(day.items) == cv.MONTH_CELL_LIMIT and day.total == len(members) and day.more == 2
    query, _ = cv.parse_query({"view": "agenda", "date": "2026-12-08"}, today=TODAY)
    agenda = cv.calendar_page(query, now=now)
    assert len(agenda.days[0].items) == len(members)


def test_filters(db, world, make_member, now):
    a, b = make_member(name="甲"), make_member(name="乙")
    field = add_session(db, world, a, local_dt(date(2026, 12, 3), 9), topics=("two_cards",))
    film = add_session(db, world, b, local_dt(date(2026, 12, 3), 19), fmt="mobile_film",
                       township=world.far, helpers=[a])
    delivered = add_session(db, world, b, local_dt(date(2026, 12, 2), 9), status="delivered")

    def ids(**args):
        return sorted(i.lecture.id for d in month(now, **args).days for i in d.items)

    assert ids() == sorted([field.id, film.id, delivered.id])
    assert ids(township=str(world.far.id)) == [film.id]
    assert ids(format="mobile_film") == [film.id]
    assert ids(topic="two_cards") == [field.id]
    assert ids(member=str(a.id)) == sorted([field.id, film.id])  # a helps at the film
    assert ids(status="delivered") == [delivered.id]
    assert ids(status="any", member=str(b.id)) == sorted([film.id, delivered.id])


def test_unknown_ids_are_ignored_with_a_message(db, world, now):
    page = month(now, township="999", member="999", topic="no_such_talk")
    assert {e.field for e in page.ignored} == {"township", "member", "topic"}
    assert page.query.filter_args() == {}


def test_a_member_page_shows_only_their_sessions(db, world, make_member, now):
    a, b = make_member(name="甲"), make_member(name="乙")
    mine = add_session(db, world, a, local_dt(date(2026, 12, 3), 9))
    helping = add_session(db, world, b, local_dt(date(2026, 12, 4), 9), helpers=[a])
    add_session(db, world, b, local_dt(date(2026, 12, 5), 9))
    # Filters in the query string cannot widen a member's page.
    query, _ = cv.parse_query({"member": str(b.id), "township": str(world.far.id)}, today=TODAY)
    page = cv.calendar_page(query, now=now, member=a)
    assert sorted(i.lecture.id for d in page.days for i in d.items) == [mine.id, helping.id]
    assert page.waiting == [] and page.members == []


def test_broken_market_cycle_does_not_break_the_page(db, world, now):
    db.session.add(Market(township_id=world.town.id, name="坏集", cycle={"calendar": "moon"}))
    db.session.commit()
    assert len(month(now).days) == 35


# --------------------------------------------------------------------------- JSON feed range

@pytest.mark.parametrize(("first", "last", "fields"), [
    (None, None, {"from", "to"}),
    (date(2026, 12, 1), None, {"to"}),
    (date(2026, 12, 2), date(2026, 12, 1), {"to"}),
    (date(2026, 1, 1), date(2027, 1, 2), {"to"}),          # 367 days; 366 is the most
    (date(1800, 1, 1), date(1800, 1, 2), {"from", "to"}),
])
def test_span_errors(first, last, fields):
    with pytest.raises((DomainError, ValidationFailed)) as info:
        cv.check_span(first, last)
    errors = info.value.errors if isinstance(info.value, ValidationFailed) else [info.value]
    assert {e.field for e in errors} == fields


@pytest.mark.parametrize(("first", "last"), [
    (date(2028, 1, 1), date(2028, 12, 31)),  # a leap year
    (date(2026, 1, 1), date(2027, 1, 1)),    # 366 days
    (date(2026, 12, 1), date(2026, 12, 1)),
])
def test_spans_allowed(first, last):
    assert cv.check_span(first, last) == (first, last)


def test_sessions_between_uses_beijing_days(db, world, make_member):
    m = make_member()
    early = add_session(db, world, m, local_dt(date(2026, 12, 1), 0, 30))  # 16:30 UTC the day before
    late = add_session(db, world, m, local_dt(date(2026, 12, 1), 23, 30), minutes=30)
    add_session(db, world, m, local_dt(date(2026, 12, 2), 0, 0))
    rows = cv.sessions_between(date(2026, 12, 1), date(2026, 12, 1))
    assert [s.id for s in rows] == [early.id, late.id]
    assert rows[0].start == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    with pytest.raises(InvalidRequestError):  # an unplanned lazy load raises
        rows[0].helpers  # noqa: B018
    assert isinstance(rows[0], LectureSession)
