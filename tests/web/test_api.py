"""JSON API v1 as the public contract in DESIGN.md says, field names included."""

from datetime import datetime

import pytest
from sqlalchemy import select

from lectureorder.models import LectureSession, Order
from tests.helpers import PASSWORD, order_body


def token(client, username):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_menu_shape_and_language(client, world):
    items = client.get("/api/v1/menu").get_json()
    assert [i["code"] for i in items][:2] == ["anti_fraud", "two_cards"]
    assert set(items[0]) >= {"code", "title", "summary", "formats"}
    assert items[0]["title"] == "防范电信网络诈骗"
    english = client.get("/api/v1/menu", headers={"Accept-Language": "en"}).get_json()
    assert english[0]["title"] == "Anti-fraud"


def test_places_carry_coordinates_and_market_cycles(client, world):
    data = client.get("/api/v1/places").get_json()
    town = next(t for t in data["townships"] if t["id"] == world.town.id)
    assert {"id", "name", "lat", "lon"} <= set(town)
    assert town["villages"][0]["name"] == "东庄村（示例）"
    assert town["markets"][0]["cycle"] == {"calendar": "lunar", "digits": [3, 6, 9]}
    assert {"id", "name", "lat", "lon"} <= set(town["schools"][0])


def test_slots_have_offsets_and_lunar_labels(client, world, frozen_now):
    slots = client.get(f"/api/v1/slots?format=field_class&place_kind=village&place_id={world.village.id}"
                       "&from=2026-12-07&to=2026-12-09").get_json()
    assert slots
    first = slots[0]
    assert first["start"].endswith("+08:00") and datetime.fromisoformat(first["end"])
    assert "农历" in first["label"]


@pytest.mark.parametrize("query", [
    "format=karaoke&place_kind=village&place_id=1&from=2026-12-07&to=2026-12-09",
    "format=field_class&place_kind=village&place_id=abc&from=2026-12-07&to=2026-12-09",
    "format=field_class&place_kind=village&place_id=1&from=2026-13-40&to=2026-12-09",
    "format=field_class&place_kind=village&place_id=99999&from=2026-12-07&to=2026-12-09",
    "format=field_class&place_kind=castle&place_id=1&from=2026-12-07&to=2026-12-09",
    "format=field_class&place_kind=village&place_id=1&from=2026-12-09&to=2026-12-01",
    "",
])
def test_slots_bad_input_is_422(client, world, frozen_now, query):
    response = client.get(f"/api/v1/slots?{query}")
    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_market_slots_fall_on_lunar_369_days(client, world, frozen_now):
    slots = client.get(f"/api/v1/slots?format=market_talk&place_kind=market&place_id={world.market.id}"
                       "&from=2026-12-02&to=2026-12-31").get_json()
    from lectureorder.domain.calendars import lunar_of

    assert slots
    for slot in slots:
        day = datetime.fromisoformat(slot["start"]).date()
        assert lunar_of(day).day % 10 in (3, 6, 9)


def tracked_both_ways(app, client, code: str) -> dict:
    """The API's track answer (rows, no entities) is what the entity says, field for field."""
    from lectureorder.services import ordering
    from lectureorder.web.api.schema import order_status_json

    answer = client.post("/api/v1/orders/track", json={"code": code, "phone_last4": "1234"})
    assert answer.status_code == 200
    with app.test_request_context("/api/v1/orders/track"):
        assert answer.get_json() == order_status_json(ordering.find_order(code, "1234"))
    return answer.get_json()


def test_the_loop_through_the_api(client, world, make_member, frozen_now, db, dispatch_pass, app):
    member = make_member(topics=("anti_fraud", "traffic_safety"))
    response = client.post("/api/v1/orders", json=order_body(
        world, topics=["traffic_safety", "anti_fraud"], questions=["冒充客服怎么识别？", "能退钱吗？"]))
    assert response.status_code == 201, response.get_json()
    placed = response.get_json()
    # Acknowledged at once; the dispatch pass offers it right after.
    assert placed["status"] == "submitted" and placed["phone"] == "138****1234"
    code = placed["code"]
    assert tracked_both_ways(app, client, code) == placed
    assert dispatch_pass() == 1
    assert tracked_both_ways(app, client, code)["status"] == "offered"

    headers = token(client, member.user.username)
    offers = client.get("/api/v1/member/offers", headers=headers).get_json()
    assert len(offers) == 1 and offers[0]["order"]["code"] == code
    assert offers[0]["order"]["requester"]["phone"] == "138****1234"  # not assigned yet: masked
    slot = offers[0]["slots"][0]
    bad = client.post(f"/api/v1/member/offers/{offers[0]['id']}/accept", headers=headers,
                      json={"slot_start": "2026-12-06T09:31:00+08:00"})
    assert bad.status_code == 422
    accepted = client.post(f"/api/v1/member/offers/{offers[0]['id']}/accept", headers=headers,
                           json={"slot_start": slot["start"]})
    assert accepted.status_code == 200
    assert accepted.get_json()["session"]["order"]["requester"]["phone"] == "13800001234"
    again = client.post(f"/api/v1/member/offers/{offers[0]['id']}/accept", headers=headers,
                        json={"slot_start": slot["start"]})
    assert again.status_code == 409 and again.get_json()["error"]

    tracked = tracked_both_ways(app, client, code)
    assert tracked["status"] == "scheduled"
    assert tracked["schedule"]["start"] == slot["start"] and tracked["member"]["name"] == member.name

    sessions = client.get("/api/v1/member/sessions", headers=headers).get_json()
    assert len(sessions) == 1
    session_id = sessions[0]["id"]
    session = db.session.get(LectureSession, session_id)
    session.start = session.start.replace(year=2026, month=11, day=30)  # make it past for the test
    session.end = session.start.replace(hour=session.start.hour + 1)
    db.session.commit()
    bad = client.post(f"/api/v1/member/sessions/{session_id}/delivery", headers=headers,
                      json={"headcount": -3})
    assert bad.status_code == 422 and "headcount" in bad.get_json()["errors"]
    done = client.post(f"/api/v1/member/sessions/{session_id}/delivery", headers=headers,
                       json={"headcount": 57, "signin_count": 41, "notes": "好"})
    assert done.status_code == 200 and done.get_json()["headcount"] == 57
    assert done.get_json()["signin_count"] == 41

    rated = client.post("/api/v1/orders/rate", json={"code": code, "phone_last4": "1234",
                                                      "rating": 5, "comment": "很好"})
    assert rated.status_code == 200 and rated.get_json()["status"] == "closed"
    assert tracked_both_ways(app, client, code)["rating"] == 5
    assert client.post("/api/v1/orders/rate", json={"code": code, "phone_last4": "1234",
                                                     "rating": 4}).status_code == 409


def test_decline_needs_a_reason(client, world, make_member, frozen_now, dispatch_pass):
    member = make_member()
    client.post("/api/v1/orders", json=order_body(world))
    dispatch_pass()
    headers = token(client, member.user.username)
    offer_id = client.get("/api/v1/member/offers", headers=headers).get_json()[0]["id"]
    response = client.post(f"/api/v1/member/offers/{offer_id}/decline", headers=headers, json={})
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    response = client.post(f"/api/v1/member/offers/{offer_id}/decline", headers=headers,
                           json={"reason": "值班"})
    assert response.status_code == 200 and response.get_json()["status"] == "declined"


def test_members_see_only_their_own_offers(client, world, make_member, frozen_now):
    make_member(name="甲")
    other = make_member(name="乙", topics=("traffic_safety",))
    client.post("/api/v1/orders", json=order_body(world))
    headers = token(client, other.user.username)
    assert client.get("/api/v1/member/offers", headers=headers).get_json() == []
    assert client.post("/api/v1/member/offers/1/accept", headers=headers,
                       json={"slot_start": "2026-12-07T09:30:00+08:00"}).status_code == 404


@pytest.mark.parametrize(("changes", "field"), [
    ({"topics": ["nope"]}, "topics"),
    ({"topics": "anti_fraud"}, "topics"),
    ({"format": "opera"}, "format"),
    ({"place": {"kind": "village", "id": "x"}}, "place"),
    ({"place": {"kind": "village", "id": 99999}}, "place"),
    ({"audience": {"type": "villagers", "size": 0}}, "audience_size"),
    ({"audience": {"type": "villagers", "size": 10**9}}, "audience_size"),
    ({"audience": {"type": "villagers", "size": "many"}}, "audience_size"),
    ({"window": {"earliest": "2026-11-01", "latest": "2026-11-05"}}, "earliest"),
    ({"window": {"earliest": "2026-12-20", "latest": "2026-12-07"}}, "latest"),
    ({"window": {"earliest": "someday", "latest": "2026-12-07"}}, "earliest"),
    ({"requester": {"name": "张三", "phone": "110"}}, "phone"),
    ({"requester": {"name": "", "phone": "13800001234"}}, "requester_name"),
    ({"requester": {"name": "张" * 100, "phone": "13800001234"}}, "requester_name"),
    ({"notes": "x" * 5000}, "notes"),
    ({"channel": "fax"}, "channel"),
])
def test_bad_orders_get_422_with_the_field(client, world, frozen_now, db, changes, field):
    response = client.post("/api/v1/orders", json=order_body(world, **changes))
    assert response.status_code == 422
    assert field in response.get_json()["errors"], response.get_json()
    assert db.session.scalar(select(Order)) is None


@pytest.mark.parametrize("payload", [None, "not json", [1, 2], 42])
def test_non_object_bodies_are_422(client, world, payload):
    if payload is None:
        response = client.post("/api/v1/orders", data="{broken", content_type="application/json")
    else:
        response = client.post("/api/v1/orders", json=payload)
    assert response.status_code == 422


def test_wrong_track_pair_is_404(client, world, make_member, frozen_now):
    code = client.post("/api/v1/orders", json=order_body(world)).get_json()["code"]
    response = client.post("/api/v1/orders/track", json={"code": code, "phone_last4": "0000"})
    assert response.status_code == 404 and response.get_json()["error"]
    assert client.post("/api/v1/orders/cancel", json={"code": code, "phone_last4": "0000"}).status_code == 404
    assert client.post("/api/v1/orders/track", json={"code": code}).status_code == 422


def test_cancel_through_the_api(client, world, frozen_now):
    code = client.post("/api/v1/orders", json=order_body(world)).get_json()["code"]
    response = client.post("/api/v1/orders/cancel", json={"code": code, "phone_last4": "1234"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    again = client.post("/api/v1/orders/cancel", json={"code": code, "phone_last4": "1234"})
    assert again.status_code == 409


def test_wrong_password_gives_no_token(client, make_member):
    member = make_member()
    response = client.post("/api/v1/auth/token", json={"username": member.user.username, "password": "x"})
    assert response.status_code == 401 and "token" not in response.get_json()


def test_coordinator_sees_members_and_candidates(client, world, make_member, coordinator, frozen_now):
    vp = make_member(name="副校长", vice_principal_of=[world.school], topics=("anti_fraud", "campus_bullying"))
    make_member(name="交警", topics=("traffic_safety",))
    code = client.post("/api/v1/orders", json=order_body(world)).get_json()["code"]
    headers = token(client, coordinator.username)
    members = client.get("/api/v1/members", headers=headers).get_json()
    row = next(m for m in members if m["id"] == vp.id)
    assert row["specialties"] == ["anti_fraud", "campus_bullying"]
    assert row["vice_principal_of"][0]["id"] == world.school.id
    assert {"formats", "languages", "home_township", "caps"} <= set(row)
    data = client.get(f"/api/v1/orders/{code}/candidates", headers=headers).get_json()
    assert [c["member_id"] for c in data["candidates"]] == [vp.id]
    assert {p["name"] for p in data["candidates"][0]["parts"]} >= {"distance", "fairness"}
    excluded = data["excluded"][0]
    assert excluded["name"] == "交警" and "topic" in excluded["reasons"]
    assert client.get("/api/v1/orders/NOSUCH/candidates", headers=headers).status_code == 404


def test_openapi_lists_every_api_route(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {p.replace("{id}", "<int:x>").replace("{code}", "<x>") for p in doc["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = rule.rule.removeprefix("/api/v1")
            normalised = path.replace("<int:offer_id>", "<int:x>").replace(
                "<int:session_id>", "<int:x>").replace("<code>", "<x>")
            assert normalised in documented, path


def test_an_inactive_market_offers_no_slots(client, world, frozen_now, db):
    world.market.active = False
    db.session.commit()
    response = client.get(f"/api/v1/slots?format=market_talk&place_kind=market&place_id={world.market.id}"
                          "&from=2026-12-02&to=2026-12-31")
    assert response.status_code == 422 and "place" in response.get_json()["errors"]
