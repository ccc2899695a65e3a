"""Report arithmetic against a fixture computed by hand (see the comments for the sums)."""

from datetime import date, timedelta

import pytest

from lectureorder.domain.reports import (
    Figures,
    OrderFact,
    ReportFilter,
    SessionFact,
    add_months,
    build_report,
    career_counts,
    default_range,
    matches,
    median,
    month_end,
    months_between,
    parse_filter,
    rate,
)

H = timedelta(hours=1)
D = timedelta(days=1)
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
PERIOD = ReportFilter(first=date(2026, 10, 1), last=date(2026, 11, 30))

SESSIONS = [
    # S1: Oct, township 1, one topic, member 10; 60 people, 50 signed, 2 photos, 5 stars
    SessionFact(date(2026, 10, 5), 1, ("anti_fraud",), "field_class", (10,), 60, 50, 2, 5),
    # S2: Oct, township 2, two topics, lead 11 with helper 10; 120 people, no sheet, 4 stars
    SessionFact(date(2026, 10, 20), 2, ("anti_fraud", "two_cards"), "market_talk", (11, 10),
                120, None, 0, 4),
    # S3: Nov, township 1, member 11; 40 people, 38 signed, 3 photos, not rated
    SessionFact(date(2026, 11, 3), 1, ("traffic_safety",), "field_class", (11,), 40, 38, 3, None),
    # S4: the last day, no order behind it (no township, no topic); headcount missing; 2 stars
    SessionFact(date(2026, 11, 30), None, (), "school_talk", (12,), None, None, 0, 2),
    # S5: the day before the period: never counted
    SessionFact(date(2026, 9, 30), 1, ("anti_fraud",), "field_class", (10,), 999, 999, 9, 1),
]
ORDERS = [
    OrderFact(date(2026, 10, 1), 1, ("anti_fraud",), "field_class", (10,), "closed", 2 * H, 4 * D),
    OrderFact(date(2026, 10, 15), 2, ("anti_fraud", "two_cards"), "market_talk", (11, 10),
              "delivered", 10 * H, 5 * D),
    OrderFact(date(2026, 11, 2), 1, ("traffic_safety",), "field_class", (11,), "delivered",
              1 * H, 1 * D),
    OrderFact(date(2026, 11, 10), 2, ("anti_fraud",), "field_class", (), "cancelled", None, None),
    OrderFact(date(2026, 11, 20), 1, ("two_cards",), "mobile_film", (12,), "scheduled", 30 * H,
              None),
    OrderFact(date(2026, 12, 1), 1, ("anti_fraud",), "field_class", (10,), "closed", H, D),
]
KEYS = {
    "township": [1, 2, 3],
    "topic": ["anti_fraud", "two_cards", "traffic_safety", "campus_bullying", "drug_awareness"],
    "format": ["field_class", "market_talk", "mobile_film", "school_talk"],
    "member": [10, 11, 12, 13],
}


@pytest.fixture(scope="module")
def report():
    return build_report(PERIOD, SESSIONS, ORDERS, KEYS)


def rows(report, dim):
    return dict(report.rows[dim])


def test_median_and_rate():
    assert median([]) is None
    assert median([3 * H]) == 3 * H
    assert median([H, 10 * H, 2 * H]) == 2 * H
    assert median([H, 2 * H, 10 * H, 30 * H]) == 6 * H  # mean of the middle two
    assert rate(3, 5) == 0.6
    assert rate(0, 0) is None  # no orders is not 0% fulfilled


def test_totals(report):
    t = report.total
    assert (t.sessions, t.audience, t.signins, t.signin_sessions, t.photos) == (4, 220, 88, 2, 5)
    assert (t.received, t.fulfilled, t.cancelled) == (5, 3, 1)
    assert (t.fulfil_rate, t.cancel_rate) == (0.6, 0.2)
    assert t.to_acceptance == 6 * H      # 1, 2, 10, 30 hours → (2 + 10) / 2
    assert t.to_delivery == 4 * D        # 1, 4, 5 days
    assert t.ratings == (0, 1, 0, 1, 1)  # one each of 2, 4 and 5 stars
    assert t.rating_count == 3
    assert t.rating_avg == pytest.approx(11 / 3)


def test_by_month_runs_over_the_whole_period(report):
    months = rows(report, "month")
    assert list(months) == ["2026-10", "2026-11"]
    oct_, nov = months["2026-10"], months["2026-11"]
    assert (oct_.sessions, oct_.audience, oct_.signins, oct_.photos) == (2, 180, 50, 2)
    assert (oct_.received, oct_.fulfilled, oct_.cancelled) == (2, 2, 0)
    assert oct_.rating_avg == 4.5
    assert (oct_.to_acceptance, oct_.to_delivery) == (6 * H, 4.5 * D)
    assert (nov.sessions, nov.audience, nov.signins, nov.photos) == (2, 40, 38, 3)
    assert (nov.received, nov.fulfilled, nov.cancelled) == (3, 1, 1)
    assert (nov.to_acceptance, nov.to_delivery) == (15.5 * H, 1 * D)
    assert nov.rating_avg == 2


def test_empty_months_show_as_zero():
    flt = ReportFilter(first=date(2026, 8, 15), last=date(2026, 11, 30))
    months = dict(build_report(flt, SESSIONS, ORDERS, KEYS).rows["month"])
    assert list(months) == ["2026-08", "2026-09", "2026-10", "2026-11"]
    assert months["2026-08"] == Figures()
    assert months["2026-09"].sessions == 1  # S5 is inside this longer period


def test_by_township_lists_quiet_townships_and_a_not_set_bucket(report):
    towns = rows(report, "township")
    assert list(towns) == [1, 2, 3, None]
    assert (towns[1].sessions, towns[1].audience, towns[1].signins) == (2, 100, 88)
    assert (towns[1].received, towns[1].fulfilled) == (3, 2)
    assert (towns[2].sessions, towns[2].received, towns[2].cancelled) == (1, 2, 1)
    assert towns[3] == Figures()
    assert towns[None].sessions == 1 and towns[None].received == 0


def test_a_talk_on_two_topics_counts_under_each(report):
    topics = rows(report, "topic")
    assert [k for k in topics] == KEYS["topic"] + [None]
    assert {k: f.sessions for k, f in topics.items()} == {
        "anti_fraud": 2, "two_cards": 1, "traffic_safety": 1, "campus_bullying": 0,
        "drug_awareness": 0, None: 1}
    assert {k: f.received for k, f in topics.items()} == {
        "anti_fraud": 3, "two_cards": 2, "traffic_safety": 1, "campus_bullying": 0,
        "drug_awareness": 0, None: 0}


def test_by_format(report):
    formats = rows(report, "format")
    assert {k: (f.sessions, f.received) for k, f in formats.items()} == {
        "field_class": (2, 3), "market_talk": (1, 1), "mobile_film": (0, 1), "school_talk": (1, 0)}


def test_helpers_count_as_having_given_the_talk(report):
    members = rows(report, "member")
    assert {k: (f.sessions, f.received) for k, f in members.items()} == {
        10: (2, 2), 11: (2, 2), 12: (1, 1), 13: (0, 0), None: (0, 1)}
    assert members[11].audience == 160


@pytest.mark.parametrize(("changes", "sessions", "received"), [
    ({"member": 11}, 2, 2),
    ({"member": 10}, 2, 2),
    ({"topic": "anti_fraud"}, 2, 3),
    ({"township": 1}, 2, 3),
    ({"format": "field_class"}, 2, 3),
    ({"format": "mobile_film"}, 0, 1),
    ({"township": 2, "topic": "two_cards"}, 1, 1),
    ({"first": date(2026, 11, 30)}, 1, 0),  # the last day alone holds S4 only
])
def test_filters_narrow_both_sessions_and_orders(changes, sessions, received):
    flt = ReportFilter(**{**PERIOD.__dict__, **changes})
    report = build_report(flt, SESSIONS, ORDERS, KEYS)
    assert (report.total.sessions, report.total.received) == (sessions, received)


def test_matches_uses_both_ends_inclusive():
    fact = SESSIONS[0]
    assert matches(fact, ReportFilter(first=fact.day, last=fact.day))
    assert not matches(fact, ReportFilter(first=fact.day + D, last=fact.day + 2 * D))


def test_career_counts_since_2023_and_without_double_counting():
    participations = [
        (1, 10, date(2022, 12, 31)), (2, 10, date(2023, 1, 1)), (2, 11, date(2023, 1, 1)),
        (3, 10, date(2026, 10, 5)), (3, 10, date(2026, 10, 5)),  # listed twice: counted once
    ]
    assert career_counts(participations) == {10: (3, 2), 11: (1, 1)}
    assert career_counts(participations, since=date(2026, 1, 1)) == {10: (3, 1), 11: (1, 0)}


# --- Query parameters --------------------------------------------------------------------------

TODAY = date(2026, 12, 1)
KNOWN = {"townships": [1, 2], "topics": ["anti_fraud"], "formats": ["field_class"],
         "members": [10]}


def parse(**args):
    return parse_filter(args, today=TODAY, **KNOWN)


def test_default_is_the_last_twelve_months():
    flt, errors = parse()
    assert errors == []
    assert (flt.first, flt.last) == (date(2026, 1, 1), date(2026, 12, 31))
    assert default_range(date(2026, 3, 15)) == (date(2025, 4, 1), date(2026, 3, 31))


def test_good_parameters_are_kept():
    flt, errors = parse(**{"from": "2026-11-01", "to": "2026-11-30", "township": "2",
                           "topic": "anti_fraud", "format": "field_class", "member": "10"})
    assert errors == []
    assert flt == ReportFilter(date(2026, 11, 1), date(2026, 11, 30), 2, "anti_fraud",
                               "field_class", 10)
    assert flt.query() == {"from": "2026-11-01", "to": "2026-11-30", "township": "2",
                           "topic": "anti_fraud", "format": "field_class", "member": "10"}


@pytest.mark.parametrize(("args", "field"), [
    ({"from": "2026-02-30"}, "from"),
    ({"from": "30/11/2026"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"to": "1900-01-01"}, "to"),
    ({"to": "2026-11-1"}, "to"),
    ({"township": "abc"}, "township"),
    ({"township": "3"}, "township"),
    ({"township": "-1"}, "township"),
    ({"township": "9" * 40}, "township"),
    ({"topic": "../../etc"}, "topic"),
    ({"topic": "unknown"}, "topic"),
    ({"format": "<script>"}, "format"),
    ({"member": "1.5"}, "member"),
    ({"member": "11"}, "member"),
])
def test_bad_parameters_are_dropped_with_a_message(args, field):
    flt, errors = parse(**args)
    assert [e.field for e in errors] == [field]
    assert errors[0].reason
    default = parse()[0]
    assert flt == default  # the bad one is ignored; the report still shows


def test_dates_the_wrong_way_round_are_swapped():
    flt, errors = parse(**{"from": "2026-11-30", "to": "2026-11-01"})
    assert (flt.first, flt.last) == (date(2026, 11, 1), date(2026, 11, 30))
    assert [e.field for e in errors] == ["from"]


def test_a_very_long_range_is_cut():
    flt, errors = parse(**{"from": "2000-01-01", "to": "2026-11-30"})
    assert flt.first == date(2016, 1, 1) and flt.last == date(2026, 11, 30)
    assert len(errors) == 1


def test_a_long_bad_value_is_shortened_in_the_message():
    _flt, errors = parse(**{"from": "x" * 500})
    assert len(errors[0].params["value"]) == 20


@pytest.mark.parametrize(("first", "last", "stem"), [
    (date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
    (date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
    (date(2026, 1, 1), date(2026, 12, 31), "2026"),
    (date(2026, 11, 1), date(2026, 11, 29), "2026-11-01_2026-11-29"),
    (date(2025, 12, 1), date(2026, 11, 30), "2025-12-01_2026-11-30"),
])
def test_file_stem(first, last, stem):
    assert ReportFilter(first=first, last=last).file_stem == stem


def test_month_helpers():
    assert months_between(date(2025, 11, 20), date(2026, 2, 1)) == [
        "2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_end(date(2026, 12, 5)) == date(2026, 12, 31)
    assert month_end(date(2028, 2, 1)) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert add_months(date(2026, 12, 31), 1) == date(2027, 1, 1)
