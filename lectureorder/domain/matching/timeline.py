"""Time for the hard rules: slots and sessions in microseconds, checked for a whole team at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from .. import availability
from ..errors import N_, DomainError
from .model import MOBILE_FILM, Interval, MemberProfile, OrderNeed
from .reasons import _BUSY, _CAP_DAY, _CAP_WEEK, _LEAVE, _NO_SLOT

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def _us(moment: datetime, field: str) -> int:
    """Microseconds since the epoch: exact, and cheap to compare by the thousand."""
    try:
        return (moment - _EPOCH) // _US
    except TypeError:  # a naive datetime cannot be placed in time
        raise DomainError(field, N_("Times must carry a time zone.")) from None


def _local_day_week(moment: datetime) -> tuple[int, int, int, int]:
    """The Beijing day and the ISO week of ``moment``, as availability bounds them, in µs."""
    day_lo, day_hi = availability.day_bounds(moment)
    week_lo, week_hi = availability.week_bounds(moment)
    return (
        _us(day_lo, "slots"), _us(day_hi, "slots"), _us(week_lo, "slots"), _us(week_hi, "slots")
    )


# A slot resolved for the hard rules: (start, end, day_lo, day_hi, week_lo, week_hi) in
# microseconds, where the day and the ISO week are those of its start in Asia/Shanghai.
_Bounds = tuple[int, int, int, int, int, int]


class _Need:
    """An order prepared for the rules: validated, its live slots resolved to microseconds."""

    __slots__ = (
        "need", "topics", "multi", "format", "needs_kit", "township", "language", "exclude",
        "live_slots", "bounds",
    )  # fmt: skip

    def __init__(self, need: OrderNeed, now: datetime, cache: dict | None = None) -> None:
        if not need.topics:
            raise DomainError("topics", N_("An order needs at least one topic."))
        self.need = need
        self.topics = need.topics
        self.multi = len(need.topics) > 1
        self.format = need.format
        self.needs_kit = need.format == MOBILE_FILM
        self.township = need.township_id
        self.language = need.language
        self.exclude = need.exclude
        now_us = _us(now, "now")
        # Orders of one batch share slots (market mornings, film evenings): resolve each once.
        cache = {} if cache is None else cache
        resolved = []
        for slot in need.slots:
            bounds = cache.get(slot)
            if bounds is None:
                start, end = _us(slot[0], "slots"), _us(slot[1], "slots")
                if end <= start:
                    raise DomainError("slots", N_("A proposed time must end after it starts."))
                bounds = cache[slot] = (start, end, *_local_day_week(slot[0]))
            # A slot that has begun can no longer be offered.
            if bounds[0] > now_us:
                resolved.append((bounds[0], bounds[1], slot, bounds))
        resolved.sort(key=lambda r: (r[0], r[1]))
        seen = set()
        live = []
        for start, end, slot, bounds in resolved:
            if (start, end) not in seen:
                seen.add((start, end))
                live.append((slot, bounds))
        self.live_slots: tuple[Interval, ...] = tuple(slot for slot, _ in live)
        self.bounds: tuple[_Bounds, ...] = tuple(bounds for _, bounds in live)


# Township codes: an unknown township is never "the same" as another.
_NO_SESSION_TOWN = np.iinfo(np.int64).min
_NO_ORDER_TOWN = _NO_SESSION_TOWN + 1


class _Timeline:
    """The sessions and leave of a list of members as arrays, to check a slot for all at once.

    Checking member by member in Python cost ~5 µs a member and slot; here a slot costs a
    handful of array operations whatever the team size.
    """

    def __init__(
        self, members: Sequence[MemberProfile], travel: timedelta, same: timedelta
    ) -> None:
        if travel < timedelta(0) or same < timedelta(0):
            raise DomainError(None, N_("Travel buffers cannot be negative."))
        self.n = len(members)
        self.travel = travel // _US
        self.same = same // _US
        # Flat lists of ints: numpy reads them far faster than lists of tuples.
        busy: list[int] = []
        leave: list[int] = []
        epoch, us = _EPOCH, _US
        field = "busy"
        try:  # _us() inlined: this loop is most of the cost of ranking a large team
            for i, m in enumerate(members):
                field = "busy"
                for s in m.busy:
                    town = _NO_SESSION_TOWN if s.township_id is None else s.township_id
                    busy += (i, (s.start - epoch) // us, (s.end - epoch) // us, town)
                field = "leave"
                for start, end in m.leave:
                    leave += (i, (start - epoch) // us, (end - epoch) // us)
        except TypeError:  # a naive datetime cannot be placed in time
            raise DomainError(field, N_("Times must carry a time zone.")) from None
        b = np.array(busy, dtype=np.int64).reshape(-1, 4).T.copy()
        self.b_member, self.b_start, self.b_end, self.b_town = b
        lv = np.array(leave, dtype=np.int64).reshape(-1, 3).T.copy()
        self.l_member, self.l_start, self.l_end = lv
        self.daily_cap = np.fromiter((m.daily_cap for m in members), np.int64, self.n)
        self.weekly_cap = np.fromiter((m.weekly_cap for m in members), np.int64, self.n)
        self._memo: dict[tuple[_Bounds, int], np.ndarray] = {}

    def faults(self, bounds: _Bounds, township: int | None) -> np.ndarray:
        """Bit mask of time faults per member for one slot of an order in ``township``."""
        town = _NO_ORDER_TOWN if township is None else township
        key = (bounds, town)
        faults = self._memo.get(key)
        if faults is not None:
            return faults
        start, end, day_lo, day_hi, week_lo, week_hi = bounds
        n = self.n
        faults = np.zeros(n, dtype=np.int64)
        if len(self.l_start):
            on_leave = (self.l_start < end) & (self.l_end > start)
            faults[self.l_member[on_leave]] |= _LEAVE
        day_n = week_n = np.zeros(n, dtype=np.int64)
        if len(self.b_start):
            # The slot widened by the buffer on both sides must not touch the session;
            # the buffer is shorter when the session is in the order's township.
            buffer = np.where(self.b_town == town, self.same, self.travel)
            clash = (self.b_start < end + buffer) & (self.b_end > start - buffer)
            faults[self.b_member[clash]] |= _BUSY
            # A session counts towards the day and week in which it starts.
            in_week = (self.b_start >= week_lo) & (self.b_start < week_hi)
            in_day = in_week & (self.b_start >= day_lo) & (self.b_start < day_hi)
            week_n = np.bincount(self.b_member[in_week], minlength=n)
            day_n = np.bincount(self.b_member[in_day], minlength=n)
        faults |= np.where(day_n >= self.daily_cap, _CAP_DAY, 0)
        faults |= np.where(week_n >= self.weekly_cap, _CAP_WEEK, 0)
        self._memo[key] = faults
        return faults

    def slot_faults(self, ctx: _Need, members: np.ndarray | None = None) -> np.ndarray:
        """(slots x members) fault masks of the order's live slots; all members or a subset."""
        rows = [self.faults(b, ctx.township) for b in ctx.bounds]
        matrix = np.array(rows) if rows else np.zeros((0, self.n), dtype=np.int64)
        return matrix if members is None else matrix[:, members]


def _time_summary(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per member: the faults that closed every slot (0 when one is free); the free-slot mask."""
    free = matrix == 0
    if not len(matrix):
        return np.full(matrix.shape[1], _NO_SLOT, dtype=np.int64), free
    return np.where(free.any(axis=0), 0, np.bitwise_or.reduce(matrix, axis=0)), free
