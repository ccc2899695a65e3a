"""The availability rule as tables: each reason alone and together, buffers, Beijing days, ISO weeks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from lectureorder.domain import availability
from lectureorder.domain.availability import (
    CODES,
    Buffers,
    Busy,
    Kit,
    Member,
    Reason,
    Unavailable,
    day_bounds,
    day_start,
    days_utc,
    free_kits,
    horizon,
    local_day,
    reason_codes,
    require_free,
    week_bounds,
    why_not,
)
from lectureorder.domain.calendars import TZ
from lectureorder.domain.errors import Conflict

MIN = timedelta(minutes=1)


def bj(day: int, hour: int = 0, minute: int = 0, month: int = 6) -> datetime:
    """A Beijing wall-clock moment of 2026 (1 June is a Monday), as aware UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def utc(day: int, hour: int = 0, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# Wednesday 3 June, 10:00–11:30 Beijing, at a venue in township 1.
SLOT = (bj(3, 10), bj(3, 11, 30))
TOWN = 1


def member(**changes) -> Member:
    """A member with room in the day and week: nothing closes the slot unless a row says so."""
    fields = dict(id=1, name="队员甲", daily_cap=2, weekly_cap=5)
    fields.update(changes)
    return Member(**fields)


def busy(start: datetime, end: datetime, town: int | None = TOWN, sid: int | None = None) -> Busy:
    return Busy(start, end, town, sid)


def codes(*args, **kwargs) -> tuple[str, ...]:
    return reason_codes(why_not(*args, **kwargs))


# --- each reason alone, and all together ------------------------------------------------------

# The slot's day ends with an evening session far from the slot (no clash): counts for the day.
EVENING = busy(bj(3, 18), bj(3, 19))
# Monday of the same ISO week: counts for the week only.
MONDAY = busy(bj(1, 10), bj(1, 11))
OVERLAPPING = busy(bj(3, 11), bj(3, 12))
KIT_BUSY = Kit(7, (busy(bj(3, 9), bj(3, 12)),))

ALONE = [
    ("free", {}, None, ()),
    ("leave", {"leave": ((bj(3, 0), bj(4, 0)),)}, None, ("leave",)),
    ("busy", {"busy": (OVERLAPPING,), "daily_cap": 3}, None, ("busy",)),
    ("cap_day", {"busy": (EVENING,), "daily_cap": 1}, None, ("cap_day",)),
    ("cap_week", {"busy": (MONDAY,), "weekly_cap": 1}, None, ("cap_week",)),
    ("kit", {}, [KIT_BUSY], ("kit",)),
    ("no kit at all", {}, [], ("kit",)),
    # Under the cap by one is fine.
    ("one below the daily cap", {"busy": (EVENING,), "daily_cap": 2}, None, ()),
    ("one below the weekly cap", {"busy": (MONDAY, EVENING), "weekly_cap": 3}, None, ()),
    # A cap of zero closes every slot.
    ("daily cap 0", {"daily_cap": 0}, None, ("cap_day",)),
    ("weekly cap 0", {"weekly_cap": 0}, None, ("cap_week",)),
]


@pytest.mark.parametrize(("changes", "kits", "expected"), [r[1:] for r in ALONE],
                         ids=[r[0] for r in ALONE])
def test_each_reason_alone(changes, kits, expected):
    assert codes(member(**changes), SLOT, TOWN, kits=kits) == expected


def test_every_reason_is_reported_together_in_the_documented_order():
    person = member(
        leave=((bj(3, 11), bj(3, 13)),),
        busy=(OVERLAPPING, MONDAY),
        daily_cap=1,
        weekly_cap=2,
    )
    reasons = why_not(person, SLOT, TOWN, kits=[KIT_BUSY])
    assert reason_codes(reasons) == CODES == ("leave", "busy", "cap_day", "cap_week", "kit")
    with pytest.raises(Unavailable) as caught:
        require_free(person, SLOT, TOWN, kits=[KIT_BUSY])
    assert caught.value.codes == CODES
    assert caught.value.reasons == reasons


PAIRS = [
    ("leave+busy", {"leave": ((bj(3, 9), bj(3, 10, 1)),), "busy": (OVERLAPPING,), "daily_cap": 3},
     ("leave", "busy")),
    ("busy+cap_day", {"busy": (OVERLAPPING,), "daily_cap": 1}, ("busy", "cap_day")),
    ("cap_day+cap_week", {"busy": (EVENING,), "daily_cap": 1, "weekly_cap": 1},
     ("cap_day", "cap_week")),
    ("leave+cap_week", {"leave": ((bj(3, 10), bj(3, 11)),), "busy": (MONDAY,), "weekly_cap": 1},
     ("leave", "cap_week")),
]


@pytest.mark.parametrize(("changes", "expected"), [r[1:] for r in PAIRS], ids=[r[0] for r in PAIRS])
def test_reasons_combine_in_order(changes, expected):
    assert codes(member(**changes), SLOT, TOWN) == expected


# --- travel buffers -------------------------------------------------------------------------

# (session's township, venue's township, the buffer that applies)
BUFFER_PAIRS = [
    (1, 1, 20),
    (1, 2, 60),
    (2, 1, 60),
    (None, 1, 60),
    (1, None, 60),
    (None, None, 60),
]


@pytest.mark.parametrize("side", ["before", "after"])
@pytest.mark.parametrize(("gap", "is_busy"), [(0, False), (-1, True)], ids=["exact", "short"])
@pytest.mark.parametrize(("session_town", "venue_town", "minutes"), BUFFER_PAIRS)
def test_buffer_edges(session_town, venue_town, minutes, gap, is_busy, side):
    """A session exactly a buffer away is fine; one minute closer is busy (either side)."""
    distance = timedelta(minutes=minutes + gap)
    if side == "before":
        session = busy(SLOT[0] - distance - timedelta(hours=1), SLOT[0] - distance, session_town)
    else:
        session = busy(SLOT[1] + distance, SLOT[1] + distance + timedelta(hours=1), session_town)
    reasons = why_not(member(busy=(session,), daily_cap=9), SLOT, venue_town)
    assert reason_codes(reasons) == (("busy",) if is_busy else ())
    if is_busy:
        assert reasons[0].params["minutes"] == minutes


TOWNSHIPS = [
    ("20 min within one township", busy(bj(3, 9), bj(3, 9, 40), 1), 1, ()),
    ("20 min to another township", busy(bj(3, 9), bj(3, 9, 40), 2), 1, ("busy",)),
    ("20 min, unknown session township", busy(bj(3, 9), bj(3, 9, 40), None), 1, ("busy",)),
    ("20 min, unknown venue township", busy(bj(3, 9), bj(3, 9, 40), 1), None, ("busy",)),
    ("an hour to another township", busy(bj(3, 8), bj(3, 9), 2), 1, ()),
    ("touching the slot, same township", busy(bj(3, 9, 30), bj(3, 10), 1), 1, ("busy",)),
    ("inside the slot", busy(bj(3, 10, 15), bj(3, 10, 45), 1), 1, ("busy",)),
    ("covering the slot", busy(bj(3, 6), bj(3, 14), 1), 1, ("busy",)),
]


@pytest.mark.parametrize(("session", "venue_town", "expected"), [r[1:] for r in TOWNSHIPS],
                         ids=[r[0] for r in TOWNSHIPS])
def test_buffer_within_and_across_townships(session, venue_town, expected):
    assert codes(member(busy=(session,), daily_cap=9), SLOT, venue_town) == expected


def test_buffers_are_a_parameter():
    session = busy(bj(3, 9), bj(3, 9, 50), 2)  # 10 min before, another township
    person = member(busy=(session,), daily_cap=9)
    assert codes(person, SLOT, TOWN, buffers=Buffers(travel=timedelta(minutes=10))) == ()
    reasons = why_not(person, SLOT, TOWN, buffers=Buffers(travel=timedelta(minutes=11)))
    assert reason_codes(reasons) == ("busy",)
    assert reasons[0].params["minutes"] == 11


@pytest.mark.parametrize(
    ("a", "b", "minutes"),
    [(1, 1, 20), (1, 2, 60), (None, 1, 60), (1, None, 60), (None, None, 60)],
)
def test_buffers_between(a, b, minutes):
    assert availability.DEFAULT_BUFFERS.between(a, b) == timedelta(minutes=minutes)


# --- Beijing days and ISO weeks for the caps ----------------------------------------------------

DAY_EDGES = [
    # A session at 23:30 Beijing and a slot at 00:30 the next Beijing day: one UTC day
    # (15:30 and 16:30 UTC on 2 June), two Beijing days.
    ("23:30 then 00:30 next Beijing day", busy(bj(2, 23, 30), bj(2, 23, 50)),
     (bj(3, 0, 30), bj(3, 1, 30)), ()),
    # 07:30 and 09:00 Beijing on 3 June are 23:30 on 2 June and 01:00 on 3 June in UTC.
    ("07:30 and 09:00 one Beijing day", busy(bj(3, 7, 30), bj(3, 8)),
     (bj(3, 9), bj(3, 10)), ("cap_day",)),
    ("a session at Beijing midnight counts for that day", busy(bj(3, 0), bj(3, 0, 30)),
     SLOT, ("cap_day",)),
    ("a session at 23:59 counts for the day before", busy(bj(2, 23, 59), bj(3, 0, 20)),
     SLOT, ()),
    # A session counts on the day it starts, even when it runs past midnight.
    ("a session across midnight counts where it starts", busy(bj(2, 22), bj(3, 0, 30)),
     SLOT, ()),
    ("a session across midnight does not count the next day", busy(bj(2, 22), bj(3, 0, 30)),
     (bj(2, 10), bj(2, 11)), ("cap_day",)),
    # The slot's day is the day it starts, too.
    ("a slot across midnight belongs to its start day", busy(bj(3, 10), bj(3, 11)),
     (bj(3, 23, 30), bj(4, 0, 30)), ("cap_day",)),
    ("a slot starting at midnight belongs to the new day", busy(bj(3, 10), bj(3, 11)),
     (bj(4, 0), bj(4, 1)), ()),
]


@pytest.mark.parametrize(("session", "slot", "expected"), [r[1:] for r in DAY_EDGES],
                         ids=[r[0] for r in DAY_EDGES])
def test_daily_cap_counts_beijing_days(session, slot, expected):
    assert codes(member(busy=(session,), daily_cap=1, weekly_cap=9), slot, TOWN) == expected


def test_the_day_edges_are_utc_traps():
    """The rows above mean what they say: the UTC days are the other way round."""
    assert utc(2, 15, 30).date() == utc(2, 16, 30).date()  # 23:30 and 00:30 Beijing
    assert bj(2, 23, 30) == utc(2, 15, 30) and bj(3, 0, 30) == utc(2, 16, 30)
    assert bj(3, 7, 30) == utc(2, 23, 30) and bj(3, 9) == utc(3, 1)


WEEK_EDGES = [
    # Sunday 7 June 23:00 and Monday 8 June 08:00 Beijing: two ISO weeks
    # (15:00 Sunday and 00:00 Monday UTC).
    ("Sunday 23:00 and Monday 08:00", busy(bj(7, 23), bj(7, 23, 30)),
     (bj(8, 8), bj(8, 9)), ()),
    # Monday 8 June 07:00 Beijing is Sunday 23:00 UTC: the Beijing week is the slot's.
    ("Monday 07:00 Beijing is Sunday in UTC", busy(bj(8, 7), bj(8, 7, 30)),
     (bj(8, 10), bj(8, 11)), ("cap_week",)),
    ("Monday 00:00 opens the week", busy(bj(1, 0), bj(1, 0, 30)),
     (bj(7, 22), bj(7, 23)), ("cap_week",)),
    ("Sunday 23:59 closes the week before", busy(bj(31, 23, 59, month=5), bj(1, 0, 30)),
     (bj(1, 10), bj(1, 11)), ()),
    ("a later week does not count backwards", busy(bj(8, 10), bj(8, 11)),
     (bj(7, 10), bj(7, 11)), ()),
]


@pytest.mark.parametrize(("session", "slot", "expected"), [r[1:] for r in WEEK_EDGES],
                         ids=[r[0] for r in WEEK_EDGES])
def test_weekly_cap_counts_beijing_iso_weeks(session, slot, expected):
    assert codes(member(busy=(session,), daily_cap=9, weekly_cap=1), slot, TOWN) == expected


def test_caps_count_sessions_outside_the_buffer_too():
    """Caps count every session that starts in the day or week, clashing or not."""
    week = tuple(busy(bj(d, 10), bj(d, 11)) for d in (1, 2, 4, 5))  # Mon, Tue, Thu, Fri
    person = member(busy=week + (EVENING,), daily_cap=2, weekly_cap=5)
    assert codes(person, SLOT, TOWN) == ("cap_week",)
    assert codes(replace(person, weekly_cap=6), SLOT, TOWN) == ()
    assert codes(replace(person, daily_cap=1, weekly_cap=6), SLOT, TOWN) == ("cap_day",)


# --- leave --------------------------------------------------------------------------------------

LEAVE = [
    ("ends as the slot starts", (bj(2, 0), SLOT[0]), ()),
    ("starts as the slot ends", (SLOT[1], bj(4, 0)), ()),
    ("overlaps the start by a minute", (bj(2, 0), SLOT[0] + MIN), ("leave",)),
    ("overlaps the end by a minute", (SLOT[1] - MIN, bj(4, 0)), ("leave",)),
    ("inside the slot", (bj(3, 10, 30), bj(3, 11)), ("leave",)),
    ("covers the slot", (bj(1, 0), bj(8, 0)), ("leave",)),
    ("another day", (bj(4, 0), bj(5, 0)), ()),
]


@pytest.mark.parametrize(("period", "expected"), [r[1:] for r in LEAVE], ids=[r[0] for r in LEAVE])
def test_leave_overlap(period, expected):
    """Leave needs no buffer: half-open periods that merely touch the slot are fine."""
    assert codes(member(leave=(period,)), SLOT, TOWN) == expected


def test_leave_added_after_the_offer_was_sent_closes_the_slot():
    """The rule reads leave when it is asked: free at offer time, unavailable at accept time."""
    at_offer = member(busy=(MONDAY,))
    assert why_not(at_offer, SLOT, TOWN) == ()
    assert require_free(at_offer, SLOT, TOWN) is None
    at_accept = replace(at_offer, leave=at_offer.leave + ((bj(3, 8), bj(3, 12)),))
    assert codes(at_accept, SLOT, TOWN) == ("leave",)
    with pytest.raises(Unavailable) as caught:
        require_free(at_accept, SLOT, TOWN, field="slot_start")
    assert caught.value.codes == ("leave",)
    assert caught.value.field == "slot_start"


# --- a session being moved ---------------------------------------------------------------------

MOVED = busy(bj(3, 9, 30), bj(3, 11), sid=7)  # the session's old time, overlapping the new one


def test_a_moved_session_neither_clashes_nor_counts_against_itself():
    person = member(busy=(MOVED,), daily_cap=1, weekly_cap=1)
    assert codes(person, SLOT, TOWN) == ("busy", "cap_day", "cap_week")
    assert codes(person, SLOT, TOWN, ignore_session_id=7) == ()
    assert require_free(person, SLOT, TOWN, ignore_session_id=7) is None


def test_ignoring_a_session_keeps_the_others():
    other = busy(bj(3, 18), bj(3, 19), sid=8)
    unknown = busy(bj(1, 10), bj(1, 11))  # no session id: never ignored
    person = member(busy=(MOVED, other, unknown), daily_cap=1, weekly_cap=2)
    assert codes(person, SLOT, TOWN, ignore_session_id=7) == ("cap_day", "cap_week")
    assert codes(person, SLOT, TOWN, ignore_session_id=99) == ("busy", "cap_day", "cap_week")


def test_a_moved_screening_keeps_its_own_kit():
    kit = Kit(3, (busy(bj(3, 9), bj(3, 12), sid=7),))
    assert codes(member(), SLOT, TOWN, kits=[kit]) == ("kit",)
    assert codes(member(), SLOT, TOWN, kits=[kit], ignore_session_id=7) == ()
    assert free_kits([kit], SLOT, ignore_session_id=7) == (3,)
    assert require_free(member(), SLOT, TOWN, kits=[kit], ignore_session_id=7) == 3


# --- kits ---------------------------------------------------------------------------------------

def kit(kit_id: int, *periods: tuple[datetime, datetime]) -> Kit:
    return Kit(kit_id, tuple(busy(a, b) for a, b in periods))


KITS = [
    ("none given: no kit check", None, (), None),
    ("no kits at all", [], ("kit",), ()),
    ("the only kit is busy", [kit(1, (bj(3, 11), bj(3, 12)))], ("kit",), ()),
    ("all kits busy", [kit(1, (bj(3, 9), bj(3, 11))), kit(2, SLOT)], ("kit",), ()),
    ("one of two free", [kit(1, SLOT), kit(2, (bj(4, 10), bj(4, 12)))], (), (2,)),
    ("both free: lowest first", [kit(5), kit(2)], (), (2, 5)),
    # The member drives the kit: no travel buffer for kits.
    ("kit busy until the slot starts", [kit(4, (bj(3, 8), SLOT[0]))], (), (4,)),
    ("kit busy from the slot's end", [kit(4, (SLOT[1], bj(3, 14)))], (), (4,)),
    ("kit busy one minute into the slot", [kit(4, (bj(3, 8), SLOT[0] + MIN))], ("kit",), ()),
]


@pytest.mark.parametrize(("kits", "expected", "free"), [r[1:] for r in KITS],
                         ids=[r[0] for r in KITS])
def test_kits(kits, expected, free):
    assert codes(member(), SLOT, TOWN, kits=kits) == expected
    if kits is not None:
        assert free_kits(kits, SLOT) == free
    if expected:
        with pytest.raises(Unavailable):
            require_free(member(), SLOT, TOWN, kits=kits)
    else:
        assert require_free(member(), SLOT, TOWN, kits=kits) == (free[0] if free else None)


def test_require_free_accepts_any_iterable_of_kits():
    """The kits are read twice (check, then pick): a generator must not run dry in between."""
    kits = (k for k in [kit(1, SLOT), kit(2)])
    assert require_free(member(), SLOT, TOWN, kits=kits) == 2


def test_a_member_who_is_not_free_is_refused_before_the_kit_is_picked():
    with pytest.raises(Unavailable) as caught:
        require_free(member(daily_cap=0), SLOT, TOWN, kits=[kit(1)])
    assert caught.value.codes == ("cap_day",)


# --- messages -----------------------------------------------------------------------------------

def render(reason: Reason) -> str:
    return reason.message % reason.params if reason.params else reason.message


def test_messages_carry_their_params():
    person = member(
        name="李警官",
        leave=((bj(3, 10), bj(3, 11)),),
        # Two clashes: the earliest is named, in Beijing time.
        busy=(busy(bj(3, 11), bj(3, 12), 2), busy(bj(3, 8, 45), bj(3, 9, 45), 1), MONDAY),
        daily_cap=2,
        weekly_cap=3,
    )
    reasons = {r.code: r for r in why_not(person, SLOT, TOWN, kits=[])}
    assert dict(reasons["leave"].params) == {"name": "李警官"}
    assert dict(reasons["busy"].params) == {
        "name": "李警官", "start": "08:45", "end": "09:45", "minutes": 20,
    }
    assert dict(reasons["cap_day"].params) == {"name": "李警官", "n": 2}
    assert dict(reasons["cap_week"].params) == {"name": "李警官", "n": 3}
    assert dict(reasons["kit"].params) == {}
    # The wording may change; what the person must read in it may not.
    rendered = {code: render(r) for code, r in reasons.items()}
    assert all("李警官" in text for code, text in rendered.items() if code != "kit")
    assert all(fact in rendered["busy"] for fact in ("08:45", "09:45", "20"))
    assert " 2 " in rendered["cap_day"] and " 3 " in rendered["cap_week"]
    assert rendered["kit"] == availability.MESSAGES["kit"]


def test_the_busy_message_names_the_travel_buffer_of_the_clash():
    reasons = why_not(member(busy=(busy(bj(3, 12), bj(3, 13), 3),)), SLOT, TOWN)
    assert dict(reasons[0].params) == {"name": "队员甲", "start": "12:00", "end": "13:00",
                                       "minutes": 60}


def test_unavailable_is_a_conflict_with_the_first_message():
    person = member(busy=(OVERLAPPING,), daily_cap=1)
    with pytest.raises(Conflict) as caught:
        require_free(person, SLOT, TOWN, field="slot")
    error = caught.value
    assert isinstance(error, Unavailable)
    assert error.field == "slot"
    assert error.codes == ("busy", "cap_day")
    assert error.reason == availability.MESSAGES["busy"]
    assert error.params == dict(error.reasons[0].params)
    assert "has another session from 11:00 to 12:00" in str(error)


def test_unavailable_needs_a_reason():
    with pytest.raises(ValueError):
        Unavailable(None, [])


def test_every_code_has_a_message():
    assert tuple(availability.MESSAGES) == CODES


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("end", [SLOT[0], SLOT[0] - MIN], ids=["empty", "backwards"])
def test_a_slot_must_end_after_it_starts(end):
    with pytest.raises(ValueError, match="end after it starts"):
        why_not(member(), (SLOT[0], end), TOWN)
    with pytest.raises(ValueError):
        require_free(member(), (SLOT[0], end), TOWN)


NAIVE_SLOT = (datetime(2026, 6, 3, 2), datetime(2026, 6, 3, 3, 30))


NAIVE = [
    ("naive slot, aware session", member(busy=(OVERLAPPING,)), NAIVE_SLOT),
    ("naive slot, aware leave", member(leave=((bj(3, 0), bj(4, 0)),)), NAIVE_SLOT),
    ("naive session, aware slot", member(busy=(Busy(NAIVE_SLOT[0], NAIVE_SLOT[1], TOWN),)), SLOT),
    ("naive leave, aware slot", member(leave=(NAIVE_SLOT,)), SLOT),
]


@pytest.mark.parametrize(("person", "slot"), [r[1:] for r in NAIVE], ids=[r[0] for r in NAIVE])
def test_naive_times_mixed_with_aware_ones_raise(person, slot):
    with pytest.raises((TypeError, ValueError)):  # a naive slot is refused before comparing
        why_not(person, slot, TOWN)


def test_a_naive_slot_is_refused_even_when_there_is_nothing_to_compare():
    """A slot without a time zone cannot be placed in a Beijing day: refused outright, not
    "free" because nothing happened to be compared with it."""
    with pytest.raises(ValueError):
        why_not(member(), NAIVE_SLOT, TOWN)


# --- Beijing days and ISO weeks as helpers --------------------------------------------------------

@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (utc(2, 15, 59), date(2026, 6, 2)),  # 23:59 Beijing
        (utc(2, 16, 0), date(2026, 6, 3)),  # 00:00 Beijing
        (utc(2, 23, 30), date(2026, 6, 3)),
        (datetime(2026, 6, 3, 0, 30, tzinfo=TZ), date(2026, 6, 3)),
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_local_day(moment, day):
    assert local_day(moment) == day


def test_day_start_and_days_utc():
    assert day_start(date(2026, 6, 3)) == utc(2, 16)
    assert day_start(date(2026, 6, 3)).tzinfo is UTC
    assert days_utc(date(2026, 6, 3), date(2026, 6, 3)) == (utc(2, 16), utc(3, 16))
    assert days_utc(date(2026, 6, 1), date(2026, 6, 7)) == (utc(31, 16, month=5), utc(7, 16))


@pytest.mark.parametrize(
    ("moment", "day", "week"),
    [
        # Wednesday
        (bj(3, 10), (utc(2, 16), utc(3, 16)), (utc(31, 16, month=5), utc(7, 16))),
        # Beijing midnight opens its day
        (bj(3, 0), (utc(2, 16), utc(3, 16)), (utc(31, 16, month=5), utc(7, 16))),
        # Sunday 23:00 Beijing: still the week of 1 June
        (bj(7, 23), (utc(6, 16), utc(7, 16)), (utc(31, 16, month=5), utc(7, 16))),
        # Monday 08:00 Beijing (00:00 UTC): the next week
        (bj(8, 8), (utc(7, 16), utc(8, 16)), (utc(7, 16), utc(14, 16))),
        # Monday 07:00 Beijing is Sunday 23:00 UTC: the Beijing week wins
        (utc(7, 23), (utc(7, 16), utc(8, 16)), (utc(7, 16), utc(14, 16))),
    ],
)
def test_day_and_week_bounds(moment, day, week):
    assert day_bounds(moment) == day
    assert week_bounds(moment) == week
    assert day[0] <= moment < day[1]
    assert week[0] <= moment < week[1]


@pytest.mark.parametrize(
    ("slot", "expected"),
    [
        # Mid-week: the week is wider than the buffer
        (SLOT, (utc(31, 16, month=5), utc(7, 16))),
        # Monday 00:30: an hour of travel reaches back into Sunday
        ((bj(1, 0, 30), bj(1, 1, 30)), (bj(31, 23, 30, month=5), utc(7, 16))),
        # Sunday 23:30 to Monday 00:30: the hour after reaches 01:30 Monday
        ((bj(7, 23, 30), bj(8, 0, 30)), (utc(31, 16, month=5), bj(8, 1, 30))),
    ],
)
def test_horizon_covers_the_week_and_the_travel_buffer(slot, expected):
    assert horizon(slot) == expected
