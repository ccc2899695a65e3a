"""Benchmark of matching: ranking one order, and batch assignment against the reference solver.

`batch1k_s` in the last line is the whole batch as the coordinator's page runs it: loading
1,000 waiting orders and 200 members from a SQLite database built for the run, their slots,
the solve and the explanations (services.batch.plan_backlog); `ref1k_s` is the reference
solver on the very instance that was loaded. The split and the domain-only figures are printed
above it.
"""

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
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from datetime import time as dt_time  # noqa: E402
from pathlib import Path as _Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from lectureorder.domain import matching  # noqa: E402
from lectureorder.domain.matching import (  # noqa: E402
    Busy,
    MemberProfile,
    OrderNeed,
    assign_batch,
    rank_candidates,
)
from lectureorder.domain.matching.solvers import _solve_sparse  # noqa: E402
from tests.matching_reference import assign_batch_reference, solve_dense, solve_flow  # noqa: E402

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
    """Median ms to rank single-topic and two-topic orders against the whole team.

    ``single``/``double`` time the call as dispatching uses it (score parts and exclusions are
    built on first use, and dispatching reads only the parts of the members it offers to);
    ``*_explained`` also materialise every candidate's parts and every exclusion, as the
    coordinator's candidates API does.
    """
    single = next(n for n in needs if len(n.topics) == 1 and n.language is None)
    double = next(n for n in needs if len(n.topics) == 2 and n.language is None)
    out = {}
    for label, need in (("single", single), ("double", double)):
        times, explained = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            ranking = rank_candidates(need, members, now)
            t1 = time.perf_counter()
            for candidate in ranking.candidates:
                candidate.parts  # noqa: B018
            ranking.excluded  # noqa: B018
            t2 = time.perf_counter()
            times.append((t1 - t0) * 1000)
            explained.append((t2 - t0) * 1000)
        out[label] = statistics.median(times)
        out[label + "_explained"] = statistics.median(explained)
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
    matching.assign_batch(needs, members, now, solver=capture)
    out = {"prepare_s": time.perf_counter() - t0, "edges": len(captured["args"][2])}
    for name, solver in (
        ("sparse", _solve_sparse),
        ("dense", solve_dense),
        ("flow", solve_flow),
    ):
        t0 = time.perf_counter()
        solver(*captured["args"])
        out[name + "_s"] = time.perf_counter() - t0
    return out


# --- the whole batch, from the database ----------------------------------------------------

DB_TOPICS = {  # code -> formats it can be given in (campus bullying: schools only)
    "anti_fraud": FORMATS, "two_cards": FORMATS, "traffic_safety": FORMATS,
    "campus_bullying": ("school_talk",), "drug_awareness": FORMATS,
}
MARKET_CYCLES = (
    {"calendar": "lunar", "digits": [3, 6, 9]}, {"calendar": "lunar", "digits": [1, 4, 7]},
    {"calendar": "lunar", "digits": [2, 5, 8]}, {"calendar": "solar", "digits": [2, 5, 8]},
    {"calendar": "weekday", "weekdays": [2, 5]}, {"calendar": "lunar", "days": [1, 15]},
    {"calendar": "weekday", "weekdays": [1, 4, 7]}, {"calendar": "solar", "digits": [1, 4, 7]},
)


def build_db(path: _Path, n_orders: int, n_members: int, seed: int):
    """A SQLite file holding a backlog like make_instance's: n_orders waiting orders in the
    coming week, n_members members with sessions that week, leave, history and ratings.
    Bulk inserts; returns (app, now)."""
    from sqlalchemy import insert

    from lectureorder import create_app
    from lectureorder.extensions import db
    from lectureorder.models import (
        EquipmentKit,
        Feedback,
        Leave,
        LectureSession,
        Market,
        Member,
        Order,
        School,
        Topic,
        Township,
        Village,
        member_topic,
        order_topic,
        vice_principal,
    )

    rng = random.Random(seed)
    now, days = _week()
    now_utc = now.astimezone(UTC)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SLOT_MIN_LEAD_HOURS": 12})
    with app.app_context():
        db.create_all()

        def bulk(model, rows):
            if rows:
                db.session.execute(insert(model), rows)

        bulk(Topic, [{"id": i, "code": c, "title_zh": c, "title_en": c, "formats": list(f),
                      "position": i} for i, (c, f) in enumerate(DB_TOPICS.items(), start=1)])
        topic_id = {c: i for i, c in enumerate(DB_TOPICS, start=1)}
        bulk(Township, [{"id": t, "name": f"乡镇{t}", "lat": lat, "lon": lon, "position": t}
                        for t, (lat, lon) in TOWNSHIPS.items()])
        villages, schools, markets = [], [], []
        for t in TOWNSHIPS:
            for _ in range(5):
                vid = len(villages) + 1
                lat, lon = _near(rng, t, 0.05)
                villages.append({"id": vid, "township_id": t, "name": f"村{vid}", "lat": lat, "lon": lon})
                sid = len(schools) + 1
                lat, lon = _near(rng, t, 0.05)
                schools.append({"id": sid, "township_id": t, "name": f"学校{sid}", "lat": lat, "lon": lon})
            lat, lon = _near(rng, t, 0.02)
            markets.append({"id": t, "township_id": t, "name": f"集市{t}", "lat": lat, "lon": lon,
                            "cycle": MARKET_CYCLES[t - 1], "missing_30": "skip",
                            "opens": dt_time(9, 30), "closes": dt_time(12, 0), "active": True,
                            "pauses": []})
        bulk(Village, villages)
        bulk(School, schools)
        bulk(Market, markets)
        bulk(EquipmentKit, [{"id": k, "name": f"放映车{k}", "active": True} for k in range(1, 7)])

        members, topics_of, vps, leaves, sessions = [], [], [], [], []
        for mid in range(1, n_members + 1):
            township = rng.randint(1, 8)
            formats = rng.sample(FORMATS, 1 if rng.random() < 0.5 else 2)
            topics = rng.sample(list(DB_TOPICS), 1 if rng.random() < 0.6 else 2)
            languages = ["zh"] + (["tibetan"] if rng.random() < 0.15 else []) + (
                ["salar"] if rng.random() < 0.10 else [])
            members.append({"id": mid, "name": f"队员{mid:04d}", "home_township_id": township,
                            "formats": formats, "languages": languages,
                            "kit_qualified": rng.random() < 0.4, "daily_cap": 2, "weekly_cap": 5,
                            "active": rng.random() < 0.95, "schedule_version": 1})
            topics_of += [{"member_id": mid, "topic_id": topic_id[c]} for c in topics]
            if rng.random() < 0.2:
                vps.append({"member_id": mid, "school_id": rng.randint(1, len(schools))})
            if rng.random() < 0.10:
                first = rng.randrange(7)
                until = days[first] + timedelta(days=rng.randint(1, 3))
                leaves.append({"member_id": mid, "start": days[first].astimezone(UTC),
                               "end": until.astimezone(UTC), "reason": ""})
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):  # sessions already held this week
                fmt = rng.choice(FORMATS)
                start, end = _slot(rng, fmt, rng.choice(days))
                sessions.append({"format": fmt, "start": start.astimezone(UTC),
                                 "end": end.astimezone(UTC), "township_id": rng.randint(1, 8),
                                 "lead_member_id": mid, "status": "scheduled", "venue": ""})
            for _ in range(rng.randint(0, 6)):  # the last 30 days (fairness)
                start = now_utc - timedelta(days=rng.randint(1, 29), hours=rng.randint(0, 8))
                sessions.append({"format": "field_class", "start": start,
                                 "end": start + timedelta(minutes=90), "township_id": township,
                                 "lead_member_id": mid, "status": "delivered", "venue": ""})
        bulk(Member, members)
        bulk(member_topic, topics_of)
        bulk(vice_principal, vps)
        bulk(Leave, leaves)

        # History: delivered and rated orders of the past year (experience and ratings).
        past, past_topics, feedback = [], [], []
        for oid in range(1, n_members * 2 + 1):
            start = now_utc - timedelta(days=rng.randint(40, 365), hours=rng.randint(0, 8))
            topic = rng.choice(list(DB_TOPICS))
            past.append(_order_row(oid, "closed", "field_class", "village",
                                   rng.randint(1, len(villages)), villages, start.date(), 0))
            past_topics.append({"order_id": oid, "topic_id": topic_id[topic]})
            sessions.append({"order_id": oid, "format": "field_class", "start": start,
                             "end": start + timedelta(minutes=90), "township_id": 1,
                             "lead_member_id": rng.randint(1, n_members), "status": "delivered",
                             "venue": ""})
            if rng.random() < 0.7:
                feedback.append({"order_id": oid, "rating": rng.randint(3, 5), "comment": ""})

        waiting, waiting_topics = [], []
        for k in range(n_orders):
            oid = len(past) + k + 1
            fmt = rng.choice(FORMATS)
            kind, table = {"school_talk": ("school", schools), "market_talk": ("market", markets)
                           }.get(fmt, ("village", villages))
            first = days[rng.randrange(5 if fmt == "school_talk" else 6)].date()
            row = _order_row(oid, "needs_attention", fmt, kind, rng.randint(1, len(table)), table,
                             first, rng.randint(1, 3))
            roll = rng.random()
            row["language"] = "tibetan" if roll < 0.05 else "salar" if roll < 0.08 else None
            waiting.append(row)
            allowed = [c for c, f in DB_TOPICS.items() if fmt in f]
            for code in rng.sample(allowed, 1 if rng.random() < 0.85 else 2):
                waiting_topics.append({"order_id": oid, "topic_id": topic_id[code]})
        bulk(Order, past + waiting)
        bulk(order_topic, past_topics + waiting_topics)
        bulk(LectureSession, [{"version": 1, **row} for row in sessions])
        bulk(Feedback, feedback)
        db.session.commit()
    return app, now


def _order_row(oid: int, status: str, fmt: str, kind: str, place_id: int, places, first, span: int) -> dict:
    latest = min(first + timedelta(days=span), datetime(2026, 6, 14).date()) if span else first
    return {
        "id": oid, "code": f"B{oid:05d}", "status": status, "format": fmt, "place_kind": kind,
        f"{kind}_id": place_id, "township_id": places[place_id - 1]["township_id"],
        "audience_type": "villagers", "audience_size": 50, "earliest": first, "latest": latest,
        "timing": "any", "requester_name": "村民", "requester_org": "",
        "requester_phone": "13800001234", "channel": "qr", "notes": "", "offer_rounds": 0,
        "version": 1, "created_at": datetime(2026, 6, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 6, 1, tzinfo=UTC),
    }


def time_db_batch(n_orders: int, n_members: int, seed: int) -> dict[str, object]:
    """The whole batch as the coordinator's page runs it (services.batch.plan_backlog: load from
    the database, slots, profiles, solve, explanations) next to the reference solver on the very
    needs and profiles it loaded."""
    from lectureorder.extensions import db
    from lectureorder.services import batch as batch_service
    from lectureorder.services.settings import from_app

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        app, now = build_db(_Path(tmp) / "bench.sqlite", n_orders, n_members, seed)
        out["build_s"] = time.perf_counter() - t0
        settings = from_app(app)  # what the coordinator's page builds at the edge
        with app.app_context():
            # The first run also fills the calendars' caches (lunar months, holidays) and
            # SQLAlchemy's statement cache, as a web process does once.
            t0 = time.perf_counter()
            batch_service.plan_backlog(now, settings=settings)
            out["cold_s"] = time.perf_counter() - t0
            runs = []
            for _ in range(3):
                db.session.expire_all()
                t0 = time.perf_counter()
                plan = batch_service.plan_backlog(now, settings=settings)
                runs.append(time.perf_counter() - t0)
            out["plan_s"] = statistics.median(runs)
            out["plan"] = plan
            db.session.expire_all()
            t0 = time.perf_counter()
            backlog = batch_service.load_backlog(now, settings)
            out["load_s"] = time.perf_counter() - t0
            weights = settings.weights
            t0 = time.perf_counter()
            out["batch"] = assign_batch(backlog.needs, backlog.profiles, now, weights)
            out["solve_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            out["ref"] = assign_batch_reference(backlog.needs, backlog.profiles, now, weights)
            out["ref_s"] = time.perf_counter() - t0
            out["orders"] = len(backlog.orders)
            out["needs"] = len(backlog.needs)
            out["members"] = len(backlog.profiles)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
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
    print(
        f"  with every candidate's score parts and every exclusion built (the coordinator's "
        f"candidates API): {rank['single_explained']:.2f} ms, two-topic "
        f"{rank['double_explained']:.2f} ms"
    )

    needs, members, now = make_instance(1000, 200, seed=2)
    run = time_batch(needs, members, now)
    batch, ref = run["batch"], run["ref"]
    domain_equal = _same(batch.objective, ref.objective)
    print(
        f"batch 1000 orders x 200 members, domain only (synthetic profiles, no database): "
        f"assign_batch {run['batch_s']:.3f} s, reference (networkx min-cost flow) "
        f"{run['ref_s']:.3f} s, ratio {run['batch_s'] / run['ref_s']:.3f}"
    )
    print(
        f"  objective {batch.objective:.6f} vs reference {ref.objective:.6f}: "
        f"equal={domain_equal}; assigned {len(batch.assignments)}/{len(needs)}, dropped at "
        f"slot picking {len(batch.dropped)} (reference {len(ref.dropped)})"
    )
    split = time_solvers(needs, members, now)
    print(
        f"  split: eligibility + scores + graph {split['prepare_s']:.3f} s "
        f"({split['edges']} edges); solver alone: sparse LAPJVsp {split['sparse_s']:.3f} s, "
        f"dense linear_sum_assignment {split['dense_s']:.3f} s, networkx {split['flow_s']:.3f} s"
    )

    db_run = time_db_batch(1000, 200, seed=2)
    plan, db_ref = db_run["plan"], db_run["ref"]
    batch_1k_s, ref_1k_s = db_run["plan_s"], db_run["ref_s"]
    ratio = batch_1k_s / ref_1k_s
    db_equal = _same(plan.objective, db_ref.objective) and _same(
        db_run["batch"].objective, db_ref.objective)
    print(
        f"batch 1000 orders x 200 members, the whole batch from the database "
        f"(services.batch.plan_backlog on SQLite, {db_run['orders']} waiting orders, "
        f"{db_run['members']} active members): {batch_1k_s:.3f} s median of 3 "
        f"(first run {db_run['cold_s']:.3f} s, filling the calendar caches); reference "
        f"{ref_1k_s:.3f} s on the same loaded instance, ratio {ratio:.3f}  goal <= 2"
    )
    print(
        f"  split: load (orders, slots, calendars, profiles) {db_run['load_s']:.3f} s, "
        f"assign_batch {db_run['solve_s']:.3f} s, the rest (score parts, preview rows) "
        f"{max(0.0, batch_1k_s - db_run['load_s'] - db_run['solve_s']):.3f} s; "
        f"{db_run['needs']} orders had a possible time; database built in "
        f"{db_run['build_s']:.1f} s"
    )
    print(
        f"  objective {plan.objective:.6f} vs reference {db_ref.objective:.6f}: "
        f"equal={db_equal}; offered {len(plan.offers)}, left over {len(plan.unplanned)}"
    )

    batch5k = "skipped"
    if not args.quick:
        needs, members, now = make_instance(5000, 1000, seed=3)
        run = time_batch(needs, members, now, reference=False)
        big = run["batch"]
        batch5k = f"{run['batch_s']:.3f}"
        print(
            f"batch 5000 orders x 1000 members, domain only: assign_batch {run['batch_s']:.3f} s"
            f"  goal <= 3 s; assigned {len(big.assignments)}/{len(needs)}, dropped "
            f"{len(big.dropped)}"
        )

    equal = domain_equal and db_equal
    print(
        f"BENCH matching rank_ms={rank['single']:.3f} batch1k_s={batch_1k_s:.3f} "
        f"ref1k_s={ref_1k_s:.3f} ratio1k={ratio:.3f} batch5k_s={batch5k} "
        f"objective_equal={'yes' if equal else 'no'}"
    )


if __name__ == "__main__":
    main()
