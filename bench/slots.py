"""Benchmark: propose slots for one order over a 60-day window with 1k vs 10k sessions stored.

Run from the repo root: `python bench/slots.py [--quick]`. Prints the time per proposal (median
of several runs), the SQL statements it ran, and a last line
`BENCH slots t1k_ms=… t10k_ms=… ratio=… queries1k=… queries10k=…`.
The goal: the same query count at 1k and 10k sessions, and t10k ≤ 1.5 × t1k.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import current_app  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402

from lectureorder import create_app  # noqa: E402
from lectureorder.domain.calendars import TZ  # noqa: E402
from lectureorder.domain.orders import OrderRequest  # noqa: E402
from lectureorder.extensions import db  # noqa: E402
from lectureorder.models import (  # noqa: E402
    Blackout,
    EquipmentKit,
    LectureSession,
    Member,
    Order,
    Topic,
    Township,
    Village,
)
from lectureorder.services import dispatch, ordering  # noqa: E402
from lectureorder.services.settings import from_app  # noqa: E402

NOW = datetime(2026, 5, 10, 9, 0, tzinfo=TZ).astimezone(UTC)  # in the film season


def build(path: Path, sessions: int):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SLOT_MIN_LEAD_HOURS": 0})
    rng = random.Random(sessions)
    with app.app_context():
        db.create_all()
        topic = Topic(code="anti_fraud", title_zh="防诈", title_en="Anti-fraud",
                      formats=["field_class", "mobile_film", "market_talk", "school_talk"])
        towns = [Township(name=f"镇{i}", lat=36.4 + i / 100, lon=102.0 + i / 100) for i in range(8)]
        db.session.add_all([topic, *towns])
        db.session.flush()
        villages = [Village(township_id=towns[i % 8].id, name=f"村{i}", lat=36.4, lon=102.1)
                    for i in range(40)]
        kits = [EquipmentKit(name=f"放映车{i}") for i in range(2)]
        members = [Member(name=f"队员{i}", home_township_id=towns[i % 8].id,
                          formats=["field_class", "mobile_film"], specialties=[topic],
                          kit_qualified=i % 3 == 0) for i in range(33)]
        db.session.add_all([*villages, *kits, *members])
        for t in towns:
            db.session.add(Blackout(township_id=t.id, first=date(2026, 8, 1), last=date(2026, 9, 20),
                                    label="秋收"))
        db.session.flush()
        # History: sessions spread over the three years before NOW; a few in the window.
        rows = []
        for i in range(sessions):
            start = NOW - timedelta(days=rng.randint(0, 3 * 365), hours=rng.randint(0, 10))
            if i % 50 == 0:
                start = NOW + timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 10))
            rows.append({
                "format": "mobile_film" if i % 4 == 0 else "field_class", "start": start,
                "end": start + timedelta(hours=2), "venue": "x", "township_id": towns[i % 8].id,
                "lead_member_id": members[i % 33].id, "kit_id": kits[i % 2].id if i % 4 == 0 else None,
                "status": "delivered" if start < NOW else "scheduled", "created_at": start,
                "delivery_notes": "", "version": 1,
            })
        db.session.execute(insert(LectureSession), rows)
        db.session.commit()
        order = ordering.place_order(OrderRequest(
            topics=("anti_fraud",), format="mobile_film", place_kind="village",
            place_id=villages[0].id, audience_type="villagers", audience_size=80,
            earliest=date(2026, 5, 12), latest=date(2026, 7, 10), requester_name="村民",
            phone="13800001234"), now=NOW, settings=from_app(app))
        db.session.commit()
        return app, order.id


def measure(app, order_id: int, repeat: int) -> tuple[float, int, int]:
    with app.app_context():
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        settings = from_app(current_app)  # built at the edge, once per request
        timings = []
        for _ in range(repeat):
            db.session.expire_all()
            order = db.session.get(Order, order_id)
            _ = (order.place, order.township)  # loading the order is not part of proposing
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", listener)
            t0 = time.perf_counter()
            slots = dispatch.order_slots(order, now=NOW, settings=settings)
            timings.append(time.perf_counter() - t0)
            event.remove(db.engine, "before_cursor_execute", listener)
        return statistics.median(timings) * 1000, len(statements), len(slots)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeat = 5 if args.quick else 25
    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        for n in (1_000, 10_000):
            app, order_id = build(Path(tmp) / f"s{n}.sqlite", n)
            measure(app, order_id, 2)  # warm caches (lunar tables, statement cache)
            ms, queries, count = measure(app, order_id, repeat)
            figures[n] = (ms, queries)
            print(f"{n:>6} sessions: {ms:7.2f} ms per proposal, {queries} queries, {count} slots")
    (t1, q1), (t10, q10) = figures[1_000], figures[10_000]
    ratio = t10 / t1
    print(f"ratio t10k/t1k = {ratio:.2f} (goal ≤ 1.5); queries {q1} vs {q10} (goal: equal)")
    print(f"BENCH slots t1k_ms={t1:.2f} t10k_ms={t10:.2f} ratio={ratio:.2f} "
          f"queries1k={q1} queries10k={q10}")


if __name__ == "__main__":
    main()
