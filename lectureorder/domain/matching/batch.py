"""Batch assignment: many open orders to members at once, maximising the total score."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import numpy as np

from ..availability import SAME_TOWNSHIP_BUFFER, TRAVEL_BUFFER
from ..errors import N_, DomainError
from .model import DEFAULT_WEIGHTS, Assignment, BatchResult, MemberProfile, OrderNeed, Weights
from .placement import _loads, _place
from .scoring import _Scores
from .solvers import _solve_sparse, _Solver
from .teams import _teams
from .timeline import _Need, _Timeline


def assign_batch(
    needs: Iterable[OrderNeed],
    members: Iterable[MemberProfile],
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    travel_buffer: timedelta = TRAVEL_BUFFER,
    same_township_buffer: timedelta = SAME_TOWNSHIP_BUFFER,
    solver: _Solver = _solve_sparse,
) -> BatchResult:
    """Assign many open orders at once, maximising the total score of the assigned pairs.

    Orders x (member, ISO week) is solved as a min-cost assignment on a capacity-expanded
    sparse graph (LAPJVsp): a member takes at most its remaining weekly cap in each week, an
    order may stay unassigned (a zero-gain dummy), an ineligible pair has no edge. Then each
    member's orders get concrete slots, highest score first, the earliest slots that keep them
    apart (travel buffer) and under the daily cap; an order that cannot fit next to the
    higher-scoring ones is dropped (``BatchResult.dropped``, also in ``unassigned``), never
    squeezed in. Helpers of orders with several topics are proposed by
    :func:`rank_candidates`; the batch checks that a team exists but does not reserve it.
    Exact ties between whole assignments go by a fixed tiny value per pair (:data:`TIE_EPS`).
    ``solver`` exists for the tests and the bench, which compare other solvers on the very same
    problem.
    """
    return _assign(needs, members, now, weights, travel_buffer, same_township_buffer, solver)


# Scores tie often (orders without coordinates in one township score alike), so a batch has
# many optimal assignments, and which one a solver returns decides which orders slot picking
# drops. A fixed tiny value per (order, member) pair, far below any score difference that
# matters, makes the optimum unique: every exact solver then returns the same assignment.
TIE_EPS = 1e-6


def _tie_break(order_ids: np.ndarray, member_ids: np.ndarray) -> np.ndarray:
    """A value in [0, 1) per pair, mixed from the two ids (splitmix64); no randomness."""
    x = order_ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    x ^= member_ids.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


class _Block:
    """The eligible members of one order and, per live slot, which of them are free."""

    __slots__ = ("need", "members", "free", "weeks")

    def __init__(self, need: int, members: np.ndarray, free: np.ndarray, weeks: np.ndarray) -> None:
        self.need = need
        self.members = members  # team indexes
        self.free = free  # (slots x members) bool
        self.weeks = weeks  # week id of each slot

    def slots(self, ctx: _Need, column: int, week: int) -> list[int]:
        return [
            k for k in range(len(ctx.live_slots)) if self.free[k, column] and self.weeks[k] == week
        ]


def _unique_ids(members: Iterable[MemberProfile]) -> list[MemberProfile]:
    members = list(members)
    if len({m.id for m in members}) != len(members):
        raise DomainError("members", N_("Each member may appear only once."))
    return members


def _assign(
    needs: Iterable[OrderNeed],
    members: Iterable[MemberProfile],
    now: datetime,
    weights: Weights,
    travel: timedelta,
    same: timedelta,
    solve: _Solver,
) -> BatchResult:
    """The batch with a given solver: :func:`assign_batch` and the tests' reference differ only there."""
    needs = list(needs)
    if any(n.id is None for n in needs):
        raise DomainError("orders", N_("Only saved orders can be assigned in a batch."))
    if len({n.id for n in needs}) != len(needs):
        raise DomainError("orders", N_("Each order may appear only once."))
    needs.sort(key=lambda n: n.id)  # type: ignore[arg-type, return-value]
    team = sorted(_unique_ids(members), key=lambda m: m.id)
    cache: dict = {}
    contexts = [_Need(n, now, cache) for n in needs]
    timeline = _Timeline(team, travel, same)
    week_ids: dict[int, int] = {}
    blocks = _eligible_blocks(contexts, team, timeline, week_ids)
    if not blocks:
        return BatchResult((), tuple(n.id for n in needs), 0.0)  # type: ignore[misc]
    eligible = {needs[b.need].id: len(b.members) for b in blocks}

    # One pair per (order, eligible member); one edge per pair and week in which the member
    # has a free slot for the order, to the unit (member, week) whose capacity is the weekly
    # cap minus the sessions already held that week.
    n_weeks = len(week_ids)
    pair_need = np.concatenate([np.full(len(b.members), b.need) for b in blocks])
    pair_member = np.concatenate([b.members for b in blocks])
    score = _Scores(contexts, team, pair_need, pair_member, weights).total
    e_pair, e_key = [], []
    first = 0
    for b in blocks:
        columns = np.arange(first, first + len(b.members))
        for week in np.unique(b.weeks).tolist():
            has = b.free[b.weeks == week].any(axis=0)
            e_pair.append(columns[has])
            e_key.append(b.members[has] * n_weeks + week)
        first += len(b.members)
    ep = np.concatenate(e_pair)
    keys, e_unit = np.unique(np.concatenate(e_key), return_inverse=True)
    week_starts = sorted(week_ids, key=week_ids.__getitem__)
    # Per member its sessions per day and per week, worked out once for the caps and slot picking.
    loads: dict[int, tuple[dict[int, int], dict[int, int]]] = {}
    unit_caps = []
    for key in keys.tolist():
        m_idx, week = divmod(key, n_weeks)
        if m_idx not in loads:
            loads[m_idx] = _loads(team[m_idx])
        held = loads[m_idx][1].get(week_starts[week], 0)
        unit_caps.append(max(0, team[m_idx].weekly_cap - held))
    rows, e_row = np.unique(pair_need[ep], return_inverse=True)
    order_ids = np.asarray([n.id for n in needs], dtype=np.int64)
    member_ids = np.asarray([m.id for m in team], dtype=np.int64)
    tie = _tie_break(order_ids[pair_need[ep]], member_ids[pair_member[ep]])
    chosen = solve(len(rows), unit_caps, e_row, e_unit, score[ep] + TIE_EPS * tie)

    block_of = {b.need: (b, start) for b, start in zip(blocks, _starts(blocks), strict=True)}
    # Back from (row, unit) to the edge, hence the pair: look the chosen keys up among all.
    picked = np.asarray(chosen, dtype=np.int64)
    matched = np.flatnonzero(picked >= 0)
    edge_key = e_row * len(keys) + e_unit
    by_key = np.argsort(edge_key)
    found = by_key[np.searchsorted(edge_key[by_key], matched * len(keys) + picked[matched])]
    per_member: dict[int, list[tuple[float, int, list[tuple]]]] = {}
    for p, unit in zip(ep[found].tolist(), picked[matched].tolist(), strict=True):
        n_idx, m_idx = int(pair_need[p]), int(pair_member[p])
        block, start = block_of[n_idx]
        ctx = contexts[n_idx]
        options = [
            (ctx.live_slots[k], ctx.bounds[k], ctx.township)
            for k in block.slots(ctx, p - start, int(keys[unit]) % n_weeks)
        ]
        per_member.setdefault(m_idx, []).append((float(score[p]), n_idx, options))

    assignments: list[Assignment] = []
    dropped: list[int] = []
    for m_idx, items in per_member.items():
        member = team[m_idx]
        placed, lost = _place(member, items, loads[m_idx], timeline.travel, timeline.same)
        gained = {n_idx: s for s, n_idx, _options in items}
        for n_idx, slot in placed.items():
            assignments.append(Assignment(needs[n_idx].id, member.id, slot, gained[n_idx]))  # type: ignore[arg-type]
        dropped.extend(needs[n].id for n in lost)  # type: ignore[misc]
    assignments.sort(key=lambda a: a.order_id)
    done = {a.order_id for a in assignments}
    return BatchResult(
        assignments=tuple(assignments),
        unassigned=tuple(n.id for n in needs if n.id not in done),  # type: ignore[misc]
        objective=math.fsum(a.score for a in assignments),
        dropped=tuple(sorted(dropped)),
        eligible=eligible,
    )


def _starts(blocks: Sequence[_Block]) -> list[int]:
    starts, first = [], 0
    for b in blocks:
        starts.append(first)
        first += len(b.members)
    return starts


def _eligible_blocks(
    contexts: Sequence[_Need],
    team: Sequence[MemberProfile],
    timeline: _Timeline,
    week_ids: dict[int, int],
) -> list[_Block]:
    """Per order with a live slot, its eligible members; fills ``week_ids`` (week start -> id)."""
    # Static rules as boolean masks over the team, so that one order costs a few array
    # operations; property tests hold the batch to the member-by-member rules.
    n = len(team)
    active = np.fromiter((m.active for m in team), bool, n)
    kit = np.fromiter((m.kit_qualified for m in team), bool, n)
    index_of = {m.id: i for i, m in enumerate(team)}
    member_ids = np.fromiter((m.id for m in team), np.int64, n)
    masks: dict[tuple[str, str], np.ndarray] = {}

    def mask(kind: str, value: str) -> np.ndarray:
        got = masks.get((kind, value))
        if got is None:
            attr = {"topic": "topics", "format": "formats", "language": "languages"}[kind]
            got = masks[kind, value] = np.fromiter(
                (value in getattr(m, attr) for m in team), bool, n
            )
        return got

    blocks = []
    for n_idx, ctx in enumerate(contexts):
        if not ctx.live_slots:
            continue
        pool = active & mask("format", ctx.format)
        if ctx.needs_kit:
            pool = pool & kit
        topical = np.zeros(n, dtype=bool)
        for topic in ctx.topics:
            topical |= mask("topic", topic)
        pool &= topical
        if ctx.language is not None:
            pool &= mask("language", ctx.language)
        for member_id in ctx.exclude:
            if member_id in index_of:
                pool[index_of[member_id]] = False
        members = np.flatnonzero(pool)
        free = timeline.slot_faults(ctx, members) == 0
        keep = free.any(axis=0)
        members, free = members[keep], free[:, keep]
        if ctx.multi and len(members):
            cover = np.vstack([mask("topic", t)[members] for t in sorted(ctx.topics)])
            people = [team[i] for i in members.tolist()]
            kept, free, _helpers = _teams(ctx, people, free, cover, member_ids[members])
            members = members[kept]
        if len(members):
            weeks = np.asarray(
                [week_ids.setdefault(b[4], len(week_ids)) for b in ctx.bounds], dtype=np.int64
            )
            blocks.append(_Block(n_idx, members, free, weeks))
    return blocks
