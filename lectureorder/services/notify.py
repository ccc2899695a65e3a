"""The notification outbox: queue idempotently, deliver with a pluggable sender."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Notification, Order

log = logging.getLogger(__name__)

Sender = Callable[[Notification], None]


def enqueue(
    kind: str, *, key: str, recipient_kind: str, now: datetime, order: Order | None = None,
    member_id: int | None = None, payload: dict | None = None,
) -> Notification | None:
    """Queue one message unless a message with the same key is already queued."""
    if db.session.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return None
    note = Notification(
        key=key, kind=kind, recipient_kind=recipient_kind, member_id=member_id,
        order_id=order.id if order is not None else None, payload=payload or {}, created_at=now,
    )
    db.session.add(note)
    return note


def log_sender(note: Notification) -> None:
    """Default sender: there is no SMS gateway here. Logs ids only, never phone numbers."""
    log.info("notification %s kind=%s to=%s order=%s", note.id, note.kind,
             note.recipient_kind, note.order_id)


def send_pending(*, now: datetime, sender: Sender = log_sender, limit: int = 200) -> int:
    notes = db.session.scalars(
        select(Notification).where(Notification.status == "pending")
        .order_by(Notification.id).limit(limit)
    ).all()
    for note in notes:
        note.attempts += 1
        try:
            sender(note)
        except Exception:  # a failing sender must not stop the others
            log.exception("sending notification %s failed", note.id)
            note.status = "failed" if note.attempts >= 5 else "pending"
            continue
        note.status = "sent"
        note.sent_at = now
    db.session.flush()
    return len(notes)
