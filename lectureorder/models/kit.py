"""Equipment kits (projector, screen, generator) that film screenings need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime
from .place import Township


class EquipmentKit(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    contents: Mapped[str] = mapped_column(String(200), default="")
    base_township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Written by every booking, which bumps booking_version, like Member.last_booked_at.
    last_booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booking_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": booking_version}

    base_township: Mapped[Township | None] = relationship()
