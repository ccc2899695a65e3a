"""Public pages: menu, order form (happy path and every bad input), confirmation, tracking."""

import re

import pytest
from sqlalchemy import select

from lectureorder.models import Order

FORM = {
    "topics": ["anti_fraud"], "format": "field_class", "audience_type": "villagers",
    "audience_size": "60", "earliest": "2026-12-07", "latest": "2026-12-20",
    "requester_name": "张三", "requester_org": "东庄村委会", "phone": "138 0000 1234", "notes": "",
}


def form_for(world, **changes):
    data = dict(FORM, place=f"village:{world.village.id}")
    data.update(changes)
    return data


def test_menu_lists_topics_in_chinese(client, world):
    page = client.get("/").get_data(as_text=True)
    assert "防范电信网络诈骗" in page and "校园安全与防欺凌" in page
    assert 'href="/orders/new?topic=anti_fraud"' in page


def test_menu_in_english_on_request(client, world):
    response = client.get("/lang/en?next=/")
    assert response.status_code == 302 and response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Anti-fraud" in page and "Order this talk" in page


def test_language_switch_never_redirects_off_site(client, world):
    assert client.get("/lang/en?next=https://evil.example").location == "/"
    assert client.get("/lang/xx").status_code == 404


def test_topic_page_and_unknown_topic(client, world):
    assert "防毒识毒" in client.get("/menu/drug_awareness").get_data(as_text=True)
    assert client.get("/menu/nothing").status_code == 404


def test_order_form_prefills_the_topic(client, world, frozen_now):
    page = client.get("/orders/new?topic=two_cards").get_data(as_text=True)
    assert re.search(r'value="two_cards"[^>]*checked|checked[^>]*value="two_cards"', page)


def test_placing_an_order_shows_the_code_and_tracks_it(client, world, make_member, frozen_now, db):
    make_member()
    response = client.post("/orders/new", data=form_for(world))
    assert response.status_code == 302 and response.location == "/orders/placed"
    page = client.get("/orders/placed").get_data(as_text=True)
    order = db.session.scalar(select(Order))
    assert order.code in page and "138****1234" in page
    assert "13800001234" not in page
    assert order.requester_phone == "13800001234" and order.channel == "qr"
    # the code is in the session, never in a URL
    assert order.code not in response.location
    status = client.get("/track").get_data(as_text=True)
    assert order.code in status


@pytest.mark.parametrize(("changes", "message"), [
    ({"audience_size": "0"}, "1"),
    ({"audience_size": "abc"}, None),
    ({"audience_size": "100000"}, None),
    ({"earliest": "2026-11-01", "latest": "2026-11-10"}, None),
    ({"earliest": "2026-12-20", "latest": "2026-12-07"}, None),
    ({"phone": "12345"}, None),
    ({"topics": []}, None),
    ({"topics": ["no_such_talk"]}, None),
    ({"place": "village:99999"}, None),
    ({"place": "nonsense"}, None),
    ({"requester_name": "名" * 41}, None),
    ({"notes": "x" * 501}, None),
    ({"format": "school_talk"}, None),
])
def test_bad_input_is_refused_with_a_message_and_nothing_lost(client, world, frozen_now, db, changes, message):
    data = form_for(world, **changes)
    response = client.post("/orders/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error"' in page or 'class="form-errors"' in page
    assert db.session.scalar(select(Order)) is None
    # what the person typed is still there
    assert "东庄村委会" in page


def test_track_wrong_pair_says_only_not_found(client, world, make_member, frozen_now, db):
    make_member()
    client.post("/orders/new", data=form_for(world))
    code = db.session.scalar(select(Order.code))
    other = client.application.test_client()
    response = other.post("/track", data={"code": code, "phone_last4": "9999"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "138****" not in page and code not in page.split("<main")[1].split("</form>")[1]
    response = other.post("/track", data={"code": code.lower(), "phone_last4": "1234"})
    assert response.status_code == 302
    assert "138****1234" in other.get("/track").get_data(as_text=True)


def test_track_validates_the_last4(client, world):
    response = client.post("/track", data={"code": "ABCDEF", "phone_last4": "12a4"})
    assert response.status_code == 422


def test_requester_can_cancel(client, world, make_member, frozen_now, db):
    make_member()
    client.post("/orders/new", data=form_for(world))
    response = client.post("/track/cancel", data={"reason": "改期"})
    assert response.status_code == 302
    assert db.session.scalar(select(Order.status)) == "cancelled"
    page = client.get("/track").get_data(as_text=True)
    assert "/track/cancel" not in page


def test_cancel_without_a_tracked_order_goes_to_track(client, world):
    assert client.post("/track/cancel").location == "/track"
    assert client.post("/track/rate", data={"rating": "5"}).location == "/track"


def test_rate_before_delivery_is_refused_politely(client, world, make_member, frozen_now, db, dispatch_pass):
    make_member()
    client.post("/orders/new", data=form_for(world))
    dispatch_pass()
    response = client.post("/track/rate", data={"rating": "5"})
    assert response.status_code == 302
    assert db.session.scalar(select(Order.status)) == "offered"


def test_healthz(client, world):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_unknown_page_is_a_friendly_404(client, world):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "<html" in response.get_data(as_text=True)


def test_a_specific_date_needs_no_latest_date(client, world, make_member, frozen_now, db):
    make_member()
    response = client.post("/orders/new", data=form_for(world, timing="date", latest=""))
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    assert order.latest == order.earliest and order.timing == "date"
