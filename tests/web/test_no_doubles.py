"""No doubles, errors you can see, nothing cut: a form sent twice places one order, the API
honours Idempotency-Key, the same wish again from one phone is asked first, long text is
refused with a message, and a failed submit opens with a summary that links every field."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lectureorder.models import Order, OrderRequestKey, Question
from lectureorder.services import clock
from tests.helpers import order_body
from tests.web.test_public import form_for


def orders(db) -> int:
    return db.session.scalar(select(func.count(Order.id)))


def token_of(page: str) -> str:
    return re.search(r'name="once" type="hidden" value="([^"]+)"', page).group(1)


def test_back_and_submit_again_gives_the_first_orders_confirmation(client, world, frozen_now, db):
    token = token_of(client.get("/orders/new").get_data(as_text=True))
    first = client.post("/orders/new", data=form_for(world, once=token))
    assert first.status_code == 302
    code = db.session.scalar(select(Order.code))
    again = client.post("/orders/new", data=form_for(world, once=token), follow_redirects=True)
    assert again.status_code == 200 and code in again.get_data(as_text=True)
    assert orders(db) == 1


def test_each_rendered_form_has_its_own_token_and_a_failed_submit_keeps_it(client, world, frozen_now):
    one = token_of(client.get("/orders/new").get_data(as_text=True))
    two = token_of(client.get("/orders/new").get_data(as_text=True))
    assert one != two
    failed = client.post("/orders/new", data=form_for(world, once=one, phone="12"))
    assert token_of(failed.get_data(as_text=True)) == one


def test_the_same_phone_ordering_the_same_talk_again_is_asked_first(client, world, frozen_now, db):
    assert client.post("/orders/new", data=form_for(world)).status_code == 302
    code = db.session.scalar(select(Order.code))
    again = client.post("/orders/new", data=form_for(world))
    page = again.get_data(as_text=True)
    assert again.status_code == 409
    assert f"您刚才已点过“防范电信网络诈骗”（东庄村（示例），订单号 {code}），还要再点一单吗？" in page
    assert 'name="confirm_repeat"' in page
    assert orders(db) == 1
    confirmed = client.post("/orders/new", data=form_for(world, confirm_repeat="y"))
    assert confirmed.status_code == 302 and orders(db) == 2


def test_the_api_answers_409_with_the_earlier_code_unless_confirmed(client, world, frozen_now, db):
    first = client.post("/api/v1/orders", json=order_body(world)).get_json()["code"]
    again = client.post("/api/v1/orders", json=order_body(world))
    assert again.status_code == 409 and again.get_json()["earlier_code"] == first
    assert client.post("/api/v1/orders",
                       json=order_body(world, confirm_repeat=True)).status_code == 201
    assert orders(db) == 2


@pytest.mark.parametrize("change", ["topic", "place", "phone", "a day later", "cancelled"])
def test_another_wish_or_a_day_later_is_no_repeat(client, world, frozen_now, db, change):
    first = client.post("/api/v1/orders", json=order_body(world)).get_json()["code"]
    body = order_body(world)
    if change == "topic":
        body["topics"] = ["traffic_safety"]
    elif change == "place":
        body["place"] = {"kind": "village", "id": world.far_village.id}
    elif change == "phone":
        body["requester"] = dict(body["requester"], phone="13900005678")
    elif change == "a day later":
        clock.freeze(frozen_now + timedelta(hours=24, minutes=1))
    else:
        client.post("/api/v1/orders/cancel", json={"code": first, "phone_last4": "1234"})
    assert client.post("/api/v1/orders", json=body).status_code == 201


def test_an_idempotency_key_replays_the_first_answer(client, world, frozen_now, db):
    headers = {"Idempotency-Key": "k-123"}
    first = client.post("/api/v1/orders", json=order_body(world), headers=headers)
    again = client.post("/api/v1/orders", json=order_body(world), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert orders(db) == 1
    assert db.session.scalar(select(OrderRequestKey.key)) == "api:k-123"


def test_the_same_key_with_another_body_is_refused(client, world, frozen_now, db):
    headers = {"Idempotency-Key": "k-456"}
    client.post("/api/v1/orders", json=order_body(world), headers=headers)
    other = client.post("/api/v1/orders", json=order_body(world, notes="另一单"), headers=headers)
    assert other.status_code == 422 and "idempotency_key" in other.get_json()["errors"]
    assert orders(db) == 1


@pytest.mark.parametrize("key", ["", "x" * 129])
def test_a_bad_idempotency_key_is_a_422(client, world, frozen_now, db, key):
    response = client.post("/api/v1/orders", json=order_body(world), headers={"Idempotency-Key": key})
    assert response.status_code == 422 and orders(db) == 0


def test_over_long_notes_are_refused_with_the_count_and_kept_in_the_form(client, world, frozen_now, db):
    notes = "村" * 501
    response = client.post("/orders/new", data=form_for(world, notes=notes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and orders(db) == 0
    assert "最多 500 个字（您写了 501 个），请删减一些。" in page
    assert notes in page  # nothing cut: the person edits what they wrote
    assert 'data-max="500"' in page and "maxlength" not in page


def test_a_failed_submit_opens_with_a_summary_linking_each_field(client, world, frozen_now, db):
    response = client.post("/orders/new", data=form_for(world, phone="", requester_name=""))
    page = response.get_data(as_text=True)
    summary = page.split('data-testid="error-summary">')[1].split("</div>")[0]
    assert 'role="alert"' in page.split('data-testid="error-summary">')[0][-200:]
    assert "请修改以下 2 处：" in summary
    assert 'href="#field-phone"' in summary and 'href="#field-requester_name"' in summary
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*name="phone"|<input[^>]*name="phone"[^>]*aria-invalid="true"', page)
    assert page.index('id="error-summary"') < page.index('name="topics"')


def test_questions_are_kept_with_the_order(client, world, frozen_now, db):
    body = order_body(world, questions=["冒充客服退款怎么识别？", "  ", "银行卡借给亲戚犯法吗？"])
    assert client.post("/api/v1/orders", json=body).status_code == 201
    assert list(db.session.scalars(select(Question.text).order_by(Question.position))) == [
        "冒充客服退款怎么识别？", "银行卡借给亲戚犯法吗？"]


@pytest.mark.parametrize("questions", [["a", "b", "c", "d"], ["问" * 61], "一个问题", [1]])
def test_too_many_or_too_long_questions_are_a_422(client, world, frozen_now, db, questions):
    response = client.post("/api/v1/orders", json=order_body(world, questions=questions))
    assert response.status_code == 422 and "questions" in response.get_json()["errors"]
    assert orders(db) == 0


def test_the_form_takes_up_to_three_questions(client, world, frozen_now, db):
    assert client.post("/orders/new", data=form_for(
        world, question_1="毒品有哪些新花样？", question_3="孩子沉迷网络怎么办？")).status_code == 302
    assert len(db.session.scalars(select(Question)).all()) == 2


def test_only_a_coordinators_campaign_places_campaign_orders(client, world, coordinator, frozen_now, db):
    response = client.post("/api/v1/orders", json=order_body(world, channel="campaign"))
    assert response.status_code == 422 and "channel" in response.get_json()["errors"]
    from tests.helpers import login
    login(client, coordinator.username)
    page = client.get("/coord/orders/new").get_data(as_text=True)
    assert 'value="campaign"' not in page and 'value="phone"' in page
