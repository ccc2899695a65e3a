"""Pool mode through the member pages and the API: both members see the order, first wins."""

import pytest
from flask_babel import gettext
from sqlalchemy import select

from lectureorder.models import Offer, Order
from lectureorder.services.unit import TAKEN
from tests.helpers import login, order_body
from tests.web.test_api import token


@pytest.fixture
def pool(app):
    app.config["DISPATCH_MODE"] = "pool"


def taken_message(app) -> str:
    with app.test_request_context():
        return gettext(TAKEN)


def test_pool_through_the_api_second_accept_is_409(client, world, make_member, frozen_now, pool, db,
                                                   app, dispatch_pass):
    first, second = make_member(name="甲"), make_member(name="乙")
    code = client.post("/api/v1/orders", json=order_body(world)).get_json()["code"]
    dispatch_pass()
    heads = {m.id: token(client, m.user.username) for m in (first, second)}
    inbox = {m.id: client.get("/api/v1/member/offers", headers=heads[m.id]).get_json()
             for m in (first, second)}
    for offers in inbox.values():
        assert len(offers) == 1 and offers[0]["order"]["code"] == code
        assert offers[0]["shared_with"] == 1

    mine = inbox[second.id][0]
    won = client.post(f"/api/v1/member/offers/{mine['id']}/accept", headers=heads[second.id],
                      json={"slot_start": mine["slots"][0]["start"]})
    assert won.status_code == 200

    theirs = inbox[first.id][0]
    lost = client.post(f"/api/v1/member/offers/{theirs['id']}/accept", headers=heads[first.id],
                       json={"slot_start": theirs["slots"][0]["start"]})
    assert lost.status_code == 409
    assert lost.get_json()["error"] == taken_message(app)  # in Chinese, the default
    assert client.get("/api/v1/member/offers", headers=heads[first.id]).get_json() == []
    assert db.session.scalar(select(Order)).status == "scheduled"


def test_pool_offers_show_in_the_inbox_and_the_loser_is_told(client, world, make_member,
                                                             frozen_now, pool, db, app, dispatch_pass):
    first, second = make_member(name="甲"), make_member(name="乙")
    client.post("/api/v1/orders", json=order_body(world))
    dispatch_pass()
    offers = {o.member_id: o for o in db.session.scalars(select(Offer))}
    login(client, first.user.username)
    page = client.get("/member/").get_data(as_text=True)
    assert f'data-testid="offer-{offers[first.id].id}"' in page
    assert f'data-testid="pool-{offers[first.id].id}"' in page  # told others see it too

    other = offers[second.id]
    from lectureorder.services import dispatch

    dispatch.accept_offer(other.id, second, other.slot_times[0][0], now=frozen_now)
    db.session.commit()
    mine = offers[first.id]
    response = client.post(f"/member/offers/{mine.id}/accept",
                           data={f"o{mine.id}-slot_start": mine.slot_times[0][0].isoformat()},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and taken_message(app) in page
    assert f'data-testid="offer-{mine.id}"' not in page
