"""The vectorised matcher and ``availability.why_not`` agree on every (member, slot) pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lectureorder.domain import availability, matching

# Beijing midnight opening Monday 1 June 2026 (16:00 UTC the day before): minute 0 below.
BASE = datetime(2026, 5, 31, 16, 0, tzinfo=UTC)
DAY = 24 * 60
# Wednesday of the middle week, 12:00 Beijing; sessions lie a week before to two weeks after.
NOW = BASE + timedelta(days=9, hours=12)
NOW_MIN = (NOW - BASE) // timedelta(minutes=1)
FIRST_MIN, LAST_MIN = 0, 3 * 7 * DAY

TIME_CODES = frozenset({"leave", "busy", "cap_day", "cap_week"})
TOWNSHIPS = st.sampled_from([1, 2, 3, 4, None])
# The buffers and a minute either side of them, and touching (0).
GAPS = st.sampled_from([0, 1, 19, 20, 21, 59, 60, 61, 90])
DURATIONS = st.sampled_from([30, 45, 60, 90, 120, 180])
TOPIC = "anti_fraud"
FORMAT = "field_class"

# Derandomized and without an example database: CI sees the same cases every run.
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def minutes(lo: int = FIRST_MIN, hi: int = LAST_MIN) -> st.SearchStrategy[int]:
    """Any minute in [lo, hi], or one near a Beijing midnight (16:00 UTC), often a Monday's."""
    near_midnight = st.builds(
        lambda day, off: min(hi, max(lo, day * DAY + off)),
        st.integers(lo // DAY, hi // DAY) | st.sampled_from([7, 14]),
        st.sampled_from([-90, -60, -31, -30, -1, 0, 1, 30, 31, 60, 90]),
    )
    return st.integers(lo, hi) | near_midnight


def at(minute: int) -> datetime:
    return BASE + timedelta(minutes=minute)


SESSIONS = st.lists(st.tuples(minutes(), DURATIONS, TOWNSHIPS), max_size=8).map(
    lambda rows: tuple(matching.Busy(at(m), at(m + d), town) for m, d, town in rows)
)
LEAVE = st.lists(
    st.tuples(minutes(), st.sampled_from([30, 120, 600, DAY, 3 * DAY])), max_size=2
).map(lambda rows: tuple((at(m), at(m + d)) for m, d in rows))


def profiles(member_id: int) -> st.SearchStrategy[matching.MemberProfile]:
    return st.builds(
        matching.MemberProfile,
        id=st.just(member_id),
        name=st.just(f"队员{member_id}"),
        busy=SESSIONS,
        leave=LEAVE,
        daily_cap=st.integers(1, 3),
        weekly_cap=st.integers(1, 6),
        topics=st.just(frozenset({TOPIC})),
        formats=st.just(frozenset({FORMAT})),
    )


@st.composite
def teams(draw) -> list[matching.MemberProfile]:
    size = draw(st.integers(1, 12))
    return [draw(profiles(member_id)) for member_id in range(1, size + 1)]


@st.composite
def slots(draw, team: list[matching.MemberProfile]) -> tuple[datetime, datetime]:
    """A slot after NOW: anywhere, or set just a buffer (give or take a minute) from one of
    the team's sessions or leave periods."""
    length = timedelta(minutes=draw(DURATIONS))
    edges = [(s.start, s.end) for m in team for s in m.busy] + [p for m in team for p in m.leave]
    if edges and draw(st.booleans()):
        start, end = draw(st.sampled_from(edges))
        gap = timedelta(minutes=draw(GAPS))
        if draw(st.booleans()):
            slot = (end + gap, end + gap + length)  # after the session
        else:
            slot = (start - gap - length, start - gap)  # before it
        if slot[0] > NOW:
            return slot
    start = draw(minutes(NOW_MIN + 1, LAST_MIN))
    return at(start), at(start) + length


@st.composite
def cases(draw, max_slots: int = 1):
    team = draw(teams())
    township = draw(TOWNSHIPS)
    chosen = draw(st.lists(slots(team), min_size=1, max_size=max_slots))
    return team, township, chosen


def time_codes(reasons) -> set[str]:
    return set(reasons) & TIME_CODES


def need(township: int | None, chosen) -> matching.OrderNeed:
    return matching.OrderNeed(
        id=1, topics=frozenset({TOPIC}), format=FORMAT, township_id=township, venue=None,
        slots=tuple(chosen),
    )


@SETTINGS
@given(cases(max_slots=3))
def test_eligibility_agrees_with_why_not_for_every_member_and_slot(case):
    team, township, chosen = case
    for slot in chosen:
        assert slot[0] > NOW
        order = need(township, [slot])
        for profile in team:
            rule = set(availability.reason_codes(availability.why_not(profile, slot, township)))
            reasons, free = matching.eligibility(order, profile, NOW)
            # The profile passes every rule but time's, and the slot is ahead: any other code
            # would mean the case is not testing what it should.
            assert set(reasons) <= TIME_CODES, reasons
            assert time_codes(reasons) == rule, (profile, slot, township)
            assert free == (() if rule else (slot,))
            for code in sorted(rule) or ["free"]:
                event(code)


@settings(SETTINGS, max_examples=150)
@given(cases(max_slots=6))
def test_rank_candidates_offers_exactly_the_slots_why_not_allows(case):
    team, township, chosen = case
    ranking = matching.rank_candidates(need(township, chosen), team, NOW)
    live = sorted(set(chosen))  # the matcher orders the slots and drops repeats
    expected = {}
    closed = {}
    for profile in team:
        rules = {slot: availability.why_not(profile, slot, township) for slot in live}
        free = tuple(slot for slot in live if not rules[slot])
        if free:
            expected[profile.id] = free
        else:
            closed[profile.id] = set().union(*(availability.reason_codes(r)
                                               for r in rules.values()))
    got = {c.member_id: c.free_slots for c in ranking.candidates}
    assert got == expected
    # Everyone else is excluded, with the union of the reasons that closed each slot.
    assert {e.member_id: time_codes(e.reasons) for e in ranking.excluded} == closed
