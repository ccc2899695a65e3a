"""The outbox's delivery rules: its state machine, backoff and quiet hours (Beijing time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lectureorder.domain.calendars import TZ
from lectureorder.domain.errors import InvalidTransition
from lectureorder.domain.outbox import NOTIFICATION, after_quiet, backoff, is_quiet

LEGAL = [
    ("pending", "claim", "sending"),
    ("sending", "reclaim", "sending"),
    ("sending", "deliver", "sent"),
    ("sending", "retry", "pending"),
    ("sending", "defer", "pending"),
    ("sending", "fail", "failed"),
    ("sending", "drop", "dropped"),
    ("failed", "resend", "pending"),
]


@pytest.mark.parametrize(("state", "action", "after"), LEGAL)
def test_legal_moves(state, action, after):
    assert NOTIFICATION.next(state, action) == after


@pytest.mark.parametrize(("state", "action"), [
    ("pending", "deliver"), ("sent", "claim"), ("sent", "resend"), ("dropped", "resend"),
    ("failed", "deliver"), ("pending", "resend"), ("sending", "claim"), ("bogus", "claim")])
def test_illegal_moves(state, action):
    with pytest.raises(InvalidTransition):
        NOTIFICATION.next(state, action)


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 60), (2, 120), (3, 240), (4, 480), (5, 960)])
def test_backoff_doubles(attempts, seconds):
    assert backoff(attempts, 60) == timedelta(seconds=seconds)


def test_backoff_is_capped_at_a_day():
    assert backoff(40, 60) == timedelta(days=1)


def local(h, m=0, day=8):
    return datetime(2026, 12, day, h, m, tzinfo=TZ)


@pytest.mark.parametrize(("at", "quiet"), [
    (local(20, 59), False), (local(21, 0), True), (local(23, 30), True), (local(0, 0), True),
    (local(7, 59), True), (local(8, 0), False), (local(12), False)])
def test_quiet_hours(at, quiet):
    assert is_quiet(at) is quiet
    assert is_quiet(at.astimezone(UTC)) is quiet  # any zone, judged in Beijing time


@pytest.mark.parametrize(("at", "until"), [
    (local(22), local(8, day=9)), (local(3), local(8)), (local(10), local(10)),
    (local(21), local(8, day=9))])
def test_after_quiet_waits_until_eight(at, until):
    assert after_quiet(at) == until
