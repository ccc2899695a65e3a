"""Benchmark of matching: ranking one order, and batch assignment against the reference solver."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, where a sibling benchmark named like a
# standard module (calendar.py) would shadow it: the repository root goes there instead.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from lectureorder.domain import matching  # noqa: E402
from lectureorder.domain.matching import (  # noqa: E402
    Busy,
    MemberProfile,
    OrderNeed,
    assign_batch,
    assign_batch_reference,
    rank_candidates,
)

TZ = ZoneInfo("Asia/Shanghai")
TOPICS = ("anti_fraud", "two_cards", "traffic_safety", "campus_bullying", "drug_awareness")
FORMATS = ("field_class", "market_talk", "mobile_film", "school_talk")
# Eight township-level units of Ping'an district, placed around the district seat.
TOWNSHIPS = {
    i: (36.50 + 0.06 * ((i * 37) % 7 - 3), 102.11 + 0.07 * ((i * 53) % 9 - 4)) for i in range(1, 9)
}
# (start hour, start minute, minutes) per format, for a June week.
SLOT_SHAPES = {
    "field_class": ((9, 0, 90), (10, 0, 90), (14, 0, 90), (15, 30, 90)),
    "market_talk": ((9, 30, 150),),
    "mobile_film": ((21, 15, 75),),
    "school_talk": ((10, 0, 45), (14, 30, 45)),
}
SCHOOLS = 40


def _week() -> tuple[datetime, list[datetime]]:
    """A Sunday-evening `now` and the seven days of the coming ISO week (the backlog's week)."""
    now = datetime(2026, 6, 7, 20, 0, tzinfo=TZ)
    return now, [datetime(2026, 6, 8, tzinfo=TZ) + timedelta(days=d) for d in range(7)]


def _slot(rng: random.Random, fmt: str, day: datetime) -> tuple[datetime, datetime]:
    hour, minute, minutes = rng.choice(SLOT_SHAPES[fmt])
    start = day.replace(hour=hour, minute=minute)
    return start, start + timedelta(minutes=minutes)


def _near(rng: random.Random, township: int, spread: float) -> tuple[float, float]:
    lat, lon = TOWNSHIPS[township]
    return (lat + rng.uniform(-spread, spread), lon + rng.uniform(-spread, spread))


def make_instance(
    n_orders: int, n_members: int, seed: int
) -> tuple[list[OrderNeed], list[MemberProfile], datetime]:
    """A synthetic team and backlog: about one member in ten qualifies for an order."""
    rng = random.Random(seed)
    now, days = _week()
    members = []
    for mid in range(1, n_members + 1):
        township = rng.randint(1, 8)
        topics = frozenset(rng.sample(TOPICS, 1 if rng.random() < 0.6 else 2))
        formats = frozenset(rng.sample(FORMATS, 1 if rng.random() < 0.5 else 2))
        languages = {"zh"}
        if rng.random() < 0.15:
            languages.add("tibetan")
        if rng.random() < 0.10:
            languages.add("salar")
        busy = []
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            fmt = rng.choice(FORMATS)
            start, end = _slot(rng, fmt, rng.choice(days))
            # Sessions and leave come from the database, stored in UTC; slots come from the
            # format rules in local time.
            busy.append(Busy(start.astimezone(UTC), end.astimezone(UTC), rng.randint(1, 8)))
        leave = ()
        if rng.random() < 0.10:
            first = rng.randrange(7)
            until = days[first] + timedelta(days=rng.randint(1, 3))
            leave = ((days[first].astimezone(UTC), until.astimezone(UTC)),)
        rated = rng.random() < 0.7
        members.append(
            MemberProfile(
                id=mid,
                name=f"队员{mid:04d}",
                active=rng.random() < 0.95,
                topics=topics,
                formats=formats,
                languages=frozenset(languages),
                home_township_id=township,
                home=_near(rng, township, 0.05) if rng.random() < 0.8 else None,
                vice_principal_of=frozenset({rng.randint(1, SCHOOLS)})
                if rng.random() < 0.2
                else frozenset(),
                kit_qualified=rng.random() < 0.4,
                leave=leave,
                busy=tuple(sorted(busy, key=lambda b: b.start)),
                recent_sessions=rng.randint(0, 6),
                topic_experience=tuple((t, rng.randint(0, 30)) for t in sorted(topics)),
                avg_rating=round(rng.uniform(3.0, 5.0), 2) if rated else None,
                rating_count=rng.randint(1, 40) if rated else 0,
            )
        )
    needs = []
    for oid in range(1, n_orders + 1):
        township = rng.randint(1, 8)
        fmt = rng.choice(FORMATS)
        school_days = days[:5] if fmt == "school_talk" else days
        slot_days = rng.sample(school_days, rng.randint(2, 4))
        roll = rng.random()
        needs.append(
            OrderNeed(
                id=oid,
                topics=frozenset(rng.sample(TOPICS, 1 if rng.random() < 0.85 else 2)),
                format=fmt,
                township_id=township,
                venue=_near(rng, township, 0.08) if rng.random() < 0.9 else None,
                school_id=rng.randint(1, SCHOOLS) if fmt == "school_talk" else None,
                language="tibetan" if roll < 0.05 else "salar" if roll < 0.08 else None,
                slots=tuple(sorted(_slot(rng, fmt, d) for d in slot_days)),
                exclude=frozenset(rng.sample(range(1, n_members + 1), rng.randint(1, 2)))
                if rng.random() < 0.1
                else frozenset(),
            )
        )
    return needs, members, now


def time_rank(needs, members, now, runs: int = 15) -> dict[str, float]:
    """Median ms to rank single-topic and two-topic orders against the whole team."""
    single = next(n for n in needs if len(n.topics) == 1 and n.language is None)
    double = next(n for n in needs if len(n.topics) == 2 and n.language is None)
    out = {}
    for label, need in (("single", single), ("double", double)):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            ranking = rank_candidates(need, members, now)
            times.append((time.perf_counter() - t0) * 1000)
        out[label] = statistics.median(times)
        out[label + "_candidates"] = len(ranking.candidates)
    return out


def time_batch(needs, members, now, reference: bool = True) -> dict[str, object]:
    """Wall time of the whole batch (eligibility, scoring, solve, slot picking) per solver."""
    out: dict[str, object] = {}
    t0 = time.perf_counter()
    result = assign_batch(needs, members, now)
    out["batch_s"] = time.perf_counter() - t0
    out["batch"] = result
    if reference:
        t0 = time.perf_counter()
        ref = assign_batch_reference(needs, members, now)
        out["ref_s"] = time.perf_counter() - t0
        out["ref"] = ref
    return out


def time_solvers(needs, members, now) -> dict[str, float]:
    """Split the batch: building the graph vs each solver alone on the same graph."""
    captured = {}

    def capture(n_rows, caps, rows, units, scores):
        captured["args"] = (n_rows, caps, rows, units, scores)
        return [-1] * n_rows

    t0 = time.perf_counter()
    matching._assign(
        needs,
        members,
        now,
        matching.DEFAULT_WEIGHTS,
        matching.DEFAULT_TRAVEL_BUFFER,
        matching.DEFAULT_SAME_TOWNSHIP_BUFFER,
        capture,
    )
    out = {"prepare_s": time.perf_counter() - t0, "edges": len(captured["args"][2])}
    for name, solver in (
        ("sparse", matching._solve_sparse),
        ("dense", matching._solve_dense),
        ("flow", matching._solve_flow),
    ):
        t0 = time.perf_counter()
        solver(*captured["args"])
        out[name + "_s"] = time.perf_counter() - t0
    return out


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _loop_ns() -> float:
    """Nanoseconds per empty Python loop turn: how fast this machine runs Python right now."""
    t0 = time.perf_counter()
    for _ in range(2_000_000):
        pass
    return (time.perf_counter() - t0) / 2_000_000 * 1e9


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the 5,000-order batch")
    args = parser.parse_args(argv)
    # A web process imports these once; keep the one-off import out of the timings.
    import networkx  # noqa: F401
    import scipy.optimize  # noqa: F401
    import scipy.sparse.csgraph  # noqa: F401

    print(f"python: {_loop_ns():.0f} ns per empty loop turn (machine speed, for comparing runs)")

    needs, members, now = make_instance(200, 2000, seed=1)
    rank = time_rank(needs, members, now)
    print(
        f"rank 1 order x 2000 members: {rank['single']:.2f} ms median of 15 "
        f"({rank['single_candidates']} candidates; a two-topic order {rank['double']:.2f} ms, "
        f"{rank['double_candidates']} candidates)  goal <= 5 ms"
    )

    needs, members, now = make_instance(1000, 200, seed=2)
    run = time_batch(needs, members, now)
    batch, ref = run["batch"], run["ref"]
    batch_1k_s, ref_1k_s = run["batch_s"], run["ref_s"]
    ratio = batch_1k_s / ref_1k_s
    equal = _same(batch.objective, ref.objective)
    print(
        f"batch 1000 orders x 200 members: assign_batch {batch_1k_s:.3f} s, "
        f"assign_batch_reference (networkx min-cost flow) {ref_1k_s:.3f} s, "
        f"ratio {ratio:.3f}  goal <= 2"
    )
    print(
        f"  objective {batch.objective:.6f} vs reference {ref.objective:.6f}: equal={equal}; "
        f"assigned {len(batch.assignments)}/{len(needs)}, dropped at slot picking "
        f"{len(batch.dropped)} (reference {len(ref.dropped)})"
    )
    split = time_solvers(needs, members, now)
    print(
        f"  split: eligibility + scores + graph {split['prepare_s']:.3f} s "
        f"({split['edges']} edges); solver alone: sparse LAPJVsp {split['sparse_s']:.3f} s, "
        f"dense linear_sum_assignment {split['dense_s']:.3f} s, networkx {split['flow_s']:.3f} s"
    )

    batch5k = "skipped"
    if not args.quick:
        needs, members, now = make_instance(5000, 1000, seed=3)
        run = time_batch(needs, members, now, reference=False)
        big = run["batch"]
        batch5k = f"{run['batch_s']:.3f}"
        print(
            f"batch 5000 orders x 1000 members: assign_batch {run['batch_s']:.3f} s  goal <= 3 s; "
            f"assigned {len(big.assignments)}/{len(needs)}, dropped {len(big.dropped)}"
        )

    print(
        f"BENCH matching rank_ms={rank['single']:.3f} batch1k_s={batch_1k_s:.3f} "
        f"ref1k_s={ref_1k_s:.3f} ratio1k={ratio:.3f} batch5k_s={batch5k} "
        f"objective_equal={'yes' if equal else 'no'}"
    )


if __name__ == "__main__":
    main()
