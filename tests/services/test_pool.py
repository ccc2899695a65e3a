"""DISPATCH_MODE=pool: every eligible member (up to the pool size) sees the order; first wins."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lectureorder.domain.errors import Conflict
from lectureorder.models import AuditEvent, LectureSession
from lectureorder.services import dispatch, ordering
from lectureorder.services.unit import TAKEN
from tests.helpers import live_settings
from tests.services.test_loop import request_for


@pytest.fixture
def pool(app):
    app.config["DISPATCH_MODE"] = "pool"


def test_pool_offers_to_every_eligible_member_and_first_accept_withdraws_the_rest(
        db, world, make_member, now, pool, dispatch_pass):
    team = [make_member(name=n) for n in ("甲", "乙", "丙")]
    make_member(name="丁", topics=("traffic_safety",))  # not eligible: no offer
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    db.session.commit()
    assert order.status == "offered"
    assert sorted(o.member_id for o in order.offers) == sorted(m.id for m in team)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offer"))
    assert event.detail["mode"] == "pool"
    inbox = dispatch.open_offers_for(team[1], now=now)
    assert len(inbox) == 1 and dispatch.rivals(inbox[0]) == 2

    winner = next(o for o in order.offers if o.member_id == team[1].id)
    dispatch.accept_offer(winner.id, team[1], winner.slot_times[0][0], now=now)
    db.session.commit()
    assert order.status == "scheduled"
    assert {o.member_id: o.status for o in order.offers} == {
        team[0].id: "withdrawn", team[1].id: "accepted", team[2].id: "withdrawn"}
    assert dispatch.open_offers_for(team[0], now=now) == []

    loser = next(o for o in order.offers if o.member_id == team[0].id)
    with pytest.raises(Conflict) as info:
        dispatch.accept_offer(loser.id, team[0], loser.slot_times[0][0], now=now)
    assert info.value.reason == TAKEN
    db.session.rollback()
    assert db.session.scalars(select(LectureSession)).all() == [winner.order.lecture_session]


def test_pool_size_is_configurable(db, world, make_member, now, pool, app, dispatch_pass):
    app.config["DISPATCH_POOL_SIZE"] = 2
    for n in ("甲", "乙", "丙"):
        make_member(name=n)
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    db.session.commit()
    assert len(order.offers) == 2


def test_pool_waits_for_every_answer_before_the_next_round(db, world, make_member, now, pool, dispatch_pass):
    first, second = make_member(name="甲"), make_member(name="乙")
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    db.session.commit()
    mine = {o.member_id: o for o in order.offers}
    dispatch.decline_offer(mine[first.id].id, first, "值班", now=now, settings=live_settings())
    db.session.commit()
    assert order.status == "offered" and order.offer_rounds == 1  # the other may still accept
    dispatch.decline_offer(mine[second.id].id, second, "出差", now=now, settings=live_settings())
    db.session.commit()
    assert order.status == "needs_attention"  # everyone declined: back to the coordinator


def test_pool_offers_all_expire_once_then_escalate(db, world, make_member, now, pool, dispatch_pass):
    make_member(name="甲")
    make_member(name="乙")
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    db.session.commit()
    later = max(o.expires_at for o in order.offers) + timedelta(minutes=1)
    assert dispatch.expire_offers(now=later, settings=live_settings()) == 2
    db.session.commit()
    assert dispatch.expire_offers(now=later, settings=live_settings()) == 0
    assert [o.status for o in order.offers] == ["expired", "expired"]
    assert order.status == "needs_attention"
    escalations = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "escalate"))
    assert len(escalations.all()) == 1


def test_decline_after_the_pool_was_taken_is_refused(db, world, make_member, now, pool, dispatch_pass):
    first, second = make_member(name="甲"), make_member(name="乙")
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    db.session.commit()
    mine = {o.member_id: o for o in order.offers}
    dispatch.accept_offer(mine[first.id].id, first, mine[first.id].slot_times[0][0], now=now)
    db.session.commit()
    with pytest.raises(Conflict):
        dispatch.decline_offer(mine[second.id].id, second, "太远", now=now, settings=live_settings())
