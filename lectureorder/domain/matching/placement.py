"""Slot picking after a batch solve: each member's orders get times that fit together."""

from __future__ import annotations

from .model import Interval, MemberProfile
from .timeline import _Bounds, _local_day_week


def _loads(member: MemberProfile) -> tuple[dict[int, int], dict[int, int]]:
    """Sessions the member already holds per local day and per ISO week (keyed by their start)."""
    days: dict[int, int] = {}
    weeks: dict[int, int] = {}
    for session in member.busy:
        day, _day_hi, week, _week_hi = _local_day_week(session.start)
        days[day] = days.get(day, 0) + 1
        weeks[week] = weeks.get(week, 0) + 1
    return days, weeks


_PLACE_BUDGET = 20_000  # search steps per member and order; beyond it the order is dropped


def _place(
    member: MemberProfile,
    items: list[tuple[float, int, list[tuple]]],
    loads: tuple[dict[int, int], dict[int, int]],
    travel: int,
    same: int,
) -> tuple[dict[int, Interval], list[int]]:
    """Give each (score, order index, options) a slot; drop the orders that do not fit.

    Highest score first: an order is kept only if it fits together with all kept ones, whose
    slots may move to make room; slots are tried earliest first. ``options`` are
    (slot, bounds, township) with bounds in microseconds; ``loads`` is :func:`_loads` of the member.
    """
    day_load, week_load = loads
    kept: list[tuple[int, list[tuple]]] = []
    placed: dict[int, Interval] = {}
    lost: list[int] = []
    for _score, n_idx, options in sorted(items, key=lambda it: (-it[0], it[1])):
        trial = [*kept, (n_idx, options)]
        # Fewest options first prunes the search; sorted() is stable, so ties keep score order.
        trial_order = sorted(trial, key=lambda it: len(it[1]))
        result = _search(trial_order, member, day_load, week_load, travel, same)
        if result is None:
            lost.append(n_idx)
        else:
            kept, placed = trial, result
    return placed, lost


def _search(
    items: list[tuple[int, list[tuple]]],
    member: MemberProfile,
    day_load: dict[int, int],
    week_load: dict[int, int],
    travel: int,
    same: int,
) -> dict[int, Interval] | None:
    chosen: list[tuple] = []
    budget = [_PLACE_BUDGET]

    def fits(bounds: _Bounds, town: int | None) -> bool:
        start, end, day, _day_hi, week, _week_hi = bounds
        in_day = day_load.get(day, 0)
        in_week = week_load.get(week, 0)
        for _slot, other, other_town in chosen:
            buffer = same if town is not None and town == other_town else travel
            if other[0] - buffer < end and start < other[1] + buffer:
                return False
            in_day += other[2] == day
            in_week += other[4] == week
        return in_day < member.daily_cap and in_week < member.weekly_cap

    def go(k: int) -> bool:
        if k == len(items):
            return True
        for option in items[k][1]:
            budget[0] -= 1
            if budget[0] < 0:
                return False
            if fits(option[1], option[2]):
                chosen.append(option)
                if go(k + 1):
                    return True
                chosen.pop()
        return False

    if not go(0):
        return None
    return {items[k][0]: chosen[k][0] for k in range(len(items))}
