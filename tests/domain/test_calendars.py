"""Rule tables for lunar dates, market cycles, holidays, school days, dusk and blackouts."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from lunar_python import LunarMonth, Solar

from lectureorder.domain import calendars
from lectureorder.domain.calendars import (
    DISTRICT,
    TZ,
    Blackout,
    DayStatus,
    HolidayOverride,
    LunarDate,
    MarketRule,
    Term,
    blocked,
    customary_breaks,
    date_label,
    day_status,
    default_terms,
    dusk_at,
    estimated_days_off,
    film_earliest_start,
    is_market_day,
    is_school_day,
    is_working_day,
    lunar_label,
    lunar_of,
    market_days,
    solar_of_lunar,
    statutory_holidays,
    sunset_at,
)
from lectureorder.domain.errors import DomainError

D = date


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# Windows holding the 2023 leap 2nd month, the 2025 leap 6th month, and Spring Festivals.
SAMPLE_DAYS = (
    _span(D(2023, 2, 1), D(2023, 5, 31))
    + _span(D(2025, 6, 1), D(2025, 9, 30))
    + _span(D(2026, 1, 10), D(2026, 3, 31))
)


def _library_lunar(d: date) -> LunarDate:
    """The answer straight from lunar-python, with none of our caching or bisection."""
    lunar = Solar.fromYmd(d.year, d.month, d.day).getLunar()
    month = lunar.getMonth()
    return LunarDate(
        year=lunar.getYear(),
        month=abs(month),
        day=lunar.getDay(),
        leap=month < 0,
        month_days=LunarMonth.fromYm(lunar.getYear(), month).getDayCount(),
    )


@pytest.fixture(scope="module")
def library_lunar() -> dict[date, LunarDate]:
    return {d: _library_lunar(d) for d in SAMPLE_DAYS}


# --- Lunar dates -------------------------------------------------------------------------------


def test_sample_covers_short_long_and_leap_months(library_lunar):
    # Otherwise the cycle tables below would prove less than they claim.
    kinds = {(ld.leap, ld.month_days) for ld in library_lunar.values()}
    assert {(True, 29), (False, 29), (False, 30)} <= kinds
    assert {(ld.year, ld.month) for ld in library_lunar.values() if ld.leap} == {
        (2023, 2),
        (2025, 6),
    }


def test_lunar_of_agrees_with_lunar_python(library_lunar):
    wrong = {d: (lunar_of(d), want) for d, want in library_lunar.items() if lunar_of(d) != want}
    assert wrong == {}


def test_lunar_of_agrees_with_lunar_python_across_decades():
    days = [D(2000, 1, 1) + timedelta(days=37 * i) for i in range(300)]
    assert [lunar_of(d) for d in days] == [_library_lunar(d) for d in days]


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2025, 7, 24), LunarDate(2025, 6, 30, False, 30)),
        (D(2025, 7, 25), LunarDate(2025, 6, 1, True, 29)),
        (D(2025, 8, 22), LunarDate(2025, 6, 29, True, 29)),
        (D(2025, 8, 23), LunarDate(2025, 7, 1, False, 30)),
        (D(2023, 3, 22), LunarDate(2023, 2, 1, True, 29)),
        (D(2026, 2, 16), LunarDate(2025, 12, 29, False, 29)),
        (D(2026, 2, 17), LunarDate(2026, 1, 1, False, 30)),
    ],
)
def test_lunar_of_known_days(day, expected):
    assert lunar_of(day) == expected


@pytest.mark.parametrize(
    "args, expected",
    [
        ((2025, 6, 1, True), D(2025, 7, 25)),
        ((2025, 6, 1, False), D(2025, 6, 25)),
        ((2025, 6, 30, True), None),  # the leap 6th month of 2025 has 29 days
        ((2025, 2, 30, False), None),
        ((2025, 1, 30, False), D(2025, 2, 27)),
        ((2026, 6, 1, True), None),  # 2026 has no leap month
        ((2026, 1, 1, False), D(2026, 2, 17)),
        ((2027, 1, 1, False), D(2027, 2, 6)),
    ],
)
def test_solar_of_lunar(args, expected):
    assert solar_of_lunar(*args) == expected


def test_solar_of_lunar_round_trips(library_lunar):
    for d, ld in library_lunar.items():
        assert solar_of_lunar(ld.year, ld.month, ld.day, ld.leap) == d


@pytest.mark.parametrize(
    "call",
    [
        lambda: lunar_of(D(1800, 1, 1)),
        lambda: lunar_of(D(2150, 1, 1)),
        lambda: solar_of_lunar(2025, 13, 1),
        lambda: solar_of_lunar(2025, 1, 31),
        lambda: solar_of_lunar(2025, 0, 1),
        lambda: solar_of_lunar(1850, 1, 1),
    ],
)
def test_impossible_lunar_questions_raise_domain_errors(call):
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.field == "date"


@pytest.mark.parametrize(
    "day, label",
    [
        (D(2026, 2, 17), "农历正月初一"),
        (D(2025, 2, 27), "农历正月三十"),
        (D(2025, 7, 27), "农历闰六月初三"),
        (D(2026, 1, 1), "农历冬月十三"),
        (D(2026, 2, 16), "农历腊月廿九"),
        (D(2026, 3, 3), "农历正月十五"),
        (D(2026, 2, 26), "农历正月初十"),
        (D(2026, 3, 8), "农历正月二十"),
        (D(2026, 3, 9), "农历正月廿一"),
        (D(2025, 10, 30), "农历九月初十"),
        (D(2025, 11, 9), "农历九月二十"),
    ],
)
def test_lunar_label(day, label):
    assert lunar_label(day) == label


@pytest.mark.parametrize(
    "day, lang, label",
    [
        (D(2026, 3, 21), "zh", "农历二月初三（3月21日 周六）"),
        (D(2026, 3, 21), "zh_CN", "农历二月初三（3月21日 周六）"),
        (D(2026, 3, 21), "en", "Sat 21 Mar (lunar 2/3)"),
        (D(2025, 7, 27), "en", "Sun 27 Jul (lunar leap 6/3)"),
        (D(2025, 7, 27), "zh", "农历闰六月初三（7月27日 周日）"),
        (D(2026, 12, 8), "zh", "农历十月三十（12月8日 周二）"),
    ],
)
def test_date_label(day, lang, label):
    assert date_label(day, lang) == label


# --- Market cycles -----------------------------------------------------------------------------

LUNAR_DIGIT_CYCLES = {
    "三六九": {3, 6, 9},
    "一四七": {1, 4, 7},
    "二五八": {2, 5, 8},
    "逢五逢十": {5, 0},
    "单日": {1, 3, 5, 7, 9},
    "双日": {0, 2, 4, 6, 8},
}


@pytest.mark.parametrize("name", list(LUNAR_DIGIT_CYCLES))
def test_lunar_digit_cycles_match_lunar_python(name, library_lunar):
    digits = LUNAR_DIGIT_CYCLES[name]
    rule = MarketRule("lunar", digits=frozenset(digits))
    got = {d for d in SAMPLE_DAYS if is_market_day(rule, d)}
    want = {d for d, ld in library_lunar.items() if ld.day % 10 in digits}
    assert got == want
    assert got  # a cycle that never meets would pass trivially


@pytest.mark.parametrize("days", [{1, 15}, {1}, {15}, {30}, {8, 18, 28}])
def test_lunar_day_cycles_match_lunar_python(days, library_lunar):
    rule = MarketRule("lunar", days=frozenset(days))
    got = market_days(rule, SAMPLE_DAYS[0], SAMPLE_DAYS[-1])
    got = [d for d in got if d in library_lunar]
    want = [d for d, ld in library_lunar.items() if ld.day in days]
    assert got == sorted(want)
    assert got


def test_leap_months_keep_their_day_numbers():
    rule = MarketRule("lunar", digits=frozenset({3, 6, 9}))
    # 2025 leap 6th month runs 25 Jul – 22 Aug (29 days).
    assert market_days(rule, D(2025, 7, 25), D(2025, 8, 22)) == [
        D(2025, 7, 27),
        D(2025, 7, 30),
        D(2025, 8, 2),
        D(2025, 8, 6),
        D(2025, 8, 9),
        D(2025, 8, 12),
        D(2025, 8, 16),
        D(2025, 8, 19),
        D(2025, 8, 22),
    ]


@pytest.mark.parametrize(
    "digits",
    [{3, 6, 9}, {1, 4, 7}, {5, 0}, {1, 3, 5, 7, 9}, {0, 2, 4, 6, 8}],
)
def test_solar_digit_cycles(digits):
    rule = MarketRule("solar", digits=frozenset(digits))
    days = _span(D(2026, 1, 1), D(2026, 12, 31))
    assert [d for d in days if is_market_day(rule, d)] == [d for d in days if d.day % 10 in digits]


def test_solar_day_cycle_skips_days_a_month_lacks():
    rule = MarketRule("solar", days=frozenset({1, 30, 31}))
    got = market_days(rule, D(2026, 2, 1), D(2026, 3, 31))
    assert got == [D(2026, 2, 1), D(2026, 3, 1), D(2026, 3, 30), D(2026, 3, 31)]


@pytest.mark.parametrize("weekdays", [{7}, {1, 4}, {6, 7}, set(range(1, 8))])
def test_weekday_cycles(weekdays):
    rule = MarketRule("weekday", weekdays=frozenset(weekdays))
    days = _span(D(2026, 3, 1), D(2026, 6, 30))
    assert market_days(rule, days[0], days[-1]) == [d for d in days if d.isoweekday() in weekdays]


# 2025's 1st lunar month has 30 days (ends 27 Feb), its 2nd 29 days (28 Feb – 28 Mar),
# the leap 6th 29 days (25 Jul – 22 Aug).
@pytest.mark.parametrize(
    "cycle, policy, day, expected",
    [
        ({"digits": [0]}, "skip", D(2025, 2, 27), True),  # 正月三十 exists
        ({"digits": [0]}, "next", D(2025, 2, 28), False),  # so 二月初一 stays free
        ({"digits": [0]}, "skip", D(2025, 3, 29), False),  # 二月 has no 三十
        ({"digits": [0]}, "next", D(2025, 3, 29), True),  # … held on 三月初一
        ({"days": [30]}, "skip", D(2025, 8, 23), False),  # after the 29-day leap month
        ({"days": [30]}, "next", D(2025, 8, 23), True),
        ({"days": [30]}, "next", D(2025, 7, 24), True),  # 六月三十 exists
        ({"days": [30]}, "next", D(2025, 7, 25), False),
        ({"days": [1, 15]}, "next", D(2025, 3, 29), True),  # 初一 anyway
        ({"days": [15]}, "next", D(2025, 3, 29), False),  # no day 30 in the cycle
        ({"digits": [3, 6, 9]}, "next", D(2025, 3, 29), False),
    ],
)
def test_missing_day_30_policy(cycle, policy, day, expected):
    rule = MarketRule.from_contract({"calendar": "lunar", **cycle}, missing_30=policy)
    assert is_market_day(rule, day) is expected


def test_missing_30_next_over_a_year_adds_exactly_the_short_months():
    skip = MarketRule("lunar", days=frozenset({30}))
    move = MarketRule("lunar", days=frozenset({30}), missing_30="next")
    # 正月初二 2025 to 正月初一 2026: each of the 13 months of 2025 offers one day.
    first, last = D(2025, 1, 30), D(2026, 2, 17)
    short = [m for m in calendars._months_of(2025) if m.year == 2025 and m.days == 29]
    assert len(market_days(skip, first, last)) == 13 - len(short)
    assert len(market_days(move, first, last)) == 13


EVERY_DAY = frozenset(range(1, 8))


def test_pauses_are_inclusive():
    rule = MarketRule("weekday", weekdays=EVERY_DAY, pauses=((D(2026, 8, 1), D(2026, 8, 3)),))
    got = market_days(rule, D(2026, 7, 30), D(2026, 8, 5))
    assert got == [D(2026, 7, 30), D(2026, 7, 31), D(2026, 8, 4), D(2026, 8, 5)]


@pytest.mark.parametrize(
    "day, meets",
    [
        (D(2026, 2, 11), True),
        (D(2026, 2, 12), False),  # 5 days before 正月初一 (17 Feb)
        (D(2026, 2, 17), False),
        (D(2026, 3, 4), False),  # 15 days after
        (D(2026, 3, 5), True),
        (D(2027, 1, 31), True),
        (D(2027, 2, 1), False),  # 5 days before 6 Feb 2027
        (D(2025, 1, 23), True),  # 2025 new year is 29 Jan
        (D(2025, 1, 24), False),
        (D(2025, 2, 13), False),
        (D(2025, 2, 14), True),
    ],
)
def test_spring_festival_pause(day, meets):
    rule = MarketRule("weekday", weekdays=EVERY_DAY, spring_festival_pause=(5, 15))
    assert is_market_day(rule, day) is meets


@pytest.mark.parametrize(
    "contract",
    [
        {"calendar": "lunar", "digits": [3, 6, 9]},
        {"calendar": "lunar", "digits": [0, 5]},
        {"calendar": "solar", "digits": [1, 3, 5, 7, 9]},
        {"calendar": "lunar", "days": [1, 15]},
        {"calendar": "solar", "days": [31]},
        {"calendar": "weekday", "weekdays": [7]},
        {"calendar": "weekday", "weekdays": [1, 4]},
    ],
)
def test_contract_round_trip(contract):
    rule = MarketRule.from_contract(contract)
    assert rule.to_contract() == contract
    assert MarketRule.from_contract(rule.to_contract()) == rule


def test_contract_lists_are_sorted():
    rule = MarketRule("lunar", digits=frozenset({9, 3, 6}))
    assert rule.to_contract() == {"calendar": "lunar", "digits": [3, 6, 9]}


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {},
        {"calendar": "chinese", "digits": [3]},
        {"calendar": "lunar"},
        {"calendar": "lunar", "digits": []},
        {"calendar": "lunar", "digits": [3], "days": [1]},
        {"calendar": "lunar", "digits": [10]},
        {"calendar": "lunar", "digits": [-1]},
        {"calendar": "lunar", "digits": ["3"]},
        {"calendar": "lunar", "digits": [True]},
        {"calendar": "lunar", "digits": 3},
        {"calendar": "lunar", "days": [31]},
        {"calendar": "solar", "days": [0]},
        {"calendar": "solar", "days": [32]},
        {"calendar": "lunar", "weekdays": [1]},
        {"calendar": "weekday", "digits": [1]},
        {"calendar": "weekday", "weekdays": [0]},
        {"calendar": "weekday", "weekdays": [8]},
        {"calendar": "weekday", "weekdays": [1], "extra": 1},
    ],
)
def test_bad_contracts_are_refused(data):
    with pytest.raises(DomainError) as exc:
        MarketRule.from_contract(data)
    assert exc.value.field == "cycle"


@pytest.mark.parametrize(
    "policy",
    [
        {"missing_30": "later"},
        {"pauses": ((D(2026, 2, 2), D(2026, 2, 1)),)},
        {"pauses": ((D(2026, 2, 2),),)},
        {"spring_festival_pause": (5,)},
        {"spring_festival_pause": (-1, 3)},
        {"spring_festival_pause": 5},
        {"pauses": (D(2026, 2, 2),)},
    ],
)
def test_bad_policies_are_refused(policy):
    with pytest.raises(DomainError) as exc:
        MarketRule.from_contract({"calendar": "lunar", "digits": [3]}, **policy)
    assert exc.value.field == "cycle"


@pytest.mark.parametrize(
    "rule, zh, en",
    [
        (
            MarketRule("lunar", digits=frozenset({3, 6, 9})),
            "农历逢三、六、九",
            "lunar days ending in 3, 6, 9",
        ),
        (
            MarketRule("lunar", digits=frozenset({0, 5})),
            "农历逢五、十",
            "lunar days ending in 5, 0",
        ),
        (MarketRule("lunar", digits=frozenset({1, 3, 5, 7, 9})), "农历单日", "odd lunar days"),
        (MarketRule("solar", digits=frozenset({0, 2, 4, 6, 8})), "公历双日", "even solar days"),
        (MarketRule("lunar", days=frozenset({1, 15})), "农历初一、十五", "lunar days 1, 15"),
        (MarketRule("solar", days=frozenset({1, 15})), "公历每月1日、15日", "solar days 1, 15"),
        (MarketRule("weekday", weekdays=frozenset({7})), "每周日", "every Sunday"),
        (
            MarketRule("weekday", weekdays=frozenset({1, 4})),
            "每周一、周四",
            "every Monday, Thursday",
        ),
        (
            MarketRule("lunar", days=frozenset({30}), missing_30="next"),
            "农历三十，小月无三十改在初一",
            "lunar days 30; day 30 of a short month moves to day 1",
        ),
        (
            MarketRule("weekday", weekdays=frozenset({7}), spring_festival_pause=(5, 15)),
            "每周日，春节前5天至后15天休集",
            "every Sunday; no market from 5 days before to 15 days after lunar new year",
        ),
    ],
)
def test_describe(rule, zh, en):
    assert rule.describe() == zh
    assert rule.describe("en") == en


# --- Holidays and working days -----------------------------------------------------------------


@pytest.mark.parametrize(
    "day, working, name",
    [
        (D(2026, 1, 1), False, "New Year's Day"),
        (D(2026, 1, 4), True, "New Year's Day"),  # make-up Sunday
        (D(2026, 2, 14), True, "Spring Festival"),  # make-up Saturday
        (D(2026, 2, 16), False, "Spring Festival"),  # 除夕
        (D(2026, 2, 23), False, "Spring Festival"),
        (D(2026, 2, 28), True, "Spring Festival"),
        (D(2026, 3, 7), False, None),  # a plain Saturday
        (D(2026, 3, 9), True, None),
        (D(2026, 9, 20), True, "National Day"),
        (D(2026, 10, 1), False, "National Day"),
        (D(2026, 10, 7), False, "National Day"),
        (D(2026, 10, 8), True, None),
        (D(2026, 10, 10), True, "National Day"),
    ],
)
def test_2026_from_chinesecalendar(day, working, name):
    assert day_status(day) == DayStatus(working, name, confirmed=True, provisional=False)
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    "day, working, name",
    [
        (D(2027, 1, 1), False, "New Year's Day"),
        (D(2027, 1, 2), False, None),  # Saturday
        (D(2027, 1, 4), True, None),
        (D(2027, 2, 4), True, None),  # the day before 除夕
        (D(2027, 2, 5), False, "Spring Festival"),  # 除夕
        (D(2027, 2, 6), False, "Spring Festival"),  # 正月初一
        (D(2027, 2, 8), False, "Spring Festival"),  # 初三: the last statutory day
        (D(2027, 2, 9), False, "Spring Festival"),  # 初四: customary
        (D(2027, 2, 11), False, "Spring Festival"),  # 初六: customary
        (D(2027, 2, 12), True, None),  # 初七, a Friday
        (D(2027, 4, 5), False, "Tomb-sweeping Day"),
        (D(2027, 4, 30), True, None),
        (D(2027, 5, 2), False, "Labour Day"),  # statutory
        (D(2027, 5, 3), False, "Labour Day"),  # customary, a Monday
        (D(2027, 5, 4), False, "Labour Day"),
        (D(2027, 5, 5), False, "Labour Day"),
        (D(2027, 5, 6), True, None),
        (D(2027, 6, 9), False, "Dragon Boat Festival"),
        (D(2027, 9, 15), False, "Mid-autumn Festival"),
        (D(2027, 9, 30), True, None),
        (D(2027, 10, 1), False, "National Day"),
        (D(2027, 10, 4), False, "National Day"),  # customary, a Monday
        (D(2027, 10, 5), False, "National Day"),
        (D(2027, 10, 7), False, "National Day"),
        (D(2027, 10, 8), True, None),  # Friday after the week
        (D(2030, 2, 5), False, "Spring Festival"),  # 初三, a Tuesday
        (D(2030, 2, 8), False, "Spring Festival"),  # 初六
        (D(2030, 2, 11), True, None),
        (D(2030, 9, 12), False, "Mid-autumn Festival"),
    ],
)
def test_unpublished_years_keep_the_law_and_the_customary_breaks(day, working, name):
    assert day_status(day) == DayStatus(working, name, confirmed=False, provisional=True)
    assert is_working_day(day) is working


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_holidays_agree_with_chinesecalendar(year):
    # Both years follow the 2025 revision of the law, so the fallback must be a subset.
    holidays = statutory_holidays(year)
    assert len(holidays) == 13
    assert [d for d in holidays if chinese_calendar.is_workday(d)] == []


@pytest.mark.parametrize("year", range(2008, 2027))
def test_qingming_from_lunar_python_matches_chinesecalendar(year):
    (qingming,) = [d for d, n in statutory_holidays(year).items() if n == "Tomb-sweeping Day"]
    assert chinese_calendar.get_holiday_detail(qingming) == (True, "Tomb-sweeping Day")


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_estimate_would_have_been_right_in_published_years(year):
    # Under the 2025 law every estimated day off really was off, each under its own holiday.
    days_off = estimated_days_off(year)
    # 13 statutory days, 3 more at Spring Festival and Labour Day, 4 in the National Day week,
    # less Mid-autumn when it falls in that week (6 October 2025).
    assert len(days_off) == {2025: 22, 2026: 23}[year]
    assert set(statutory_holidays(year)) <= set(days_off)
    assert [d for d in days_off if chinese_calendar.is_workday(d)] == []
    assert {d: n for d, n in days_off.items()
            if chinese_calendar.get_holiday_detail(d)[1] != n} == {}


@pytest.mark.parametrize(
    "year, first, last",
    [
        (2027, D(2027, 2, 5), D(2027, 2, 11)),
        (2028, D(2028, 1, 25), D(2028, 1, 31)),
        (2030, D(2030, 2, 2), D(2030, 2, 8)),
    ],
)
def test_customary_breaks(year, first, last):
    breaks = customary_breaks(year)
    spring = sorted(d for d, n in breaks.items() if n == "Spring Festival")
    assert (spring[0], spring[-1], len(spring)) == (first, last, 7)
    new_year = lunar_of(first + timedelta(days=1))
    assert (new_year.month, new_year.day, new_year.leap) == (1, 1, False)
    assert sorted(d for d, n in breaks.items() if n == "Labour Day") == _span(
        D(year, 5, 1), D(year, 5, 5))
    assert sorted(d for d, n in breaks.items() if n == "National Day") == _span(
        D(year, 10, 1), D(year, 10, 7))


@pytest.mark.parametrize(
    "day, provisional",
    [
        (D(2026, 1, 1), False),
        (D(2026, 10, 5), False),
        (D(2026, 12, 31), False),
        (D(2027, 1, 1), True),
        (D(2027, 3, 10), True),  # an ordinary Wednesday is provisional too
        (D(2027, 10, 5), True),
        (D(2003, 5, 1), True),  # before the library's data
    ],
)
def test_every_day_of_an_unpublished_year_is_provisional(day, provisional):
    assert day_status(day).provisional is provisional
    assert calendars.is_provisional(day) is provisional
    assert calendars.schedule_published(day.year) is not provisional


@pytest.mark.parametrize(
    "day, override, expected",
    [
        (
            D(2027, 2, 12),
            HolidayOverride(D(2027, 2, 12), working=False, name="春节"),
            DayStatus(False, "春节", confirmed=True, provisional=True),
        ),
        (
            D(2027, 2, 20),
            HolidayOverride(D(2027, 2, 20), working=True, name="春节调休"),
            DayStatus(True, "春节调休", confirmed=True, provisional=True),
        ),
        (  # the announced arrangement makes a customary break day a working day
            D(2027, 10, 5),
            HolidayOverride(D(2027, 10, 5), working=True, name="国庆调休"),
            DayStatus(True, "国庆调休", confirmed=True, provisional=True),
        ),
        (
            D(2027, 5, 4),
            HolidayOverride(D(2027, 5, 4), working=True),
            DayStatus(True, None, confirmed=True, provisional=True),
        ),
        (
            D(2027, 2, 9),  # 初四, customary
            HolidayOverride(D(2027, 2, 9), working=True, name="春节调休"),
            DayStatus(True, "春节调休", confirmed=True, provisional=True),
        ),
        (
            D(2026, 2, 16),
            HolidayOverride(D(2026, 2, 16), working=True),
            DayStatus(True, None, confirmed=True, provisional=False),
        ),
        (
            D(2027, 2, 10),  # an override for another day changes nothing
            HolidayOverride(D(2027, 2, 9), working=True, name="春节调休"),
            DayStatus(False, "Spring Festival", confirmed=False, provisional=True),
        ),
    ],
)
def test_overrides_win(day, override, expected):
    assert day_status(day, (override,)) == expected
    assert is_working_day(day, (override,)) is expected.working


def test_last_override_wins():
    overrides = (
        HolidayOverride(D(2027, 2, 9), working=False, name="春节"),
        HolidayOverride(D(2027, 2, 9), working=True, name="更正"),
    )
    assert is_working_day(D(2027, 2, 9), overrides)


# --- School terms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, school",
    [
        (D(2026, 1, 4), True),  # make-up Sunday inside the autumn term
        (D(2026, 1, 15), True),
        (D(2026, 1, 16), False),  # winter vacation
        (D(2026, 2, 14), False),  # make-up Saturday, but in the vacation
        (D(2026, 3, 2), True),
        (D(2026, 3, 7), False),  # Saturday
        (D(2026, 7, 10), True),
        (D(2026, 7, 20), False),  # summer vacation
        (D(2026, 8, 31), False),
        (D(2026, 9, 1), True),
        (D(2026, 9, 20), True),  # make-up Sunday
        (D(2026, 9, 25), False),  # 中秋
        (D(2026, 10, 5), False),  # 国庆
        (D(2026, 10, 10), True),  # make-up Saturday
    ],
)
def test_school_days_with_default_terms(day, school):
    assert is_school_day(day, default_terms(day.year)) is school


def test_school_day_respects_own_terms_and_overrides():
    terms = (Term(D(2026, 3, 9), D(2026, 7, 3)),)
    assert not is_school_day(D(2026, 3, 2), terms)
    assert is_school_day(D(2026, 3, 9), terms)
    assert not is_school_day(D(2026, 7, 6), terms)
    snow_day = (HolidayOverride(D(2026, 3, 10), working=False, name="雪灾停课"),)
    assert not is_school_day(D(2026, 3, 10), terms, snow_day)


def test_default_terms_cover_every_school_season():
    terms = default_terms(2026)
    assert [(t.first, t.last) for t in terms] == [
        (D(2025, 9, 1), D(2026, 1, 15)),
        (D(2026, 3, 1), D(2026, 7, 10)),
        (D(2026, 9, 1), D(2027, 1, 15)),
    ]


def test_term_must_not_end_before_it_starts():
    with pytest.raises(DomainError) as exc:
        Term(D(2026, 7, 1), D(2026, 3, 1))
    assert exc.value.field == "term"


# --- Sunset, dusk, film start ------------------------------------------------------------------

YEAR_2026 = _span(D(2026, 1, 1), D(2026, 12, 31))


def test_a_whole_year_of_sunset_and_dusk_without_error():
    days = [*YEAR_2026, D(2025, 2, 15), D(2024, 2, 16), D(2027, 2, 16)]
    previous = None
    for d in days:
        sunset, dusk = sunset_at(d, *DISTRICT), dusk_at(d, *DISTRICT)
        assert sunset.tzinfo is TZ and dusk.tzinfo is TZ
        assert sunset.date() == d == dusk.date()
        assert time(17, 45) < sunset.time() < time(20, 45)
        assert timedelta(minutes=20) < dusk - sunset < timedelta(minutes=40)
        if previous is not None and d - previous[0] == timedelta(days=1):
            # Clock times drift by at most a couple of minutes a day.
            assert abs(dusk - previous[1] - timedelta(days=1)) < timedelta(minutes=2)
        previous = (d, dusk)


@pytest.mark.parametrize("day", [D(2025, 2, 15), D(2026, 2, 16)])
def test_days_where_astral_sun_fails_still_have_a_dusk(day):
    assert time(19, 15) < dusk_at(day, *DISTRICT).time() < time(19, 25)
    assert time(18, 45) < sunset_at(day, *DISTRICT).time() < time(18, 55)


@pytest.mark.parametrize("which", ["_geometric_dusk", "_astral_sunset"])
def test_astral_failure_falls_back_to_the_neighbouring_day(monkeypatch, which):
    real = getattr(calendars, which)
    broken_day = D(2026, 5, 10)

    def flaky(observer, day, tzinfo):
        if day == broken_day:
            raise ValueError("Sun never reaches the depression")
        return real(observer, day, tzinfo=tzinfo)

    monkeypatch.setattr(calendars, which, flaky)
    get = dusk_at if which == "_geometric_dusk" else sunset_at
    got = get(broken_day, *DISTRICT)
    neighbour = real(calendars.Observer(*DISTRICT), broken_day - timedelta(days=1), tzinfo=TZ)
    assert got == datetime.combine(broken_day, neighbour.time(), TZ)


def test_sun_that_never_sets_is_a_domain_error():
    with pytest.raises(DomainError) as exc:
        dusk_at(D(2026, 6, 21), 89.0, 0.0)
    assert exc.value.field == "place"


@pytest.mark.parametrize("lat, lon", [(91.0, 102.0), (36.5, 181.0)])
def test_bad_coordinates(lat, lon):
    with pytest.raises(DomainError) as exc:
        sunset_at(D(2026, 6, 21), lat, lon)
    assert exc.value.field == "place"


@pytest.mark.parametrize(
    "days, around",
    [
        (_span(D(2025, 12, 10), D(2025, 12, 20)), time(18, 45)),
        (_span(D(2026, 6, 20), D(2026, 6, 30)), time(21, 15)),
    ],
)
def test_film_start_is_about_as_the_domain_says(days, around):
    for d in days:
        start = film_earliest_start(d, *DISTRICT)
        target = datetime.combine(d, around, TZ)
        assert abs(start - target) <= timedelta(minutes=10)


def test_film_start_is_dusk_plus_15_rounded_up_to_5_minutes():
    for d in YEAR_2026[::7]:
        start = film_earliest_start(d, *DISTRICT)
        earliest = dusk_at(d, *DISTRICT) + timedelta(minutes=15)
        assert start.tzinfo is TZ
        assert start.minute % 5 == 0 and start.second == 0 and start.microsecond == 0
        assert earliest <= start < earliest + timedelta(minutes=5)


# An independent ephemeris for civil dusk: the Astronomical Almanac's low-precision solar
# coordinates (about 0.01°, a few seconds of dusk here) with the hour angle taken from sidereal
# time, where astral works from NOAA's equation of time; then bisection on the geometric altitude
# of the sun's centre, no refraction. A different method, so an error in either one shows.
_J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


def _sun_altitude(at: datetime, lat: float, lon: float) -> float:
    n = (at - _J2000) / timedelta(days=1)
    mean_long = math.radians((280.460 + 0.9856474 * n) % 360)
    anomaly = math.radians((357.528 + 0.9856003 * n) % 360)
    ecl_long = mean_long + math.radians(1.915 * math.sin(anomaly) + 0.020 * math.sin(2 * anomaly))
    obliquity = math.radians(23.439 - 0.0000004 * n)
    ra = math.atan2(math.cos(obliquity) * math.sin(ecl_long), math.cos(ecl_long))
    dec = math.asin(math.sin(obliquity) * math.sin(ecl_long))
    sidereal = math.radians((280.46061837 + 360.98564736629 * n + lon) % 360)
    phi = math.radians(lat)
    return math.degrees(math.asin(
        math.sin(phi) * math.sin(dec) + math.cos(phi) * math.cos(dec) * math.cos(sidereal - ra)
    ))


def _reference_dusk(d: date, lat: float = DISTRICT[0], lon: float = DISTRICT[1]) -> datetime:
    lo = datetime.combine(d, time(17), TZ)  # sun above -6°, at every date here
    hi = datetime.combine(d, time(23), TZ)  # sun below -6°
    while hi - lo > timedelta(milliseconds=10):
        mid = lo + (hi - lo) / 2
        lo, hi = (mid, hi) if _sun_altitude(mid, lat, lon) > -6.0 else (lo, mid)
    return lo


def _next_five_minutes(at: datetime) -> datetime:
    midnight = datetime.combine(at.date(), time(0), TZ)
    return midnight + timedelta(minutes=5) * math.ceil((at - midnight) / timedelta(minutes=5))


# End of civil twilight at 36.50N 102.11E from PyEphem 4.2.1 (VSOP87; Sun's centre at -6°, air
# pressure 0, so no refraction), to the second: a third method, fixed here.
EPHEM_DUSK = [
    (D(2025, 2, 15), "19:18:31"), (D(2026, 1, 1), "18:35:20"), (D(2026, 1, 15), "18:47:22"),
    (D(2026, 1, 29), "19:01:15"), (D(2026, 2, 12), "19:15:19"), (D(2026, 2, 16), "19:19:16"),
    (D(2026, 2, 26), "19:28:50"), (D(2026, 3, 12), "19:41:36"), (D(2026, 3, 20), "19:48:43"),
    (D(2026, 3, 26), "19:54:02"), (D(2026, 4, 9), "20:06:31"), (D(2026, 4, 23), "20:19:28"),
    (D(2026, 5, 7), "20:32:39"), (D(2026, 5, 21), "20:45:22"), (D(2026, 6, 4), "20:56:01"),
    (D(2026, 6, 18), "21:02:47"), (D(2026, 6, 21), "21:03:34"), (D(2026, 7, 2), "21:04:01"),
    (D(2026, 7, 16), "20:59:03"), (D(2026, 7, 30), "20:48:13"), (D(2026, 8, 13), "20:32:40"),
    (D(2026, 8, 27), "20:13:47"), (D(2026, 9, 10), "19:53:01"), (D(2026, 9, 23), "19:33:15"),
    (D(2026, 9, 24), "19:31:44"), (D(2026, 10, 8), "19:11:17"), (D(2026, 10, 22), "18:53:00"),
    (D(2026, 11, 5), "18:38:15"), (D(2026, 11, 19), "18:28:22"), (D(2026, 12, 3), "18:24:21"),
    (D(2026, 12, 17), "18:26:36"), (D(2026, 12, 21), "18:28:19"), (D(2026, 12, 31), "18:34:24"),
]
# Seconds: both ephemerides are good to a few seconds of dusk; refraction adds 17–22 s.
DUSK_TOLERANCE = timedelta(seconds=6)


@pytest.mark.parametrize("day, expected", EPHEM_DUSK, ids=[str(d) for d, _ in EPHEM_DUSK])
def test_dusk_agrees_with_pyephem(day, expected):
    reference = datetime.combine(day, time.fromisoformat(expected), TZ)
    assert abs(dusk_at(day, *DISTRICT) - reference) <= DUSK_TOLERANCE
    assert abs(_reference_dusk(day) - reference) <= DUSK_TOLERANCE  # the in-test ephemeris too
    start = reference + timedelta(minutes=15)
    if abs(start - _next_five_minutes(start)) > DUSK_TOLERANCE and abs(
        start - _next_five_minutes(start) + timedelta(minutes=5)
    ) > DUSK_TOLERANCE:
        assert film_earliest_start(day, *DISTRICT) == _next_five_minutes(start)


@pytest.mark.parametrize("year", [2026, 2027])
def test_a_year_of_dusk_against_an_independent_ephemeris(year):
    days = _span(D(year, 1, 1), D(year, 12, 31))
    near_a_mark = 0
    for d in days:
        reference = _reference_dusk(d)
        assert abs(dusk_at(d, *DISTRICT) - reference) <= DUSK_TOLERANCE, d
        start = reference + timedelta(minutes=15)
        rounded = _next_five_minutes(start)
        if min(rounded - start, start - rounded + timedelta(minutes=5)) <= DUSK_TOLERANCE:
            near_a_mark += 1  # within the ephemerides' error of a 5-minute mark: either is right
            continue
        assert film_earliest_start(d, *DISTRICT) == rounded, d
    # Only those few days (about 4% of a year) escape the exact check.
    assert near_a_mark <= len(days) // 20


def test_dusk_has_no_refraction_term():
    # With refraction (astral's dusk()), the sun's apparent centre reaches -6° some 17–22 s later.
    from astral.sun import dusk as refracted_dusk

    for d in _span(D(2026, 1, 1), D(2026, 12, 31))[::30]:
        lag = refracted_dusk(calendars.Observer(*DISTRICT), d, tzinfo=TZ) - dusk_at(d, *DISTRICT)
        assert timedelta(seconds=15) < lag < timedelta(seconds=25), d


# --- Blackouts ---------------------------------------------------------------------------------

HARVEST = Blackout(D(2026, 8, 1), D(2026, 9, 20), label="麦收")
FRIDAY_PRAYER = Blackout(
    D(2000, 1, 1), D(2099, 12, 31), frozenset({5}), time(12, 0), time(14, 30), "主麻日"
)
RAMADAN = Blackout(D(2026, 2, 18), D(2026, 3, 19), frozenset(), time(18, 0), time(22, 30), "斋月")
ALL = (HARVEST, FRIDAY_PRAYER, RAMADAN)


def _at(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (_at(2026, 8, 1, 9, 30), _at(2026, 8, 1, 11), HARVEST),
        (_at(2026, 9, 20, 21), _at(2026, 9, 20, 22), HARVEST),
        (_at(2026, 9, 21, 9, 30), _at(2026, 9, 21, 11), None),
        (_at(2026, 7, 31, 23), _at(2026, 8, 1, 0), None),  # ends as the harvest starts
        (_at(2026, 7, 31, 23), _at(2026, 8, 1, 0, 1), HARVEST),
        (_at(2026, 7, 3, 11), _at(2026, 7, 3, 12), None),  # Friday, ends at prayer time
        (_at(2026, 7, 3, 11), _at(2026, 7, 3, 12, 30), FRIDAY_PRAYER),
        (_at(2026, 7, 3, 14, 30), _at(2026, 7, 3, 16), None),
        (_at(2026, 7, 2, 12), _at(2026, 7, 2, 14), None),  # Thursday
        (_at(2026, 3, 1, 19), _at(2026, 3, 1, 21), RAMADAN),
        (_at(2026, 3, 1, 17), _at(2026, 3, 1, 18), None),
        (_at(2026, 3, 20, 19), _at(2026, 3, 20, 21), None),
        # The same instant written in UTC is still blocked.
        (datetime(2026, 3, 1, 11, tzinfo=UTC), None, RAMADAN),
    ],
)
def test_blocked(start, end, expected):
    if end is None:
        end = start + timedelta(hours=1)
    assert blocked(start, end, ALL) is expected


def test_blocked_refuses_naive_times():
    with pytest.raises(DomainError):
        blocked(datetime(2026, 8, 1, 9), datetime(2026, 8, 1, 10), ALL)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"first": D(2026, 2, 1), "last": D(2026, 1, 1)},
        {"weekdays": frozenset({0})},
        {"start": time(12, 0)},
        {"start": time(14, 0), "end": time(12, 0)},
    ],
)
def test_bad_blackouts(kwargs):
    args = {"first": D(2026, 1, 1), "last": D(2026, 2, 1), **kwargs}
    with pytest.raises(DomainError) as exc:
        Blackout(**args)
    assert exc.value.field == "blackout"
