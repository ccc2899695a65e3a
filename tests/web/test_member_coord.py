"""Member and coordinator pages through real forms."""

from datetime import timedelta

from sqlalchemy import select

from lectureorder.models import AuditEvent, LectureSession, Order
from tests.conftest import run_dispatch_pass
from tests.helpers import login, order_body
from tests.web.test_coord_safety import post_confirmed


def place(client, world, **changes):
    response = client.post("/api/v1/orders", json=order_body(world, **changes))
    assert response.status_code == 201, response.get_json()
    run_dispatch_pass()
    return response.get_json()["code"]


def test_member_accepts_from_the_inbox_and_records_delivery(client, world, make_member, frozen_now, db):
    member = make_member()
    code = place(client, world)
    login(client, member.user.username)
    page = client.get("/member/").get_data(as_text=True)
    assert code not in page  # the code is the requester's secret; members see the order itself
    assert "138****1234" in page and "13800001234" not in page
    order = db.session.scalar(select(Order))
    offer = order.offers[0]
    field = f"o{offer.id}-slot_start"
    assert field in page
    response = client.post(f"/member/offers/{offer.id}/accept",
                           data={field: offer.slot_times[0][0].isoformat()})
    assert response.status_code == 302
    page = client.get("/member/").get_data(as_text=True)
    assert "13800001234" in page  # assigned member sees the full number
    session = db.session.scalar(select(LectureSession))
    assert client.get(f"/member/sessions/{session.id}/delivery").status_code == 200
    # bad headcount: message, nothing saved
    response = client.post(f"/member/sessions/{session.id}/delivery", data={"headcount": "-1"})
    assert response.status_code == 422
    assert db.session.get(LectureSession, session.id).status == "scheduled"


def test_accept_without_choosing_a_time_is_refused(client, world, make_member, frozen_now, db):
    member = make_member()
    place(client, world)
    login(client, member.user.username)
    offer = db.session.scalar(select(Order)).offers[0]
    client.post(f"/member/offers/{offer.id}/accept", data={})
    assert db.session.scalar(select(Order)).status == "offered"


def test_decline_form_requires_a_reason(client, world, make_member, frozen_now, db):
    member = make_member()
    place(client, world)
    login(client, member.user.username)
    offer = db.session.scalar(select(Order)).offers[0]
    response = client.post(f"/member/offers/{offer.id}/decline", data={"reason": ""})
    assert response.status_code == 422
    response = client.post(f"/member/offers/{offer.id}/decline", data={"reason": "出差"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Order)).status == "needs_attention"


def test_member_cannot_touch_another_members_offer_or_session(client, world, make_member, frozen_now, db):
    make_member(name="甲")
    stranger = make_member(name="乙", topics=("traffic_safety",))
    place(client, world)
    offer = db.session.scalar(select(Order)).offers[0]
    login(client, stranger.user.username)
    assert client.post(f"/member/offers/{offer.id}/accept", data={}).status_code == 404
    assert client.get(f"/member/offers/{offer.id}/decline").status_code == 404
    assert client.get("/member/sessions/1/delivery").status_code == 404


def test_coordinator_lists_filters_and_opens_orders(client, world, make_member, coordinator, frozen_now, db):
    make_member(topics=("traffic_safety",))
    code = place(client, world)
    login(client, coordinator.username)
    page = client.get("/coord/?status=needs_attention").get_data(as_text=True)
    assert code in page
    assert code not in client.get("/coord/?status=scheduled").get_data(as_text=True)
    assert client.get("/coord/?township=abc&status=weird&format=&topic=x&page=-3").status_code == 200
    detail = client.get(f"/coord/orders/{code}").get_data(as_text=True)
    assert "13800001234" in detail  # coordinators see the full number
    assert client.get("/coord/orders/NOPE99").status_code == 404


def test_coordinator_assigns_by_hand(client, world, make_member, coordinator, frozen_now, db):
    make_member(topics=("traffic_safety",))
    code = place(client, world)
    chosen = make_member(name="王五", topics=("traffic_safety",))
    login(client, coordinator.username)
    order = db.session.scalar(select(Order))
    from lectureorder.services import dispatch

    slot = dispatch.order_slots(order, now=frozen_now)[0]
    response = client.post(f"/coord/orders/{code}/assign",
                           data={"member": chosen.id, "slot_start": slot.start.isoformat()})
    assert response.status_code == 302
    db.session.expire_all()
    order = db.session.scalar(select(Order))
    assert order.status == "scheduled" and order.lecture_session.lead_member_id == chosen.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "schedule"))
    assert event.actor_id == coordinator.id


def test_coordinator_takes_a_phone_order(client, world, make_member, coordinator, frozen_now, db):
    make_member()
    login(client, coordinator.username)
    data = {"topics": ["anti_fraud"], "format": "field_class", "place": f"village:{world.village.id}",
            "audience_type": "elderly", "audience_size": "40", "earliest": "2026-12-07",
            "latest": "2026-12-20", "requester_name": "马大爷", "phone": "13912345678",
            "channel": "phone"}
    response = client.post("/coord/orders/new", data=data)
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    assert order.channel == "phone" and order.created_by_id == coordinator.id
    bad = client.post("/coord/orders/new", data=dict(data, channel="qr"))
    assert bad.status_code == 422  # 代下单 records how the call came in; "qr" is not one of them


def test_coordinator_cancels_with_a_reason(client, world, make_member, coordinator, frozen_now, db):
    make_member()
    code = place(client, world)
    login(client, coordinator.username)
    client.post(f"/coord/orders/{code}/cancel", data={"reason": ""})
    assert db.session.scalar(select(Order.status)) == "offered"
    client.post(f"/coord/orders/{code}/cancel", data={"reason": "村里改期"})
    assert db.session.scalar(select(Order.status)) == "offered"  # only shown, not yet done
    post_confirmed(client, f"/coord/orders/{code}/cancel", {"reason": "村里改期"})
    db.session.expire_all()
    assert db.session.scalar(select(Order.status)) == "cancelled"


def test_sessions_and_offers_pages(client, world, make_member, coordinator, frozen_now, db, count_queries):
    member = make_member()
    place(client, world)
    offer = db.session.scalar(select(Order)).offers[0]
    from lectureorder.services import dispatch

    dispatch.accept_offer(offer.id, member, offer.slot_times[0][0], now=frozen_now)
    db.session.commit()
    login(client, coordinator.username)
    page = client.get("/coord/sessions?days=30").get_data(as_text=True)
    assert member.name in page
    assert client.get("/coord/offers").status_code == 200
    assert client.get("/coord/sessions?days=abc").status_code == 200


def test_coordinator_list_queries_do_not_grow_with_orders(client, world, make_member, coordinator, frozen_now, db, count_queries):
    make_member()
    login(client, coordinator.username)
    for i in range(3):  # distinct callers: one phone ordering the same talk again is asked first
        place(client, world, requester={"name": "张三", "phone": f"1380000{i:04d}"})
    db.session.expire_all()  # the test shares the request's session: start both runs cold
    with count_queries() as few:
        client.get("/coord/")
    for i in range(12):
        place(client, world, requester={"name": "李四", "phone": f"1390000{i:04d}"})
    db.session.expire_all()
    with count_queries() as many:
        assert client.get("/coord/").status_code == 200
    assert few() == many(), (few, many)


def test_expired_offers_are_not_in_the_inbox(client, world, make_member, frozen_now, db, monkeypatch):
    member = make_member()
    place(client, world)
    offer = db.session.scalar(select(Order)).offers[0]
    login(client, member.user.username)
    later = offer.expires_at + timedelta(minutes=1)
    import lectureorder.web.member.routes as routes

    monkeypatch.setattr(routes, "now_utc", lambda: later)
    assert f"offer-{offer.id}" not in client.get("/member/").get_data(as_text=True)


def test_recently_delivered_sessions_link_to_photos_and_signins(client, world, make_member, frozen_now, db, monkeypatch):
    member = make_member()
    place(client, world)
    offer = db.session.scalar(select(Order)).offers[0]
    from lectureorder.services import dispatch, fulfilment

    session = dispatch.accept_offer(offer.id, member, offer.slot_times[0][0], now=frozen_now)
    fulfilment.record_delivery(session, member, 40, "", now=session.end)
    db.session.commit()
    import lectureorder.web.member.routes as routes

    monkeypatch.setattr(routes, "now_utc", lambda: session.end + timedelta(days=1))
    login(client, member.user.username)
    page = client.get("/member/").get_data(as_text=True)
    assert f"/member/sessions/{session.id}/evidence" in page
