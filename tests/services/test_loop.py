"""The ordering loop through the services: place → offer → accept → deliver → rate."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lectureorder.domain.errors import Conflict, DomainError, ValidationFailed
from lectureorder.domain.orders import OrderRequest
from lectureorder.models import AuditEvent, LectureSession, Notification, Offer
from lectureorder.services import dispatch, fulfilment, ordering


def request_for(world, **changes) -> OrderRequest:
    req = OrderRequest(
        topics=("anti_fraud",), format="field_class", place_kind="village",
        place_id=world.village.id, audience_type="villagers", audience_size=60,
        earliest=date(2026, 12, 7), latest=date(2026, 12, 20), requester_name="张三",
        phone="13800001234", requester_org="东庄村委会", channel="qr",
    )
    return replace(req, **changes)


def events(db, order):
    return [(e.action, e.from_state, e.to_state) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "order", AuditEvent.entity_id == order.id)
        .order_by(AuditEvent.id))]


def test_the_whole_loop(db, world, make_member, now, dispatch_pass):
    member = make_member()
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    assert order.status == "offered"
    offer = order.offers[0]
    assert offer.member_id == member.id and offer.status == "open"
    assert offer.slots and offer.expires_at > now

    start = offer.slot_times[0][0]
    session = dispatch.accept_offer(offer.id, member, start, now=now)
    db.session.commit()
    assert order.status == "scheduled" and session.lead_member_id == member.id
    assert session.start == start

    with pytest.raises(Conflict):  # cannot record a session that has not started
        fulfilment.record_delivery(session, member, 50, "", now=now)
    db.session.rollback()
    fulfilment.record_delivery(session, member, 58, "很多问题", now=start + timedelta(hours=2))
    db.session.commit()
    assert order.status == "delivered" and session.headcount == 58

    ordering.rate_order(order, 5, "讲得好", now=start + timedelta(days=1))
    db.session.commit()
    assert order.status == "closed" and order.feedback.rating == 5
    assert events(db, order) == [
        ("submit", None, "submitted"), ("offer", "submitted", "offered"),
        ("schedule", "offered", "scheduled"), ("deliver", "scheduled", "delivered"),
        ("close", "delivered", "closed"),
    ]
    kinds = set(db.session.scalars(select(Notification.kind)))
    assert {"offer_new", "order_scheduled", "please_rate"} <= kinds


def test_no_eligible_member_needs_attention(db, world, make_member, now, dispatch_pass):
    make_member(topics=("traffic_safety",))
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    assert order.status == "needs_attention"
    assert events(db, order)[-1] == ("escalate", "submitted", "needs_attention")


def test_vice_principal_gets_the_school_order(db, world, make_member, now, dispatch_pass):
    make_member(name="普通队员", topics=("campus_bullying",))
    vp = make_member(name="法治副校长", topics=("campus_bullying",), vice_principal_of=[world.school])
    order = ordering.place_order(request_for(
        world, topics=("campus_bullying",), format="school_talk", place_kind="school",
        place_id=world.school.id, audience_type="pupils"), now=now)
    dispatch_pass()
    db.session.commit()
    assert order.offers[0].member_id == vp.id


def test_decline_moves_to_the_next_member_then_escalates(db, world, make_member, now, app, dispatch_pass):
    app.config["MAX_OFFER_ROUNDS"] = 2
    first = make_member(name="甲")
    second = make_member(name="乙")
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    offered = order.offers[0].member_id
    other = second if offered == first.id else first
    owner = first if offered == first.id else second
    with pytest.raises(DomainError) as info:
        dispatch.decline_offer(order.offers[0].id, owner, "  ", now=now)
    assert info.value.field == "reason"
    dispatch.decline_offer(order.offers[0].id, owner, "那周值班", now=now)
    db.session.commit()
    assert [o.member_id for o in order.offers] == [offered, other.id]
    assert order.status == "offered"
    dispatch.decline_offer(order.offers[1].id, other, "太远", now=now)
    db.session.commit()
    assert order.status == "needs_attention"


def test_expired_offer_moves_on_and_sweep_is_idempotent(db, world, make_member, now, dispatch_pass):
    make_member(name="甲")
    make_member(name="乙")
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    later = order.offers[0].expires_at + timedelta(minutes=1)
    assert dispatch.expire_offers(now=later) == 1
    db.session.commit()
    assert dispatch.expire_offers(now=later) == 0
    assert [o.status for o in order.offers] == ["expired", "open"]


def test_accept_after_expiry_is_a_conflict(db, world, make_member, now, dispatch_pass):
    member = make_member()
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    offer = order.offers[0]
    with pytest.raises(Conflict):
        dispatch.accept_offer(offer.id, member, offer.slot_times[0][0],
                              now=offer.expires_at + timedelta(seconds=1))


def test_accept_needs_one_of_the_proposed_slots(db, world, make_member, now, dispatch_pass):
    member = make_member()
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    offer = order.offers[0]
    with pytest.raises(DomainError) as info:
        dispatch.accept_offer(offer.id, member, offer.slot_times[0][0] + timedelta(minutes=7), now=now)
    assert info.value.field == "slot_start"


def test_another_members_offer_cannot_be_accepted(db, world, make_member, now):
    make_member(name="甲")
    stranger = make_member(name="乙", topics=("traffic_safety",))
    order = ordering.place_order(request_for(world), now=now)
    db.session.commit()
    with pytest.raises(LookupError):
        dispatch.accept_offer(order.offers[0].id, stranger, order.offers[0].slot_times[0][0], now=now)


def test_member_with_a_session_then_is_not_double_booked(db, world, make_member, now, dispatch_pass):
    member = make_member()
    first = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    slot = first.offers[0].slot_times[0]
    dispatch.accept_offer(first.offers[0].id, member, slot[0], now=now)
    db.session.commit()
    second = ordering.place_order(request_for(world, requester_name="李四"), now=now)
    dispatch_pass()
    db.session.commit()
    assert all(not (s < slot[1] and slot[0] < e) for s, e in second.offers[0].slot_times)


def test_cancel_frees_the_member_and_tells_them(db, world, make_member, now, dispatch_pass):
    member = make_member()
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    session = dispatch.accept_offer(order.offers[0].id, member, order.offers[0].slot_times[0][0], now=now)
    db.session.commit()
    ordering.cancel_order(order, now=now, reason="下雪")
    db.session.commit()
    assert order.status == "cancelled" and session.status == "cancelled"
    assert db.session.scalar(select(Notification).where(Notification.kind == "session_cancelled"))
    with pytest.raises(Conflict):
        ordering.cancel_order(order, now=now)


def test_rating_only_once_and_only_after_delivery(db, world, make_member, now):
    make_member()
    order = ordering.place_order(request_for(world), now=now)
    db.session.commit()
    with pytest.raises(Conflict):
        ordering.rate_order(order, 5, "", now=now)
    with pytest.raises(ValidationFailed):
        ordering.rate_order(order, 6, "", now=now)


def test_invalid_request_stores_nothing(db, world, now):
    with pytest.raises(ValidationFailed) as info:
        ordering.place_order(request_for(world, audience_size=0, phone="123"), now=now)
    assert {e.field for e in info.value.errors} == {"audience_size", "phone"}
    db.session.rollback()
    assert db.session.scalar(select(Offer)) is None


def test_unknown_place_is_a_place_error(db, world, now):
    with pytest.raises(ValidationFailed) as info:
        ordering.place_order(request_for(world, place_id=999), now=now)
    assert [e.field for e in info.value.errors] == ["place"]


def test_find_order_needs_the_right_pair(db, world, make_member, now):
    order = ordering.place_order(request_for(world), now=now)
    db.session.commit()
    assert ordering.find_order(order.code.lower(), "1234") is order
    assert ordering.find_order(order.code, "1235") is None
    assert ordering.find_order("ZZZZZZ", "1234") is None


def test_coordinator_assigns_and_reassigns(db, world, make_member, coordinator, now, dispatch_pass):
    make_member(topics=("traffic_safety",))  # nobody covers anti_fraud: needs attention
    order = ordering.place_order(request_for(world), now=now)
    dispatch_pass()
    db.session.commit()
    assert order.status == "needs_attention"
    chosen = make_member(name="王五", topics=("traffic_safety",))
    slots = dispatch.order_slots(order, now=now)
    session = dispatch.assign(order, chosen, slots[0].start, now=now, actor=coordinator)
    db.session.commit()
    assert order.status == "scheduled" and session.lead_member_id == chosen.id
    other = make_member(name="赵六")
    dispatch.assign(order, other, None, now=now, actor=coordinator)
    db.session.commit()
    assert session.lead_member_id == other.id
    assert events(db, order)[-1][0] == "reassign"
    assert db.session.scalar(select(LectureSession).where(LectureSession.order_id == order.id)) is session


def test_next_market_day_offers_only_that_morning(db, world, make_member, now, dispatch_pass):
    from lectureorder.domain.calendars import TZ, lunar_of

    make_member()
    order = ordering.place_order(request_for(
        world, format="market_talk", place_kind="market", place_id=world.market.id,
        timing="next", latest=None), now=now)
    dispatch_pass()
    db.session.commit()
    days = {s.astimezone(TZ).date() for s, _ in order.offers[0].slot_times}
    assert len(days) == 1
    day = days.pop()
    assert lunar_of(day).day % 10 in (3, 6, 9) and day >= order.earliest
