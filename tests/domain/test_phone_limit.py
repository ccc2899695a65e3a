"""The per-phone placement limit (domain/orders.phone_wait): a rolling window over the orders
a phone placed; the wait is until the first of them leaves the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lectureorder.domain.orders import phone_wait

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DAY = (10, 86400)


def test_under_the_limit_there_is_no_wait():
    assert phone_wait(0, None, DAY, NOW) == 0
    assert phone_wait(9, NOW - timedelta(hours=3), DAY, NOW) == 0


def test_at_the_limit_the_wait_ends_when_the_first_order_leaves_the_window():
    oldest = NOW - timedelta(hours=20)
    assert phone_wait(10, oldest, DAY, NOW) == 4 * 3600
    assert phone_wait(11, oldest, DAY, NOW) == 4 * 3600  # two raced in: still the same end


def test_the_wait_is_at_least_a_second_and_rounds_up():
    assert phone_wait(10, NOW - timedelta(seconds=86399, microseconds=500_000), DAY, NOW) == 1
    assert phone_wait(2, NOW - timedelta(seconds=3599, microseconds=1), (2, 3600), NOW) == 1


def test_no_limit_means_no_wait():
    assert phone_wait(1000, NOW, None, NOW) == 0
