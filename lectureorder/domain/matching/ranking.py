"""Ranking the team for one order: candidates best first, and why the others are excluded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from itertools import compress

import numpy as np

from ..availability import SAME_TOWNSHIP_BUFFER, TRAVEL_BUFFER
from ..errors import N_, DomainError
from .model import DEFAULT_WEIGHTS, Candidate, Exclusion, MemberProfile, OrderNeed, Ranking, Weights
from .reasons import _TOPIC
from .rules import _Team, _time_faults
from .scoring import _Scores
from .teams import _teams
from .timeline import _Need


def rank_candidates(
    need: OrderNeed,
    members: Iterable[MemberProfile],
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    travel_buffer: timedelta = TRAVEL_BUFFER,
    same_township_buffer: timedelta = SAME_TOWNSHIP_BUFFER,
) -> Ranking:
    """Eligible members best first (score, then member id), and every other one with all reasons.

    A candidate's ``free_slots`` are the slots it can take; for an order with several topics,
    those at which its ``helpers`` are free too.
    """
    members = list(members)
    team = _Team(members)
    if len(np.unique(team.ids)) != team.n:
        raise DomainError("members", N_("Each member may appear only once."))
    ctx = _Need(need, now)
    static = team.static_faults(ctx)
    # The time rules only for the members the static rules let through, a fraction of a large
    # team; the others' time reasons are worked out when someone asks why (``excluded``).
    passed = np.flatnonzero(static == 0)
    time_faults, free = _time_faults(ctx, [members[i] for i in passed.tolist()],
                                     travel_buffer, same_township_buffer)
    free_now = time_faults == 0
    eligible, free = passed[free_now], free[:, free_now]
    people = [members[i] for i in eligible.tolist()]
    kept, free, helpers = _teams(ctx, people, free)
    lone = np.setdiff1d(eligible, eligible[kept])  # missing topics no free member covers

    def exclusions() -> tuple[Exclusion, ...]:
        faults = static.copy()
        faults[passed] |= time_faults
        rest = np.flatnonzero(static)
        if len(rest):
            faults[rest] |= _time_faults(ctx, [members[i] for i in rest.tolist()],
                                         travel_buffer, same_township_buffer)[0]
        faults[lone] = _TOPIC
        return team.exclusions(faults)

    leads = eligible[kept]
    candidates = []
    if len(leads):
        lead_people = [members[i] for i in leads.tolist()]
        scores = _Scores(
            [ctx], lead_people, np.zeros(len(leads), dtype=np.int64), np.arange(len(leads)),
            weights,
        )
        total = scores.total.tolist()
        columns = free.T.tolist()
        live = ctx.live_slots
        # Best score first, then the lowest member id.
        for p in np.lexsort((team.ids[leads], -scores.total)).tolist():
            m = lead_people[p]
            candidates.append(Candidate(
                m.id, total[p], tuple(compress(live, columns[p])), helpers[p],
                partial(scores.parts, p, m, weights),
            ))
    return Ranking(tuple(candidates), exclusions)
