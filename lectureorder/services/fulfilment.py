"""Fulfilment (送单): members record what was delivered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain.errors import N_, Conflict, DomainError, ValidationFailed
from ..domain.evidence import signin_errors
from ..extensions import db
from ..models import LectureSession, Member, Order, SessionStatus, session_helper
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


def record_delivery(
    session: LectureSession, member: Member, headcount: int | None, notes: str, *, now: datetime,
    signin_count: int | None = None, photos: Sequence[BinaryIO] = (),
    policy: evidence.PhotoPolicy | None = None,
) -> LectureSession:
    """Mark the session delivered with its headcount and notes, and optionally the sign-in
    count and photos (checked before anything changes: a bad photo refuses the whole record)."""
    errors = []
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
