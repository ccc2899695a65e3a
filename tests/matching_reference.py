"""Reference solvers for matching tests and the bench: the batch as a networkx min-cost flow,
and through scipy's dense ``linear_sum_assignment``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lectureorder.domain.matching import DEFAULT_WEIGHTS, assign_batch


def assign_batch_reference(needs, members, now, weights=DEFAULT_WEIGHTS, **buffers):
    """:func:`assign_batch` solved as a min-cost flow by networkx (a test extra), to compare."""
    return assign_batch(needs, members, now, weights, solver=solve_flow, **buffers)


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


def solve_dense(
    n_rows: int,
    unit_caps: Sequence[int],
    e_row: Sequence[int],
    e_unit: Sequence[int],
    e_score: Sequence[float],
) -> list[int]:
    """The same capacity-expanded problem through dense ``linear_sum_assignment`` (for the bench)."""
    from scipy.optimize import linear_sum_assignment

    unit = np.asarray(e_unit, dtype=np.int64)
    copies = np.minimum(
        np.asarray(unit_caps, dtype=np.int64), np.bincount(unit, minlength=len(unit_caps))
    )
    first = np.cumsum(copies) - copies
    n_copies = int(copies.sum())
    gain = np.full((n_rows, n_copies + n_rows), -np.inf)
    gain[:, n_copies:] = 0.0
    for r, u, s in zip(e_row, e_unit, e_score, strict=True):
        gain[r, first[u] : first[u] + copies[u]] = s
    row_ind, col_ind = linear_sum_assignment(gain, maximize=True)
    unit_of_copy = np.repeat(np.arange(len(unit_caps)), copies)
    out = [-1] * n_rows
    for r, c in zip(row_ind.tolist(), col_ind.tolist(), strict=True):
        if c < n_copies:
            out[r] = int(unit_of_copy[c])
    return out
