"""The hard rules: which members may take an order, and every reason for the others."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import compress, repeat
from operator import attrgetter, contains

import numpy as np

from ..availability import SAME_TOWNSHIP_BUFFER, TRAVEL_BUFFER
from .model import Exclusion, Interval, MemberProfile, OrderNeed
from .reasons import (
    _DECLINED,
    _FORMAT,
    _INACTIVE,
    _KIT,
    _LANGUAGE,
    _TOPIC,
    _reason_codes,
)
from .timeline import _Need, _time_summary, _Timeline

_get_id = attrgetter("id")


class _Team:
    """The member-level facts of a team as arrays over its members, each built on first use,
    so that the static rules cost a few array operations per order instead of a Python loop
    over the team."""

    def __init__(self, members: Sequence[MemberProfile]) -> None:
        self.members = members
        self.n = len(members)
        self.ids = np.fromiter(map(_get_id, members), np.int64, self.n)
        self._masks: dict[tuple[str, object], np.ndarray] = {}

    def mask(self, attr: str, value: object = None) -> np.ndarray:
        """Members whose ``attr`` holds ``value`` (a set attribute) or is true (``value`` None)."""
        key = (attr, value)
        got = self._masks.get(key)
        if got is None:
            values = map(attrgetter(attr), self.members)
            if value is not None:
                values = map(contains, values, repeat(value))
            got = np.fromiter(values, bool, self.n)
            self._masks[key] = got
        return got

    def static_faults(self, ctx: _Need) -> np.ndarray:
        """Bit mask per member of the rules that do not depend on time."""
        topical = np.zeros(self.n, dtype=bool)
        for topic in ctx.topics:
            topical |= self.mask("topics", topic)
        faults = np.where(self.mask("active"), 0, _INACTIVE)
        faults |= np.where(topical, 0, _TOPIC)
        faults |= np.where(self.mask("formats", ctx.format), 0, _FORMAT)
        if ctx.needs_kit:
            faults |= np.where(self.mask("kit_qualified"), 0, _KIT)
        if ctx.language is not None:
            faults |= np.where(self.mask("languages", ctx.language), 0, _LANGUAGE)
        if ctx.exclude:
            faults |= np.where(np.isin(self.ids, list(ctx.exclude)), _DECLINED, 0)
        return faults

    def exclusions(self, faults: np.ndarray) -> tuple[Exclusion, ...]:
        """Every member with a fault and all its reasons, by member id."""
        out = np.flatnonzero(faults)
        out = out[np.argsort(self.ids[out], kind="stable")]
        masks, which = np.unique(faults[out], return_inverse=True)
        codes = [_reason_codes(int(m)) for m in masks.tolist()]
        return tuple(map(Exclusion, self.ids[out].tolist(), map(codes.__getitem__, which.tolist())))


def _time_faults(
    ctx: _Need, members: Sequence[MemberProfile], travel: timedelta, same: timedelta
) -> tuple[np.ndarray, np.ndarray]:
    """Per member the time faults that closed every slot (0 when one is free), and the
    (slots x members) free mask."""
    return _time_summary(_Timeline(members, travel, same).slot_faults(ctx))


def eligibility(
    need: OrderNeed,
    member: MemberProfile,
    now: datetime,
    *,
    travel_buffer: timedelta = TRAVEL_BUFFER,
    same_township_buffer: timedelta = SAME_TOWNSHIP_BUFFER,
) -> tuple[tuple[str, ...], tuple[Interval, ...]]:
    """Why ``member`` may not take ``need`` (codes of :data:`REASONS`) and the slots it is free for.

    A member is eligible when the first item is empty, which needs at least one free slot.
    Time reasons (leave, busy, caps) are reported only when they closed every slot, as the
    union over the slots. For an order with several topics covering one of them is enough
    here; whether helpers cover the rest depends on the other members: :func:`rank_candidates`.
    """
    ctx = _Need(need, now)
    time_faults, free = _time_faults(ctx, [member], travel_buffer, same_township_buffer)
    faults = int(time_faults[0] | _Team([member]).static_faults(ctx)[0])
    return _reason_codes(faults), tuple(compress(ctx.live_slots, free[:, 0].tolist()))
