"""群众点题 publishing: a question placed with an order is listed for coordinators, answered and
published on its topic page (大家常问) only with their approval, never with a phone or ID number,
and never saying who asked, where or when."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lectureorder.models import AuditEvent, Question
from lectureorder.services.questions import personal_number
from tests.conftest import run_dispatch_pass
from tests.helpers import login, order_body

ASKED = ["老人接到冒充公检法的电话怎么办？", "有人出钱租我的银行卡，算犯法吗？",
         "我电话13800001234，被骗了能找回吗"]


def place_with_questions(client, world, questions=ASKED, **changes) -> str:
    response = client.post("/api/v1/orders", json=order_body(world, questions=questions, **changes))
    assert response.status_code == 201, response.get_json()
    run_dispatch_pass()
    return response.get_json()["code"]


def by_text(db, text: str) -> Question:
    db.session.expire_all()
    return db.session.scalar(select(Question).where(Question.text == text))


def publish(client, question: Question, *, topic_id: int, text=None, answer="遇到就挂断，拨打110。",
            lang="en"):
    return client.post(f"/coord/questions/{question.id}?lang={lang}", data={
        "text": question.text if text is None else text, "answer": answer, "topic": topic_id})


def test_round_trip_from_order_to_topic_page(client, db, world, make_member, coordinator,
                                             frozen_now):
    make_member()
    code = place_with_questions(client, world)
    login(client, coordinator.username)
    page = client.get("/coord/questions").get_data(as_text=True)
    for text in ASKED:
        assert text in page
    assert code in page  # coordinators see which order it came with
    first = by_text(db, ASKED[0])
    form = client.get(f"/coord/questions/{first.id}").get_data(as_text=True)
    assert 'data-testid="privacy-reminder"' in form
    # The topic defaults to the order's.
    anti_fraud = world.topics["anti_fraud"].id
    assert f'<option selected value="{anti_fraud}">' in form
    response = publish(client, first, topic_id=anti_fraud,
                       answer="先挂断，公检法不会电话办案，拨打96110核实。")
    assert response.status_code == 302
    first = by_text(db, ASKED[0])
    assert first.published_at is not None and first.published_by_id == coordinator.id
    assert first.topic_id == anti_fraud
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "question"))
    assert (event.action, event.entity_id, event.actor_id) == ("publish", first.id, coordinator.id)

    villager = client.application.test_client()
    topic_page = villager.get("/menu/anti_fraud").get_data(as_text=True)
    assert "大家常问" in topic_page or "Frequently asked" in topic_page
    assert ASKED[0] in topic_page and "公检法不会电话办案" in topic_page
    # Only text and answer: not the unapproved ones, not who, where or when.
    assert ASKED[1] not in topic_page and ASKED[2] not in topic_page
    for secret in (code, "张三", "东庄村委会", "东庄村", "1234", "2026-12"):
        assert secret not in topic_page, secret
    assert ASKED[0] not in villager.get("/menu/two_cards").get_data(as_text=True)

    # Taken down again: gone from the topic page, and audited.
    response = client.post(f"/coord/questions/{first.id}/unpublish")
    assert response.status_code == 302
    assert by_text(db, ASKED[0]).published_at is None
    assert ASKED[0] not in villager.get("/menu/anti_fraud").get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "question")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["publish", "unpublish"]


def test_an_unpublished_question_never_shows(client, db, world, make_member, coordinator,
                                             frozen_now):
    make_member()
    place_with_questions(client, world)
    question = by_text(db, ASKED[1])
    question.answer = "写好了但没发布"  # an answer alone is not an approval
    question.topic_id = world.topics["two_cards"].id
    db.session.commit()
    for topic in world.topics:
        page = client.get(f"/menu/{topic}").get_data(as_text=True)
        assert ASKED[1] not in page and "写好了但没发布" not in page


@pytest.mark.parametrize("field,value,message", [
    ("text", None, "phone number"),  # ASKED[2] as asked: it carries a phone
    ("answer", "请拨打 138-0000-1234 咨询", "phone number"),
    ("answer", "联系派出所0972-8612345", "phone number"),
    ("answer", "身份证号63020319800101123X的人", "ID card"),
])
def test_a_text_with_a_phone_or_id_number_cannot_be_published(
        field, value, message, client, db, world, make_member, coordinator, frozen_now):
    make_member()
    place_with_questions(client, world)
    question = by_text(db, ASKED[2])
    login(client, coordinator.username)
    data = {"topic_id": world.topics["anti_fraud"].id}
    if field == "answer":
        data.update(text="被骗了能找回吗", answer=value)
    response = publish(client, question, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert by_text(db, ASKED[2]).published_at is None
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "question"))
    # Once the number is removed it can be published.
    response = publish(client, by_text(db, ASKED[2]), topic_id=world.topics["anti_fraud"].id,
                       text="被骗了能找回吗？", answer="尽快报警，保留转账记录。")
    assert response.status_code == 302
    assert by_text(db, "被骗了能找回吗？").published_at is not None


def test_an_answer_is_required_and_at_most_300_characters(client, db, world, make_member,
                                                          coordinator, frozen_now):
    make_member()
    place_with_questions(client, world)
    question = by_text(db, ASKED[0])
    login(client, coordinator.username)
    anti_fraud = world.topics["anti_fraud"].id
    assert publish(client, question, topic_id=anti_fraud, answer="").status_code == 422
    assert publish(client, question, topic_id=anti_fraud, answer="答" * 301).status_code == 422
    assert by_text(db, ASKED[0]).published_at is None
    assert publish(client, question, topic_id=anti_fraud, answer="答" * 300).status_code == 302


def test_the_list_filters_by_topic_answered_and_published(client, db, world, make_member,
                                                          coordinator, frozen_now):
    make_member(topics=("anti_fraud", "traffic_safety"))
    place_with_questions(client, world, questions=[ASKED[0]])
    place_with_questions(client, world, questions=["三轮车能拉人吗？"], topics=["traffic_safety"],
                         window={"earliest": "2026-12-10", "latest": "2026-12-22"})
    login(client, coordinator.username)
    traffic = by_text(db, "三轮车能拉人吗？")
    traffic.answered = True
    db.session.commit()
    publish(client, by_text(db, ASKED[0]), topic_id=world.topics["anti_fraud"].id)

    def listed(query: str) -> set[str]:
        page = client.get(f"/coord/questions?{query}").get_data(as_text=True)
        return {t for t in (ASKED[0], "三轮车能拉人吗？") if t in page}

    assert listed("") == {ASKED[0], "三轮车能拉人吗？"}
    assert listed("topic=traffic_safety") == {"三轮车能拉人吗？"}
    assert listed("topic=anti_fraud") == {ASKED[0]}
    assert listed("answered=yes") == {"三轮车能拉人吗？"}
    assert listed("answered=no") == {ASKED[0]}
    assert listed("published=yes") == {ASKED[0]}
    assert listed("published=no") == {"三轮车能拉人吗？"}
    assert listed("topic=nope&answered=maybe&published=x&page=-1") == {ASKED[0], "三轮车能拉人吗？"}
    # Newest first.
    page = client.get("/coord/questions").get_data(as_text=True)
    assert page.index("三轮车能拉人吗？") < page.index(ASKED[0])


@pytest.mark.parametrize("text,kind", [
    ("13800001234", "phone"), ("138 0000 1234", "phone"), ("+86 138-0000-1234", "phone"),
    ("１３８００００１２３４", "phone"), ("0972-8612345", "phone"), ("电话:13912345678找我", "phone"),
    ("630203198001011234", "id_card"), ("63020319800101123x", "id_card"),
    ("630203800101123", "id_card"),
    ("老人接到电话怎么办", None), ("2026年12月7日来了60人", None), ("拨打110或96110", None),
    ("12345", None),
])
def test_personal_numbers_are_recognised(text, kind):
    assert personal_number(text) == kind


@pytest.mark.parametrize("method,url", [
    ("get", "/coord/questions"), ("get", "/coord/questions/1"), ("post", "/coord/questions/1"),
    ("post", "/coord/questions/1/unpublish"),
])
def test_the_question_pages_are_for_coordinators_only(method, url, client, make_member):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and "/auth/login" in response.location
    member = make_member()
    login(client, member.user.username)
    assert getattr(client, method)(url).status_code == 403


def test_a_missing_question_is_404(client, coordinator, world):
    login(client, coordinator.username)
    assert client.get("/coord/questions/999").status_code == 404
    assert client.post("/coord/questions/999/unpublish").status_code == 404


def test_questions_travel_from_the_order_to_the_members_phone_to_the_topic_page(
        client, db, world, make_member, coordinator, frozen_now):
    """The whole 群众点题 loop: asked with the order, on the member's offer and session, marked
    at delivery with one asked on the spot, published only once a coordinator approves."""
    from lectureorder.models import Offer
    from lectureorder.services import clock, dispatch

    member = make_member()
    place_with_questions(client, world, questions=ASKED[:2])
    login(client, member.user.username)
    assert ASKED[0] in client.get("/member/").get_data(as_text=True)  # on the offer card
    offer = db.session.scalar(select(Offer))
    session = dispatch.accept_offer(offer.id, member, offer.slot_times[0][0], now=frozen_now)
    db.session.commit()
    assert ASKED[1] in client.get("/member/").get_data(as_text=True)  # on the session card
    clock.freeze(session.end + (session.end - session.start))
    token = client.post("/api/v1/auth/token", json={
        "username": member.user.username, "password": "secret-pass-1"}).get_json()["token"]
    delivered = client.post(f"/api/v1/member/sessions/{session.id}/delivery",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"headcount": 40, "answered": [0], "asked": ["网贷怎么辨别真假？"]})
    assert delivered.status_code == 200, delivered.get_json()
    assert [(q["text"], q["answered"]) for q in delivered.get_json()["order"]["questions"]] == [
        (ASKED[0], True), (ASKED[1], False), ("网贷怎么辨别真假？", True)]
    # Not on the topic page before a coordinator approves it…
    villager = client.application.test_client()
    assert "网贷怎么辨别真假？" not in villager.get("/menu/anti_fraud").get_data(as_text=True)
    client.post("/auth/logout")
    login(client, coordinator.username)
    asked = by_text(db, "网贷怎么辨别真假？")
    assert asked.origin == "asked" and asked.session_id == session.id
    assert publish(client, asked, topic_id=world.topics["anti_fraud"].id,
                   answer="正规网贷不会先收费。").status_code == 302
    page = villager.get("/menu/anti_fraud").get_data(as_text=True)
    assert "网贷怎么辨别真假？" in page and "正规网贷不会先收费。" in page
    assert ASKED[0] not in page and ASKED[1] not in page  # never approved
