"""'Offer again automatically' on an order that came back to the coordinator."""

from sqlalchemy import select

from lectureorder.models import Order
from tests.helpers import login, order_body


def test_reoffer_sends_the_order_out_again_once(client, world, make_member, coordinator,
                                                frozen_now, db, dispatch_pass):
    code = client.post("/api/v1/orders", json=order_body(world)).get_json()["code"]
    dispatch_pass()
    order = db.session.scalar(select(Order))
    assert order.status == "needs_attention" and order.offer_rounds == 0  # nobody in the team
    member = make_member()
    login(client, coordinator.username)
    response = client.post(f"/coord/orders/{code}/dispatch", follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert order.status == "offered" and [o.member_id for o in order.offers] == [member.id]
    assert order.offer_rounds == 1
    # A second press (a stale page) changes nothing and says why.
    response = client.post(f"/coord/orders/{code}/dispatch", follow_redirects=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(order.offers) == 1
