"""Fulfilment (送单): members record what was delivered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain import orders
from ..domain.errors import N_, Conflict, DomainError, ValidationFailed
from ..domain.evidence import signin_errors
from ..extensions import db
from ..models import LectureSession, Member, Order, Question, SessionStatus, session_helper
from . import evidence, notify, scheduling
from .unit import flush_or_conflict

MAX_HEADCOUNT = 5000


def member_sessions(member: Member, *, since: datetime | None = None) -> list[LectureSession]:
    helper_of = select(session_helper.c.session_id).where(session_helper.c.member_id == member.id)
    stmt = select(LectureSession).where(
        (LectureSession.lead_member_id == member.id) | LectureSession.id.in_(helper_of)
    ).order_by(LectureSession.start).options(
        selectinload(LectureSession.order).selectinload(Order.topics),
        selectinload(LectureSession.order).selectinload(Order.township),
        # The field view shows each session's questions (群众想问) and its place on a map.
        selectinload(LectureSession.order).selectinload(Order.questions),
        selectinload(LectureSession.order).selectinload(Order.village),
        selectinload(LectureSession.order).selectinload(Order.school),
        selectinload(LectureSession.order).selectinload(Order.market),
    )
    if since is not None:
        stmt = stmt.where(LectureSession.end >= since,
                          LectureSession.start > since - scheduling.MAX_SESSION_LENGTH)
    return list(db.session.scalars(stmt))


def member_session(session_id: int, member: Member) -> LectureSession:
    session = db.session.get(LectureSession, session_id)
    if session is None or (
        session.lead_member_id != member.id and member not in session.helpers
    ):
        raise LookupError(session_id)
    return session


def session_questions(session: LectureSession) -> list[Question]:
    """群众想问: the questions of the session's order (asked with it, then on the spot)."""
    return list(session.order.questions) if session.order is not None else []


def question_errors(session: LectureSession, answered: Sequence[int],
                    asked: Sequence[str]) -> tuple[list[str], list[DomainError]]:
    """The questions asked on the spot, stripped (blank ones dropped, never cut), and what is
    wrong with them or with the answered ones (which must be the session's own questions)."""
    errors = []
    known = {q.id for q in session_questions(session)}
    if any(isinstance(i, bool) or i not in known for i in answered):
        errors.append(DomainError("answered", N_("Please tick only the questions listed.")))
    texts, problems = orders.question_errors(asked, "asked")
    return list(texts), errors + problems


def _store_questions(session: LectureSession, answered: Sequence[int], asked: Sequence[str],
                     *, now: datetime) -> None:
    order = session.order
    ticked = set(answered)
    for q in session_questions(session):
        q.answered = q.id in ticked
    if not asked:
        return
    known = session_questions(session)
    position = max((q.position for q in known), default=-1) + 1
    topic_id = order.topics[0].id if order is not None and order.topics else None
    for i, text in enumerate(asked):
        # Raised and answered at the talk itself; the coordinator may publish it later.
        question = Question(order_id=order.id if order is not None else None,
                            session_id=session.id, topic_id=topic_id, text=text,
                            origin="asked", position=position + i, answered=True,
                            created_at=now)
        if order is not None:
            order.questions.append(question)
        else:
            db.session.add(question)


def record_delivery(
    session: LectureSession, member: Member, headcount: int | None, notes: str, *, now: datetime,
    signin_count: int | None = None, photos: Sequence[BinaryIO] = (),
    policy: evidence.PhotoPolicy | None = None,
    answered: Sequence[int] = (), asked: Sequence[str] = (),
) -> LectureSession:
    """Mark the session delivered with its headcount and notes, and optionally the sign-in
    count and photos (checked before anything changes: a bad photo refuses the whole record),
    which of its questions were answered (ids) and up to three asked on the spot."""
    asked, errors = question_errors(session, answered, asked)
    if headcount is None:
        errors.append(DomainError("headcount", N_("Please enter how many people attended.")))
    elif headcount < 0 or headcount > MAX_HEADCOUNT:
        errors.append(DomainError("headcount", N_("Please enter a number from 0 to %(n)d."),
                                  n=MAX_HEADCOUNT))
    notes = (notes or "").strip()
    if len(notes) > 2000:
        errors.append(DomainError("notes", N_("At most %(n)d characters."), n=2000))
    errors += signin_errors(signin_count)
    checked = []
    if photos:
        if policy is None:  # the edge builds it from the settings (where photos are kept)
            raise ValueError("record_delivery with photos needs the photo policy")
        checked, photo_errors = evidence.check_photos(photos, session, policy=policy)
        errors += photo_errors
    ValidationFailed.collect(errors)
    if session.status != SessionStatus.SCHEDULED:
        raise Conflict(None, N_("This session is not open for a delivery record."))
    if session.start > now:
        raise Conflict(None, N_("You can record the delivery once the session has started."))
    session.transition("deliver", now=now, actor=member.user, detail={"headcount": headcount})
    session.headcount = headcount
    session.delivery_notes = notes
    session.delivered_at = now
    session.signin_count = signin_count
    _store_questions(session, answered, asked, now=now)
    if checked:
        evidence.store_photos(session, member, checked, now=now, policy=policy)
    order = session.order
    if order is not None:
        order.transition("deliver", now=now, actor=member.user,
                         detail={"session_id": session.id, "headcount": headcount})
        notify.enqueue("please_rate", key=f"order:{order.id}:rate", recipient_kind="requester",
                       order=order, now=now, payload={"code": order.code})
    flush_or_conflict()
    return session
