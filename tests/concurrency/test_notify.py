"""Two senders (as two schedulers or two `flask send-notifications` would run them) at the same
instant over 200 queued messages, on SQLite and PostgreSQL: each is delivered exactly once.
And the scheduler lock: a second scheduler idles while the first holds it."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select

from lectureorder.extensions import db
from lectureorder.jobs import SchedulerLock, run_job
from lectureorder.models import Notification
from lectureorder.services import notify, ordering
from lectureorder.services.clock import now_utc
from lectureorder.services.settings import from_app
from tests.concurrency.conftest import race
from tests.concurrency.test_intake import request, team

N = 200


def queue(app, n: int) -> None:
    with app.app_context():
        village_id = team(app, 1)
        order = ordering.place_order(request(village_id, 0), now=now_utc(),
                                     settings=from_app(app))
        for i in range(n - 1):  # with the order's own "received" message: n in all
            notify.enqueue("order_received", key=f"race:{i}", recipient_kind="requester",
                           now=now_utc(), order=order, payload={})
        db.session.commit()


def test_two_senders_deliver_each_message_once(race_app):
    queue(race_app, N)
    delivered: Counter = Counter()
    lock = threading.Lock()

    def sms(message):
        time.sleep(0.001)  # a provider call takes time: widen the window for a double send
        with lock:
            delivered[message.key] += 1

    def work(_i: int) -> int:
        total = 0
        settings = from_app(race_app)
        # 200 texts to one requester: the per-phone daily cap (tested on its own) is lifted here.
        settings = replace(settings, notify=replace(settings.notify, retry_base_seconds=0,
                                                    sms_daily_limit_per_phone=10 * N))
        while True:
            count = notify.send_pending(now=now_utc(), settings=settings, sender=sms, limit=25,
                                        checkpoint=db.session.commit)
            if not count:
                return total
            total += count

    results = race(race_app, 2, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == N
    assert len(delivered) == N and set(delivered.values()) == {1}
    with race_app.app_context():
        statuses = dict(db.session.execute(select(Notification.status, func.count())
                                           .group_by(Notification.status)).all())
        db.session.remove()
    assert statuses == {"sent": N}


def test_a_second_scheduler_idles_and_says_so(race_app, caplog):
    first, second = SchedulerLock(race_app), SchedulerLock(race_app)
    with caplog.at_level(logging.INFO, logger="lectureorder.jobs"):
        assert first.renew() is True
        assert second.renew() is False
    assert "another scheduler holds the lock" in caplog.text
    ran = []

    def work(*, now, settings):
        ran.append(now)
        return 1

    assert run_job(race_app, work, "probe", lock=second) == 0 and ran == []
    assert run_job(race_app, work, "probe", lock=first) == 1 and len(ran) == 1
    assert first.renew() and not second.renew()  # renewing keeps it
    first.release()
    assert second.renew() is True and first.renew() is False


def test_a_dead_schedulers_lease_runs_out(race_app):
    from lectureorder.services import lease

    with race_app.app_context():
        assert lease.acquire("scheduler", "dead", now=now_utc() - timedelta(seconds=200),
                             seconds=90)
        db.session.commit()
        assert lease.acquire("scheduler", "alive", now=now_utc(), seconds=90)
        db.session.commit()
        db.session.remove()
