"""Outbox of notifications; a pluggable sender delivers them (no SMS gateway is reachable)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class Notification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Idempotency key: the same event never queues the same message twice.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_kind: Mapped[str] = mapped_column(String(12))  # member | requester | coordinator
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
