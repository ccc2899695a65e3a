"""群众点题 at the delivery: the member ticks the order's questions answered and adds up to
three asked on the spot; bad ones are refused before anything changes, never cut."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lectureorder.domain.errors import ValidationFailed
from lectureorder.models import LectureSession, Question
from lectureorder.services import fulfilment
from tests.report_data import make_order, make_session

ASKED_WITH_ORDER = ["冒充客服退款怎么识别？", "银行卡借给亲戚犯法吗？", "养老骗局有哪些？"]


@pytest.fixture
def session(db, world, make_member, now):
    member = make_member()
    order = make_order(db, world, created=now - timedelta(days=5), status="scheduled",
                       topics=("two_cards", "anti_fraud"))
    for i, text in enumerate(ASKED_WITH_ORDER):
        order.questions.append(Question(text=text, position=i, origin="order",
                                        created_at=order.created_at))
    lecture = make_session(db, world, member, order=order, start=now - timedelta(hours=2),
                           status="scheduled")
    db.session.commit()
    return lecture


def questions_of(db, lecture):
    db.session.expire_all()
    return db.session.scalars(select(Question).where(Question.order_id == lecture.order_id)
                              .order_by(Question.position, Question.id)).all()


def deliver(lecture, now, **kw):
    return fulfilment.record_delivery(lecture, lecture.lead_member, 40, "", now=now, **kw)


def test_answered_and_asked_are_stored(db, session, now):
    first, second, third = questions_of(db, session)
    deliver(session, now, answered=[first.id, third.id],
            asked=["  手机卡能借给别人用吗？ ", "", "问" * 60])
    db.session.commit()
    rows = questions_of(db, session)
    assert [(q.text, q.origin, q.answered) for q in rows] == [
        (ASKED_WITH_ORDER[0], "order", True), (ASKED_WITH_ORDER[1], "order", False),
        (ASKED_WITH_ORDER[2], "order", True),
        ("手机卡能借给别人用吗？", "asked", True), ("问" * 60, "asked", True)]
    order = db.session.get(LectureSession, session.id).order
    for asked in rows[3:]:
        assert asked.order_id == order.id and asked.session_id == session.id
        assert asked.topic_id == order.topics[0].id  # the order's first topic
        assert asked.created_at == now and asked.published_at is None
    assert [q.position for q in rows] == [0, 1, 2, 3, 4]


def test_nothing_ticked_leaves_every_question_unanswered(db, session, now):
    deliver(session, now)
    db.session.commit()
    assert [q.answered for q in questions_of(db, session)] == [False, False, False]


@pytest.mark.parametrize(("asked", "message"), [
    (["问" * 61], "Each question may have at most %(n)d characters."),
    (["一", "二", "三", "四"], "Please ask at most %(n)d questions."),
])
def test_too_long_or_too_many_asked_questions_are_refused(db, session, now, asked, message):
    with pytest.raises(ValidationFailed) as caught:
        deliver(session, now, asked=asked)
    assert [(e.field, e.reason) for e in caught.value.errors] == [("asked", message)]
    db.session.rollback()
    assert len(questions_of(db, session)) == 3  # nothing added, nothing cut
    assert db.session.get(LectureSession, session.id).status == "scheduled"


def test_only_the_sessions_own_questions_can_be_ticked(db, world, session, make_member, now):
    other = make_order(db, world, created=now - timedelta(days=3), status="scheduled")
    other.questions.append(Question(text="别人的问题", position=0, origin="order", created_at=now))
    db.session.commit()
    stranger = other.questions[0]
    for bad in ([stranger.id], [None], [True]):
        with pytest.raises(ValidationFailed) as caught:
            deliver(session, now, answered=bad)
        assert caught.value.errors[0].field == "answered"
        db.session.rollback()
    assert db.session.get(Question, stranger.id).answered is False
    assert db.session.get(LectureSession, session.id).status == "scheduled"


def test_a_session_without_an_order_keeps_asked_questions_on_the_session(db, world, make_member,
                                                                          now):
    member = make_member()
    lecture = make_session(db, world, member, start=now - timedelta(hours=2), status="scheduled")
    db.session.commit()
    assert fulfilment.session_questions(lecture) == []
    fulfilment.record_delivery(lecture, member, 20, "", now=now, asked=["怎么认出罂粟？"])
    db.session.commit()
    row = db.session.scalar(select(Question).where(Question.session_id == lecture.id))
    assert (row.text, row.origin, row.order_id, row.topic_id) == ("怎么认出罂粟？", "asked", None, None)
