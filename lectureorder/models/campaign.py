"""Campaigns (宣传活动): the calendar of awareness days, and the campaigns planned from it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .user import User


class AwarenessDay(db.Model):
    """A day of the year that pushes demand for talks (6·26 国际禁毒日), a school-term start,
    or a slowdown (harvest) when few people are at home; ``days`` long from (month, day)."""

    __tablename__ = "awareness_day"
    __table_args__ = (
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint("day BETWEEN 1 AND 31", name="day_range"),
        CheckConstraint("days >= 1", name="days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    month: Mapped[int]
    day: Mapped[int]
    days: Mapped[int] = mapped_column(default=1, server_default="1")
    kind: Mapped[str] = mapped_column(String(12), default="awareness")
    topics: Mapped[list] = mapped_column(JSON, default=list)  # topic codes
    active: Mapped[bool] = mapped_column(default=True)

    def display(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh


class Campaign(db.Model):
    """Talks on some topics at chosen places within [first, last]: one order per place, each
    offered through the normal dispatch (``Order.campaign_id``)."""

    __table_args__ = (CheckConstraint("last >= first", name="range_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    topics: Mapped[list] = mapped_column(JSON, default=list)  # topic codes
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)
    awareness_day_id: Mapped[int | None] = mapped_column(
        ForeignKey("awareness_day.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    awareness_day: Mapped[AwarenessDay | None] = relationship()
    created_by: Mapped[User | None] = relationship()
