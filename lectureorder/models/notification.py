"""The notification outbox (delivered exactly once by a claiming sender), in-app notices and the
scheduler's single-instance lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.outbox import NOTIFICATION, NotificationStatus
from ..extensions import db
from .audit import Guarded
from .base import UTCDateTime, utcnow
from .user import User


class Notification(Guarded, db.Model):
    """One message to one recipient. The text is rendered when it is sent, from the records it
    names; the row never holds a phone number (the sender reads it from the order or member)."""

    __machine__ = NOTIFICATION
    __audit_entity__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Idempotency key: the same event never queues the same message twice, and every provider
    # call carries it, so a retried delivery is recognised as the same message.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_kind: Mapped[str] = mapped_column(String(12))  # member | requester | coordinator
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Not before this instant (backoff after a failure, quiet hours); NULL means at once.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which sender holds it while "sending" (a random token), and since when.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last failure in the sender's words, never with a phone number or a message text.
    last_error: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The text as sent (no phone numbers in it); purged with the order's contact data.
    text: Mapped[str] = mapped_column(String(400), default="", server_default="")

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} {self.status}>"


class Notice(db.Model):
    """An in-app notice for a member or a coordinator (the header's unread count)."""

    __table_args__ = (
        UniqueConstraint("notification_id", "user_id", name="notice_once_per_user"),
        Index("ix_notice_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(400))
    order_code: Mapped[str] = mapped_column(String(12), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SchedulerLease(db.Model):
    """A named lease: the one scheduler that holds it runs the jobs; others idle until it
    expires (the holder renews it well before)."""

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
