"""The member field view on a phone: the next talks first, offers folded, quick decline reasons,
leave and the month count on the schedule, one tap to record a delivery, the map link, the
calendar-link copy button, and 群众点题 (questions) on the cards and at delivery (page and API)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lectureorder.models import Leave, LectureSession, Offer, Order, Question
from lectureorder.services import clock
from tests.calendar_builders import add_session
from tests.conftest import run_dispatch_pass
from tests.helpers import PASSWORD, local_dt, login, order_body
from tests.report_data import at, make_order, make_session

QUESTIONS = ["冒充客服退款怎么识别？", "银行卡借给亲戚犯法吗？"]


def place_orders(client, world, n: int, **changes) -> list[str]:
    """n orders (each from its own phone, so none is a repeat), offered by one dispatch pass."""
    codes = []
    for i in range(n):
        body = order_body(world, questions=QUESTIONS, **changes)
        body["requester"] = dict(body["requester"], phone=f"1390000{i:04d}")
        response = client.post("/api/v1/orders", json=body)
        assert response.status_code == 201, response.get_json()
        codes.append(response.get_json()["code"])
    run_dispatch_pass()
    return codes


def booked(db, world, member, start, *, questions=(), minutes=60) -> LectureSession:
    order = make_order(db, world, created=start - timedelta(days=5), status="scheduled")
    for i, text in enumerate(questions):
        order.questions.append(Question(text=text, position=i, origin="order",
                                        created_at=order.created_at))
    session = make_session(db, world, member, order=order, start=start, status="scheduled",
                           minutes=minutes)
    db.session.commit()
    return session


def section_at(page: str, name: str) -> int:
    index = page.find(f'data-section="{name}"')
    assert index >= 0, name
    return index


# --------------------------------------------------------------------------- the member home

def test_sessions_come_before_the_offers_which_are_folded(client, db, world, make_member,
                                                          frozen_now, now):
    member = make_member()
    place_orders(client, world, 7)
    today = booked(db, world, member, now + timedelta(hours=3))
    later = booked(db, world, member, now + timedelta(days=2))
    login(client, member.user.username)
    page = client.get("/member/").get_data(as_text=True)

    assert section_at(page, "sessions") < section_at(page, "offers")
    sessions = page[section_at(page, "sessions"):section_at(page, "offers")]
    assert f'data-testid="session-{today.id}"' in sessions
    assert f'data-testid="session-{later.id}"' in sessions
    assert sessions.index(f"session-{today.id}") < sessions.index(f"session-{later.id}")

    offers = db.session.scalars(select(Offer).where(Offer.member_id == member.id)).all()
    assert len(offers) == 7
    cards = re.findall(r'<details class="card offer[^"]*" data-testid="offer-(\d+)"(\s+open)?>', page)
    assert {int(c) for c, _ in cards} == {o.id for o in offers}
    assert not any(opened for _, opened in cards)  # folded: nothing open by itself
    for offer in offers:
        card = page[page.index(f'data-testid="offer-{offer.id}"'):]
        card = card[:card.index("</details>")]
        summary = card[:card.index("</summary>")]
        # The summary names the talk, the place and the deadline; the rest unfolds.
        assert "防范电信网络诈骗" in summary and world.village.name in summary
        assert "请在" in summary and "前回复" in summary
        body = card[card.index("</summary>"):]
        assert f'name="o{offer.id}-slot_start"' in body and "接单" in body
        assert f"/member/offers/{offer.id}/decline" in body


def test_the_next_sessions_beyond_three_fold_away(client, db, world, make_member, frozen_now, now):
    member = make_member()
    later = [booked(db, world, member, now + timedelta(days=d)) for d in (1, 2, 3, 4, 5)]
    login(client, member.user.username)
    page = client.get("/member/?lang=en").get_data(as_text=True)
    folded = page[page.index('<details class="field-more">'):]
    folded = folded[:folded.index("</details>")]
    assert "2 more sessions later" in folded
    assert {f"session-{s.id}" in folded for s in later} == {True, False}
    assert all(f"session-{s.id}" not in folded for s in later[:3])


def test_offer_and_session_cards_show_the_questions(client, db, world, make_member, frozen_now, now):
    member = make_member()
    place_orders(client, world, 1)
    session = booked(db, world, member, now + timedelta(days=1), questions=["毒品长什么样？"])
    login(client, member.user.username)
    page = client.get("/member/?lang=en").get_data(as_text=True)
    offer = db.session.scalar(select(Offer))
    asks = page[page.index(f'data-testid="offer-asks-{offer.id}"'):]
    asks = asks[:asks.index("</div>")]
    assert "What people want to ask" in asks and all(q in asks for q in QUESTIONS)
    asks = page[page.index(f'data-testid="asks-{session.id}"'):]
    asks = asks[:asks.index("</div>")]
    assert "What people want to ask" in asks and "毒品长什么样？" in asks


def test_the_venue_has_a_map_link_in_words(client, db, world, make_member, frozen_now, now):
    member = make_member()
    place_orders(client, world, 1)
    session = booked(db, world, member, now + timedelta(days=1))
    login(client, member.user.username)
    page = client.get("/member/?lang=en").get_data(as_text=True)
    link = re.search(rf'<a [^>]*href="(geo:[^"]+)" data-testid="map-{session.id}">([^<]+)</a>', page)
    assert link is not None
    assert link.group(1).startswith("geo:36.456,102.046?q=36.456,102.046(")
    assert "Open 东庄村（示例） in the map app" in link.group(2)  # said in words, not a pin
    offer = db.session.scalar(select(Offer))
    assert f'data-testid="offer-map-{offer.id}"' in page
    # A place without coordinates gets no link (never a geo:None,None).
    world.village.lat = None
    db.session.commit()
    page = client.get("/member/").get_data(as_text=True)
    assert "geo:" not in page


def test_one_tap_to_record_a_delivery_once_the_session_has_started(client, db, world, make_member,
                                                                   frozen_now, now):
    member = make_member()
    session = booked(db, world, member, now + timedelta(hours=2))
    login(client, member.user.username)
    button = f'data-testid="deliver-{session.id}" href="/member/sessions/{session.id}/delivery"'
    assert button not in client.get("/member/?lang=en").get_data(as_text=True)
    clock.freeze(session.end + timedelta(minutes=5))
    page = client.get("/member/").get_data(as_text=True)
    assert button in page
    card = page[page.index(f'data-testid="session-{session.id}"'):]
    assert card.index(button) < card.index("</li>")  # on the session's own card
    assert "Ended" in card[:card.index("</li>")]
    # An older one still waiting for its record has the button too.
    old = booked(db, world, member, now - timedelta(days=3))
    page = client.get("/member/").get_data(as_text=True)
    assert f'data-testid="deliver-{old.id}"' in page
    assert section_at(page, "to-record") < section_at(page, "offers")


def test_the_member_pages_run_no_inline_script(client, db, world, make_member, frozen_now):
    member = make_member()
    login(client, member.user.username)
    for url in ("/member/", "/member/schedule", "/member/feed"):
        page = client.get(url).get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
        assert "css/field.css" in page or url == "/member/feed"


# ----------------------------------------------------------------------------------- decline

@pytest.fixture
def offered(client, world, make_member, frozen_now, db):
    member = make_member()
    place_orders(client, world, 1)
    login(client, member.user.username)
    return member, db.session.scalar(select(Offer))


@pytest.mark.parametrize(("data", "stored"), [
    ({"quick": "unwell"}, "Not feeling well"),
    ({"quick": "other_duty", "reason": " 所里值班 "}, "Another task that day: 所里值班"),
    ({"quick": "other", "reason": "车坏了"}, "Other: 车坏了"),
    ({"reason": "出差"}, "出差"),
])
def test_a_quick_reason_is_stored_as_the_reason(client, db, offered, data, stored):
    _, offer = offered
    page = client.get(f"/member/offers/{offer.id}/decline?lang=en").get_data(as_text=True)
    for label in ("Another task that day", "Outside my area", "Not feeling well",
                  "Not my specialty", "Other"):
        assert f"<span>{label}</span>" in page  # one-tap choices
    response = client.post(f"/member/offers/{offer.id}/decline", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    offer = db.session.get(Offer, offer.id)
    assert offer.status == "declined" and offer.decline_reason == stored


def test_a_quick_reason_in_chinese_reads_as_chinese(app, client, db, offered):
    """Stored in the member's language, with the full-width colon of the catalogue."""
    _, offer = offered
    client.post(f"/member/offers/{offer.id}/decline?lang=zh_CN",
                data={"quick": "out_of_area", "reason": "在古城乡"})
    with app.test_request_context("/?lang=zh_CN"):
        from flask_babel import gettext

        expected = gettext("%(label)s: %(text)s", label=gettext("Outside my area"), text="在古城乡")
    db.session.expire_all()
    stored = db.session.get(Offer, offer.id).decline_reason
    assert stored == expected and "：在古城乡" in stored


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Please say why you cannot take it."),
    ({"quick": "", "reason": "  "}, "Please say why you cannot take it."),
    ({"quick": "other"}, "Please say in a few words why."),
    ({"quick": "bored"}, None),
])
def test_an_empty_or_unknown_choice_is_refused(client, db, offered, data, message):
    _, offer = offered
    response = client.post(f"/member/offers/{offer.id}/decline?lang=en", data=data)
    assert response.status_code == 422
    if message:
        assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).status == "open"


def test_an_empty_choice_is_refused_in_chinese(client, db, offered):
    _, offer = offered
    response = client.post(f"/member/offers/{offer.id}/decline?lang=zh_CN", data={})
    assert response.status_code == 422 and "请说明接不了的原因。" in response.get_data(as_text=True)


# ----------------------------------------------------------------------------------- schedule

def test_own_leave_shows_on_the_schedule(client, db, world, make_member, frozen_now):
    member = make_member()
    other = make_member(name="韩晓梅")
    db.session.add_all([
        Leave(member=member, start=at(date(2026, 12, 3), 0), end=at(date(2026, 12, 5), 0),
              reason="培训"),
        Leave(member=member, start=at(date(2027, 1, 10), 0), end=at(date(2027, 1, 12), 0),
              reason="探亲"),
        Leave(member=other, start=at(date(2026, 12, 2), 0), end=at(date(2026, 12, 3), 0),
              reason="别人的假"),
    ])
    db.session.commit()
    login(client, member.user.username)
    week = client.get("/member/schedule?view=week&date=2026-12-03&lang=en").get_data(as_text=True)
    leave = week[week.index('data-testid="schedule-leave"'):]
    leave = leave[:leave.index("</section>")]
    assert "My leave in this period" in leave and "培训" in leave and "3 Dec" in leave
    assert "探亲" not in week and "别人的假" not in week
    month = client.get("/member/schedule?view=month&date=2027-01-05").get_data(as_text=True)
    assert "探亲" in month and "培训" not in month
    empty = client.get("/member/schedule?view=week&date=2026-12-21").get_data(as_text=True)
    assert "No leave in this period." in empty and "/member/availability" in empty


def test_the_month_count_is_the_sessions_the_month_shows(client, db, world, make_member,
                                                         frozen_now):
    """December 2026's page starts on Monday 30 November, a day a phone does not show: its
    session is not one of December's (the page said "4 场" over three)."""
    member = make_member()
    for hour in (8, 10, 13):
        add_session(db, world, member, local_dt(date(2026, 12, 9), hour), minutes=60)
    add_session(db, world, member, local_dt(date(2026, 11, 30), 16), minutes=60)
    login(client, member.user.username)

    def summary(url):
        page = client.get(url).get_data(as_text=True)
        text = page[page.index('data-testid="schedule-total"'):]
        return re.sub(r"\s+", " ", text[text.index(">") + 1:text.index("·")]).strip(), page

    said, page = summary("/member/schedule?view=month&date=2026-12-09")
    assert said == "3 场"
    # What a phone shows: the cells of the month (app.css hides the other months' days).
    cells = re.findall(r'<li class="cal-day( out)?[^"]*">(.*?)</li>\s*(?=<li class="cal-day|</ol>)',
                       page, re.S)
    shown = sum(body.count('class="cal-item ') for out, body in cells if not out)
    assert shown == 3
    said, _ = summary("/member/schedule?view=month&date=2026-11-09")
    assert said == "1 场"  # November has the 30th's
    said, _ = summary("/member/schedule?view=week&date=2026-12-01")
    assert said == "1 场"  # the week of 30 Nov holds it, whichever month


# ------------------------------------------------------------------------- calendar link copy

def test_the_calendar_link_has_a_copy_button(client, db, world, make_member, frozen_now):
    member = make_member()
    login(client, member.user.username)
    page = client.get("/member/feed?lang=en").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"create": "1", **({"csrf_token": csrf.group(1)} if csrf else {})}
    page = client.post("/member/feed", data=data).get_data(as_text=True)
    link = re.search(r'<input class="input" type="text" readonly value="([^"]+)" id="feed-link"', page)
    assert link and "/feeds/" in link.group(1)
    button = re.search(r'<button type="button"[^>]*data-copy="feed-link"[^>]*>([^<]+)</button>', page)
    assert button and button.group(1) == "Copy the link"
    assert 'data-copied="Copied.' in page and 'data-copy-status="feed-link"' in page
    assert '<script src="/static/js/copy.js" defer></script>' in page
    script = client.get("/static/js/copy.js")
    assert script.status_code == 200 and b"data-copy" in script.data
    script.close()


# ----------------------------------------------------------------- questions at the delivery

@pytest.fixture
def to_deliver(db, world, make_member, now):
    member = make_member()
    session = booked(db, world, member, now - timedelta(hours=3), questions=QUESTIONS)
    return member, session


def stored_questions(db, session_id):
    db.session.expire_all()
    order_id = db.session.get(LectureSession, session_id).order_id
    return db.session.scalars(select(Question).where(Question.order_id == order_id)
                              .order_by(Question.position, Question.id)).all()


def test_the_delivery_page_ticks_answers_and_adds_asked_questions(client, db, to_deliver, frozen_now):
    member, session = to_deliver
    login(client, member.user.username)
    page = client.get(f"/member/sessions/{session.id}/delivery").get_data(as_text=True)
    first, second = stored_questions(db, session.id)
    assert f'value="{first.id}"' in page and QUESTIONS[0] in page and QUESTIONS[1] in page
    assert 'maxlength' not in page  # never cut by the browser
    response = client.post(f"/member/sessions/{session.id}/delivery", data={
        "headcount": "45", "answered": [str(second.id)],
        "asked_1": "  微信投资群是不是骗局？ ", "asked_2": "", "asked_3": "问" * 60})
    assert response.status_code == 302, response.get_data(as_text=True)
    questions = stored_questions(db, session.id)
    assert [(q.text, q.origin, q.answered) for q in questions] == [
        (QUESTIONS[0], "order", False), (QUESTIONS[1], "order", True),
        ("微信投资群是不是骗局？", "asked", True), ("问" * 60, "asked", True)]
    order = db.session.get(Order, session.order_id)
    for q in questions[2:]:
        assert q.session_id == session.id and q.topic_id == order.topics[0].id
    assert db.session.get(LectureSession, session.id).headcount == 45


def test_an_overlong_asked_question_is_refused_on_the_page(client, db, to_deliver, frozen_now):
    member, session = to_deliver
    login(client, member.user.username)
    response = client.post(f"/member/sessions/{session.id}/delivery", data={
        "headcount": "45", "asked_2": "问" * 61})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "最多 60 个字（您写了 61 个）" in page
    assert "问" * 61 in page  # kept in the field for the member to shorten, not cut
    assert len(stored_questions(db, session.id)) == 2
    assert db.session.get(LectureSession, session.id).status == "scheduled"


def api_token(client, username):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_api_takes_answered_and_asked(client, db, to_deliver, frozen_now):
    member, session = to_deliver
    headers = api_token(client, member.user.username)
    url = f"/api/v1/member/sessions/{session.id}/delivery"
    response = client.post(url, headers=headers, json={
        "headcount": 30, "answered": [0], "asked": ["能帮忙装国家反诈中心App吗？"]})
    assert response.status_code == 200, response.get_json()
    assert [{k: v for k, v in q.items() if k != "id"}
            for q in response.get_json()["order"]["questions"]] == [
        {"text": QUESTIONS[0], "origin": "order", "answered": True},
        {"text": QUESTIONS[1], "origin": "order", "answered": False},
        {"text": "能帮忙装国家反诈中心App吗？", "origin": "asked", "answered": True}]
    asked = stored_questions(db, session.id)[2]
    assert asked.session_id == session.id and asked.order_id == session.order_id


def test_the_api_takes_a_question_by_id(client, db, to_deliver, frozen_now):
    member, session = to_deliver
    second = stored_questions(db, session.id)[1]
    response = client.post(f"/api/v1/member/sessions/{session.id}/delivery",
                           headers=api_token(client, member.user.username),
                           json={"headcount": 30, "answered": [{"id": second.id}]})
    assert response.status_code == 200
    assert [q.answered for q in stored_questions(db, session.id)] == [False, True]


@pytest.mark.parametrize(("body", "field"), [
    ({"asked": ["问" * 61]}, "asked"),
    ({"asked": ["一", "二", "三", "四"]}, "asked"),
    ({"asked": "一个问题"}, "asked"),
    ({"asked": [3]}, "asked"),
    ({"answered": [2]}, "answered"),
    ({"answered": [-1]}, "answered"),
    ({"answered": [True]}, "answered"),
    ({"answered": ["0"]}, "answered"),
    ({"answered": [{"id": 99999}]}, "answered"),
    ({"answered": 0}, "answered"),
])
def test_the_api_refuses_bad_questions(client, db, to_deliver, frozen_now, body, field):
    member, session = to_deliver
    response = client.post(f"/api/v1/member/sessions/{session.id}/delivery",
                           headers=api_token(client, member.user.username),
                           json={"headcount": 30, **body})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert len(stored_questions(db, session.id)) == 2
    assert db.session.get(LectureSession, session.id).status == "scheduled"


def test_a_member_cannot_mark_another_members_session(client, db, world, to_deliver, make_member,
                                                      frozen_now):
    _, session = to_deliver
    stranger = make_member(name="王晓燕")
    first = stored_questions(db, session.id)[0]
    login(client, stranger.user.username)
    response = client.post(f"/member/sessions/{session.id}/delivery", data={
        "headcount": "45", "answered": [str(first.id)], "asked_1": "我来冒充"})
    assert response.status_code == 404
    client.post("/auth/logout")
    response = client.post(f"/api/v1/member/sessions/{session.id}/delivery",
                           headers=api_token(client, stranger.user.username),
                           json={"headcount": 30, "answered": [0], "asked": ["我来冒充"]})
    assert response.status_code == 404
    questions = stored_questions(db, session.id)
    assert [(q.text, q.answered) for q in questions] == [(QUESTIONS[0], False), (QUESTIONS[1], False)]
    assert db.session.get(LectureSession, session.id).status == "scheduled"


def test_the_delivery_answer_masks_the_phone_like_the_pages(client, db, to_deliver, frozen_now):
    """Once delivered a session shows no contact on the member pages; the API answer neither."""
    member, session = to_deliver
    phone = session.order.requester_phone
    response = client.post(f"/api/v1/member/sessions/{session.id}/delivery",
                           headers=api_token(client, member.user.username), json={"headcount": 30})
    assert response.status_code == 200
    shown = response.get_json()["order"]["requester"]["phone"]
    assert shown != phone and shown.endswith(phone[-4:]) and "*" in shown
