"""The outbox's delivery rules: a notification's state machine, retry backoff and quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum

from .calendars import TZ
from .lifecycle import Machine


class NotificationStatus(StrEnum):
    PENDING = "pending"    # waiting for its (next) attempt
    SENDING = "sending"    # claimed by one sender; nobody else touches it
    SENT = "sent"
    FAILED = "failed"      # gave up after the last attempt; a coordinator may send it again
    DROPPED = "dropped"    # no longer true (the session was cancelled or moved) or no address


class NotificationAction(StrEnum):
    CLAIM = "claim"        # a sender takes it (conditional UPDATE, see services/notify.py)
    RECLAIM = "reclaim"    # its sender died mid-delivery; another takes it over (same key)
    DELIVER = "deliver"
    RETRY = "retry"        # the attempt failed; try again after the backoff
    DEFER = "defer"        # quiet hours: back to waiting without counting an attempt
    FAIL = "fail"
    DROP = "drop"
    RESEND = "resend"      # "send again" from the coordinators' page


NS, NA = NotificationStatus, NotificationAction

NOTIFICATION = Machine(NotificationStatus, NotificationAction, {
    (NS.PENDING, NA.CLAIM): NS.SENDING,
    (NS.SENDING, NA.RECLAIM): NS.SENDING,
    (NS.SENDING, NA.DELIVER): NS.SENT,
    (NS.SENDING, NA.RETRY): NS.PENDING,
    (NS.SENDING, NA.DEFER): NS.PENDING,
    (NS.SENDING, NA.FAIL): NS.FAILED,
    (NS.SENDING, NA.DROP): NS.DROPPED,
    (NS.FAILED, NA.RESEND): NS.PENDING,
})


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2×base, 4×base … (capped at a day)."""
    exponent = max(0, attempts - 1)
    return timedelta(seconds=min(base_seconds * 2 ** min(exponent, 20), 86_400))


def is_quiet(at: datetime, start_hour: int = 21, end_hour: int = 8) -> bool:
    """Inside the night's quiet hours, Beijing time ([start_hour:00, end_hour:00))."""
    hour = at.astimezone(TZ).hour
    if start_hour == end_hour:
        return False
    if start_hour > end_hour:
        return hour >= start_hour or hour < end_hour
    return start_hour <= hour < end_hour


def after_quiet(at: datetime, start_hour: int = 21, end_hour: int = 8) -> datetime:
    """``at`` itself outside quiet hours, else the quiet hours' end (the next ``end_hour``:00
    Beijing time), as an aware datetime."""
    if not is_quiet(at, start_hour, end_hour):
        return at
    local = at.astimezone(TZ)
    day = local.date() if local.hour < end_hour else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end_hour), tzinfo=TZ)
