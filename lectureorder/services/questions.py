"""群众点题 publishing: a coordinator answers a villager's question and publishes it on its topic
page (大家常问), or takes it down. Nothing is public without that approval."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from ..domain.contact import normalise_phone
from ..domain.errors import N_, DomainError, ValidationFailed
from ..domain.orders import MAX_QUESTION
from ..extensions import db
from ..models import LectureSession, Order, Question, Topic, User
from ..models.audit import audit_row

MAX_ANSWER = 300

PHONE_IN_TEXT = N_("This contains a phone number. Please remove it before publishing.")
ID_IN_TEXT = N_("This contains what looks like an ID card number. Please remove it before "
                "publishing.")

# A run of digits as people write them (spaces, hyphens, brackets, a +86), maybe ending in X.
_NUMBER_RUN = re.compile(r"\+?\d[\d\s\-()（）.]*[\dXx]|\d")
_SEPARATORS = re.compile(r"[\s\-()（）.+]")
_ID_CARD = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")
_MOBILE_INSIDE = re.compile(r"1[3-9]\d{9}")
_LANDLINE_INSIDE = re.compile(r"0972\d{7}")


def personal_number(text: str) -> str | None:
    """The reason a text may not be published ("phone" / "id_card"), or None.

    Pure. A phone is whatever the order form's own phone rule (`normalise_phone`) accepts, or
    a mobile / 0972 landline hidden in a longer run of digits; an ID card is 18 digits (the
    last may be X) or the old 15. Phones written in Chinese numerals are not recognised.
    """
    norm = unicodedata.normalize("NFKC", text or "")
    for match in _NUMBER_RUN.finditer(norm):
        run = match.group().strip()
        digits = _SEPARATORS.sub("", run)
        if _ID_CARD.search(digits):
            return "id_card"
        try:
            normalise_phone(run)
            return "phone"
        except DomainError:
            pass
        if _MOBILE_INSIDE.search(digits) or _LANDLINE_INSIDE.search(digits):
            return "phone"
    return None


def _refuse_personal_numbers(field: str, text: str) -> DomainError | None:
    kind = personal_number(text)
    if kind == "phone":
        return DomainError(field, PHONE_IN_TEXT)
    if kind == "id_card":
        return DomainError(field, ID_IN_TEXT)
    return None


def questions_query(*, topic: Topic | None = None, answered: bool | None = None,
                    published: bool | None = None) -> Select:
    """The coordinators' list, newest first: by topic (its own, or its order's topics while it
    has none), answered at the talk or not, published or not."""
    stmt = select(Question).options(
        selectinload(Question.topic), selectinload(Question.published_by),
    ).order_by(Question.created_at.desc(), Question.id.desc())
    if topic is not None:
        of_order = select(Order.id).where(Order.topics.any(Topic.id == topic.id))
        of_session = select(LectureSession.id).where(LectureSession.order_id.in_(of_order))
        stmt = stmt.where(or_(
            Question.topic_id == topic.id,
            and_(Question.topic_id.is_(None),
                 or_(Question.order_id.in_(of_order), Question.session_id.in_(of_session))),
        ))
    if answered is not None:
        stmt = stmt.where(Question.answered.is_(answered))
    if published is not None:
        stmt = stmt.where(Question.published_at.is_not(None) if published
                          else Question.published_at.is_(None))
    return stmt


def orders_of(questions: list[Question]) -> dict[int, Order]:
    """The orders the questions were asked with (directly or through their session), by
    question id, in two queries."""
    session_ids = {q.session_id for q in questions if q.session_id and not q.order_id}
    session_orders = dict(db.session.execute(
        select(LectureSession.id, LectureSession.order_id).where(
            LectureSession.id.in_(session_ids))).all()) if session_ids else {}
    wanted = {q.id: q.order_id or session_orders.get(q.session_id) for q in questions}
    ids = {i for i in wanted.values() if i}
    orders = {o.id: o for o in db.session.scalars(
        select(Order).where(Order.id.in_(ids)).options(selectinload(Order.topics)))} if ids else {}
    return {qid: orders[oid] for qid, oid in wanted.items() if oid in orders}


def publish(question: Question, *, text: str, answer: str, topic: Topic, now: datetime,
            actor: User) -> Question:
    """Publish the question with its answer on `topic`'s page, once nothing in it could
    identify anyone by number (names are for the coordinator to remove: the page says so)."""
    text, answer = (text or "").strip(), (answer or "").strip()
    errors = []
    if not text:
        errors.append(DomainError("text", N_("Please enter the question.")))
    elif len(text) > MAX_QUESTION:
        errors.append(DomainError("text", N_("At most %(n)d characters."), n=MAX_QUESTION))
    if not answer:
        errors.append(DomainError("answer", N_("Please write a short answer.")))
    elif len(answer) > MAX_ANSWER:
        errors.append(DomainError("answer", N_("At most %(n)d characters."), n=MAX_ANSWER))
    errors += [e for e in (_refuse_personal_numbers("text", text),
                           _refuse_personal_numbers("answer", answer)) if e is not None]
    ValidationFailed.collect(errors)
    was = "published" if question.published_at else "unpublished"
    question.text, question.answer, question.topic = text, answer, topic
    question.published_at, question.published_by = now, actor
    audit_row("question", question.id, "publish", now=now, actor=actor, from_state=was,
              to_state="published", detail={"topic": topic.code})
    db.session.flush()
    return question


def unpublish(question: Question, *, now: datetime, actor: User) -> Question:
    """Take the question off its topic page (its answer is kept for a later publish)."""
    if question.published_at is None:
        return question
    question.published_at, question.published_by = None, None
    audit_row("question", question.id, "unpublish", now=now, actor=actor,
              from_state="published", to_state="unpublished",
              detail={"topic": question.topic.code if question.topic else None})
    db.session.flush()
    return question


def published_for_topic(topic: Topic) -> list[Question]:
    """大家常问 on a topic page: the approved questions, newest approval first."""
    return list(db.session.scalars(
        select(Question).where(Question.topic_id == topic.id, Question.published_at.is_not(None))
        .order_by(Question.published_at.desc(), Question.id.desc())))
