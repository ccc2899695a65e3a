"""The report service: facts from the tables, local month boundaries, a fixed number of queries."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from lectureorder.models import SessionPhoto
from lectureorder.services import reports
from tests.report_data import accept, at, make_order, make_session

NOV = {"from": "2026-11-01", "to": "2026-11-30"}
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def add_photos(db, session, member, n):
    for i in range(n):
        db.session.add(SessionPhoto(session_id=session.id, uploader_id=member.id,
                                    stored_name=f"{session.id}-{i}.png", content_type="image/png",
                                    size=10, width=1, height=1, digest=f"{session.id}-{i}"))


@pytest.fixture
def november(db, world, make_member):
    """The hand-computed month (expected figures in the tests below)."""
    a = make_member("马建国")
    b = make_member("李海龙", topics=("two_cards",))
    c = make_member("王晓燕")
    # O1: accepted after 2 h (a later re-assignment does not count), held 4 d 1 h after the order
    o1 = make_order(db, world, created=at(date(2026, 11, 2), 9), status="closed")
    accept(db, o1, at(date(2026, 11, 2), 11))
    accept(db, o1, at(date(2026, 11, 5), 9))
    s1 = make_session(db, world, a, order=o1, start=at(date(2026, 11, 6), 10), headcount=60,
                      signins=55, rating=5, helpers=[b], notes="现场帮助安装反诈App")
    add_photos(db, s1, a, 2)
    # O2: accepted after 6 h, held 10 d 2 h after the order, 3 stars
    o2 = make_order(db, world, created=at(date(2026, 11, 10), 8), status="closed",
                    topics=("anti_fraud", "two_cards"), fmt="market_talk", township=world.far)
    accept(db, o2, at(date(2026, 11, 10), 14))
    make_session(db, world, b, order=o2, start=at(date(2026, 11, 20), 10), headcount=100, rating=3)
    # O3 cancelled; O4 accepted after 24 h, its talk is in December and not yet held
    make_order(db, world, created=at(date(2026, 11, 15), 9), status="cancelled",
               topics=("traffic_safety",))
    o4 = make_order(db, world, created=at(date(2026, 11, 25), 9), status="scheduled")
    accept(db, o4, at(date(2026, 11, 26), 9))
    make_session(db, world, a, order=o4, start=at(date(2026, 12, 5), 10), status="scheduled")
    # O5: 00:30 on 1 November Beijing time is still 31 October in UTC: it belongs to November
    make_order(db, world, created=at(date(2026, 11, 1), 0, 30))
    # O6: 00:30 on 1 December Beijing time is 30 November in UTC: not November
    make_order(db, world, created=at(date(2026, 12, 1), 0, 30))
    # S4: a talk without an order (no township), 30 people
    make_session(db, world, c, start=at(date(2026, 11, 28), 15), headcount=30, township=None)
    # S5: 23:30 on 31 October (Beijing): October; S6: 00:30 on 1 December: December
    make_session(db, world, c, start=at(date(2026, 10, 31), 23, 30), headcount=500)
    make_session(db, world, a, start=at(date(2026, 12, 1), 0, 30), headcount=700)
    # Older talks count towards the members' tallies only
    make_session(db, world, a, start=at(date(2022, 6, 1), 10), headcount=10)
    make_session(db, world, b, start=at(date(2023, 3, 1), 10), headcount=10)
    db.session.commit()
    return {"a": a, "b": b, "c": c, "o1": o1}


def test_november_totals(db, november):
    page = reports.build(NOV, now=NOW)
    t = page.total
    assert page.errors == []
    assert (t.sessions, t.audience, t.signins, t.signin_sessions, t.photos) == (3, 190, 55, 1, 2)
    assert (t.received, t.fulfilled, t.cancelled) == (5, 2, 1)
    assert t.to_acceptance == timedelta(hours=6)                    # 2 h, 6 h, 24 h
    assert t.to_delivery == timedelta(days=7, hours=1, minutes=30)  # (4 d 1 h + 10 d 2 h) / 2
    assert t.ratings == (0, 0, 1, 0, 1) and t.rating_avg == 4


def test_months_are_local(db, november):
    oct_ = reports.build({"from": "2026-10-01", "to": "2026-10-31"}, now=NOW).total
    assert (oct_.sessions, oct_.audience, oct_.received) == (1, 500, 0)
    dec = reports.build({"from": "2026-12-01", "to": "2026-12-31"}, now=NOW).total
    assert (dec.sessions, dec.audience, dec.received) == (1, 700, 1)


def test_breakdowns(db, world, november):
    page = reports.build(NOV, now=NOW, lang="en")
    by = {dim: {r.key: r for r in rows} for dim, rows in page.rows.items()}
    assert list(by["month"]) == ["2026-11"]
    assert {k: r.figures.sessions for k, r in by["township"].items()} == {
        world.town.id: 1, world.far.id: 1, None: 1}
    assert by["township"][world.far.id].label == "Hongshuiquan"
    assert by["township"][None].label is None
    members = by["member"]
    a, b, c = (november[k].id for k in "abc")
    assert {k: r.figures.sessions for k, r in members.items()} == {a: 1, b: 2, c: 1, None: 0}
    assert members[None].figures.received == 2  # the cancelled and the waiting order
    # talks given: all time and since 2023, whatever the period shown
    assert (members[a].career, members[b].career, members[c].career) == ((3, 2), (3, 3), (2, 2))
    assert members[b].label == "李海龙"
    # a ranking: most talks in the period, then the longest record; "not set" last
    assert [r.key for r in page.rows["member"]] == [b, a, c, None]
    topics = by["topic"]
    assert topics["anti_fraud"].figures.sessions == 2 and topics["two_cards"].figures.sessions == 1
    assert topics["anti_fraud"].label == "Anti-fraud"
    assert by["format"]["market_talk"].figures.received == 1


def test_filter_by_member_includes_helpers(db, november):
    page = reports.build({**NOV, "member": str(november["b"].id)}, now=NOW)
    assert (page.total.sessions, page.total.audience) == (2, 160)
    assert [r.key for r in page.rows["member"]][0] == november["b"].id


def test_ledger_rows(db, november):
    page = reports.build(NOV, now=NOW, lang="zh", ledger=True)
    assert [r.day for r in page.ledger] == [date(2026, 11, 6), date(2026, 11, 20),
                                            date(2026, 11, 28)]
    first = page.ledger[0]
    assert (first.start, first.end) == (time(10, 0), time(11, 0))
    assert (first.township, first.format, first.topics) == ("三合镇", "田间课堂", "防范电信网络诈骗")
    assert first.members == "马建国、李海龙"
    assert (first.headcount, first.signins, first.photos, first.rating) == (60, 55, 2, 5)
    assert first.notes == "现场帮助安装反诈App" and first.order_code == november["o1"].code
    assert page.ledger[2].township == "" and page.ledger[2].order_code == ""
    assert not any("13800001234" in repr(row) for row in page.ledger)  # no phone, ever


def test_bad_parameters_come_back_as_errors(db, november):
    page = reports.build({"from": "2026-02-30", "member": "abc"}, now=NOW)
    assert {e.field for e in page.errors} == {"from", "member"}
    assert page.filter.member is None


def test_a_fixed_number_of_queries(db, world, make_member, count_queries):
    """Ten times the talks, the same number of queries (and no lazy load: raiseload is on)."""
    member = make_member()
    helper = make_member("李海龙")

    def add(n, day):
        for i in range(n):
            order = make_order(db, world, created=at(day, 8, i), status="closed",
                               topics=("anti_fraud", "two_cards"))
            accept(db, order, at(day, 9, i))
            # One member's talks never overlap (PostgreSQL's no_member_overlap refuses them).
            start = at(day + timedelta(days=1 + i // 10), 8 + i % 10)
            session = make_session(db, world, member, order=order, start=start,
                                   rating=4, signins=3, helpers=[helper])
            add_photos(db, session, member, 1)
        db.session.commit()

    add(2, date(2026, 11, 3))
    with count_queries() as few:
        reports.build(NOV, now=NOW, ledger=True)
    db.session.expire_all()
    add(20, date(2026, 11, 13))
    with count_queries() as many:
        page = reports.build(NOV, now=NOW, ledger=True)
    assert page.total.sessions == 22 and page.total.photos == 22 and len(page.ledger) == 22
    assert many() == few()
    assert many() <= 20
