"""Every path that books or moves a session refuses when the availability rule says no.

For each path (member accept on the page and in the API, pool accept, coordinator assign and
re-assign, move, rain reschedule, batch send) and each reason (leave, busy with the travel
buffer, daily cap, weekly cap) the member is made unavailable *after* the offer or plan was
made — as leave added later, or a booking made meanwhile — and the path must refuse, say why,
and write nothing.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from lectureorder.domain import availability as av
from lectureorder.models import Leave, LectureSession, Offer, Order
from lectureorder.services import dispatch, ordering
from lectureorder.services.settings import from_app
from tests.helpers import local_dt, login
from tests.services.test_loop import request_for
from tests.web.test_api import token
from tests.web.test_coord_safety import post_confirmed

MON, TUE, WED = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)
REASONS = ("leave", "busy", "cap_day", "cap_week")


def block(db, world, member, reason: str, start: datetime, end: datetime,
          ignore_session_id: int | None = None) -> av.Reason:
    """Make ``member`` unavailable for [start, end) for ``reason``; return the expected message
    (translated as the page shows it)."""
    if reason == "leave":
        db.session.add(Leave(member=member, start=start - timedelta(minutes=30),
                             end=end + timedelta(minutes=30), reason="病假"))
    elif reason == "busy":  # 20 minutes after the slot, in the other township: 60 are needed
        db.session.add(_session(member, end + timedelta(minutes=20), end + timedelta(minutes=80),
                                world.far.id))
    elif reason == "cap_day":
        member.daily_cap = 1
        day = start.astimezone(av.TZ).date()
        db.session.add(_session(member, local_dt(day, 7), local_dt(day, 8), world.town.id))
    elif reason == "cap_week":
        member.weekly_cap = 1
        later = start.astimezone(av.TZ).date() + timedelta(days=2)  # same ISO week (Mon–Sun)
        db.session.add(_session(member, local_dt(later, 7), local_dt(later, 8), world.town.id))
    db.session.commit()
    member_time = _member_time(db, member)
    reasons = av.why_not(member_time, (start, end), world.town.id,
                         ignore_session_id=ignore_session_id)
    assert av.reason_codes(reasons)[:1] == (reason,), reasons
    return reasons[0]


def _session(member, start, end, township_id) -> LectureSession:
    return LectureSession(format="field_class", start=start, end=end, venue="别处（示例）",
                          township_id=township_id, lead_member=member, created_at=start)


def _member_time(db, member):
    from lectureorder.services import scheduling

    return scheduling.member_time(member, local_dt(MON, 0), local_dt(WED + timedelta(days=7), 0))


def said(app, reason: av.Reason) -> str:
    with app.test_request_context():
        return gettext(reason.message, **reason.params)


def shown(text: str) -> str:
    """Page text with HTML escaping undone for the few characters messages use."""
    return text.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")


def sessions(db) -> int:
    return db.session.scalar(select(func.count()).select_from(LectureSession))


@pytest.fixture
def offered(db, world, make_member, now, dispatch_pass):
    """A member holding an open offer for Monday's order, with both of its field-class slots."""
    member = make_member()
    order = ordering.place_order(request_for(world, earliest=MON, latest=MON), now=now)
    dispatch_pass(now)
    db.session.commit()
    offer = order.offers[0]
    assert offer.member_id == member.id
    afternoon = next(s for s in offer.slot_times if s[0].astimezone(av.TZ).hour == 14)
    return member, order, offer, afternoon


@pytest.mark.parametrize("reason", REASONS)
def test_member_accept_on_the_page(reason, client, db, world, offered, frozen_now, app):
    member, order, offer, slot = offered
    message = said(app, block(db, world, member, reason, *slot))
    before = sessions(db)
    login(client, member.user.username)
    response = client.post(f"/member/offers/{offer.id}/accept",
                           data={f"o{offer.id}-slot_start": slot[0].isoformat()},
                           follow_redirects=True)
    assert message in shown(response.get_data(as_text=True))
    db.session.expire_all()
    assert sessions(db) == before
    assert db.session.get(Offer, offer.id).status == "open"
    assert db.session.get(Order, order.id).status == "offered"


@pytest.mark.parametrize("reason", REASONS)
def test_member_accept_in_the_api_is_409_naming_the_reason(reason, client, db, world, offered,
                                                          frozen_now, app):
    member, order, offer, slot = offered
    message = said(app, block(db, world, member, reason, *slot))
    before = sessions(db)
    response = client.post(f"/api/v1/member/offers/{offer.id}/accept",
                           headers=token(client, member.user.username),
                           json={"slot_start": slot[0].isoformat()})
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == message
    assert body["reasons"][0]["code"] == reason
    db.session.expire_all()
    assert sessions(db) == before and db.session.get(Offer, offer.id).status == "open"


@pytest.mark.parametrize("reason", REASONS)
def test_pool_accept(reason, client, db, world, make_member, frozen_now, app, dispatch_pass):
    app.config["DISPATCH_MODE"] = "pool"
    first, _second = make_member(name="甲"), make_member(name="乙")
    order = ordering.place_order(request_for(world, earliest=MON, latest=MON), now=frozen_now,
                                 settings=from_app(app))
    dispatch_pass()
    assert len(order.offers) == 2
    db.session.commit()
    mine = next(o for o in order.offers if o.member_id == first.id)
    slot = next(s for s in mine.slot_times if s[0].astimezone(av.TZ).hour == 14)
    message = said(app, block(db, world, first, reason, *slot))
    response = client.post(f"/api/v1/member/offers/{mine.id}/accept",
                           headers=token(client, first.user.username),
                           json={"slot_start": slot[0].isoformat()})
    assert response.status_code == 409 and response.get_json()["error"] == message
    db.session.expire_all()
    # Nothing taken: the other member may still accept.
    assert db.session.get(Order, order.id).status == "offered"
    assert {o.status for o in db.session.get(Order, order.id).offers} == {"open"}


@pytest.mark.parametrize("reason", REASONS)
def test_coordinator_assign(reason, client, db, world, offered, coordinator, frozen_now, app):
    member, order, _offer, slot = offered
    message = said(app, block(db, world, member, reason, *slot))
    before = sessions(db)
    login(client, coordinator.username)
    response = client.post(f"/coord/orders/{order.code}/assign",
                           data={"member": member.id, "slot_start": slot[0].isoformat()},
                           follow_redirects=True)
    assert message in shown(response.get_data(as_text=True))
    db.session.expire_all()
    assert sessions(db) == before and db.session.get(Order, order.id).status == "offered"


@pytest.mark.parametrize("reason", REASONS)
def test_coordinator_reassign(reason, client, db, world, make_member, coordinator, frozen_now,
                              app):
    holder = make_member(name="甲")
    order = ordering.place_order(request_for(world, earliest=MON, latest=MON), now=frozen_now)
    db.session.commit()
    slot = next(s for s in dispatch.order_slots(order, now=frozen_now)
                if s.start.astimezone(av.TZ).hour == 14)
    dispatch.assign(order, holder, slot.start, now=frozen_now, actor=coordinator)
    db.session.commit()
    other = make_member(name="乙")
    message = said(app, block(db, world, other, reason, slot.start, slot.end))
    login(client, coordinator.username)
    response = client.post(f"/coord/orders/{order.code}/assign",
                           data={"member": other.id, "slot_start": ""}, follow_redirects=True)
    assert message in shown(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Order, order.id).lecture_session.lead_member_id == holder.id


@pytest.mark.parametrize("reason", REASONS)
def test_coordinator_move(reason, client, db, world, make_member, coordinator, frozen_now, app):
    member = make_member()
    order = ordering.place_order(request_for(world, earliest=MON, latest=WED), now=frozen_now)
    db.session.commit()
    slots = dispatch.order_slots(order, now=frozen_now)
    here = next(s for s in slots if s.start.astimezone(av.TZ).date() == WED)
    target = next(s for s in slots if s.start.astimezone(av.TZ).date() == MON
                  and s.start.astimezone(av.TZ).hour == 14)
    session = dispatch.assign(order, member, here.start, now=frozen_now, actor=coordinator)
    db.session.commit()
    message = said(app, block(db, world, member, reason, target.start, target.end,
                              ignore_session_id=session.id))
    login(client, coordinator.username)
    response = client.post(f"/coord/orders/{order.code}/move",
                           data={"slot_start": target.start.isoformat(), "reason": "村里有事"},
                           follow_redirects=True)
    assert message in shown(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(LectureSession, session.id).start == here.start
    # The page's list of times to move to leaves the closed one out.
    page = client.get(f"/coord/orders/{order.code}").get_data(as_text=True)
    assert f'value="{target.start.isoformat()}"' not in page


@pytest.mark.parametrize("reason", REASONS)
def test_rain_reschedule_skips_an_evening_the_member_cannot_take(
        reason, client, db, world, make_member, coordinator, frozen_now, app):
    app.config["FILM_SEASON_ALL_YEAR"] = True
    settings = from_app(app)
    member = make_member(kit_qualified=True)
    order = ordering.place_order(request_for(world, format="mobile_film", earliest=MON,
                                             latest=MON), now=frozen_now, settings=settings)
    db.session.commit()
    evening = dispatch.order_slots(order, now=frozen_now, settings=settings)[0]
    session = dispatch.assign(order, member, evening.start, now=frozen_now, actor=coordinator,
                              settings=settings)
    db.session.commit()
    tuesday = evening.start + timedelta(days=1), evening.end + timedelta(days=1)
    block(db, world, member, reason, *tuesday)
    login(client, coordinator.username)
    post_confirmed(client, "/coord/rain", {"day": MON.isoformat()})
    db.session.expire_all()
    moved = db.session.get(LectureSession, session.id)
    assert moved.start.astimezone(av.TZ).date() != TUE
    if moved.status == "scheduled":
        assert not av.why_not(_member_time(db, member), (moved.start, moved.end), world.town.id,
                              ignore_session_id=moved.id)


def plan_token(page: str) -> str:
    return re.search(r'name="plan" type="hidden" value="([^"]*)"', page).group(1)


@pytest.mark.parametrize("reason", REASONS)
def test_batch_send_skips_a_member_who_is_no_longer_free(reason, client, db, world, make_member,
                                                          coordinator, frozen_now, app, dispatch_pass):
    order = ordering.place_order(request_for(world, earliest=MON, latest=MON), now=frozen_now)
    dispatch_pass()
    db.session.commit()
    assert order.status == "needs_attention"  # nobody in the team yet
    member = make_member()
    login(client, coordinator.username)
    token_ = plan_token(client.get("/coord/backlog").get_data(as_text=True))
    assert token_  # the preview planned an offer to the member
    capped_days = set()  # one blocking session per day is enough (and two would overlap)
    for slot in dispatch.order_slots(order, now=frozen_now):  # whichever time it chose
        day = slot.start.astimezone(av.TZ).date()
        if reason in ("cap_day", "cap_week") and day in capped_days:
            continue
        capped_days.add(day)
        block(db, world, member, reason, slot.start, slot.end)
    response = client.post("/coord/backlog", data={"plan": token_}, follow_redirects=True)
    assert order.code in response.get_data(as_text=True)  # reported as not sent
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 0


@pytest.mark.parametrize(("gap", "status"), [(10, 409), (20, 200)])
def test_accept_keeps_twenty_minutes_within_one_township(gap, status, client, db, world, offered,
                                                         frozen_now):
    """The short buffer inside one township holds on the booking path: 10 minutes between two
    sessions in 三合镇 is refused, exactly 20 is fine."""
    member, _order, offer, slot = offered
    db.session.add(_session(member, slot[1] + timedelta(minutes=gap),
                            slot[1] + timedelta(minutes=gap + 60), world.town.id))
    db.session.commit()
    response = client.post(f"/api/v1/member/offers/{offer.id}/accept",
                           headers=token(client, member.user.username),
                           json={"slot_start": slot[0].isoformat()})
    assert response.status_code == status, response.get_json()
    if status == 409:
        assert response.get_json()["reasons"][0]["code"] == "busy"
