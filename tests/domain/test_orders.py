"""Order request validation: each bad input gets its own field and message."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from lectureorder.domain.formats import ALLOWED_PLACE_KINDS
from lectureorder.domain.orders import OrderRequest, validate_order

TODAY = date(2026, 12, 1)
TOPICS = {
    "anti_fraud": {"field_class", "market_talk", "mobile_film", "school_talk"},
    "campus_bullying": {"school_talk"},
}
GOOD = OrderRequest(
    topics=("anti_fraud",),
    format="field_class",
    place_kind="village",
    place_id=3,
    audience_type="villagers",
    audience_size=60,
    earliest=date(2026, 12, 5),
    latest=date(2026, 12, 20),
    requester_name="张三",
    phone="138 0000 1234",
    requester_org="某村村委会",
    channel="qr",
    notes="",
)


def check(req):
    return validate_order(
        req, today=TODAY, topic_formats=TOPICS, allowed_place_kinds=ALLOWED_PLACE_KINDS
    )


def test_a_good_request_is_cleaned():
    cleaned, errors = check(GOOD)
    assert errors == []
    assert cleaned.phone == "13800001234"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topics": ()}, "topics"),
        ({"topics": ("no_such_talk",)}, "topics"),
        ({"topics": ("anti_fraud", "campus_bullying", "x", "y")}, "topics"),
        ({"topics": ("campus_bullying",)}, "format"),  # bullying talks are school talks only
        ({"format": "karaoke"}, "format"),
        ({"format": "school_talk"}, "place"),  # a school talk needs a school
        ({"place_kind": "city"}, "place"),
        ({"place_id": None}, "place"),
        ({"audience_type": "aliens"}, "audience_type"),
        ({"audience_size": None}, "audience_size"),
        ({"audience_size": 0}, "audience_size"),
        ({"audience_size": -5}, "audience_size"),
        ({"audience_size": 100_000}, "audience_size"),
        ({"earliest": None}, "earliest"),
        ({"earliest": date(2026, 11, 20), "latest": date(2026, 11, 25)}, "earliest"),  # past window
        (
            {"earliest": date(2026, 12, 10), "latest": date(2026, 12, 5)},
            "latest",
        ),  # ends before start
        ({"latest": date(2027, 6, 30)}, "latest"),  # over 120 days
        ({"earliest": date(2028, 1, 1), "latest": date(2028, 1, 5)}, "earliest"),  # > a year ahead
        ({"requester_name": "   "}, "requester_name"),
        ({"requester_name": "名" * 41}, "requester_name"),
        ({"requester_org": "单" * 81}, "requester_org"),
        ({"notes": "x" * 501}, "notes"),
        ({"phone": "12345"}, "phone"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_each_bad_input_names_its_field(changes, field):
    _, errors = check(replace(GOOD, **changes))
    assert field in {e.field for e in errors}, errors


def test_all_problems_are_reported_at_once():
    _, errors = check(replace(GOOD, topics=(), audience_size=0, phone="x"))
    assert {"topics", "audience_size", "phone"} <= {e.field for e in errors}


def test_timing_date_means_exactly_the_first_date():
    cleaned, errors = check(replace(GOOD, timing="date", latest=None))
    assert errors == [] and cleaned.latest == cleaned.earliest


def test_timing_next_looks_ahead_from_the_earliest_date():
    cleaned, errors = check(replace(GOOD, timing="next", latest=None))
    assert not errors and cleaned.latest == GOOD.earliest + timedelta(days=45)
    # "Any time" with no latest date looks at the same 45 days (the form's preview does too).
    cleaned, errors = check(replace(GOOD, timing="any", latest=None))
    assert errors == [] and (cleaned.latest - cleaned.earliest).days == 45


def test_unknown_timing_is_refused():
    _, errors = check(replace(GOOD, timing="soonish"))
    assert "timing" in {e.field for e in errors}
