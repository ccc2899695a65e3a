"""Rule tables for the session formats and the candidate slots they propose."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lectureorder.domain.calendars import (
    DISTRICT,
    TZ,
    Blackout,
    HolidayOverride,
    MarketRule,
    Term,
    day_status,
    film_earliest_start,
    is_market_day,
    market_days,
    period_label,
    slot_label,
)
from lectureorder.domain.errors import DomainError
from lectureorder.domain.formats import (
    ALLOWED_PLACE_KINDS,
    ASSEMBLY_NOTE,
    RULES,
    SAFE_TRAVEL_NOTE,
    FieldClassRule,
    Format,
    KitAvailability,
    MarketTalkRule,
    MobileFilmRule,
    PlaceContext,
    SchoolTalkRule,
    Slot,
    SlotSettings,
    film_window,
    format_label,
    propose_slots,
)

D = date
MANY = SlotSettings(max_slots=1000)
SAN_LIU_JIU = MarketRule("lunar", digits=frozenset({3, 6, 9}))

VILLAGE = PlaceContext("village")
MARKET = PlaceContext("market", market=SAN_LIU_JIU)
SCHOOL = PlaceContext("school")
FILM_VILLAGE = PlaceContext("village", kits=(KitAvailability(1),))

PLACES = {
    Format.FIELD_CLASS: VILLAGE,
    Format.MARKET_TALK: MARKET,
    Format.MOBILE_FILM: FILM_VILLAGE,
    Format.SCHOOL_TALK: SCHOOL,
}


def _at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


NOW = _at(2026, 5, 1, 8)  # a Friday morning


# --- Labels and registry -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, zh, en",
    [
        ("field_class", "田间课堂", "Field class"),
        ("market_talk", "集市宣讲", "Market-day talk"),
        ("mobile_film", "流动电影", "Mobile film screening"),
        (Format.SCHOOL_TALK, "进校园", "School talk"),
    ],
)
def test_format_label(fmt, zh, en):
    assert format_label(fmt, "zh") == zh
    assert format_label(fmt, "en") == en


def test_registry_has_one_rule_per_format():
    assert set(RULES) == set(Format)
    assert isinstance(RULES[Format.FIELD_CLASS], FieldClassRule)
    assert isinstance(RULES[Format.MARKET_TALK], MarketTalkRule)
    assert isinstance(RULES[Format.MOBILE_FILM], MobileFilmRule)
    assert isinstance(RULES[Format.SCHOOL_TALK], SchoolTalkRule)


@pytest.mark.parametrize("fmt", ["concert", "", "FIELD_CLASS"])
def test_unknown_format(fmt):
    with pytest.raises(DomainError) as exc:
        propose_slots(fmt, VILLAGE, D(2026, 6, 1), D(2026, 6, 5), NOW)
    assert exc.value.field == "format"
    with pytest.raises(DomainError):
        format_label(fmt, "zh")


@pytest.mark.parametrize("fmt", list(Format))
def test_format_accepted_as_string_or_enum(fmt):
    args = (PLACES[fmt], D(2026, 6, 1), D(2026, 6, 10), NOW)
    assert propose_slots(fmt.value, *args) == propose_slots(fmt, *args)
    assert propose_slots(fmt, *args)


@pytest.mark.parametrize(
    "fmt, kind",
    [
        (fmt, kind)
        for fmt in Format
        for kind in ("village", "school", "market", "city")
        if kind not in ALLOWED_PLACE_KINDS[fmt]
    ],
)
def test_place_kind_a_format_cannot_use(fmt, kind):
    place = PlaceContext(kind, market=SAN_LIU_JIU, kits=(KitAvailability(1),))
    with pytest.raises(DomainError) as exc:
        propose_slots(fmt, place, D(2026, 6, 1), D(2026, 6, 5), NOW)
    assert exc.value.field == "place"


# --- Windows -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize(
    "earliest, latest",
    [
        (D(2026, 6, 10), D(2026, 6, 1)),  # reversed
        (D(2026, 3, 1), D(2026, 4, 30)),  # all before NOW
        (D(2026, 5, 1), D(2026, 8, 29)),  # 121 days
        (D(2026, 5, 1), D(2027, 5, 1)),
    ],
)
def test_bad_windows(fmt, earliest, latest):
    with pytest.raises(DomainError) as exc:
        propose_slots(fmt, PLACES[fmt], earliest, latest, NOW)
    assert exc.value.field == "window"


def test_longest_window_is_accepted_and_partly_past_is_fine():
    slots = propose_slots(Format.FIELD_CLASS, VILLAGE, D(2026, 1, 3), D(2026, 5, 2), NOW)
    assert [s.start for s in slots] == [_at(2026, 5, 2, 9, 30), _at(2026, 5, 2, 14, 30)]


def test_naive_now_is_refused():
    with pytest.raises(DomainError) as exc:
        propose_slots(
            Format.FIELD_CLASS, VILLAGE, D(2026, 6, 1), D(2026, 6, 2), datetime(2026, 5, 1)
        )
    assert exc.value.field == "now"


# --- Lead time, limits, ordering ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("lead", [0, 12, 48])
def test_min_lead(fmt, lead):
    now = _at(2026, 6, 1, 10, 5)  # Monday
    got = propose_slots(
        fmt,
        PLACES[fmt],
        D(2026, 6, 1),
        D(2026, 6, 20),
        now,
        SlotSettings(min_lead_hours=lead, max_slots=1000),
    )
    without_lead = propose_slots(
        fmt,
        PLACES[fmt],
        D(2026, 6, 1),
        D(2026, 6, 20),
        now - timedelta(days=3),
        SlotSettings(min_lead_hours=0, max_slots=1000),
    )
    not_before = now + timedelta(hours=lead)
    assert got == [s for s in without_lead if s.start >= not_before]
    assert got


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("max_slots", [1, 3, 12])
def test_max_slots_and_order(fmt, max_slots):
    place = PLACES[fmt]
    all_slots = propose_slots(fmt, place, D(2026, 6, 1), D(2026, 9, 15), NOW, MANY)
    got = propose_slots(
        fmt, place, D(2026, 6, 1), D(2026, 9, 15), NOW, SlotSettings(max_slots=max_slots)
    )
    assert got == all_slots[:max_slots]
    assert len(got) == max_slots
    assert all_slots == sorted(all_slots, key=lambda s: s.start)
    assert all(a.end <= b.start for a, b in zip(all_slots, all_slots[1:], strict=False))


def test_default_settings_give_at_most_twelve():
    slots = propose_slots(Format.FIELD_CLASS, VILLAGE, D(2026, 6, 1), D(2026, 8, 1), NOW)
    assert len(slots) == 12


# --- Field classes -----------------------------------------------------------------------------


def test_field_classes_are_daytime_every_day():
    slots = propose_slots(Format.FIELD_CLASS, VILLAGE, D(2026, 6, 1), D(2026, 6, 7), NOW, MANY)
    assert [(s.start.date(), s.start.time(), s.end.time()) for s in slots] == [
        (d, start, end)
        for d in (D(2026, 6, i) for i in range(1, 8))
        for start, end in ((time(9, 30), time(11)), (time(14, 30), time(16)))
    ]


def test_harvest_blackout_removes_field_classes():
    harvest = Blackout(D(2026, 8, 1), D(2026, 9, 20), label="麦收")
    place = PlaceContext("village", blackouts=(harvest,))
    slots = propose_slots(Format.FIELD_CLASS, place, D(2026, 7, 30), D(2026, 9, 22), NOW, MANY)
    assert sorted({s.start.date() for s in slots}) == [
        D(2026, 7, 30),
        D(2026, 7, 31),
        D(2026, 9, 21),
        D(2026, 9, 22),
    ]


def test_friday_morning_blackout_keeps_the_afternoon():
    prayer = Blackout(D(2020, 1, 1), D(2030, 12, 31), frozenset({5}), time(9), time(12), "主麻日")
    place = PlaceContext("village", blackouts=(prayer,))
    slots = propose_slots(Format.FIELD_CLASS, place, D(2026, 6, 1), D(2026, 6, 14), NOW, MANY)
    fridays = [s for s in slots if s.start.isoweekday() == 5]
    assert [s.start for s in fridays] == [_at(2026, 6, 5, 14, 30), _at(2026, 6, 12, 14, 30)]
    assert len(slots) == 14 * 2 - 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"daytime": (time(18), time(9))},
        {"field_class_slots": ((time(8), time(9, 30)),)},
        {"school_periods": ((time(11), time(10)),)},
        {"film_season_start": (2, 30)},
        {"max_slots": 0},
        {"max_window_days": 0},
        {"min_lead_hours": -1},
    ],
)
def test_bad_settings(kwargs):
    with pytest.raises(DomainError) as exc:
        SlotSettings(**kwargs)
    assert exc.value.field == "settings"


# --- Market talks ------------------------------------------------------------------------------

CYCLES = [
    MarketRule("lunar", digits=frozenset({3, 6, 9})),
    MarketRule("lunar", digits=frozenset({1, 4, 7})),
    MarketRule("lunar", digits=frozenset({5, 0}), missing_30="next"),
    MarketRule("lunar", days=frozenset({1, 15})),
    MarketRule("solar", digits=frozenset({2, 5, 8})),
    MarketRule("weekday", weekdays=frozenset({7})),
]


@pytest.mark.parametrize("rule", CYCLES, ids=lambda r: r.describe("en"))
def test_market_talks_exactly_on_market_days(rule):
    place = PlaceContext("market", market=rule)
    first, last = D(2025, 7, 1), D(2025, 10, 27)  # over the 2025 leap 6th month
    now = _at(2025, 6, 1)
    slots = propose_slots(Format.MARKET_TALK, place, first, last, now, MANY)
    assert [s.start.date() for s in slots] == market_days(rule, first, last)
    assert all(is_market_day(rule, s.start.date()) for s in slots)
    assert {(s.start.time(), s.end.time()) for s in slots} == {(time(9, 30), time(12))}


def test_market_hours_are_the_markets_own():
    place = PlaceContext("market", market=SAN_LIU_JIU, market_hours=(time(8), time(10, 30)))
    slots = propose_slots(Format.MARKET_TALK, place, D(2026, 6, 1), D(2026, 6, 30), NOW)
    assert {(s.start.time(), s.end.time()) for s in slots} == {(time(8), time(10, 30))}


def test_market_spring_pause_leaves_no_talks():
    rule = MarketRule("weekday", weekdays=frozenset(range(1, 8)), spring_festival_pause=(5, 15))
    place = PlaceContext("market", market=rule)
    slots = propose_slots(
        Format.MARKET_TALK, place, D(2027, 1, 25), D(2027, 2, 28), _at(2027, 1, 1), MANY
    )
    days = [s.start.date() for s in slots]
    assert max(d for d in days if d < D(2027, 2, 6)) == D(2027, 1, 31)
    assert min(d for d in days if d > D(2027, 2, 6)) == D(2027, 2, 22)


@pytest.mark.parametrize(
    "place",
    [
        PlaceContext("market"),
        PlaceContext("market", market=SAN_LIU_JIU, market_hours=(time(12), time(9, 30))),
        PlaceContext("market", market=SAN_LIU_JIU, market_hours=(time(9, 30), None)),
    ],
)
def test_market_without_rule_or_hours_is_refused(place):
    with pytest.raises(DomainError) as exc:
        propose_slots(Format.MARKET_TALK, place, D(2026, 6, 1), D(2026, 6, 5), NOW)
    assert exc.value.field == "place"


def test_market_blackout():
    ramadan_mornings = Blackout(D(2026, 6, 1), D(2026, 6, 15), start=time(11), end=time(12))
    place = PlaceContext("market", market=SAN_LIU_JIU, blackouts=(ramadan_mornings,))
    slots = propose_slots(Format.MARKET_TALK, place, D(2026, 6, 1), D(2026, 6, 30), NOW, MANY)
    assert slots and min(s.start.date() for s in slots) > D(2026, 6, 15)


# --- Mobile film -------------------------------------------------------------------------------


def test_film_starts_at_dusk_plus_15_and_ends_at_latest_end():
    slots = propose_slots(
        Format.MOBILE_FILM, FILM_VILLAGE, D(2026, 5, 1), D(2026, 8, 28), NOW, MANY
    )
    assert len(slots) == (D(2026, 8, 28) - D(2026, 5, 1)).days + 1
    for s in slots:
        d = s.start.date()
        assert s.start == film_earliest_start(d, *DISTRICT)
        assert s.end == datetime.combine(d, time(22, 30), TZ)
        assert s.notes == (SAFE_TRAVEL_NOTE,)
        assert s.kit_ids == (1,)


def test_film_uses_the_places_coordinates():
    west = PlaceContext("village", lat=36.5, lon=100.0, kits=(KitAvailability(1),))
    (slot,) = propose_slots(Format.MOBILE_FILM, west, D(2026, 6, 1), D(2026, 6, 1), NOW)
    assert slot.start == film_earliest_start(D(2026, 6, 1), 36.5, 100.0)
    assert slot.start > film_earliest_start(D(2026, 6, 1), *DISTRICT)


@pytest.mark.parametrize(
    "earliest, latest, now",
    [
        (D(2026, 10, 11), D(2026, 12, 31), _at(2026, 10, 1)),
        (D(2026, 1, 1), D(2026, 4, 30), _at(2025, 12, 1)),
    ],
)
def test_no_film_out_of_season(earliest, latest, now):
    assert propose_slots(Format.MOBILE_FILM, FILM_VILLAGE, earliest, latest, now, MANY) == []


def test_season_edges_are_included():
    slots = propose_slots(
        Format.MOBILE_FILM, FILM_VILLAGE, D(2026, 10, 9), D(2026, 10, 12), _at(2026, 10, 1), MANY
    )
    assert [s.start.date() for s in slots] == [D(2026, 10, 9), D(2026, 10, 10)]


def test_film_all_year_and_a_winter_start():
    settings = SlotSettings(film_season_all_year=True, max_slots=1000)
    slots = propose_slots(
        Format.MOBILE_FILM,
        FILM_VILLAGE,
        D(2026, 12, 10),
        D(2026, 12, 20),
        _at(2026, 12, 1),
        settings,
    )
    assert len(slots) == 11
    assert all(time(18, 35) <= s.start.time() <= time(18, 55) for s in slots)


def test_film_season_can_wrap_over_new_year():
    settings = SlotSettings(film_season_start=(11, 1), film_season_end=(2, 28), max_slots=1000)
    slots = propose_slots(
        Format.MOBILE_FILM, FILM_VILLAGE, D(2026, 10, 30), D(2027, 1, 2), _at(2026, 10, 1), settings
    )
    assert slots[0].start.date() == D(2026, 11, 1) and slots[-1].start.date() == D(2027, 1, 2)
    assert (
        propose_slots(
            Format.MOBILE_FILM,
            FILM_VILLAGE,
            D(2027, 3, 1),
            D(2027, 3, 5),
            _at(2027, 2, 1),
            settings,
        )
        == []
    )


def test_short_summer_evenings_fall_below_min_minutes():
    settings = SlotSettings(film_min_minutes=80, max_slots=1000)
    slots = propose_slots(
        Format.MOBILE_FILM, FILM_VILLAGE, D(2026, 6, 1), D(2026, 9, 28), NOW, settings
    )
    days = {s.start.date() for s in slots}
    assert D(2026, 6, 21) not in days  # 21:20–22:30 is 70 minutes
    assert D(2026, 9, 1) in days
    assert all(s.end - s.start >= timedelta(minutes=80) for s in slots)
    assert film_window(D(2026, 6, 21), *DISTRICT, settings) is None


def test_no_kit_no_screening():
    assert propose_slots(Format.MOBILE_FILM, VILLAGE, D(2026, 6, 1), D(2026, 6, 30), NOW) == []


def test_busy_kit_blocks_the_evening_it_overlaps():
    busy = KitAvailability(1, busy=((_at(2026, 6, 3, 22), _at(2026, 6, 4, 1)),))
    place = PlaceContext("village", kits=(busy,))
    slots = propose_slots(Format.MOBILE_FILM, place, D(2026, 6, 2), D(2026, 6, 5), NOW, MANY)
    assert [s.start.date() for s in slots] == [D(2026, 6, 2), D(2026, 6, 4), D(2026, 6, 5)]


@pytest.mark.parametrize("before", [True, False])
def test_kit_busy_right_up_to_the_screening_is_free(before):
    start = film_earliest_start(D(2026, 6, 3), *DISTRICT)
    end = _at(2026, 6, 3, 22, 30)
    taken = (start - timedelta(hours=3), start) if before else (end, end + timedelta(hours=3))
    busy = KitAvailability(1, busy=(taken,))
    place = PlaceContext("village", kits=(busy,))
    (slot,) = propose_slots(Format.MOBILE_FILM, place, D(2026, 6, 3), D(2026, 6, 3), NOW)
    assert slot.kit_ids == (1,)


def test_another_free_kit_saves_the_evening():
    evening = (_at(2026, 6, 3, 20), _at(2026, 6, 3, 23))
    kits = (
        KitAvailability(1, busy=(evening,)),
        KitAvailability(2),
        KitAvailability(3, busy=(evening,)),
    )
    place = PlaceContext("village", kits=kits)
    (slot,) = propose_slots(Format.MOBILE_FILM, place, D(2026, 6, 3), D(2026, 6, 3), NOW)
    assert slot.kit_ids == (2,)


def test_ramadan_evenings_block_screenings():
    ramadan = Blackout(
        D(2026, 6, 1), D(2026, 6, 10), start=time(18), end=time(22, 30), label="斋月"
    )
    place = PlaceContext("village", kits=(KitAvailability(1),), blackouts=(ramadan,))
    slots = propose_slots(Format.MOBILE_FILM, place, D(2026, 6, 1), D(2026, 6, 12), NOW, MANY)
    assert [s.start.date() for s in slots] == [D(2026, 6, 11), D(2026, 6, 12)]


# --- School talks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "earliest, latest, now",
    [
        (D(2026, 7, 13), D(2026, 8, 31), _at(2026, 7, 1)),  # summer vacation
        (D(2026, 1, 19), D(2026, 2, 27), _at(2026, 1, 1)),  # winter vacation, make-up Sat 14 Feb
        (D(2026, 10, 1), D(2026, 10, 7), _at(2026, 9, 1)),  # National Day
        (D(2026, 9, 25), D(2026, 9, 27), _at(2026, 9, 1)),  # Mid-autumn
    ],
)
def test_no_school_talks_in_vacation_or_holiday(earliest, latest, now):
    assert propose_slots(Format.SCHOOL_TALK, SCHOOL, earliest, latest, now, MANY) == []


def test_school_talks_over_national_day_resume_on_the_8th():
    slots = propose_slots(
        Format.SCHOOL_TALK, SCHOOL, D(2026, 9, 28), D(2026, 10, 12), _at(2026, 9, 1), MANY
    )
    days = sorted({s.start.date() for s in slots})
    assert days == [
        D(2026, 9, 28),
        D(2026, 9, 29),
        D(2026, 9, 30),
        D(2026, 10, 8),
        D(2026, 10, 9),
        D(2026, 10, 10),  # make-up Saturday
        D(2026, 10, 12),
    ]
    assert all(day_status(d).working for d in days)


def test_school_talks_on_make_up_sunday():
    slots = propose_slots(
        Format.SCHOOL_TALK, SCHOOL, D(2026, 9, 19), D(2026, 9, 20), _at(2026, 9, 1), MANY
    )
    assert {s.start.date() for s in slots} == {D(2026, 9, 20)}


def test_school_periods_and_monday_assembly():
    slots = propose_slots(Format.SCHOOL_TALK, SCHOOL, D(2026, 6, 1), D(2026, 6, 2), NOW, MANY)
    assert [(s.start, s.end, s.notes) for s in slots] == [
        (_at(2026, 6, 1, 8), _at(2026, 6, 1, 8, 40), (ASSEMBLY_NOTE,)),
        (_at(2026, 6, 1, 10, 10), _at(2026, 6, 1, 10, 55), ()),
        (_at(2026, 6, 1, 15), _at(2026, 6, 1, 15, 45), ()),
        (_at(2026, 6, 2, 10, 10), _at(2026, 6, 2, 10, 55), ()),
        (_at(2026, 6, 2, 15), _at(2026, 6, 2, 15, 45), ()),
    ]


def test_school_own_terms_and_overrides():
    place = PlaceContext(
        "school",
        terms=(Term(D(2027, 3, 8), D(2027, 7, 2)),),
        holiday_overrides=(HolidayOverride(D(2027, 3, 9), working=False, name="停课"),),
    )
    slots = propose_slots(
        Format.SCHOOL_TALK, place, D(2027, 3, 1), D(2027, 3, 12), _at(2027, 2, 1), MANY
    )
    assert sorted({s.start.date() for s in slots}) == [
        D(2027, 3, 8),
        D(2027, 3, 10),
        D(2027, 3, 11),
        D(2027, 3, 12),
    ]


def test_school_talks_skip_an_unconfirmed_2027_holiday():
    slots = propose_slots(
        Format.SCHOOL_TALK, SCHOOL, D(2027, 4, 1), D(2027, 4, 9), _at(2027, 3, 1), MANY
    )
    days = {s.start.date() for s in slots}
    assert D(2027, 4, 5) not in days  # 清明 by law
    assert D(2027, 4, 6) in days


@pytest.mark.parametrize(
    "day, school",
    [
        (D(2027, 10, 5), False),  # National Day week, customary
        (D(2027, 10, 8), True),
        (D(2027, 5, 4), False),  # Labour Day, customary
        (D(2027, 5, 6), True),
        (D(2027, 9, 15), False),  # Mid-autumn by law
    ],
)
def test_school_talks_skip_the_customary_2027_breaks(day, school):
    slots = propose_slots(Format.SCHOOL_TALK, SCHOOL, day, day, _at(2027, 3, 1), MANY)
    assert bool(slots) is school
    assert all(s.provisional for s in slots)


def test_school_talks_skip_the_2027_spring_festival_days():
    # A school whose own spring term starts right after the festival (除夕 5 Feb to 初六 11 Feb).
    place = PlaceContext("school", terms=(Term(D(2027, 2, 1), D(2027, 7, 2)),))
    slots = propose_slots(
        Format.SCHOOL_TALK, place, D(2027, 2, 1), D(2027, 2, 16), _at(2027, 1, 20), MANY
    )
    assert sorted({s.start.date() for s in slots}) == [
        D(2027, 2, 1), D(2027, 2, 2), D(2027, 2, 3), D(2027, 2, 4),
        D(2027, 2, 12), D(2027, 2, 15), D(2027, 2, 16),
    ]


def test_an_entered_override_beats_the_customary_break():
    place = PlaceContext(
        "school", holiday_overrides=(HolidayOverride(D(2027, 10, 9), working=True, name="调休"),
                                     HolidayOverride(D(2027, 10, 5), working=True, name="调休"))
    )
    slots = propose_slots(
        Format.SCHOOL_TALK, place, D(2027, 10, 1), D(2027, 10, 10), _at(2027, 9, 1), MANY
    )
    assert sorted({s.start.date() for s in slots}) == [
        D(2027, 10, 5), D(2027, 10, 8), D(2027, 10, 9),
    ]


@pytest.mark.parametrize(
    "fmt, earliest, latest, now, provisional",
    [
        (Format.FIELD_CLASS, D(2026, 12, 28), D(2026, 12, 31), _at(2026, 12, 1), False),
        (Format.FIELD_CLASS, D(2027, 1, 4), D(2027, 1, 8), _at(2026, 12, 1), True),
        (Format.SCHOOL_TALK, D(2026, 12, 7), D(2026, 12, 11), _at(2026, 12, 1), False),
        (Format.SCHOOL_TALK, D(2027, 3, 1), D(2027, 3, 5), _at(2026, 12, 1), True),
        (Format.MARKET_TALK, D(2026, 12, 2), D(2026, 12, 31), _at(2026, 12, 1), False),
        (Format.MARKET_TALK, D(2027, 3, 1), D(2027, 3, 31), _at(2026, 12, 1), True),
        (Format.MOBILE_FILM, D(2026, 6, 1), D(2026, 6, 5), _at(2026, 5, 1), False),
        (Format.MOBILE_FILM, D(2027, 6, 1), D(2027, 6, 5), _at(2027, 5, 1), True),
    ],
)
def test_slots_in_an_unpublished_year_are_provisional(fmt, earliest, latest, now, provisional):
    slots = propose_slots(fmt, PLACES[fmt], earliest, latest, now, MANY)
    assert slots
    assert {s.provisional for s in slots} == {provisional}
    assert all(s.label.endswith("（待定）") is provisional for s in slots)
    assert all(s.label_for("en").endswith(" (provisional)") is provisional for s in slots)


def test_a_window_across_new_year_marks_only_the_unpublished_days():
    slots = propose_slots(
        Format.FIELD_CLASS, VILLAGE, D(2026, 12, 30), D(2027, 1, 2), _at(2026, 12, 1), MANY
    )
    assert [(s.start.date(), s.provisional) for s in slots[::2]] == [
        (D(2026, 12, 30), False), (D(2026, 12, 31), False),
        (D(2027, 1, 1), True), (D(2027, 1, 2), True),
    ]


# --- Slots -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, overlap",
    [
        ((9, 10), (10, 11), False),
        ((9, 10), (9, 10), True),
        ((9, 11), (10, 12), True),
        ((9, 12), (10, 11), True),
        ((11, 12), (9, 11), False),
        ((9, 10), (12, 13), False),
    ],
)
def test_slots_are_half_open(a, b, overlap):
    first = Slot(_at(2026, 6, 1, a[0]), _at(2026, 6, 1, a[1]))
    second = Slot(_at(2026, 6, 1, b[0]), _at(2026, 6, 1, b[1]))
    assert first.overlaps(second) is overlap
    assert second.overlaps(first) is overlap


def test_slot_labels():
    slot = Slot(_at(2026, 12, 8, 9, 30), _at(2026, 12, 8, 11, 30))
    assert slot.label == "农历十月三十（12月8日 周二）09:30–11:30"
    assert slot.label_for("zh") == slot.label
    assert slot.label_for("en") == "Tue 8 Dec (lunar 10/30) 09:30–11:30"
    assert slot.label_for("zh") == slot_label(slot.start, slot.end)


def test_a_provisional_slot_says_so():
    slot = Slot(_at(2027, 3, 2, 10, 10), _at(2027, 3, 2, 10, 55), provisional=True)
    assert slot.label == "农历正月廿五（3月2日 周二）10:10–10:55（待定）"
    assert slot.label_for("en") == "Tue 2 Mar (lunar 1/25) 10:10–10:55 (provisional)"
    assert not Slot(_at(2027, 3, 2, 10, 10), _at(2027, 3, 2, 10, 55)).provisional  # default


@pytest.mark.parametrize(
    "start, end, lang, provisional, label",
    [
        (_at(2026, 12, 8, 9, 30), _at(2026, 12, 8, 11, 30), "zh", None,
         "农历十月三十（12月8日 周二）09:30–11:30"),
        (_at(2026, 12, 8, 9, 30), _at(2026, 12, 8, 11, 30), "zh_Hans_CN", None,
         "农历十月三十（12月8日 周二）09:30–11:30"),
        (_at(2026, 12, 8, 9, 30), _at(2026, 12, 8, 11, 30), "en", None,
         "Tue 8 Dec (lunar 10/30) 09:30–11:30"),
        # UTC in, Beijing time out (01:30Z is 09:30 local)
        (datetime(2026, 12, 8, 1, 30, tzinfo=UTC), datetime(2026, 12, 8, 3, 30, tzinfo=UTC), "zh",
         None, "农历十月三十（12月8日 周二）09:30–11:30"),
        # a UTC evening that is already the next Beijing day
        (datetime(2026, 12, 7, 23, 0, tzinfo=UTC), datetime(2026, 12, 8, 0, 30, tzinfo=UTC), "en",
         None, "Tue 8 Dec (lunar 10/30) 07:00–08:30"),
        (_at(2027, 1, 4, 9, 30), _at(2027, 1, 4, 11), "zh", None,
         "农历冬月廿七（1月4日 周一）09:30–11:00（待定）"),
        (_at(2027, 1, 4, 9, 30), _at(2027, 1, 4, 11), "en", None,
         "Mon 4 Jan (lunar 11/27) 09:30–11:00 (provisional)"),
        (_at(2027, 1, 4, 9, 30), _at(2027, 1, 4, 11), "zh", False,
         "农历冬月廿七（1月4日 周一）09:30–11:00"),
        (_at(2026, 6, 1, 20, 40), _at(2026, 6, 1, 22, 30), "en", True,
         "Mon 1 Jun (lunar 4/16) 20:40–22:30 (provisional)"),
        (_at(2025, 7, 30, 15), _at(2025, 7, 30, 15, 45), "zh", None,
         "农历闰六月初六（7月30日 周三）15:00–15:45"),
        (_at(2025, 7, 30, 15), _at(2025, 7, 30, 15, 45), "en", None,
         "Wed 30 Jul (lunar leap 6/6) 15:00–15:45"),
    ],
)
def test_the_one_slot_label_formatter(start, end, lang, provisional, label):
    assert slot_label(start, end, lang, provisional) == label


@pytest.mark.parametrize(
    "start, end, lang, label",
    [
        (_at(2026, 12, 8), _at(2026, 12, 9), "zh", "农历十月三十（12月8日 周二）"),
        (_at(2026, 12, 8), _at(2026, 12, 11), "en",
         "Tue 8 Dec (lunar 10/30) – Thu 10 Dec (lunar 11/2)"),
        (_at(2026, 12, 8, 9), _at(2026, 12, 8, 12), "zh", "农历十月三十（12月8日 周二）09:00–12:00"),
        # leave is not a slot: never marked provisional, even in 2027
        (_at(2027, 1, 4, 9), _at(2027, 1, 4, 12), "en", "Mon 4 Jan (lunar 11/27) 09:00–12:00"),
        (_at(2026, 12, 8, 14), _at(2026, 12, 9, 10), "en",
         "Tue 8 Dec (lunar 10/30) 14:00 – Wed 9 Dec (lunar 11/1) 10:00"),
    ],
)
def test_period_labels(start, end, lang, label):
    assert period_label(start, end, lang) == label


def test_labels_want_aware_times():
    with pytest.raises(DomainError):
        slot_label(datetime(2026, 12, 8, 9), datetime(2026, 12, 8, 10))


def test_slot_is_kept_in_local_time():
    from datetime import UTC

    slot = Slot(datetime(2026, 6, 1, 1, 30, tzinfo=UTC), datetime(2026, 6, 1, 3, tzinfo=UTC))
    assert slot.start == _at(2026, 6, 1, 9, 30) and slot.start.tzinfo is TZ
    assert slot.label.endswith("09:30–11:00")


@pytest.mark.parametrize(
    "start, end",
    [
        (datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 10)),
        (_at(2026, 6, 1, 10), _at(2026, 6, 1, 10)),
        (_at(2026, 6, 1, 10), _at(2026, 6, 1, 9)),
    ],
)
def test_bad_slots(start, end):
    with pytest.raises(DomainError):
        Slot(start, end)


# --- Invariants over random windows ------------------------------------------------------------


@settings(max_examples=60, deadline=None, database=None)
@given(
    fmt=st.sampled_from(list(Format)),
    first=st.dates(D(2026, 1, 1), D(2027, 12, 31)),
    length=st.integers(0, 40),
    now_offset_hours=st.integers(-24 * 10, 24 * 10),
)
def test_every_proposed_slot_keeps_every_rule(fmt, first, length, now_offset_hours):
    last = first + timedelta(days=length)
    now = datetime.combine(first, time(12), TZ) + timedelta(hours=now_offset_hours)
    if last < now.date():
        return
    blackout = Blackout(first, last, frozenset({3}), label="周三")
    place = {
        Format.FIELD_CLASS: VILLAGE,
        Format.MARKET_TALK: MARKET,
        Format.MOBILE_FILM: FILM_VILLAGE,
        Format.SCHOOL_TALK: SCHOOL,
    }[fmt]
    place = PlaceContext(**{**place.__dict__, "blackouts": (blackout,)})
    slots = propose_slots(fmt, place, first, last, now)
    assert len(slots) <= 12
    for s in slots:
        d = s.start.date()
        assert first <= d <= last
        assert s.start >= now + timedelta(hours=12)
        assert d.isoweekday() != 3
        if fmt is Format.MARKET_TALK:
            assert is_market_day(SAN_LIU_JIU, d)
        if fmt is Format.SCHOOL_TALK:
            assert day_status(d).working
        if fmt is Format.MOBILE_FILM:
            assert (5, 1) <= (d.month, d.day) <= (10, 10)
            assert s.start >= film_earliest_start(d, *DISTRICT)
