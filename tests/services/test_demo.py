"""The demo data keeps the scheduling rules: terms that roll with the date, and every demo session
and offer on a slot the rules would propose for its place and format."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from lectureorder.domain.calendars import TZ
from lectureorder.models import LectureSession, Offer, School
from lectureorder.services import scheduling
from lectureorder.services.demo import demo_terms, seed

D = date

# Today (1 December), early in the autumn term, in the winter vacation, and in the summer term.
NOWS = [
    datetime(2026, 12, 1, 9, tzinfo=TZ),
    datetime(2026, 9, 10, 9, tzinfo=TZ),
    datetime(2027, 2, 1, 9, tzinfo=TZ),
    datetime(2026, 6, 15, 9, tzinfo=TZ),
]


@pytest.mark.parametrize(
    "today, terms",
    [
        (D(2026, 12, 1), [(D(2026, 9, 1), D(2027, 1, 15)), (D(2027, 3, 1), D(2027, 7, 10)),
                          (D(2027, 9, 1), D(2028, 1, 15)), (D(2028, 3, 1), D(2028, 7, 10))]),
        # The two-month history still reaches back into the last school year.
        (D(2026, 9, 10), [(D(2025, 9, 1), D(2026, 1, 15)), (D(2026, 3, 1), D(2026, 7, 10)),
                          (D(2026, 9, 1), D(2027, 1, 15)), (D(2027, 3, 1), D(2027, 7, 10)),
                          (D(2027, 9, 1), D(2028, 1, 15)), (D(2028, 3, 1), D(2028, 7, 10))]),
        (D(2026, 8, 20), [(D(2025, 9, 1), D(2026, 1, 15)), (D(2026, 3, 1), D(2026, 7, 10)),
                          (D(2026, 9, 1), D(2027, 1, 15)), (D(2027, 3, 1), D(2027, 7, 10))]),
        (D(2027, 2, 1), [(D(2026, 9, 1), D(2027, 1, 15)), (D(2027, 3, 1), D(2027, 7, 10)),
                         (D(2027, 9, 1), D(2028, 1, 15)), (D(2028, 3, 1), D(2028, 7, 10))]),
    ],
)
def test_demo_terms_roll_with_the_date(today, terms):
    assert [(t.first, t.last) for t in demo_terms(today)] == terms


def _proposable(fmt, kind, place_id, start, end, seeded_at) -> bool:
    day = start.astimezone(TZ).date()
    # A past session was booked before it happened; ask the rules as they stood then.
    then = min(seeded_at, datetime.combine(day - timedelta(days=1), time(8), TZ).astimezone(UTC))
    slots = scheduling.propose_slots(fmt, kind, place_id, day, day, now=then)
    return (start, end) in {(s.start, s.end) for s in slots}


@pytest.mark.parametrize("now", NOWS, ids=[n.date().isoformat() for n in NOWS])
def test_every_demo_session_and_offer_is_on_a_proposed_slot(db, now):
    seed(now=now.astimezone(UTC))
    db.session.commit()
    sessions = db.session.scalars(
        select(LectureSession).where(LectureSession.order_id.is_not(None))).all()
    assert len(sessions) > 30
    wrong = [
        (s.order.code, s.format, s.start.astimezone(TZ).isoformat())
        for s in sessions
        if not _proposable(s.format, s.order.place_kind, s.order.place.id, s.start, s.end, now)
    ]
    assert wrong == []
    for s in sessions:
        assert s.order.earliest <= s.start.astimezone(TZ).date() <= s.order.latest
    offers = db.session.scalars(select(Offer)).all()
    wrong = [
        (o.order.code, a.isoformat()) for o in offers for a, b in o.slot_times
        if not _proposable(o.order.format, o.order.place_kind, o.order.place.id, a, b, now)
    ]
    assert wrong == []


def test_today_no_demo_school_talk_sits_in_a_vacation_and_spring_2027_can_be_ordered(db, now):
    seed(now=now)
    db.session.commit()
    for school in db.session.scalars(select(School)):
        spans = [(t.first, t.last) for t in school.terms]
        assert len(spans) == len(set(spans)) == 4  # no duplicate terms
        spring = scheduling.propose_slots("school_talk", "school", school.id, D(2027, 3, 1),
                                          D(2027, 3, 31), now=now)
        assert spring and all(s.provisional for s in spring)
    talks = db.session.scalars(
        select(LectureSession).where(LectureSession.format == "school_talk")).all()
    days = [t.start.astimezone(TZ).date() for t in talks]
    assert days and not [d for d in days if D(2027, 1, 16) <= d <= D(2027, 2, 28)]
