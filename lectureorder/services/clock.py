"""The one place the edges read the clock; everything below takes `now` as a parameter.

Every reader of "now" (views, jobs, CLI commands) calls `now_utc()` — however it was imported —
and `now_utc()` reads one settable clock, so freezing it here (`freeze`, the tests'
`frozen_now`) reaches every edge at once. Nothing else in the package calls `datetime.now`
(the models' timestamp column default in `models/base.py` aside: it records when a row was
written, not a business time).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from ..domain.calendars import TZ

_frozen: datetime | None = None


def now_utc() -> datetime:
    """The current time as an aware UTC datetime (the frozen one, when a test froze it)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Make `now_utc()` answer `at` from now on (tests, demos); `None` lets the clock run again."""
    global _frozen
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError("the frozen time must carry a time zone")
    _frozen = at.astimezone(UTC) if at is not None else None


def local_today(now: datetime) -> date:
    return now.astimezone(TZ).date()
