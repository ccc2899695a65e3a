"""Order intake at peer speed: orders/s and latency against a real server, next to a bare insert.

    python bench/intake.py [--quick] [--db sqlite|postgres|both]

For each database it makes a scratch database (a fresh SQLite file under /tmp; on PostgreSQL
its own ``lectureorder_bench_<pid>`` at 127.0.0.1:5432, user postgres, dropped afterwards),
upgrades it and loads the demo data, then starts a real server on 127.0.0.1 — waitress
(8 threads) on SQLite, gunicorn -w 4 on PostgreSQL (gthread, ``--threads``, default 3; 1 for
the sync worker) — with the bench-only endpoint
``/bench/insert`` (``LECTUREORDER_BENCH_ENDPOINTS=1``, never on by default). Eight client
threads (http.client, keep-alive, a shared bounded counter, so the run stops by itself) post
the orders to ``/api/v1/orders`` and, in the same run, as many bare one-row inserts. A
client-side ledger keeps every 201's order code; afterwards each must exist exactly once in the
database, and no other order may have appeared. Then dispatch passes run (as the scheduler
runs them) until no order waits, and the time until every order has its offers is reported.

The last line is ``BENCH intake key=value ...`` (one ``db=`` group per database).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLIENTS = 8
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TZ = ZoneInfo("Asia/Shanghai")
# gthread keeps the clients' connections alive (the sync worker closes each one) and lets a
# worker overlap its database waits; 3 measured best of 1/2/3/4/8 on the 2-core machine.
GUNICORN_THREADS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(uri: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "LECTUREORDER_SQLALCHEMY_DATABASE_URI": uri,
        "LECTUREORDER_SECRET_KEY": os.urandom(32).hex(),
        "LECTUREORDER_BENCH_ENDPOINTS": "1",
        "LECTUREORDER_ALLOW_DEMO_DATA": "1",
        "PYTHONPATH": str(ROOT),
    })
    return env


def prepare(uri: str, env: dict[str, str]) -> None:
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([str(BIN / "flask"), "--app", "lectureorder", *args], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)


def gunicorn_flags(threads: int) -> list[str]:
    """The deployment's ``gunicorn.conf.py`` (keep-alive, worker recycling, the access log),
    with the bench's own choices on top: four workers and, with ``threads`` > 1, the threaded
    worker, which also keeps client connections alive."""
    flags = ["-c", str(ROOT / "gunicorn.conf.py"), "-w", "4"]
    if threads > 1:
        flags += ["-k", "gthread", "--threads", str(threads)]
    return flags


def server_label(kind: str, threads: int) -> str:
    if kind == "sqlite":
        return "waitress --threads 8"
    return "gunicorn -c gunicorn.conf.py " + " ".join(gunicorn_flags(threads)[2:])


def start_server(kind: str, port: int, env: dict[str, str], threads: int) -> subprocess.Popen:
    if kind == "sqlite":
        cmd = [str(BIN / "waitress-serve"), "--host", "127.0.0.1", "--port", str(port),
               "--threads", "8", "--call", "lectureorder.web.bench:create_bench_app"]
    else:
        cmd = [str(BIN / "gunicorn"), *gunicorn_flags(threads), "-b", f"127.0.0.1:{port}",
               "--log-level", "warning", "lectureorder.web.bench:create_bench_app()"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            status, _ = request(port, "GET", "/healthz")
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not start within 60 s")


def request(port: int, method: str, path: str, body: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        return send(conn, method, path, body)
    finally:
        conn.close()


def send(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def order_bodies(port: int, n: int, first: int = 0) -> list[dict]:
    """Orders at the demo data's villages, field classes in the next two weeks; ``first``
    offsets the requesters (a different phone each, from 1380000<first>)."""
    status, raw = request(port, "GET", "/api/v1/places")
    assert status == 200, raw
    places = json.loads(raw)
    townships = places["townships"] if isinstance(places, dict) else places
    villages = [v["id"] for t in townships for v in t.get("villages", [])]
    today = datetime.now(TZ).date()
    bodies = []
    for i in range(first, first + n):
        bodies.append({
            "topics": ["anti_fraud"], "format": "field_class",
            "place": {"kind": "village", "id": villages[i % len(villages)]},
            "audience": {"type": "villagers", "size": 40 + i % 60},
            "window": {"earliest": (today + timedelta(days=3)).isoformat(),
                       "latest": (today + timedelta(days=17)).isoformat()},
            "requester": {"name": f"村民{i}", "organisation": "村委会",
                          "phone": f"1380000{i % 10000:04d}"},
            "channel": "qr", "notes": "",
        })
    return bodies


def load(port: int, path: str, bodies: list[dict]) -> dict:
    """Post every body once from CLIENTS threads; a shared counter bounds the run."""
    lock = threading.Lock()
    nxt = iter(range(len(bodies)))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    codes: list[str] = []
    errors: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while True:
                with lock:
                    i = next(nxt, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                try:
                    status, raw = send(conn, "POST", path, bodies[i])
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    with lock:
                        errors.append(repr(exc))
                    continue
                took = time.perf_counter() - t0
                with lock:
                    latencies.append(took)
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 201 and path.endswith("/orders"):
                        codes.append(json.loads(raw)["code"])
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.perf_counter() - t0
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] * 1000 if lat else 0.0

    return {"n": len(bodies), "ok": statuses.get(201, 0), "statuses": statuses, "errors": errors,
            "rps": statuses.get(201, 0) / wall if wall else 0.0, "wall": wall,
            "p50": pct(50), "p95": pct(95), "p99": pct(99),
            "mean": statistics.fmean(lat) * 1000 if lat else 0.0, "codes": codes}


def check_and_dispatch(uri: str, env: dict[str, str], codes: list[str], before: int) -> dict:
    """The ledger against the database, then dispatch passes until nothing waits."""
    for key, value in env.items():
        if key.startswith("LECTUREORDER_"):
            os.environ[key] = value
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select

    from lectureorder import create_app
    from lectureorder.extensions import db
    from lectureorder.models import Offer, Order
    from lectureorder.services import dispatch
    from lectureorder.services.settings import from_app

    app = create_app()
    with app.app_context():
        found = dict(db.session.execute(
            select(Order.code, func.count()).where(Order.code.in_(codes)).group_by(Order.code)
        ).all())
        total = db.session.scalar(select(func.count()).select_from(Order))
        ledger_ok = (len(set(codes)) == len(codes) and all(found.get(c) == 1 for c in codes)
                     and total == before + len(codes))
        waiting_before = db.session.scalar(
            select(func.count()).select_from(Order).where(Order.status == "submitted"))
        t0 = time.perf_counter()
        passes = 0
        pass_times = []
        while passes < 20:
            p0 = time.perf_counter()
            done = dispatch.dispatch_pending(now=datetime.now(UTC), settings=from_app(app))
            db.session.commit()
            if not done:
                break
            passes += 1
            pass_times.append(time.perf_counter() - p0)
        dispatch_s = time.perf_counter() - t0
        rows = db.session.execute(
            select(Order.status, func.count(Offer.id)).outerjoin(Offer, Offer.order_id == Order.id)
            .where(Order.code.in_(codes)).group_by(Order.id, Order.status)
        ).all()
        db.session.remove()
        db.engine.dispose()
    offered = sum(1 for status, n in rows if n > 0)
    escalated = sum(1 for status, n in rows if status == "needs_attention" and n == 0)
    waiting = sum(1 for status, n in rows if status == "submitted")
    for key in env:
        if key.startswith("LECTUREORDER_"):
            os.environ.pop(key, None)
    return {"ledger_ok": ledger_ok, "missing": sum(1 for c in codes if found.get(c) != 1),
            "waiting_before": waiting_before, "passes": passes, "dispatch_s": dispatch_s,
            "slowest_pass_s": max(pass_times, default=0.0), "offered": offered,
            "escalated": escalated, "waiting": waiting}


def count_orders(uri: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(uri)
    with engine.connect() as conn:
        n = conn.execute(text('SELECT count(*) FROM "order"')).scalar_one()
    engine.dispose()
    return n


def run(kind: str, n: int, threads: int) -> dict:
    tmp = None
    dbname = None
    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="lectureorder_bench_")
        uri = f"sqlite:///{tmp}/bench.sqlite"
    else:
        import psycopg

        dbname = f"lectureorder_bench_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
        uri = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
    env = server_env(uri)
    # The order path's own limits stay on, as deployed (per requester phone and per address):
    # shared in Redis across gunicorn's workers, in memory for the one waitress process. One
    # bench client address sends every order, so its per-address allowance is raised.
    env.update({
        "LECTUREORDER_RATELIMIT_STORAGE_URI": "memory://" if kind == "sqlite"
        else "redis://127.0.0.1:6379/0",
        "LECTUREORDER_RATELIMIT_KEY_PREFIX": f"bench-intake-{os.getpid()}",
        "LECTUREORDER_ORDER_ADDRESS_RATE_LIMIT": "100000 per hour",
    })
    proc = None
    try:
        prepare(uri, env)
        port = free_port()
        proc = start_server(kind, port, env, threads)
        # Warm every worker up (imports, first connections) before anything is timed.
        for _ in range(4 * CLIENTS):
            request(port, "GET", "/api/v1/menu")
            request(port, "POST", "/bench/insert", {"warm": True})
        bodies = order_bodies(port, n + CLIENTS)
        warm = load(port, "/api/v1/orders", bodies[:CLIENTS])
        before = count_orders(uri)
        insert = load(port, "/bench/insert", bodies[CLIENTS:])
        orders = load(port, "/api/v1/orders", bodies[CLIENTS:])
        proc.terminate()
        proc.wait(timeout=30)
        proc = None
        after = check_and_dispatch(uri, env, orders["codes"], before)
        after["warm_ok"] = warm["ok"]
        return {"db": kind, "orders": orders, "insert": insert, "after": after,
                "server": server_label(kind, threads), "threads": threads}
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        if dbname:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def report(result: dict) -> str:
    o, ins, a = result["orders"], result["insert"], result["after"]
    ratio = o["rps"] / ins["rps"] if ins["rps"] else 0.0
    print(f"\n== {result['db']} ({result['server']}, {CLIENTS} clients, {o['n']} orders) ==")
    print(f"orders     : {o['ok']}/{o['n']} 201 in {o['wall']:.2f} s = {o['rps']:.1f}/s; "
          f"p50 {o['p50']:.1f} ms, p95 {o['p95']:.1f} ms, p99 {o['p99']:.1f} ms "
          f"(statuses {o['statuses']}, errors {len(o['errors'])})")
    print(f"bare insert: {ins['ok']}/{ins['n']} 201 in {ins['wall']:.2f} s = {ins['rps']:.1f}/s; "
          f"p50 {ins['p50']:.1f} ms, p99 {ins['p99']:.1f} ms")
    print(f"ratio      : orders are {ratio:.0%} of the bare insert's rate")
    print(f"ledger     : {'ok' if a['ledger_ok'] else 'MISMATCH'} "
          f"({a['missing']} acknowledged codes not found exactly once)")
    print(f"dispatch   : {a['waiting_before']} waiting; {a['passes']} pass(es) in "
          f"{a['dispatch_s']:.2f} s (slowest {a['slowest_pass_s']:.2f} s); of the bench's orders "
          f"{a['offered']} offered, {a['escalated']} to the coordinator, {a['waiting']} waiting")
    threads = f" threads={result['threads']}" if result["db"] == "postgres" else ""
    return (f"db={result['db']}{threads} orders_per_s={o['rps']:.1f} p50_ms={o['p50']:.1f} "
            f"p95_ms={o['p95']:.1f} p99_ms={o['p99']:.1f} insert_per_s={ins['rps']:.1f} "
            f"ratio={ratio:.2f} ok={o['ok']}/{o['n']} ledger={'ok' if a['ledger_ok'] else 'bad'} "
            f"dispatch_s={a['dispatch_s']:.2f} passes={a['passes']} offered={a['offered']} "
            f"escalated={a['escalated']} waiting={a['waiting']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 orders instead of 200")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--threads", type=int, default=GUNICORN_THREADS,
                        help="threads per gunicorn worker (1: the sync worker); "
                             f"default {GUNICORN_THREADS}")
    args = parser.parse_args()
    n = 50 if args.quick else 200
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"machine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}; "
          f"server and clients on this one machine")
    parts = [report(run(kind, n, args.threads)) for kind in kinds]
    print("BENCH intake " + " ".join(parts))


if __name__ == "__main__":
    main()
