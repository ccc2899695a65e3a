"""Load and soak: the running app over loopback with a mixed, bounded, self-stopping load.

    python bench/load.py [--quick] [--db sqlite|postgres|both] [--soak-seconds N]

For each database: a scratch database with the demo data and a real server on 127.0.0.1 —
waitress (8 threads) on SQLite, gunicorn -w 4 on PostgreSQL — started as ``bench/intake.py``
starts it (the bench-only ``/bench/insert`` endpoint on; rate limits off, since one client
address would otherwise be throttled as a guesser: what is measured is capacity). A dispatch
pass runs every 2 s in this process, as the scheduler would.

1. **Mixed load** for a fixed number of requests from 8 client threads: the menu page, the order
   form, an order submission (API), tracking it (API), and a member's inbox with an accept when
   an offer is there. A client-side ledger keeps every 201's order code; afterwards each must
   exist exactly once (no order lost, none doubled).
2. **Ratios side by side, in the same run**: tracking an order ÷ a bare route (``/healthz``);
   submitting an order ÷ a bare one-row insert (``/bench/insert``). Goals ≥ 40% and ≥ 50%.
   Request paths alone: the dispatch job is paused while these four are timed (it would share
   the two cores with whichever route is timed; its cost per order is ``bench/intake.py``'s
   "time until every order has its offers"), and only 2xx answers count.
3. **Soak**: the mixed load paced at ~60% of the capacity measured in 1, for
   ``--soak-seconds`` (300 by default, 30 with ``--quick``); p99 of the last minute against the
   first, and the servers' resident memory (all their processes) at the start and the end.
   Goals: last p99 ≤ 1.5× the first, memory growth ≤ 10%.

The last line is ``BENCH load key=value ...`` (one ``db=`` group per database).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import intake  # noqa: E402  (the server and scratch-database helpers)

CLIENTS = intake.CLIENTS
MIX = (("menu", 3), ("form", 2), ("submit", 2), ("track", 3), ("inbox", 2))


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (gunicorn's workers), from /proc."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


class Client:
    """One keep-alive connection doing the mixed load; records latencies per kind."""

    def __init__(self, port: int, bodies: list[dict], tokens: list[str], ledger: list[str],
                 lock: threading.Lock, seed: int) -> None:
        self.port, self.bodies, self.tokens = port, bodies, tokens
        self.ledger, self.lock = ledger, lock
        self.rng = random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.mine: list[tuple[str, str]] = []  # (code, last4) this client placed
        self.errors = 0

    def call(self, method: str, path: str, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        head = dict(headers or {})
        if data is not None:
            head["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=head)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                # A kept-alive connection the server closed meanwhile (a worker recycled): sent
                # again once on a new one, as browsers and HTTP libraries do; a submission
                # carries an Idempotency-Key, so a retry never places a second order.
                if attempt == 2 or not isinstance(exc, (http.client.RemoteDisconnected,
                                                        ConnectionResetError, BrokenPipeError)):
                    return 599, b""
        return 599, b""

    def one(self, kind: str) -> tuple[str, float, int]:
        t0 = time.perf_counter()
        if kind == "menu":
            status, _ = self.call("GET", "/")
        elif kind == "form":
            status, _ = self.call("GET", "/orders/new")
        elif kind == "submit":
            body = self.rng.choice(self.bodies)
            status, raw = self.call("POST", "/api/v1/orders", body,
                                    {"Idempotency-Key": f"load-{self.rng.getrandbits(64):x}"})
            if status == 201:
                code = json.loads(raw)["code"]
                with self.lock:
                    self.ledger.append(code)
                self.mine.append((code, body["requester"]["phone"][-4:]))
        elif kind == "track":
            if self.mine:
                code, last4 = self.rng.choice(self.mine)
                status, _ = self.call("POST", "/api/v1/orders/track",
                                      {"code": code, "phone_last4": last4})
            else:
                status, _ = self.call("GET", "/")
        else:  # a member's inbox, accepting the first offer there
            token = self.rng.choice(self.tokens)
            auth = {"Authorization": f"Bearer {token}"}
            status, raw = self.call("GET", "/api/v1/member/offers", headers=auth)
            offers = json.loads(raw) if status == 200 else []
            if offers and offers[0].get("slots"):
                offer = offers[0]
                s2, _ = self.call("POST", f"/api/v1/member/offers/{offer['id']}/accept",
                                  {"slot_start": offer["slots"][0]["start"]}, auth)
                status = 200 if s2 in (200, 409) else s2  # 409: someone else was first
        elapsed = (time.perf_counter() - t0) * 1000
        if status >= 500:
            self.errors += 1
        return kind, elapsed, status


def kinds(rng: random.Random):
    names = [k for k, w in MIX for _ in range(w)]
    while True:
        yield rng.choice(names)


def mixed(clients: list[Client], total: int, *, rate: float | None = None,
          seconds: float | None = None) -> dict:
    """``total`` requests (or for ``seconds``), optionally paced at ``rate`` per second in all;
    returns latencies with their finishing times."""
    lock = threading.Lock()
    count = [0]
    samples: list[tuple[float, str, float, int]] = []
    start = time.perf_counter()
    stop_at = start + seconds if seconds else None

    def run(client: Client) -> None:
        gen = kinds(client.rng)
        while True:
            with lock:
                if (stop_at is None and count[0] >= total) or (
                        stop_at is not None and time.perf_counter() >= stop_at):
                    return
                n = count[0]
                count[0] += 1
            if rate:
                due = start + n / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            kind, ms, status = client.one(next(gen))
            with lock:
                samples.append((time.perf_counter() - start, kind, ms, status))

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {"samples": samples, "wall": wall, "rps": len(samples) / wall if wall else 0.0}


def timed(port: int, method: str, path: str, body_of, n: int) -> dict:
    """n calls of one route from CLIENTS threads: requests/s and p50/p99."""
    lock = threading.Lock()
    nxt = iter(range(n))
    lat: list[float] = []
    statuses: dict[int, int] = {}

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(nxt, None)
            if i is None:
                break
            t0 = time.perf_counter()
            status, _ = intake.send(conn, method, path, body_of(i))
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                lat.append(ms)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    done = sum(v for k, v in statuses.items() if 200 <= k < 300)  # answers, not refusals
    return {"rps": done / wall, "p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "statuses": statuses}


def dispatcher(uri: str, env: dict, stop: threading.Event,
               paused: threading.Event) -> threading.Thread:
    """The scheduler's dispatch job, every 2 s, in this process (skipped while ``paused``)."""
    def run() -> None:
        os.environ.update({k: v for k, v in env.items() if k.startswith("LECTUREORDER_")})
        from lectureorder import create_app
        from lectureorder.extensions import db
        from lectureorder.services import dispatch
        from lectureorder.services.clock import now_utc
        from lectureorder.services.settings import from_app

        app = create_app()
        with app.app_context():
            settings = from_app(app)
            while not stop.wait(2.0):
                if paused.is_set():
                    continue
                try:
                    dispatch.dispatch_pending(now=now_utc(), settings=settings)
                    db.session.commit()
                except Exception:  # a lost race with an accept: the next pass goes on
                    db.session.rollback()
            db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def drain(uri: str, timeout: float = 60.0) -> None:
    """Wait until no order waits for the dispatch job."""
    from sqlalchemy import create_engine, text

    engine = create_engine(uri)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if not conn.execute(text(
                        "SELECT count(*) FROM \"order\" WHERE status = 'submitted'")).scalar():
                    return
            time.sleep(0.5)
    finally:
        engine.dispose()


def ledger_check(uri: str, codes: list[str]) -> tuple[bool, int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(uri)
    with engine.connect() as conn:
        found = dict(conn.execute(text(
            'SELECT code, count(*) FROM "order" GROUP BY code')).all())
    engine.dispose()
    missing = sum(1 for c in codes if found.get(c) != 1)
    doubled = len(codes) - len(set(codes))
    return missing == 0 and doubled == 0, missing, doubled


def run(kind: str, n: int, soak_seconds: float) -> dict:
    tmp = dbname = None
    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="lectureorder_load_")
        uri = f"sqlite:///{tmp}/load.sqlite"
    else:
        import psycopg

        dbname = f"lectureorder_load_{os.getpid()}"
        with psycopg.connect(intake.PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
        uri = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
    env = intake.server_env(uri)
    env["LECTUREORDER_RATELIMIT_ENABLED"] = "false"
    proc = None
    stop = threading.Event()
    try:
        intake.prepare(uri, env)
        port = intake.free_port()
        proc = intake.start_server(kind, port, env, intake.GUNICORN_THREADS)
        bodies = intake.order_bodies(port, 400)
        tokens = []
        for i in range(1, 9):
            status, raw = intake.request(port, "POST", "/api/v1/auth/token",
                                         {"username": f"member{i:02d}", "password": "demo1234"})
            if status == 200:
                tokens.append(json.loads(raw)["token"])
        if not tokens:
            raise RuntimeError("no member token: is the demo data there?")
        paused = threading.Event()
        worker = dispatcher(uri, env, stop, paused)
        ledger: list[str] = []
        lock = threading.Lock()
        clients = [Client(port, bodies, tokens, ledger, lock, seed=i) for i in range(CLIENTS)]
        for c in clients:  # warm up every worker
            for k in ("menu", "form", "submit", "track"):
                c.one(k)
        load = mixed(clients, n)
        lat = [s[2] for s in load["samples"]]
        errors = sum(1 for s in load["samples"] if s[3] >= 500)
        # Ratios, side by side in the same run and against the same server: the request paths
        # alone, so the dispatch job (which would share the two cores with whichever route is
        # being timed) waits until the mixed load's orders are offered, then pauses; what it
        # costs per order is bench/intake.py's last figure. Fresh requesters for the timed
        # submissions: each is a real placement (201), none a repeat asked about (409).
        placed = [c.mine[0] for c in clients if c.mine]
        drain(uri)
        paused.set()
        fresh = intake.order_bodies(port, 200, first=5000)
        bare = timed(port, "GET", "/healthz", lambda i: None, 400)
        track = timed(port, "POST", "/api/v1/orders/track",
                      lambda i: {"code": placed[i % len(placed)][0],
                                 "phone_last4": placed[i % len(placed)][1]}, 400)
        insert = timed(port, "POST", "/bench/insert", lambda i: {"i": i}, 200)
        submit = timed(port, "POST", "/api/v1/orders", lambda i: fresh[i], 200)
        paused.clear()
        # Soak at ~60% of the mixed capacity.
        rate = 0.6 * load["rps"]
        rss_start = rss_kb(proc.pid)
        soak = mixed(clients, 0, rate=rate, seconds=soak_seconds)
        rss_end = rss_kb(proc.pid)
        minute = min(60.0, soak_seconds / 3)
        first = [s[2] for s in soak["samples"] if s[0] <= minute]
        last = [s[2] for s in soak["samples"] if s[0] >= soak["wall"] - minute]
        # Where a drift comes from: each kind's p99 in the first and the last minute.
        by_kind = {name: (pct([s[2] for s in soak["samples"] if s[1] == name and s[0] <= minute],
                              0.99),
                          pct([s[2] for s in soak["samples"]
                               if s[1] == name and s[0] >= soak["wall"] - minute], 0.99))
                   for name, _ in MIX}
        soak_errors = sum(1 for s in soak["samples"] if s[3] >= 500)
        stop.set()
        worker.join(timeout=30)
        proc.terminate()
        proc.wait(timeout=30)
        proc = None
        ok, missing, doubled = ledger_check(uri, ledger)
        return {
            "db": kind, "n": len(lat), "rps": load["rps"], "p50": pct(lat, 0.5),
            "p99": pct(lat, 0.99), "errors": errors + soak_errors,
            "track_ratio": track["rps"] / bare["rps"], "submit_ratio": submit["rps"] / insert["rps"],
            "bare": bare, "track": track, "insert": insert, "submit": submit,
            "soak_s": soak["wall"], "soak_rps": soak["rps"], "soak_target": rate,
            "p99_first": pct(first, 0.99), "p99_last": pct(last, 0.99), "by_kind": by_kind,
            "rss_start": rss_start, "rss_end": rss_end,
            "ledger": ok, "missing": missing, "doubled": doubled, "placed": len(ledger),
        }
    finally:
        stop.set()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        if dbname:
            import psycopg

            with psycopg.connect(intake.PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def report(r: dict) -> str:
    growth = (r["rss_end"] - r["rss_start"]) / r["rss_start"] if r["rss_start"] else 0.0
    drift = r["p99_last"] / r["p99_first"] if r["p99_first"] else 0.0
    server = "waitress --threads 8" if r["db"] == "sqlite" else "gunicorn -w 4"
    print(f"\n== {r['db']} ({server}, {CLIENTS} clients) ==")
    print(f"mixed      : {r['n']} requests at {r['rps']:.1f}/s, p50 {r['p50']:.1f} ms, "
          f"p99 {r['p99']:.1f} ms, {r['errors']} server errors")
    print(f"track/bare : {r['track']['rps']:.1f}/s ÷ {r['bare']['rps']:.1f}/s = "
          f"{r['track_ratio']:.0%} (goal ≥ 40%)")
    print(f"submit/ins : {r['submit']['rps']:.1f}/s ÷ {r['insert']['rps']:.1f}/s = "
          f"{r['submit_ratio']:.0%} (goal ≥ 50%; statuses {r['submit']['statuses']})")
    print(f"soak       : {r['soak_s']:.0f} s at {r['soak_rps']:.1f}/s (target {r['soak_target']:.1f}); "
          f"p99 first {r['p99_first']:.1f} ms, last {r['p99_last']:.1f} ms (×{drift:.2f}, "
          f"goal ≤ 1.5); memory {r['rss_start'] // 1024} → {r['rss_end'] // 1024} MiB "
          f"({growth:+.1%}, goal ≤ +10%)")
    print("soak p99   : " + ", ".join(f"{name} {a:.0f} → {b:.0f} ms"
                                       for name, (a, b) in r["by_kind"].items())
          + " (first → last minute)")
    print(f"ledger     : {'ok' if r['ledger'] else 'BAD'} — {r['placed']} orders acknowledged, "
          f"{r['missing']} not found exactly once, {r['doubled']} acknowledged twice")
    return (f"db={r['db']} rps={r['rps']:.1f} p50_ms={r['p50']:.1f} p99_ms={r['p99']:.1f} "
            f"errors={r['errors']} track_ratio={r['track_ratio']:.2f} "
            f"submit_ratio={r['submit_ratio']:.2f} soak_s={r['soak_s']:.0f} "
            f"p99_drift={drift:.2f} rss_growth={growth:.3f} "
            f"ledger={'ok' if r['ledger'] else 'bad'} lost={r['missing']} doubled={r['doubled']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, a 30 s soak")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--soak-seconds", type=float, default=None)
    args = parser.parse_args()
    n = 300 if args.quick else 2000
    soak = args.soak_seconds or (30.0 if args.quick else 300.0)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"machine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}; "
          f"server and clients on this one machine; load average {os.getloadavg()[0]:.2f}")
    parts = [report(run(kind, n, soak)) for kind in dbs]
    print("BENCH load " + " ".join(parts))


if __name__ == "__main__":
    main()
