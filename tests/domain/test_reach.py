"""Reach arithmetic: months since the last talk, buckets, coverage per place on the reports'
facts, the map's projection and a member's record."""

from datetime import date

import pytest

from lectureorder.domain import reach
from lectureorder.domain.reports import ReportFilter, SessionFact, build_report

TODAY = date(2026, 12, 1)
YEAR = ReportFilter(first=date(2026, 1, 1), last=date(2026, 12, 31))

EAST = reach.PlaceInfo("village", 1, "东庄村", township=1, lat=36.456, lon=102.046)
WEST = reach.PlaceInfo("village", 2, "西沟村", township=2, lat=36.431, lon=102.251)
SCHOOL = reach.PlaceInfo("school", 1, "中心学校", township=1, lat=36.457, lon=102.044)
MARKET = reach.PlaceInfo("market", 1, "三合集市", township=1, lat=None, lon=None)
PLACES = [EAST, WEST, SCHOOL, MARKET]


def talk(day, place, *, township=1, topics=("anti_fraud",), fmt="field_class", members=(10,),
         headcount=50, rating=None):
    return reach.Talk(SessionFact(day, township, tuple(topics), fmt, tuple(members),
                                  headcount=headcount, rating=rating), place)


TALKS = [
    talk(date(2026, 10, 1), ("village", 1), headcount=60),                      # 2 months ago
    talk(date(2026, 11, 20), ("village", 1), topics=("traffic_safety",), headcount=40),
    talk(date(2025, 3, 5), ("school", 1), topics=("campus_bullying",), headcount=300,
         fmt="school_talk"),                                                   # before the year
    talk(date(2026, 6, 1), None, headcount=25, members=(11,)),                 # no order: no place
    talk(date(2026, 7, 9), ("village", 2), township=2, topics=("two_cards", "anti_fraud"),
         headcount=80, members=(11, 10)),
]


@pytest.mark.parametrize(("last", "months"), [
    (None, None),
    (date(2026, 12, 1), 0),
    (date(2026, 11, 2), 0),    # not yet a whole month
    (date(2026, 11, 1), 1),
    (date(2026, 10, 1), 2),
    (date(2026, 9, 2), 2),
    (date(2026, 9, 1), 3),
    (date(2025, 12, 1), 12),
    (date(2025, 12, 2), 11),
    (date(2027, 1, 1), 0),     # a talk dated after today is "now"
])
def test_months_since_counts_whole_months(last, months):
    assert reach.months_since(last, TODAY) == months


@pytest.mark.parametrize(("months", "name"), [
    (None, "never"), (0, "0-3"), (2, "0-3"), (3, "3-6"), (5, "3-6"), (6, "6-12"), (11, "6-12"),
    (12, "12plus"), (40, "12plus"),
])
def test_buckets(months, name):
    assert reach.bucket(months) == name


@pytest.mark.parametrize(("raw", "months", "refused"), [
    (None, 12, False), ("", 12, False), ("6", 6, False), ("120", 120, False), ("1", 1, False),
    ("0", 12, True), ("121", 12, True), ("-3", 12, True), ("abc", 12, True), ("６", 12, True),
    ("99999999999", 12, True),
])
def test_months_choice(raw, months, refused):
    value, error = reach.parse_months(raw)
    assert value == months
    assert (error is not None) == refused
    if refused:
        assert error.field == "months"


def by_key(cov):
    return {p.place.key: p for p in cov.places}


def test_a_place_reached_two_months_ago_is_in_the_first_bucket():
    cov = reach.build_coverage(YEAR, PLACES, TALKS, today=TODAY)
    east = by_key(cov)[("village", 1)]
    assert (east.talks, east.audience, east.last, east.months) == (2, 100, date(2026, 11, 20), 0)
    only_october = reach.build_coverage(YEAR, PLACES, TALKS[:1], today=TODAY)
    east = by_key(only_october)[("village", 1)]
    assert east.months == 2 and east.css_class == "cov-0-3"


def test_never_reached_and_long_ago_places_are_not_reached():
    cov = reach.build_coverage(YEAR, PLACES, TALKS, today=TODAY, months=12)
    rows = by_key(cov)
    assert rows[("market", 1)].bucket == "never" and rows[("market", 1)].last is None
    school = rows[("school", 1)]
    # outside the period: no talks counted, but its last talk is remembered
    assert (school.talks, school.audience, school.last, school.months) == (0, 0, date(2025, 3, 5), 20)
    assert school.bucket == "12plus"
    assert [p.place.key for p in cov.not_reached] == [("market", 1), ("school", 1)]
    west = rows[("village", 2)]
    assert west.months == 4 and west.bucket == "3-6"
    # "not reached in 3 months" adds the western village (4 months)
    three = reach.build_coverage(YEAR, PLACES, TALKS, today=TODAY, months=3)
    assert ("village", 2) in {p.place.key for p in three.not_reached}
    assert cov.counts() == {"0-3": 1, "3-6": 1, "6-12": 0, "12plus": 1, "never": 1}


def test_totals_are_the_reports_totals():
    for flt in (YEAR, ReportFilter(first=date(2025, 1, 1), last=date(2026, 12, 31)),
                ReportFilter(first=date(2026, 1, 1), last=date(2026, 12, 31), township=1),
                ReportFilter(first=date(2026, 1, 1), last=date(2026, 12, 31), topic="anti_fraud")):
        cov = reach.build_coverage(flt, PLACES, TALKS, today=TODAY)
        report = build_report(flt, [t.fact for t in TALKS], [])
        assert (cov.total.sessions, cov.total.audience) == \
            (report.total.sessions, report.total.audience), flt
        # the places listed and the talks at no place add up to the total
        assert cov.placed.sessions + cov.unplaced[0] == cov.total.sessions
        assert sum(p.talks for p in cov.places) == cov.placed.sessions
    cov = reach.build_coverage(YEAR, PLACES, TALKS, today=TODAY)
    assert (cov.total.sessions, cov.total.audience) == (4, 205)
    assert cov.unplaced == (1, 25)


def test_the_township_filter_lists_its_places_only():
    flt = ReportFilter(first=YEAR.first, last=YEAR.last, township=2)
    cov = reach.build_coverage(flt, PLACES, TALKS, today=TODAY)
    assert [p.place.key for p in cov.places] == [("village", 2)]
    assert (cov.total.sessions, cov.total.audience) == (1, 80)


def test_the_topic_filter_narrows_talks_and_the_last_talk():
    flt = ReportFilter(first=YEAR.first, last=YEAR.last, topic="traffic_safety")
    cov = reach.build_coverage(flt, PLACES, TALKS, today=TODAY)
    rows = by_key(cov)
    assert (rows[("village", 1)].talks, rows[("village", 1)].audience) == (1, 40)
    assert rows[("village", 2)].last is None  # never reached on traffic safety
    assert [t.topic for t in rows[("village", 1)].topics] == ["traffic_safety"]


def test_per_topic_figures_count_a_talk_under_each_topic():
    cov = reach.build_coverage(YEAR, PLACES, TALKS, today=TODAY,
                               topic_order=["anti_fraud", "two_cards", "traffic_safety"])
    west = by_key(cov)[("village", 2)]
    assert [(t.topic, t.talks, t.audience) for t in west.topics] == \
        [("anti_fraud", 1, 80), ("two_cards", 1, 80)]
    east = by_key(cov)[("village", 1)]
    assert [(t.topic, t.talks, t.last) for t in east.topics] == \
        [("anti_fraud", 1, date(2026, 10, 1)), ("traffic_safety", 1, date(2026, 11, 20))]


def test_the_period_changes_counts_not_the_last_talk():
    autumn = ReportFilter(first=date(2026, 11, 1), last=date(2026, 11, 30))
    east = by_key(reach.build_coverage(autumn, PLACES, TALKS, today=TODAY))[("village", 1)]
    assert (east.talks, east.audience, east.last) == (1, 40, date(2026, 11, 20))


# --- Projection --------------------------------------------------------------------------------

def test_projection_is_linear_north_up_east_right():
    coords = {"sw": (36.4, 102.0), "ne": (36.5, 102.2), "mid": (36.45, 102.1), "none": (None, 1.0)}
    proj = reach.project(coords, width=800, pad=40)
    sw, ne, mid = proj.points["sw"], proj.points["ne"], proj.points["mid"]
    assert ne[0] > sw[0] and ne[1] < sw[1]            # east is right, north is up
    assert mid == pytest.approx(((sw[0] + ne[0]) / 2, (sw[1] + ne[1]) / 2), abs=0.2)
    assert sw[0] == 40 and ne[0] == 760               # the wider extent fills the width
    assert proj.skipped == ("none",)
    for x, y in proj.points.values():
        assert 0 <= x <= proj.width and 0 <= y <= proj.height
    # one scale on both axes: a degree of longitude is cos(latitude) of a degree of latitude
    ratio = (ne[0] - sw[0]) / 0.2 / ((sw[1] - ne[1]) / 0.1)
    assert ratio == pytest.approx(0.8043, abs=0.002)


def test_projection_of_one_place_or_none():
    one = reach.project({"a": (36.4, 102.0)}, width=800)
    assert one.points["a"] == (400.0, one.height / 2)
    empty = reach.project({"a": (None, None)})
    assert empty.points == {} and empty.skipped == ("a",)


# --- A member's record -------------------------------------------------------------------------

def test_record_uses_the_reports_career_counts_and_facts():
    member_talks = [t for t in TALKS if 10 in t.fact.members]
    participations = [(i, m, t.fact.day) for i, t in enumerate(TALKS) for m in t.fact.members]
    participations.append((99, 10, date(2022, 5, 1)))  # before 2023: all time only
    rec = reach.build_record(10, member_talks, participations, today=TODAY,
                             vice_principal_of=[1], school_talks=[TALKS[2]],
                             topic_order=["anti_fraud", "traffic_safety"],
                             format_order=["field_class", "school_talk"])
    assert (rec.talks_all_time, rec.talks_since, rec.talks_this_year) == (5, 4, 3)
    assert rec.figures.sessions == 4 and rec.figures.audience == 480
    assert dict(rec.by_topic)["anti_fraud"] == 2 and dict(rec.by_topic)["campus_bullying"] == 1
    assert rec.by_format == (("field_class", 3), ("school_talk", 1))
    assert rec.places["village"] == ((1, 2, date(2026, 11, 20)), (2, 1, date(2026, 7, 9)))
    assert rec.schools == ((1, 1, 1, date(2025, 3, 5)),)


def test_record_ratings_distribution():
    talks = [talk(date(2026, 5, d), ("village", 1), rating=r) for d, r in
             ((1, 5), (2, 5), (3, 3), (4, None))]
    rec = reach.build_record(10, talks, [], today=TODAY)
    assert rec.figures.ratings == (0, 0, 1, 0, 2)
    assert rec.figures.rating_avg == pytest.approx(13 / 3)
