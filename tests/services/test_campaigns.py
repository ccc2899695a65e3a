"""A campaign through the services: the preview proposes only valid slots and never double-books,
places with no valid slot are reported and not sent, the dispatch pass offers what was sent,
the tally follows the orders, the reports filter by campaign, the calendar's administration."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lectureorder.domain import campaigns as camp
from lectureorder.domain.calendars import TZ
from lectureorder.domain.errors import DomainError, ValidationFailed
from lectureorder.models import (
    AwarenessDay,
    Campaign,
    LectureSession,
    Market,
    Offer,
    Order,
    School,
    SchoolTerm,
    SessionStatus,
    Village,
)
from lectureorder.services import campaigns, dispatch, scheduling
from lectureorder.services import reports as report_service
from lectureorder.services.clock import freeze
from tests.conftest import run_dispatch_pass
from tests.helpers import live_settings

D = date
#: 10 June 2027, 09:00 Beijing: a fortnight before 6·26, in the film season and the school term.
NOW = datetime(2027, 6, 10, 9, tzinfo=TZ).astimezone(UTC)
FIRST, LAST = D(2027, 6, 19), D(2027, 7, 2)


@pytest.fixture
def places(db, world):
    """Film villages, markets (lunar 三六九 and Sundays), a school in term and one on holiday."""
    extra = [Village(township_id=world.town.id, name=f"{n}村（示例）", lat=36.45 + i / 100,
                     lon=102.04 + i / 100) for i, n in enumerate(["南滩", "北山", "杏园"], 1)]
    sunday = Market(township_id=world.far.id, name="洪水泉周日集（示例）", lat=36.43, lon=102.25,
                    cycle={"calendar": "weekday", "weekdays": [7]})
    second = School(township_id=world.far.id, name="洪水泉小学（示例）", lat=36.431, lon=102.252)
    second.terms = [SchoolTerm(first=D(2027, 3, 1), last=D(2027, 7, 10))]
    closed = School(township_id=world.town.id, name="已放假学校（示例）", lat=36.46, lon=102.05)
    closed.terms = [SchoolTerm(first=D(2027, 3, 1), last=D(2027, 6, 1)),
                    SchoolTerm(first=D(2027, 9, 1), last=D(2028, 1, 15))]
    db.session.add_all([*extra, sunday, second, closed])
    db.session.commit()
    villages = [world.village, world.far_village, *extra]
    keys = ([f"village:{v.id}" for v in villages]
            + [f"market:{world.market.id}", f"market:{sunday.id}",
               f"school:{world.school.id}", f"school:{second.id}", f"school:{closed.id}"])
    return type("Places", (), {"villages": villages, "closed": closed, "keys": tuple(keys),
                               "sunday": sunday, "second": second})


@pytest.fixture
def team(make_member, world):
    return [make_member(name, topics=("drug_awareness",), kit_qualified=kit,
                        township=world.far if i % 2 else world.town)
            for i, (name, kit) in enumerate([("马建国", True), ("李海龙", True), ("王晓燕", False),
                                             ("张卫东", False)])]


def plan_input(world_places, **overrides) -> camp.PlanInput:
    data = dict(name="2027 国际禁毒日", topics=("drug_awareness",), first=FIRST, last=LAST,
                places=world_places.keys, village_format="mobile_film")
    data.update(overrides)
    return camp.PlanInput(**data)


def valid_slots(kind, place_id, fmt, settings):
    return {(s.start, s.end) for s in scheduling.propose_slots(
        fmt, kind, place_id, FIRST, LAST, now=NOW, settings=settings)}


def overlaps(intervals):
    """Pairs of [start, end) intervals that overlap (a double booking)."""
    intervals = sorted(intervals)
    return [(a, b) for a, b in zip(intervals, intervals[1:], strict=False) if b[0] < a[1]]


def test_a_fortnight_proposes_only_valid_slots_and_never_double_books(app, places, team):
    settings = live_settings()
    shown = campaigns.preview(plan_input(places), now=NOW, settings=settings)
    assert {r.format for r in shown.planned} == {"mobile_film", "market_talk", "school_talk"}
    for row in shown.planned:  # each against the slot rules for its place and form
        assert (row.start, row.end) in valid_slots(row.kind, row.place.id, row.format, settings), row
    by_member: dict[int, list] = {}
    for row in shown.planned:
        by_member.setdefault(row.member_id, []).append((row.start, row.end))
    for member_id, times in by_member.items():
        assert overlaps(times) == [], member_id
    # One kit: no two film evenings at once.
    films = [(r.start, r.end) for r in shown.planned if r.format == "mobile_film"]
    assert len(films) == len(places.villages) and overlaps(films) == []


def test_a_place_with_no_valid_slot_is_reported_and_not_sent(app, db, places, team):
    settings = live_settings()
    shown = campaigns.preview(plan_input(places), now=NOW, settings=settings)
    skipped = {r.key: r for r in shown.skipped}
    closed = f"school:{places.closed.id}"
    assert set(skipped) == {closed}
    assert skipped[closed].problem is not None and skipped[closed].start is None
    assert closed not in shown.token.split(",")
    report = campaigns.send(plan_input(places), shown.token, now=NOW, actor=None,
                            settings=settings)
    db.session.commit()
    stored = db.session.scalars(select(Order).where(Order.campaign_id == report.campaign.id)).all()
    assert len(stored) == len(shown.planned) == len(places.keys) - 1
    assert all(o.status == "submitted" and o.channel == "campaign" for o in stored)
    assert places.closed.id not in {o.school_id for o in stored}
    assert all((o.earliest, o.latest) == (FIRST, LAST) for o in stored)


def test_no_free_member_is_said_and_skipped(app, db, places, make_member, world):
    make_member("只讲反诈", topics=("anti_fraud",))  # nobody gives drug awareness
    shown = campaigns.preview(plan_input(places), now=NOW, settings=live_settings())
    assert shown.planned == ()
    assert {r.problem.reason for r in shown.skipped if r.key != f"school:{places.closed.id}"} == {
        "Nobody on the team can take it at any of its times."}
    with pytest.raises(DomainError):
        campaigns.send(plan_input(places), "village:1", now=NOW, actor=None,
                       settings=live_settings())


def test_sent_orders_are_offered_by_the_dispatch_pass_and_accepted_without_clashes(
        app, db, places, team):
    settings = live_settings()
    freeze(NOW)
    shown = campaigns.preview(plan_input(places), now=NOW, settings=settings)
    report = campaigns.send(plan_input(places), shown.token, now=NOW, actor=None,
                            settings=settings)
    db.session.commit()
    cid = report.campaign.id
    assert campaigns.tallies()[cid]["planned"] == len(report.orders)
    assert run_dispatch_pass(NOW) == len(report.orders)
    db.session.expire_all()
    orders = db.session.scalars(select(Order).where(Order.campaign_id == cid)).all()
    assert {o.status for o in orders} == {"offered"}
    assert campaigns.tallies()[cid]["offered"] == len(orders)
    for order in orders:  # every offered time is a valid one for its place and form
        allowed = valid_slots(order.place_kind, order.place_id, order.format, settings)
        for offer in order.offers:
            assert set(offer.slot_times) <= allowed
    # Each member accepts, the first offered time first (the gate may send them to the next).
    for offer in db.session.scalars(select(Offer).where(Offer.status == "open")
                                    .order_by(Offer.id)).all():
        for start, _end in offer.slot_times:
            try:
                dispatch.accept_offer(offer.id, offer.member, start, now=NOW)
            except DomainError:
                db.session.rollback()
                continue
            db.session.commit()
            break
    db.session.expire_all()
    assert campaigns.tallies()[cid]["scheduled"] == len(orders)
    sessions = db.session.scalars(select(LectureSession).where(
        LectureSession.status == SessionStatus.SCHEDULED)).all()
    assert len(sessions) == len(orders)
    by_member: dict[int, list] = {}
    for s in sessions:
        by_member.setdefault(s.lead_member_id, []).append((s.start, s.end))
    for times in by_member.values():
        assert overlaps(times) == []
    kits = [(s.start, s.end) for s in sessions if s.kit_id is not None]
    assert len(kits) == len(places.villages) and overlaps(kits) == []


def test_the_reports_filter_by_campaign(app, db, places, team):
    settings = live_settings()
    shown = campaigns.preview(plan_input(places, places=places.keys[:2]), now=NOW,
                              settings=settings)
    report = campaigns.send(plan_input(places, places=places.keys[:2]), shown.token, now=NOW,
                            actor=None, settings=settings)
    other = campaigns.send(plan_input(places, name="另一个", places=places.keys[5:7]),
                           ",".join(places.keys[5:7]), now=NOW, actor=None, settings=settings)
    db.session.commit()
    args = {"from": "2027-06-01", "to": "2027-07-31"}
    everything = report_service.build(args, now=NOW)
    mine = report_service.build({**args, "campaign": str(report.campaign.id)}, now=NOW)
    theirs = report_service.build({**args, "campaign": str(other.campaign.id)}, now=NOW)
    assert everything.total.received == 4
    assert mine.total.received == 2 and theirs.total.received == 2
    assert mine.errors == [] and mine.query["campaign"] == str(report.campaign.id)
    assert {c.label for c in mine.choices["campaign"]} == {"2027 国际禁毒日", "另一个"}
    unknown = report_service.build({**args, "campaign": "999"}, now=NOW)
    assert unknown.total.received == 4 and [e.field for e in unknown.errors] == ["campaign"]


def test_the_calendar_is_administered_with_its_rules(app, db, world):
    row = campaigns.create_day(camp.DayInput("国际禁毒日", "", 6, 26, "awareness",
                                             ("drug_awareness",)), now=NOW)
    db.session.commit()
    with pytest.raises(ValidationFailed) as bad:
        campaigns.update_day(row, camp.DayInput("", "", 2, 30, "party", ("nope",)), now=NOW)
    assert {e.field for e in bad.value.errors} == {"name_zh", "day", "kind", "topics"}
    db.session.rollback()
    campaign = Campaign(name="x", topics=[], first=FIRST, last=LAST, awareness_day_id=row.id,
                        created_at=NOW)
    db.session.add(campaign)
    db.session.commit()
    campaigns.delete_day(db.session.get(AwarenessDay, row.id), now=NOW)
    db.session.commit()
    assert db.session.get(Campaign, campaign.id).awareness_day_id is None
