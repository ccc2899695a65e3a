"""The one place the edges read the clock; everything below takes `now` as a parameter."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ..domain.calendars import TZ


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_today(now: datetime) -> date:
    return now.astimezone(TZ).date()
