"""Orders with several topics: a lead and the helpers, free at the same slot, who cover the rest."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .model import MemberProfile
from .timeline import _Need


def _teams(
    ctx: _Need,
    people: Sequence[MemberProfile],
    free: np.ndarray,
    cover: np.ndarray | None = None,
    ids: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, ...]]]:
    """Which eligible members can lead the order, at which slots, with which helpers.

    ``free`` is (slots x people). Returns the kept columns, their free slots and helper ids.
    Helpers are other eligible members free at the same slot, chosen greedily (most missing
    topics covered, then lowest id). A lead keeps one team, the one free at most of its slots
    (then the earliest), so an offer names the same helpers whichever of its slots is taken.
    A batch passes ``cover`` (sorted topics x people) and ``ids``, which it already has.
    """
    n = len(people)
    if not ctx.multi or not n:
        return np.arange(n), free, [()] * n
    topics = sorted(ctx.topics)
    if cover is None or ids is None:
        cover = np.array([[t in m.topics for m in people] for t in topics], dtype=bool)
        ids = np.fromiter((m.id for m in people), np.int64, n)
    n_slots = free.shape[0]
    new_free = free.copy()
    alive = cover.all(axis=0)
    helpers: list[tuple[int, ...]] = [()] * n
    # Leads missing the same topics share their teams: group them by what they miss.
    gap_code = ((~cover) * (1 << np.arange(len(topics)))[:, None]).sum(axis=0)
    for code in np.unique(gap_code[~alive]).tolist():
        leads = np.flatnonzero(gap_code == code)
        gap = ~cover[:, leads[0]]
        teams: list[tuple[int, ...]] = []
        label = np.full(n_slots, -1)
        for k in range(n_slots):
            team = _cover(gap, cover, ids, free[k])
            if team is not None:
                if team not in teams:
                    teams.append(team)
                label[k] = teams.index(team)
        if not teams:
            continue
        lead_free = free[:, leads]
        best_value = np.full(len(leads), -1)
        best_team = np.full(len(leads), -1)
        for t in range(len(teams)):
            at = lead_free & (label == t)[:, None]
            count = at.sum(axis=0)
            first = at.argmax(axis=0)  # the earliest such slot, when count > 0
            value = np.where(count > 0, count * (n_slots + 1) + (n_slots - first), -1)
            better = value > best_value
            best_value = np.where(better, value, best_value)
            best_team = np.where(better, t, best_team)
        new_free[:, leads] = lead_free & (label[:, None] == best_team[None, :])
        ok = best_team >= 0
        alive[leads[ok]] = True
        for j, t in zip(leads[ok].tolist(), best_team[ok].tolist(), strict=True):
            helpers[j] = teams[t]
    kept = np.flatnonzero(alive)
    return kept, new_free[:, kept], [helpers[j] for j in kept.tolist()]


def _cover(
    gap: np.ndarray, cover: np.ndarray, ids: np.ndarray, available: np.ndarray
) -> tuple[int, ...] | None:
    """Greedy helpers covering the ``gap`` topics among ``available`` people, or None."""
    if gap.sum() == 1:  # the usual case: one topic missing, the lowest id covering it
        can = cover[int(gap.argmax())] & available
        return (int(ids[can].min()),) if can.any() else None
    remaining = gap.copy()
    available = available.copy()
    chosen = []
    while remaining.any():
        gain = np.where(available, cover[remaining].sum(axis=0), 0)
        top = gain.max(initial=0)
        if top == 0:
            return None
        # Among the best gains the lowest id; ids are unique.
        best = int(np.argmin(np.where(gain == top, ids, np.iinfo(np.int64).max)))
        chosen.append(int(ids[best]))
        remaining &= ~cover[:, best]
        available[best] = False
    return tuple(sorted(chosen))
