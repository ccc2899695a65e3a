"""Contact-data retention (PIPL): requester phones are erased a while after the order ends, and
with them the texts sent about the order (the outbox keeps what it sent, not the phone)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..domain.lifecycle import OrderStatus
from ..extensions import db
from ..models import Notification, Order
from .settings import DEFAULTS, Settings

FINISHED = (OrderStatus.CLOSED, OrderStatus.CANCELLED, OrderStatus.DELIVERED)


def purge_old_contacts(*, now: datetime, settings: Settings = DEFAULTS) -> int:
    cutoff = now - timedelta(days=settings.contact_retention_days)
    orders = db.session.scalars(select(Order).where(
        Order.status.in_(FINISHED), Order.updated_at < cutoff,
        Order.requester_phone.is_not(None),
    )).all()
    for order in orders:
        order.requester_phone = None
        order.contact_purged_at = now
    if orders:
        db.session.execute(
            update(Notification).where(Notification.order_id.in_([o.id for o in orders]))
            .values(text="", payload={}).execution_options(synchronize_session=False))
    db.session.flush()
    return len(orders)
