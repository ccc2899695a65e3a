"""iCalendar feeds: secret links made, regenerated and revoked from a small page; RFC 5545
output that parses, keeps the stored instants, marks cancellations, and holds no phones."""

import re
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from lectureorder.models import FeedToken, Role
from tests.calendar_builders import TEMPLATE_CACHE, add_session
from tests.helpers import local_dt, login


@pytest.fixture(autouse=True)
def compiled_templates(app):
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE


@pytest.fixture
def team(db, world, make_member):
    return make_member(name="马建国"), make_member(name="韩晓梅")


@pytest.fixture
def sessions(db, world, team):
    a, b = team
    return {
        "mine": add_session(db, world, a, local_dt(date(2026, 12, 3), 9, 30), minutes=150,
                            fmt="market_talk", venue="三合集市（示例）"),
        "helping": add_session(db, world, b, local_dt(date(2026, 12, 4), 19), fmt="mobile_film",
                               kit=world.kit, helpers=[a]),
        "cancelled": add_session(db, world, a, local_dt(date(2026, 11, 20), 9), status="cancelled"),
        "old": add_session(db, world, a, local_dt(date(2026, 9, 1), 9)),  # over 60 days ago
        "theirs": add_session(db, world, b, local_dt(date(2026, 12, 5), 9)),
    }


def create_link(client, url: str) -> str:
    response = client.post(url, data={"create": "1"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    match = re.search(r'value="(http://localhost/feeds/[A-Za-z0-9_-]+\.ics)"', response.get_data(as_text=True))
    assert match, "the new link is shown once"
    return match.group(1).removeprefix("http://localhost")


def events(client, path: str):
    """(events by UID, the parsed calendar, the response) of a feed that must open."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}, cal, response


def uid(s) -> str:
    return f"lecture-session-{s.id}@lectureorder"


# ------------------------------------------------------------------------------------ access

def test_the_link_pages_need_the_right_login(client, team, coordinator):
    assert "/auth/login" in client.get("/member/feed").location
    assert "/auth/login" in client.post("/coord/feed", data={"create": "1"}).location
    login(client, team[0].user.username)
    assert client.post("/coord/feed", data={"create": "1"}).status_code == 403
    client.post("/auth/logout")
    login(client, coordinator.username)
    assert client.post("/member/feed", data={"create": "1"}).status_code == 403


def test_a_post_without_a_button_is_refused(client, team):
    login(client, team[0].user.username)
    assert client.post("/member/feed", data={}).status_code == 400


# ------------------------------------------------------------------------------- member feed

def test_member_feed_round_trips(client, db, team, sessions, frozen_now, now):
    a, _ = team
    login(client, a.user.username)
    assert "You have no calendar link yet." in client.get("/member/feed?lang=en").get_data(as_text=True)
    client.get("/member/feed?lang=zh_CN")  # the choice is remembered: back to Chinese
    path = create_link(client, "/member/feed")
    found, cal, response = events(client, path)
    # Only my sessions (lead or helper), from 60 days back, cancelled ones included.
    assert set(found) == {uid(sessions["mine"]), uid(sessions["helping"]), uid(sessions["cancelled"])}
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Asia/Shanghai"
    assert cal["VERSION"] == "2.0" and cal["PRODID"]

    mine = found[uid(sessions["mine"])]
    start, end = mine.decoded("DTSTART"), mine.decoded("DTEND")
    assert start.tzinfo is not None and start.utcoffset() == timedelta(hours=8)
    assert start == sessions["mine"].start and end == sessions["mine"].end  # same instants
    assert mine["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert "DTSTART;TZID=Asia/Shanghai:20261203T093000" in response.get_data(as_text=True)
    assert str(mine["SUMMARY"]) == "防范电信网络诈骗 · 集市宣讲"
    assert str(mine["LOCATION"]) == "三合集市（示例）"
    description = str(mine["DESCRIPTION"])
    assert "集市宣讲" in description and "防范电信网络诈骗" in description and "马建国" in description
    assert "http://localhost/member/schedule?view=week&date=2026-12-03" in description
    assert str(mine["STATUS"]) == "CONFIRMED" and mine["SEQUENCE"] == 0

    cancelled = found[uid(sessions["cancelled"])]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    film = found[uid(sessions["helping"])]
    assert "放映车一号" in str(film["DESCRIPTION"])
    body = response.get_data(as_text=True)
    assert "1380000" not in body and "13972000001" not in body  # no requester or member phones
    assert "张三" not in body


def test_sequence_follows_the_row_version(client, db, team, sessions, frozen_now):
    a, _ = team
    login(client, a.user.username)
    path = create_link(client, "/member/feed")
    lecture = sessions["mine"]
    lecture.venue = "三合集市东口（示例）"
    db.session.commit()
    lecture.end = lecture.end + timedelta(minutes=15)
    db.session.commit()
    found, _, _ = events(client, path)
    event = found[uid(lecture)]
    assert event["SEQUENCE"] == 2 and str(event["LOCATION"]) == "三合集市东口（示例）"
    assert event.decoded("DTEND") == lecture.end


def test_regenerating_revokes_the_old_link(client, db, team, sessions, frozen_now):
    a, _ = team
    login(client, a.user.username)
    old = create_link(client, "/member/feed")
    new = create_link(client, "/member/feed")
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    rows = db.session.scalars(select(FeedToken).order_by(FeedToken.id)).all()
    assert [r.revoked_at is not None for r in rows] == [True, False]
    assert all(len(r.digest) == 64 and r.digest not in (old, new) for r in rows)
    assert all(r.digest != new.split("/")[-1].removesuffix(".ics") for r in rows)
    page = client.get("/member/feed").get_data(as_text=True)
    assert 'name="revoke"' in page and "/feeds/" not in page  # the link is never shown again


def test_revoked_link_is_refused(client, team, sessions, frozen_now):
    login(client, team[0].user.username)
    path = create_link(client, "/member/feed")
    response = client.post("/member/feed", data={"revoke": "1"})
    assert response.status_code == 302 and response.location == "/member/feed"
    refused = client.get(path)
    assert refused.status_code == 404
    assert refused.get_data() == client.get("/feeds/not-a-token.ics").get_data()  # no hint


@pytest.mark.parametrize("path", ["/feeds/x.ics", "/feeds/" + "A" * 43 + ".ics",
                                  "/feeds/" + "a" * 300 + ".ics", "/feeds/.ics"])
def test_wrong_tokens_are_404(client, world, path):
    response = client.get(path)
    assert response.status_code == 404
    assert set(response.get_json()) == {"error", "status"}


def test_a_link_dies_with_its_owners_rights(client, db, team, sessions, frozen_now):
    a, _ = team
    login(client, a.user.username)
    path = create_link(client, "/member/feed")
    a.user.active = False
    db.session.commit()
    assert client.get(path).status_code == 404
    a.user.active = True
    a.user.role = Role.COORDINATOR  # a member's link never turns into the all-sessions feed
    db.session.commit()
    assert client.get(path).status_code == 404


# -------------------------------------------------------------------------- coordinator feed

def test_coordinator_feed_has_every_session(client, team, sessions, coordinator, frozen_now):
    login(client, coordinator.username)
    path = create_link(client, "/coord/feed")
    found, cal, _ = events(client, path)
    assert set(found) == {uid(s) for k, s in sessions.items() if k != "old"}
    theirs = found[uid(sessions["theirs"])]
    assert f"http://localhost/coord/orders/{sessions['theirs'].order.code}" in str(theirs["DESCRIPTION"])
    assert str(theirs["URL"]).endswith(f"/coord/orders/{sessions['theirs'].order.code}")
    assert "韩晓梅" in str(theirs["DESCRIPTION"])


def test_an_empty_feed_still_names_its_time_zone(client, world, coordinator, frozen_now):
    login(client, coordinator.username)
    path = create_link(client, "/coord/feed")
    found, cal, _ = events(client, path)
    assert found == {} and cal.walk("VTIMEZONE")

