"""Benchmark of the coordinator calendar: the month view with 5,000 sessions in the month,
against a bare `return "ok"` route served by the same app, server and process.

Builds a throw-away SQLite database, serves the app with waitress on 127.0.0.1 (random port)
in a thread, and drives it with one keep-alive HTTP client, a bounded number of requests per
route. Also counts the SQL statements one month page runs with 50 and with 5,000 sessions.
"""

from __future__ import annotations

import argparse
import http.client
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert  # noqa: E402
from waitress.server import create_server  # noqa: E402

from lectureorder import create_app  # noqa: E402
from lectureorder.domain.calendars import TZ  # noqa: E402
from lectureorder.extensions import db  # noqa: E402
from lectureorder.models import (  # noqa: E402
    ChangeStamp,
    EquipmentKit,
    HolidayOverride,
    LectureSession,
    Market,
    Member,
    Order,
    Role,
    Topic,
    Township,
    User,
    Village,
    order_topic,
)
from lectureorder.web.access import public  # noqa: E402

PASSWORD = "bench-pass-1"
BIG_MONTH = date(2026, 12, 1)     # 5,000 sessions
SMALL_MONTH = date(2026, 11, 1)   # 50 sessions
SLOTS = ((9, 0, 90), (11, 0, 90), (14, 30, 90), (19, 30, 75))
TOPICS = ("anti_fraud", "two_cards", "traffic_safety", "campus_bullying", "drug_awareness")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def code_of(n: int) -> str:
    out = ""
    for _ in range(7):
        n, r = divmod(n, len(ALPHABET))
        out = ALPHABET[r] + out
    return out


def seed(n_big: int, n_small: int, rng: random.Random) -> None:
    topics = [Topic(code=c, title_zh=c, title_en=c, formats=["field_class"], position=i)
              for i, c in enumerate(TOPICS)]
    towns = [Township(name=f"乡镇{i}（示例）", name_en=f"Town {i}", position=i) for i in range(8)]
    db.session.add_all(topics + towns)
    db.session.flush()
    villages = [Village(township_id=t.id, name=f"{t.name}村{j}") for t in towns for j in range(4)]
    markets = [Market(township_id=t.id, name=f"{t.name}集", cycle=cycle) for t, cycle in zip(
        towns, [{"calendar": "lunar", "digits": [3, 6, 9]}, {"calendar": "lunar", "digits": [1, 4, 7]},
                {"calendar": "lunar", "digits": [2, 5, 8]}, {"calendar": "solar", "digits": [1, 5]},
                {"calendar": "weekday", "weekdays": [7]}], strict=False)]
    kits = [EquipmentKit(name=f"放映车{i}") for i in range(6)]
    db.session.add_all(villages + markets + kits)
    coordinator = User(username="coordinator", role=Role.COORDINATOR, display_name="调度")
    coordinator.set_password(PASSWORD, method="pbkdf2:sha256:1000")
    db.session.add(coordinator)
    members = [Member(name=f"队员{i:02d}", home_township_id=towns[i % 8].id,
                      formats=["field_class", "market_talk", "mobile_film", "school_talk"])
               for i in range(60)]
    db.session.add_all(members)
    db.session.add(HolidayOverride(day=date(2026, 12, 26), working=True, name="示例调休"))
    db.session.flush()

    orders, links, lectures = [], [], []
    next_id = 1

    def fill(first: date, n: int, days: int) -> None:
        nonlocal next_id
        # Each member holds at most one session per slot: a busy month, but no clashes.
        free = [(d, s, m) for d in range(days) for s in range(len(SLOTS)) for m in range(len(members))]
        rng.shuffle(free)
        films: dict[tuple[int, int], int] = {}
        for d, s, m in free[:n]:
            day = first + timedelta(days=d)
            hour, minute, minutes = SLOTS[s]
            start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)
            fmt, kit = rng.choice(("field_class", "market_talk", "school_talk")), None
            if s == 3 and films.get((d, s), 0) < len(kits):
                fmt, kit = "mobile_film", kits[films.get((d, s), 0)]
                films[(d, s)] = films.get((d, s), 0) + 1
            village = villages[rng.randrange(len(villages))]
            order_id = next_id
            next_id += 1
            orders.append({
                "id": order_id, "code": code_of(order_id * 7919), "status": "scheduled",
                "format": fmt, "place_kind": "village", "village_id": village.id,
                "township_id": village.township_id, "audience_type": "villagers",
                "audience_size": 60, "earliest": day, "latest": day,
                "requester_name": "示例", "requester_phone": "13800001234",
            })
            links.append({"order_id": order_id, "topic_id": topics[order_id % 5].id})
            lectures.append({
                "order_id": order_id, "format": fmt, "start": start,
                "end": start + timedelta(minutes=minutes), "venue": village.name,
                "township_id": village.township_id, "lead_member_id": members[m].id,
                "kit_id": kit.id if kit else None,
                "status": "cancelled" if rng.random() < 0.03 else "scheduled",
            })

    fill(BIG_MONTH, n_big, 31)
    fill(SMALL_MONTH, n_small, 30)
    for i in range(20):  # orders waiting for the coordinator, with wanted windows in December
        day = BIG_MONTH + timedelta(days=rng.randrange(28))
        orders.append({
            "id": next_id, "code": code_of(next_id * 7919), "status": "needs_attention",
            "format": "field_class", "place_kind": "village", "village_id": villages[i].id,
            "township_id": villages[i].township_id, "audience_type": "villagers",
            "audience_size": 40, "earliest": day, "latest": day + timedelta(days=5),
            "requester_name": "示例", "requester_phone": "13800001234",
        })
        links.append({"order_id": next_id, "topic_id": topics[0].id})
        next_id += 1
    for start in range(0, len(orders), 2000):
        db.session.execute(insert(Order), orders[start:start + 2000])
    db.session.execute(insert(order_topic), links)
    for start in range(0, len(lectures), 2000):
        db.session.execute(insert(LectureSession), lectures[start:start + 2000])
    db.session.commit()


class Client:
    """One keep-alive connection, with the login cookie once we have it."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie and cookie.startswith("session="):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data

    def login(self) -> None:
        status, _ = self.request("POST", "/auth/login", f"username=coordinator&password={PASSWORD}")
        if status != 302:
            raise SystemExit(f"login failed: HTTP {status}")


def rate(client: Client, path: str, *, requests: int, seconds: float) -> tuple[float, int]:
    """Requests per second over at most `requests` requests or about `seconds` seconds."""
    done = 0
    started = time.perf_counter()
    while done < requests:
        status, _ = client.request("GET", path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        done += 1
        if time.perf_counter() - started > seconds:
            break
    return done / (time.perf_counter() - started), done


def count_queries(client: Client, path: str) -> int:
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        status, _ = client.request("GET", path)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    if status != 200:
        raise SystemExit(f"{path}: HTTP {status}")
    return len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (well under 30 s)")
    args = parser.parse_args()
    month_requests, bare_requests, seconds = (15, 400, 4.0) if args.quick else (120, 4000, 25.0)

    workdir = Path(tempfile.mkdtemp(prefix="lectureorder-bench-"))
    try:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite'}",
            "TESTING": False, "SECRET_KEY": "bench-only-secret", "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        })
        app.add_url_rule("/bench/bare", "bench_bare", public(lambda: "ok"))
        t0 = time.perf_counter()
        with app.app_context():
            db.create_all()
            seed(5000, 50, random.Random(20261201))
            # The row `flask db upgrade` creates; with it, rendered pages are reused per stamp.
            db.session.add(ChangeStamp(id=1, value=0))
            db.session.commit()
            build = time.perf_counter() - t0

            server = create_server(app, host="127.0.0.1", port=0, threads=4)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            try:
                client = Client(server.effective_port)
                client.login()
                big = f"/coord/calendar?view=month&date={BIG_MONTH.isoformat()}"
                small = f"/coord/calendar?view=month&date={SMALL_MONTH.isoformat()}"
                # Cold: every request computes the page (the cache off), as after every change.
                app.config["PAGE_CACHE_SIZE"] = 0
                for path in (big, small, "/bench/bare", big):  # warm templates and statements
                    client.request("GET", path)
                queries50 = count_queries(client, small)
                queries5000 = count_queries(client, big)
                cold_rps, cold_n = rate(client, big, requests=month_requests, seconds=seconds)
                # Warm: nothing changed since the last look, the stamp says so (one query).
                app.config["PAGE_CACHE_SIZE"] = 64
                client.request("GET", big)
                month_rps, month_n = rate(client, big, requests=bare_requests, seconds=seconds)
                bare_rps, bare_n = rate(client, "/bench/bare", requests=bare_requests,
                                        seconds=seconds)
            finally:
                server.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    ratio = month_rps / bare_rps
    print(f"database built in {build:.1f} s (5,000 sessions in {BIG_MONTH:%Y-%m}, "
          f"50 in {SMALL_MONTH:%Y-%m})")
    print(f"month view, 5,000 sessions, computed (cold): {cold_rps:8.1f} req/s ({cold_n} requests, "
          f"{1000 / cold_rps:.1f} ms each); ratio to bare {cold_rps / bare_rps:.3f}")
    print(f"month view, 5,000 sessions, unchanged data (warm): {month_rps:8.1f} req/s "
          f"({month_n} requests, {1000 / month_rps:.1f} ms each)")
    print(f"bare route:                 {bare_rps:8.1f} req/s ({bare_n} requests, "
          f"{1000 / bare_rps:.2f} ms each)")
    print(f"ratio month/bare (warm): {ratio:.3f} (goal >= 0.20)")
    print(f"queries per month page: {queries50} with 50 sessions, {queries5000} with 5,000"
          + ("" if queries50 == queries5000 else "  <-- NOT CONSTANT"))
    print(f"BENCH month_view month_rps={month_rps:.1f} cold_rps={cold_rps:.1f} "
          f"bare_rps={bare_rps:.1f} ratio={ratio:.3f} cold_ratio={cold_rps / bare_rps:.3f} "
          f"queries50={queries50} queries5000={queries5000}")


if __name__ == "__main__":
    main()
