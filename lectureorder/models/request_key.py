"""Keys that make placing an order idempotent: a rendered form's one-time token, or the API's
``Idempotency-Key`` header. The same key again answers with the first order, never a second."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime
from .order import Order


class OrderRequestKey(db.Model):
    __tablename__ = "order_request_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "form:<token>" or "api:<header value>"; unique, so two racing requests store one order.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    #: SHA-256 of the canonical request body (API); empty for a form token (any resubmission).
    body_hash: Mapped[str] = mapped_column(String(64), default="")
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    #: The first answer's body, replayed as it was (API); None for a form.
    response: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    order: Mapped[Order] = relationship()
