"""Moving a session and the rain page, through the coordinator's forms."""

from sqlalchemy import select

from lectureorder.models import LectureSession, Order
from lectureorder.services import scheduling
from tests.conftest import run_dispatch_pass
from tests.helpers import login, order_body
from tests.web.test_coord_safety import post_confirmed


def scheduled(client, db, world, member, now):
    client.post("/api/v1/orders", json=order_body(world))
    run_dispatch_pass(now)
    order = db.session.scalar(select(Order))
    offer = order.offers[0]
    from lectureorder.services import dispatch

    dispatch.accept_offer(offer.id, member, offer.slot_times[0][0], now=now)
    db.session.commit()
    return order


def test_move_from_the_order_page_shows_on_track(client, world, make_member, coordinator, frozen_now, db):
    member = make_member()
    order = scheduled(client, db, world, member, frozen_now)
    session = order.lecture_session
    login(client, coordinator.username)
    page = client.get(f"/coord/orders/{order.code}").get_data(as_text=True)
    assert f"/coord/orders/{order.code}/move" in page
    earliest, latest = scheduling.reschedule_window(session, now=frozen_now)
    target = [s for s in scheduling.free_slots_for_session(session, earliest, latest, now=frozen_now)
              if s.start != session.start][2]
    response = post_confirmed(client, f"/coord/orders/{order.code}/move",
                              {"slot_start": target.start.isoformat(), "reason": "村里有事"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(LectureSession)).start == target.start
    # the requester sees the change on /track
    villager = client.application.test_client()
    villager.post("/track", data={"code": order.code, "phone_last4": "1234"})
    page = villager.get("/track").get_data(as_text=True)
    from lectureorder.web.templating import local_time

    with client.application.test_request_context():
        assert local_time(target.start) in page


def test_move_with_a_bad_time_changes_nothing(client, world, make_member, coordinator, frozen_now, db):
    member = make_member()
    order = scheduled(client, db, world, member, frozen_now)
    before = order.lecture_session.start
    login(client, coordinator.username)
    for value in ["", "garbage", "2026-12-08T03:07:00+08:00"]:
        client.post(f"/coord/orders/{order.code}/move", data={"slot_start": value})
        db.session.expire_all()
        assert db.session.scalar(select(LectureSession)).start == before


def test_rain_page_previews_then_moves(client, world, make_member, coordinator, frozen_now, db, app, dispatch_pass):
    app.config["FILM_SEASON_ALL_YEAR"] = True
    member = make_member(kit_qualified=True)
    client.post("/api/v1/orders", json=order_body(world, format="mobile_film",
                                                  window={"earliest": "2026-12-07", "latest": "2026-12-07"}))
    dispatch_pass()
    order = db.session.scalar(select(Order))
    from lectureorder.services import dispatch

    dispatch.accept_offer(order.offers[0].id, member, order.offers[0].slot_times[0][0], now=frozen_now)
    db.session.commit()
    login(client, coordinator.username)
    page = client.get("/coord/rain?day=2026-12-07").get_data(as_text=True)
    assert order.code in page
    assert client.get("/coord/rain?day=not-a-date").status_code == 200
    response = post_confirmed(client, "/coord/rain", {"day": "2026-12-07"})
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.scalar(select(LectureSession))
    from lectureorder.domain.calendars import TZ

    assert moved.start.astimezone(TZ).date().isoformat() == "2026-12-08"
    assert client.post("/coord/rain", data={"day": "nope"}).status_code == 422


def test_rain_and_move_are_for_coordinators_only(client, world, make_member):
    member = make_member()
    assert "/auth/login" in client.get("/coord/rain").location
    assert "/auth/login" in client.post("/coord/orders/ABCDEF/move").location
    login(client, member.user.username)
    assert client.get("/coord/rain").status_code == 403
    assert client.post("/coord/rain", data={"day": "2026-12-07"}).status_code == 403
    assert client.post("/coord/orders/ABCDEF/move").status_code == 403
