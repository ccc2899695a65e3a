"""群众点题: the questions villagers want answered, asked with an order or on the spot, and the
ones a coordinator publishes with a short answer on the topic page (大家常问)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime
from .topic import Topic
from .user import User


class Question(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"),
                                                 index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("lecture_session.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"), index=True)
    text: Mapped[str] = mapped_column(String(60))
    #: "order": asked with the order; "asked": raised on the spot, added at delivery.
    origin: Mapped[str] = mapped_column(String(10), default="order")
    position: Mapped[int] = mapped_column(default=0)
    answered: Mapped[bool] = mapped_column(default=False)
    #: Published on the topic page only after a coordinator approved it, with this answer.
    answer: Mapped[str] = mapped_column(String(300), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    topic: Mapped[Topic | None] = relationship()
    published_by: Mapped[User | None] = relationship()
