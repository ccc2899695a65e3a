"""Only orders that can happen: the slot rules asked before an order is stored."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from lectureorder.domain import feasibility as fz
from lectureorder.domain.calendars import (
    TZ,
    Blackout,
    MarketRule,
    MonthDay,
    Term,
    long_date_label,
    lunar_of,
    month_day_label,
)
from lectureorder.domain.formats import KitAvailability, PlaceContext, SlotSettings

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)
SETTINGS = SlotSettings()
VILLAGE = PlaceContext(kind="village", lat=36.5, lon=102.1)
FILM_VILLAGE = PlaceContext(kind="village", lat=36.5, lon=102.1, kits=(KitAvailability(kit_id=1),))
SCHOOL = PlaceContext(kind="school", lat=36.5, lon=102.1)


def reasons(verdict: fz.Verdict) -> list[str]:
    return [e.reason for e in verdict.errors]


def test_a_field_class_next_week_can_happen():
    verdict = fz.check("field_class", VILLAGE, date(2026, 12, 7), date(2026, 12, 20), NOW, SETTINGS)
    assert verdict.possible and not verdict.errors


def test_a_screening_in_december_names_the_season_and_the_first_evening_of_the_next():
    verdict = fz.check("mobile_film", FILM_VILLAGE, date(2026, 12, 7), date(2026, 12, 20), NOW,
                       SETTINGS)
    assert not verdict.possible
    season, nxt = verdict.errors
    assert season.reason == "Mobile film screenings run every year from %(first)s to %(last)s."
    assert (season.params["first"], season.params["last"]) == (MonthDay(5, 1), MonthDay(10, 10))
    assert nxt.params["day"] == date(2027, 5, 1) == verdict.next_days[0]
    assert verdict.next_days == (date(2027, 5, 1), date(2027, 5, 2), date(2027, 5, 3))
    assert all(e.field == "earliest" for e in verdict.errors)


def test_a_screening_without_any_kit_in_service_is_refused_on_the_format():
    verdict = fz.check("mobile_film", VILLAGE, date(2027, 6, 7), date(2027, 6, 20), NOW, SETTINGS)
    assert not verdict.possible
    assert verdict.errors[0].field == "format"
    assert "No film kit" in verdict.errors[0].reason
    assert verdict.next_days == ()  # without a kit no day in the year works
    assert "next twelve months" in verdict.errors[1].reason


def test_a_school_talk_in_the_winter_break_names_the_break():
    verdict = fz.check("school_talk", SCHOOL, date(2027, 1, 25), date(2027, 2, 10), NOW, SETTINGS)
    assert not verdict.possible
    holiday = verdict.errors[0]
    assert holiday.reason == "This school is on winter holiday from %(first)s to %(last)s."
    assert (holiday.params["first"], holiday.params["last"]) == (MonthDay(1, 16),
                                                                   MonthDay(2, 28))
    assert verdict.next_days[0] == date(2027, 3, 1)  # a Monday: the spring term's first day


def test_a_school_talk_in_the_summer_uses_the_schools_own_terms():
    school = PlaceContext(kind="school", terms=(Term(date(2027, 3, 1), date(2027, 7, 9)),
                                                Term(date(2027, 8, 30), date(2028, 1, 14))))
    verdict = fz.check("school_talk", school, date(2027, 7, 20), date(2027, 8, 10), NOW, SETTINGS)
    assert verdict.errors[0].reason.startswith("This school is on summer holiday")
    assert verdict.errors[0].params["last"] == MonthDay(8, 29)
    assert verdict.next_days[0] == date(2027, 8, 30)


def test_a_school_talk_over_a_weekend_in_term_says_there_are_no_school_days():
    verdict = fz.check("school_talk", SCHOOL, date(2026, 12, 12), date(2026, 12, 13), NOW, SETTINGS)
    assert "no school days" in verdict.errors[0].reason
    assert verdict.next_days[0] == date(2026, 12, 14)


def test_a_market_talk_between_market_days_names_the_next_one():
    # Lunar days ending in 3, 6, 9: 2026-12-08 .. -10 are lunar 10/30, 11/1 and 11/2; the next
    # market day is 冬月初三.
    market = PlaceContext(kind="market", market=MarketRule("lunar", digits=frozenset({3, 6, 9})))
    first, last = date(2026, 12, 8), date(2026, 12, 10)
    assert [lunar_of(d).day for d in (first, last)] == [30, 2]
    verdict = fz.check("market_talk", market, first, last, NOW, SETTINGS)
    assert verdict.errors[0].reason == "This market has no market day in these dates."
    assert (lunar_of(verdict.next_days[0]).month, lunar_of(verdict.next_days[0]).day) == (11, 3)
    assert verdict.next_days[0] > last


def test_tomorrow_morning_is_too_soon_and_says_how_much_notice_is_needed():
    verdict = fz.check("field_class", VILLAGE, date(2026, 12, 1), date(2026, 12, 1), NOW, SETTINGS)
    assert verdict.errors[0].params == {"hours": 12}
    assert verdict.next_days[0] == date(2026, 12, 2)


def test_a_harvest_blackout_is_named():
    harvest = Blackout(first=date(2027, 8, 1), last=date(2027, 9, 30), label="秋收")
    village = PlaceContext(kind="village", blackouts=(harvest,))
    verdict = fz.check("field_class", village, date(2027, 8, 10), date(2027, 8, 20), NOW, SETTINGS)
    assert verdict.errors[0].params == {"what": "秋收"}
    assert verdict.next_days[0] == date(2027, 10, 1)


def test_a_blackout_on_part_of_each_day_only_is_not_blamed_when_slots_remain():
    prayer = Blackout(first=date(2026, 12, 1), last=date(2027, 12, 31), weekdays=frozenset({5}),
                      start=time(12, 0), end=time(14, 0), label="主麻")
    village = PlaceContext(kind="village", blackouts=(prayer,))
    assert fz.check("field_class", village, date(2026, 12, 11), date(2026, 12, 11), NOW,
                    SETTINGS).possible


def test_the_season_setting_is_the_one_the_rule_reads():
    all_year = SlotSettings(film_season_all_year=True)
    assert fz.check("mobile_film", FILM_VILLAGE, date(2026, 12, 7), date(2026, 12, 20), NOW,
                    all_year).possible


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", "2027年5月1日（周六，农历三月廿五）"), ("en", "Sat 1 May 2027 (lunar 3/25)"),
])
def test_days_are_written_with_the_year_and_the_lunar_date(lang, expected):
    assert long_date_label(date(2027, 5, 1), lang) == expected


def test_days_of_every_year():
    assert (month_day_label(1, 16, "zh"), month_day_label(1, 16, "en")) == ("1月16日", "16 Jan")
