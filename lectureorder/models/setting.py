"""Scheduling policy that coordinators edit in the app: the film-screening season."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class FilmSeason(db.Model):
    """The months open-air screenings are practical; one row (id 1) or none.

    Without a row the app uses the configured default (FILM_SEASON_ALL_YEAR and the
    SlotSettings dates). (month, day) bounds are both included; a start after the end
    wraps over the new year, as in SlotSettings.
    """

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    all_year: Mapped[bool] = mapped_column(default=False)
    start_month: Mapped[int]
    start_day: Mapped[int]
    end_month: Mapped[int]
    end_day: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
