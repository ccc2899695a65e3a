"""Only orders that can happen are told "received": the form, 代下单 and the API refuse an order
no slot can exist for, on the field, with the reason and the next possible day; nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lectureorder.models import Notification, Order
from tests.helpers import login, order_body
from tests.web.test_public import form_for

FILM_IN_DECEMBER = {"format": "mobile_film", "earliest": "2026-12-07", "latest": "2026-12-20"}
SEASON = "流动电影每年5月1日至10月10日傍晚放映。"
FIRST_EVENING = "最早可约2027年5月1日（周六，农历三月廿五）。"
WINTER = "该校1月16日至2月28日放寒假。"


def stored(db) -> int:
    return db.session.scalar(select(func.count(Order.id))) + db.session.scalar(
        select(func.count(Notification.id)))


def test_the_api_refuses_a_screening_in_december_with_the_season_and_the_first_evening(
        client, world, frozen_now, db):
    body = order_body(world, format="mobile_film")
    response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"earliest": [SEASON, FIRST_EVENING]}}
    assert stored(db) == 0


def test_the_same_refusal_in_english(client, world, frozen_now, db):
    response = client.post("/api/v1/orders?lang=en", json=order_body(world, format="mobile_film"))
    assert response.get_json()["errors"]["earliest"] == [
        "Mobile film screenings run every year from 1 May to 10 Oct.",
        "The earliest possible day is Sat 1 May 2027 (lunar 3/25)."]


def test_a_school_talk_in_the_winter_holiday_names_the_holiday(client, world, frozen_now, db):
    body = order_body(world, format="school_talk", topics=["campus_bullying"],
                      place={"kind": "school", "id": world.school.id},
                      window={"earliest": "2027-01-20", "latest": "2027-02-20"})
    response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"]["earliest"][0] == WINTER
    assert "2027年3月1日" in response.get_json()["errors"]["earliest"][1]
    assert stored(db) == 0


def test_the_form_shows_the_reason_on_the_dates_and_stores_nothing(client, world, frozen_now, db):
    response = client.post("/orders/new", data=form_for(world, **FILM_IN_DECEMBER))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert SEASON in page and FIRST_EVENING in page
    assert "谢谢" not in page
    assert stored(db) == 0


def test_a_phone_order_by_the_coordinator_is_refused_the_same_way(
        client, world, coordinator, frozen_now, db):
    login(client, coordinator.username)
    data = dict(form_for(world, **FILM_IN_DECEMBER), channel="phone")
    response = client.post("/coord/orders/new", data=data)
    assert response.status_code == 422
    assert SEASON in response.get_data(as_text=True)
    assert stored(db) == 0


def test_a_possible_order_is_still_received(client, world, frozen_now, db):
    response = client.post("/api/v1/orders", json=order_body(
        world, format="mobile_film", window={"earliest": "2027-05-01", "latest": "2027-05-20"}))
    assert response.status_code == 201


def possible(client, world, **params):
    query = {"format": "field_class", "place_kind": "village", "place_id": world.village.id,
             "from": "2026-12-07", "to": "2026-12-20"} | params
    return client.get("/api/v1/orders/possible", query_string=query)


def test_the_live_check_says_possible(client, world, frozen_now):
    assert possible(client, world).get_json() == {"possible": True, "reasons": [],
                                                  "next_days": []}


def test_the_live_check_gives_the_reason_and_the_next_days_as_choices(client, world, frozen_now):
    answer = possible(client, world, format="mobile_film").get_json()
    assert answer["possible"] is False
    assert answer["reasons"] == [SEASON, FIRST_EVENING]
    assert [d["date"] for d in answer["next_days"]] == ["2027-05-01", "2027-05-02", "2027-05-03"]
    assert answer["next_days"][0]["label"] == "2027年5月1日（周六，农历三月廿五）"


def test_the_live_check_reads_the_topics_and_names_them_in_words(client, world, frozen_now):
    answer = possible(client, world, format="market_talk", place_kind="market",
                      place_id=world.market.id, topics="campus_bullying").get_json()
    assert answer["possible"] is False
    (reason,) = answer["reasons"]
    assert "campus_bullying" not in reason
    assert world.topics["campus_bullying"].title_zh in reason


def test_the_order_form_names_the_topic_not_its_code(client, world, frozen_now, db):
    response = client.post("/orders/new", data=form_for(
        world, topics=["campus_bullying"], format="market_talk",
        place=f"market:{world.market.id}"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "campus_bullying" not in page.split("<form")[1].split("</form>")[0].replace(
        'value="campus_bullying"', "")


@pytest.mark.parametrize("query", [
    {"format": "boat"}, {"place_id": "x"}, {"from": "nope"}, {"from": "2026-12-20", "to": "2026-12-07"},
])
def test_the_live_check_refuses_bad_questions_with_422(client, world, frozen_now, query):
    response = possible(client, world, **query)
    assert response.status_code == 422 and "errors" in response.get_json()


def test_the_form_and_the_topic_page_say_up_front_when_each_form_runs(client, world, frozen_now):
    assert "每年5月1日至10月10日" in client.get("/orders/new").get_data(as_text=True)
    assert "上学日" in client.get("/menu/campus_bullying").get_data(as_text=True)
