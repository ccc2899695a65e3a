"""Pages and the API write a slot with the one domain formatter, provisional mark included."""

from __future__ import annotations

from datetime import datetime

from lectureorder.domain.calendars import TZ, slot_label
from tests.calendar_builders import add_session
from tests.helpers import login


def test_pages_and_api_agree_and_mark_provisional_slots(client, world, make_member, coordinator,
                                                       frozen_now, db):
    member = make_member()
    december = datetime(2026, 12, 8, 9, 30, tzinfo=TZ)
    january = datetime(2027, 1, 5, 9, 30, tzinfo=TZ)  # 2027: no published arrangement yet
    add_session(db, world, member, december)
    add_session(db, world, member, january)
    login(client, coordinator.username)
    page = client.get("/coord/sessions?days=60").get_data(as_text=True)
    assert "农历十月三十（12月8日 周二）09:30–11:00<" in page  # no space, no mark in 2026
    assert "农历冬月廿八（1月5日 周二）09:30–11:00（待定）" in page
    english = client.get("/coord/sessions?days=60&lang=en").get_data(as_text=True)
    assert "Tue 5 Jan (lunar 11/28) 09:30–11:00 (provisional)" in english

    api = client.get(f"/api/v1/slots?format=field_class&place_kind=village&place_id={world.village.id}"
                     "&from=2027-01-05&to=2027-01-05").get_json()
    assert api[0]["label"] == slot_label(january, datetime(2027, 1, 5, 11, tzinfo=TZ)) == (
        "农历冬月廿八（1月5日 周二）09:30–11:00（待定）")
    assert api[0]["provisional"] is True


def test_the_order_form_explains_the_provisional_mark(client, world):
    page = client.get("/orders/new").get_data(as_text=True)
    assert 'data-provisional="' in page
