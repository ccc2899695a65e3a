"""The tracking limit holds across processes: `gunicorn -w 4` (wsgi:app, as deployed) with the
counters in Redis or in the database, 100 wrong last-4 guesses for one code from one client."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.web.test_rate_limits import REDIS_URI, clean_redis, need_redis

ROOT = Path(__file__).resolve().parents[2]
GUESSES = 100
LIMIT = 20
WORKERS = 4


def _gunicorn() -> str:
    path = Path(sys.executable).with_name("gunicorn")
    if path.exists():
        return str(path)
    found = shutil.which("gunicorn")
    if not found:
        if os.environ.get("CI") == "true" or os.environ.get("LECTUREORDER_REQUIRE_BROWSER") == "1":
            pytest.fail("gunicorn is required in CI (pip install -e .)")
        pytest.skip("gunicorn is not installed")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def gunicorn_server(tmp_path):
    """Start ``gunicorn -w 4 wsgi:app`` on a fresh migrated SQLite file; yield (base URL, env)."""
    binary = _gunicorn()

    def start(storage: str, prefix: str) -> str:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("LECTUREORDER_")}
        env.update({
            "LECTUREORDER_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'workers.sqlite'}",
            "LECTUREORDER_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
            "LECTUREORDER_RATELIMIT_STORAGE_URI": storage,
            "LECTUREORDER_RATELIMIT_KEY_PREFIX": prefix,
            "LECTUREORDER_TRACK_RATE_LIMIT": f"{LIMIT} per 10 minutes",
            "LECTUREORDER_LOGIN_RATE_LIMIT": "1000 per minute",
        })
        flask = Path(sys.executable).with_name("flask")
        subprocess.run([str(flask), "--app", "lectureorder", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=120)
        port = _free_port()
        empty = tmp_path / "gunicorn.conf.py"  # never the project's own gunicorn.conf.py
        empty.write_text("")
        log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed at teardown
        process = subprocess.Popen(
            [binary, "-c", str(empty), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
             "--chdir", str(ROOT), "--timeout", "60", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        servers.append((process, log))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {(tmp_path / 'gunicorn.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    return base
            except OSError:
                time.sleep(0.2)
        pytest.fail("gunicorn did not answer within 60 s")

    servers: list = []
    yield start
    for process, log in servers:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _guess_many(base: str) -> list[int]:
    """GUESSES wrong last-4 guesses for one code, 16 at a time, spread over the API's track,
    cancel and rate (one shared bucket)."""
    actions = ["track", "cancel", "rate"]

    def guess(i: int) -> int:
        body = {"code": "GUESS-ME1" if i % 2 else "guessme1", "phone_last4": f"{i:04d}",
                "rating": 5, "comment": ""}
        return _post(f"{base}/api/v1/orders/{actions[i % 3]}", body)

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(guess, range(GUESSES)))


@pytest.mark.parametrize("storage", ["redis", "database"])
def test_tracking_limit_holds_across_four_gunicorn_workers(gunicorn_server, storage):
    prefix = f"lo-w4-{uuid.uuid4().hex[:10]}"
    if storage == "redis":
        need_redis()
        uri = REDIS_URI
    else:
        uri = "database://"
    try:
        base = gunicorn_server(uri, prefix)
        statuses = _guess_many(base)
    finally:
        if storage == "redis":
            clean_redis(prefix)
    allowed, refused = statuses.count(404), statuses.count(429)
    print(f"gunicorn -w {WORKERS} {storage}: {GUESSES} sent, {allowed} allowed, {refused} refused")
    assert allowed + refused == GUESSES, statuses  # no 500s, nothing else
    assert allowed <= LIMIT
    assert allowed == LIMIT  # and the limit is not stricter than configured either
