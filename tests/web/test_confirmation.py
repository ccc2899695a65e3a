"""A concrete confirmation: the first day that can work while a member is found, then the
confirmed time, an .ics for the requester's calendar, the code large with the station's phone."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lectureorder.domain.calendars import TZ, MarketRule, long_date_label, market_days
from lectureorder.models import Offer, Order
from lectureorder.services import dispatch
from tests.web.test_public import form_for


def test_the_next_market_day_is_named_with_its_lunar_date(client, world, frozen_now, db):
    response = client.post("/orders/new", data=form_for(
        world, format="market_talk", place=f"market:{world.market.id}", timing="next",
        earliest="2026-12-08", latest=""), follow_redirects=True)
    page = response.get_data(as_text=True)
    first = market_days(MarketRule("lunar", digits=frozenset({3, 6, 9})), date(2026, 12, 8),
                        date(2026, 12, 31))[0]
    assert f"最早可以安排在{long_date_label(first)}" in page
    assert "农历" in long_date_label(first)
    # The same on the tracking page.
    assert long_date_label(first) in client.get("/track").get_data(as_text=True)


def test_the_confirmed_time_replaces_it_and_the_calendar_file_has_the_talk(
        client, world, make_member, frozen_now, db, dispatch_pass):
    member = make_member()
    assert client.post("/orders/new", data=form_for(world)).status_code == 302
    assert client.get("/track/calendar.ics").status_code == 404  # nothing scheduled yet
    dispatch_pass()
    offer = db.session.scalar(select(Offer))
    dispatch.accept_offer(offer.id, member, offer.slot_times[0][0], now=frozen_now)
    db.session.commit()
    page = client.get("/track").get_data(as_text=True)
    assert 'data-testid="first-day"' not in page and 'data-testid="order-when"' in page
    ics = client.get("/track/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    start = offer.slot_times[0][0]
    assert "BEGIN:VEVENT" in body and "DTSTART;TZID=Asia/Shanghai:" in body
    assert start.astimezone(TZ).strftime("%Y%m%dT%H%M%S") in body
    order = db.session.scalar(select(Order))
    assert order.requester_phone not in body.replace("\r\n ", "")


def test_the_calendar_file_needs_a_tracked_order(client, world):
    assert client.get("/track/calendar.ics").status_code == 404


def test_the_confirmation_shows_the_code_large_the_screenshot_hint_and_a_tel_link(
        client, world, frozen_now, db):
    page = client.post("/orders/new", data=form_for(world), follow_redirects=True).get_data(
        as_text=True)
    code = db.session.scalar(select(Order.code))
    assert f'<p class="code" data-testid="order-code">{code}</p>' in page
    assert "截图" in page and 'href="tel:' in page
