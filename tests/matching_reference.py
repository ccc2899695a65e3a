"""Reference solvers for matching tests and the bench: the batch as a networkx min-cost flow."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import numpy as np

from lectureorder.domain.availability import SAME_TOWNSHIP_BUFFER, TRAVEL_BUFFER
from lectureorder.domain.matching import (
    DEFAULT_WEIGHTS,
    BatchResult,
    MemberProfile,
    OrderNeed,
    Weights,
)
from lectureorder.domain.matching.batch import _assign


def assign_batch_reference(
    needs: Iterable[OrderNeed],
    members: Iterable[MemberProfile],
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    travel_buffer: timedelta = TRAVEL_BUFFER,
    same_township_buffer: timedelta = SAME_TOWNSHIP_BUFFER,
) -> BatchResult:
    """:func:`assign_batch` solved as a min-cost flow by networkx (a test extra), to compare."""
    return _assign(needs, members, now, weights, travel_buffer, same_township_buffer, solve_flow)


# Network simplex wants integer costs; fine enough to keep the tie-break values apart.
_FLOW_SCALE = 10**12


def solve_flow(
    n_rows: int,
    unit_caps: Sequence[int],
    e_row: Sequence[int],
    e_unit: Sequence[int],
    e_score: Sequence[float],
) -> list[int]:
    """The same problem as a min-cost flow with native capacities (networkx network simplex)."""
    import networkx as nx  # a test/bench extra, not a runtime dependency

    graph = nx.DiGraph()
    graph.add_node("s", demand=-n_rows)
    graph.add_node("t", demand=n_rows)
    for r in range(n_rows):
        graph.add_edge("s", ("o", r), capacity=1, weight=0)
        graph.add_edge(("o", r), "t", capacity=1, weight=0)  # the order stays open
    for u, cap in enumerate(unit_caps):
        graph.add_edge(("u", u), "t", capacity=cap, weight=0)
    edges = zip(
        np.asarray(e_row).tolist(),
        np.asarray(e_unit).tolist(),
        np.asarray(e_score).tolist(),
        strict=True,
    )
    for r, u, s in edges:
        graph.add_edge(("o", r), ("u", u), capacity=1, weight=-round(s * _FLOW_SCALE))
    _cost, flow = nx.network_simplex(graph)
    out = [-1] * n_rows
    for r in range(n_rows):
        for target, amount in flow[("o", r)].items():
            if amount and target != "t":
                out[r] = target[1]
    return out
