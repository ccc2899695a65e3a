"""Campaign rules (pure): the calendar's days in a range, default windows, the form per kind of
place, what a valid plan and a valid calendar entry are, and the tally of a campaign's orders."""

from datetime import date

import pytest

from lectureorder.domain import campaigns as camp

D = date
DRUGS = camp.CalendarDay(1, "国际禁毒日", 6, 26, "awareness", ("drug_awareness",))
TERM = camp.CalendarDay(2, "秋季学期开学", 9, 1, "term_start", ("campus_bullying",), days=7)
HARVEST = camp.CalendarDay(3, "夏收农忙", 7, 20, "slowdown", days=40)
NEW_YEAR = camp.CalendarDay(4, "跨年", 12, 30, "slowdown", days=5)
LEAP = camp.CalendarDay(5, "闰日", 2, 29, "awareness")
OFF = camp.CalendarDay(6, "停用", 6, 20, "awareness", active=False)


@pytest.mark.parametrize("first, last, kinds, expected", [
    (D(2027, 6, 1), D(2027, 6, 30), None, [(1, D(2027, 6, 26), D(2027, 6, 26))]),
    (D(2027, 6, 27), D(2027, 7, 19), None, []),
    # A slowdown touching the range is found, whole.
    (D(2027, 8, 1), D(2027, 8, 2), None, [(3, D(2027, 7, 20), D(2027, 8, 28))]),
    (D(2027, 8, 1), D(2027, 9, 3), ("awareness", "term_start"),
     [(2, D(2027, 9, 1), D(2027, 9, 7))]),
    # Over the new year: found from the year before.
    (D(2027, 1, 1), D(2027, 1, 2), None, [(4, D(2026, 12, 30), D(2027, 1, 3))]),
    # 29 February is the 28th in a common year.
    (D(2027, 2, 1), D(2027, 3, 1), None, [(5, D(2027, 2, 28), D(2027, 2, 28))]),
    (D(2028, 2, 1), D(2028, 3, 1), None, [(5, D(2028, 2, 29), D(2028, 2, 29))]),
    # Two years: both 6·26s, soonest first.
    (D(2027, 6, 1), D(2028, 6, 30), ("awareness",),
     [(1, D(2027, 6, 26), D(2027, 6, 26)), (5, D(2028, 2, 29), D(2028, 2, 29)),
      (1, D(2028, 6, 26), D(2028, 6, 26))]),
])
def test_occurrences_in_a_range(first, last, kinds, expected):
    found = camp.occurrences([DRUGS, TERM, HARVEST, NEW_YEAR, LEAP, OFF], first, last, kinds=kinds)
    assert [(o.entry.id, o.first, o.last) for o in found] == expected


def test_an_inactive_entry_is_never_found():
    assert camp.occurrences([OFF], D(2027, 1, 1), D(2027, 12, 31)) == []


@pytest.mark.parametrize("entry, today, window", [
    (DRUGS, D(2027, 6, 1), (D(2027, 6, 19), D(2027, 7, 3))),    # a week either side
    (DRUGS, D(2027, 6, 22), (D(2027, 6, 22), D(2027, 7, 3))),   # never before today
    (DRUGS, D(2027, 6, 30), (D(2028, 6, 19), D(2028, 7, 3))),   # past: next year's
    (TERM, D(2027, 8, 1), (D(2027, 9, 1), D(2027, 9, 14))),     # the first week and the next
])
def test_default_windows(entry, today, window):
    assert camp.default_window(camp.next_occurrence(entry, today), today) == window


@pytest.mark.parametrize("kind, village_format, fmt", [
    ("village", "field_class", "field_class"), ("village", "mobile_film", "mobile_film"),
    ("school", "mobile_film", "school_talk"), ("market", "field_class", "market_talk"),
])
def test_the_form_follows_the_kind_of_place(kind, village_format, fmt):
    assert camp.format_for(kind, village_format) == fmt


def test_only_topics_given_in_the_form_are_kept():
    formats = {"drug_awareness": ["field_class", "school_talk"], "campus_bullying": ["school_talk"]}
    assert camp.topics_for_format(("drug_awareness", "campus_bullying"), "school_talk",
                                  formats) == ("drug_awareness", "campus_bullying")
    assert camp.topics_for_format(("drug_awareness", "campus_bullying"), "field_class",
                                  formats) == ("drug_awareness",)
    assert camp.topics_for_format(("campus_bullying",), "market_talk", formats) == ()


@pytest.mark.parametrize("raw, key", [
    ("village:3", ("village", 3)), (" school:12 ", ("school", 12)), ("market:1", ("market", 1)),
    ("town:1", None), ("village:", None), ("village:x", None), ("village:-1", None),
    ("village:１", None), ("village:1234567890", None), ("", None),
])
def test_place_keys(raw, key):
    assert camp.parse_place_key(raw) == key


TODAY = D(2027, 6, 10)
TOPICS = {"drug_awareness", "anti_fraud", "two_cards", "traffic_safety"}


def plan(**overrides) -> camp.PlanInput:
    data = dict(name="2027 国际禁毒日", topics=("drug_awareness",), first=D(2027, 6, 19),
                last=D(2027, 7, 2), places=("village:1", "school:2", "market:3"),
                village_format="mobile_film")
    data.update(overrides)
    return camp.PlanInput(**data)


def test_a_good_plan_is_cleaned():
    cleaned, errors = camp.validate_plan(plan(name="  禁毒  ", places=("village:1", "village:1")),
                                         today=TODAY, known_topics=TOPICS)
    assert errors == []
    assert cleaned.name == "禁毒" and cleaned.places == (("village", 1),)


@pytest.mark.parametrize("overrides, fields", [
    ({"name": " "}, {"name"}),
    ({"name": "长" * 61}, {"name"}),
    ({"topics": ()}, {"topics"}),
    ({"topics": ("drug_awareness", "anti_fraud", "two_cards", "traffic_safety")}, {"topics"}),
    ({"topics": ("nope",)}, {"topics"}),
    ({"first": None}, {"first"}),
    ({"last": None}, {"last"}),
    ({"first": D(2027, 6, 9)}, {"first"}),                       # in the past
    ({"last": D(2027, 6, 18)}, {"last"}),                        # before the first day
    ({"last": D(2027, 12, 1)}, {"last"}),                        # over 120 days
    ({"first": D(2028, 6, 20), "last": D(2028, 6, 30)}, {"first"}),  # over a year ahead
    ({"places": ()}, {"places"}),
    ({"places": ("village:1", "castle:2")}, {"places"}),
    ({"places": tuple(f"village:{i}" for i in range(121))}, {"places"}),
    ({"village_format": "school_talk"}, {"village_format"}),
    ({"notes": "x" * 501}, {"notes"}),
    ({"name": "", "places": (), "topics": ()}, {"name", "places", "topics"}),
])
def test_every_problem_of_a_plan_is_reported(overrides, fields):
    cleaned, errors = camp.validate_plan(plan(**overrides), today=TODAY, known_topics=TOPICS)
    assert cleaned is None
    assert {e.field for e in errors} == fields


def day(**overrides) -> camp.DayInput:
    data = dict(name_zh="国际禁毒日", name_en="Anti-drug day", month=6, day=26,
                kind="awareness", topics=("drug_awareness",), days=1)
    data.update(overrides)
    return camp.DayInput(**data)


@pytest.mark.parametrize("overrides, fields", [
    ({}, set()),
    ({"month": 2, "day": 29}, set()),                   # a day of the year in leap years
    ({"kind": "slowdown", "topics": (), "days": 40}, set()),
    ({"name_zh": "  "}, {"name_zh"}),
    ({"name_zh": "长" * 61}, {"name_zh"}),
    ({"name_en": "x" * 81}, {"name_en"}),
    ({"month": 13}, {"month"}),
    ({"month": None}, {"month"}),
    ({"day": 31, "month": 4}, {"day"}),
    ({"day": 0}, {"day"}),
    ({"day": None}, {"day"}),
    ({"days": 0}, {"days"}),
    ({"days": 121}, {"days"}),
    ({"kind": "party"}, {"kind"}),
    ({"topics": ("nope",)}, {"topics"}),
    ({"topics": ("drug_awareness", "anti_fraud", "two_cards", "traffic_safety")}, {"topics"}),
])
def test_calendar_entries(overrides, fields):
    _cleaned, errors = camp.validate_day(day(**overrides), known_topics=TOPICS)
    assert {e.field for e in errors} == fields


def test_tally_counts_every_stage():
    counts = camp.tally(["submitted", "submitted", "offered", "scheduled", "delivered", "closed",
                         "needs_attention", "cancelled"])
    assert counts == {"planned": 2, "offered": 1, "scheduled": 1, "delivered": 2,
                      "needs_attention": 1, "cancelled": 1, "total": 8}
    assert camp.tally([]) == dict.fromkeys(
        ["planned", "offered", "scheduled", "delivered", "needs_attention", "cancelled", "total"], 0)


def test_the_well_known_days_are_valid_entries():
    topics = {"anti_fraud", "two_cards", "traffic_safety", "campus_bullying", "drug_awareness"}
    for e in camp.WELL_KNOWN:
        _c, errors = camp.validate_day(camp.DayInput(e.name_zh, e.name_en, e.month, e.day, e.kind,
                                                     e.topics, e.days), known_topics=topics)
        assert errors == [], e
    assert {(e.month, e.day) for e in camp.WELL_KNOWN} >= {(6, 26), (12, 2), (4, 15), (12, 4)}
