"""A requester's own orders without an account: a code texted to the phone opens every order of
that phone, and the rating text's signed link opens one order.

The code is stateless (``domain/requester_code.py``: an HMAC of the phone and the 5-minute
window, good for 10 to 15 minutes); it is accepted only when it was really texted, i.e. the
outbox holds that phone's code message for that window, sending or sent. No phone number is
stored for any of it: the outbox row names the phone's latest order and a keyed digest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain import requester_code as rc
from ..domain.contact import normalise_phone
from ..domain.errors import N_, DomainError, ValidationFailed
from ..domain.outbox import NotificationStatus
from ..extensions import db
from ..models import LectureSession, Notification, Order
from . import notify
from .settings import Settings

#: The most orders one lookup lists (newest first).
MAX_ORDERS = 50
WRONG_CODE = N_("This code is wrong or has expired. Please ask for a new one.")
_TEXTED = (NotificationStatus.SENDING, NotificationStatus.SENT)


def _secret(settings: Settings) -> str:
    if not settings.secret_key:
        raise RuntimeError("requester_access needs the settings built from the app (SECRET_KEY)")
    return settings.secret_key


def phone_key(phone: str, *, settings: Settings) -> str:
    """The keyed digest of a normalised phone (rate-limit buckets, outbox keys)."""
    return rc.phone_digest(_secret(settings), phone)


def request_code(raw_phone: str, *, now: datetime, settings: Settings) -> str:
    """Queue a code for this phone when it has orders; nothing otherwise (the caller answers
    the same either way). Once per phone and window: asking again within five minutes queues
    nothing new (the text on its way carries the same code). Returns the normalised phone
    (for the page to show masked); DomainError for a malformed one."""
    phone = normalise_phone(raw_phone)
    latest = db.session.scalar(select(Order).where(Order.requester_phone == phone)
                               .order_by(Order.created_at.desc(), Order.id.desc()).limit(1))
    if latest is not None:
        notify.queue_requester_code(latest, phone_key=phone_key(phone, settings=settings),
                                    window=rc.window_of(now), now=now)
    return phone


def code_is_good(phone: str, code: str, *, now: datetime, settings: Settings) -> bool:
    """Whether ``code`` is this (normalised) phone's live code and was texted to it."""
    windows = rc.matching_windows(_secret(settings), phone, code, now)
    if not windows:
        return False
    key = phone_key(phone, settings=settings)
    keys = [notify.requester_code_key(key, w) for w in windows]
    return db.session.scalar(select(Notification.id).where(
        Notification.key.in_(keys), Notification.status.in_(_TEXTED)).limit(1)) is not None


def orders_for(raw_phone: str, code: str, *, now: datetime, settings: Settings) -> list[Order]:
    """This phone's orders, newest first, for its live texted code; ValidationFailed (the
    ``code`` field) for a wrong or expired one, DomainError for a malformed phone."""
    phone = normalise_phone(raw_phone)
    if not code_is_good(phone, code, now=now, settings=settings):
        raise ValidationFailed([DomainError("code", WRONG_CODE)])
    return list(db.session.scalars(
        select(Order).where(Order.requester_phone == phone)
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(MAX_ORDERS)
        .options(selectinload(Order.topics), selectinload(Order.feedback),
                 selectinload(Order.questions),
                 selectinload(Order.lecture_session).selectinload(LectureSession.lead_member))))


def orders_by_code(codes: list[str]) -> list[Order]:
    """The orders with these codes (a session's verified list), newest first."""
    if not codes:
        return []
    return list(db.session.scalars(
        select(Order).where(Order.code.in_(codes))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .options(selectinload(Order.topics), selectinload(Order.feedback),
                 selectinload(Order.lecture_session).selectinload(LectureSession.lead_member))))


def order_for_link(token: str, *, now: datetime, settings: Settings) -> Order:
    """The order a signed link names (the please_rate text's, made in services/notify.py);
    ``rc.LinkRefused`` when forged, changed, expired, or its
    order is gone."""
    code = rc.order_code_in(_secret(settings), token, now)
    order = db.session.scalar(select(Order).where(Order.code == code))
    if order is None:
        raise rc.LinkRefused(expired=True)
    return order
