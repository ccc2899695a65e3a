"""Background jobs (APScheduler), run only by the single `flask scheduler` process."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable

from flask import Flask

from .extensions import db
from .services import dispatch, lease, notify, ordering_retention
from .services.clock import now_utc
from .services.settings import Settings, from_app

log = logging.getLogger(__name__)


class SchedulerLock:
    """The single-instance lock: a lease row renewed every third of SCHEDULER_LEASE_SECONDS.
    Only the holder runs jobs; a second scheduler idles (and says so) until the first one's
    lease runs out, then takes over."""

    NAME = "scheduler"

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.holder = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False

    def renew(self) -> bool:
        with self.app.app_context():
            try:
                held = lease.acquire(self.NAME, self.holder, now=now_utc(),
                                     seconds=self.app.config["SCHEDULER_LEASE_SECONDS"])
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("scheduler lock: could not renew")
                held = False
        if held and not self.held:
            log.info("scheduler lock taken (%s): running the jobs", self.holder)
        elif not held and (self.held or not hasattr(self, "_said")):
            log.warning("another scheduler holds the lock: this one (%s) idles until it is free",
                        self.holder)
            self._said = True
        self.held = held
        return held

    def release(self) -> None:
        with self.app.app_context():
            lease.release(self.NAME, self.holder)
            db.session.commit()
        self.held = False


def run_job(app: Flask, work: Callable[..., int], name: str, lock: SchedulerLock | None = None) -> int:
    """One unit of work per run: call the service with the clock and the settings (read from
    the app's config now), commit, or roll back on failure. Under a scheduler lock that this
    process does not hold, do nothing."""
    if lock is not None and not lock.held:
        log.debug("job %s skipped: another scheduler holds the lock", name)
        return 0
    with app.app_context():
        try:
            count = work(now=now_utc(), settings=from_app(app))
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            raise
        if count:
            log.info("job %s: %s row(s)", name, count)
        return count


def send_notifications(*, now, settings: Settings) -> int:
    # Commit the claim before any provider call, and each outcome as it comes (see notify).
    return notify.send_pending(now=now, settings=settings, checkpoint=db.session.commit)


JOBS: dict[str, Callable[..., int]] = {
    "dispatch_pending": dispatch.dispatch_pending,
    "expire_offers": dispatch.expire_offers,
    "send_notifications": send_notifications,
    "queue_reminders": notify.queue_reminders,
    "purge_contacts": ordering_retention.purge_old_contacts,
}


def build_scheduler(app: Flask, *, blocking: bool = True):
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone=app.config["BABEL_DEFAULT_TIMEZONE"])
    minutes = app.config["SCHEDULER_OFFER_SWEEP_MINUTES"]
    # coalesce + max_instances=1: a slow run is never overlapped by the next one.
    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    # One scheduler runs the jobs: each run checks this process holds the lock (renewed below).
    lock = SchedulerLock(app)
    lock.renew()
    scheduler.lectureorder_lock = lock
    common["kwargs"] = {"lock": lock}
    scheduler.add_job(lock.renew, "interval", seconds=max(5, app.config["SCHEDULER_LEASE_SECONDS"] // 3),
                      id="scheduler_lock", coalesce=True, max_instances=1, replace_existing=True)
    scheduler.add_job(run_job, "interval", minutes=app.config["REMINDER_INTERVAL_MINUTES"],
                      args=[app, JOBS["queue_reminders"], "queue_reminders"],
                      id="queue_reminders", next_run_time=now_utc(), **common)
    # New orders wait as "submitted" until this pass offers them; it also runs at once on start,
    # so orders placed while the scheduler was down are dispatched when it returns.
    scheduler.add_job(run_job, "interval", seconds=app.config["DISPATCH_INTERVAL_SECONDS"],
                      args=[app, JOBS["dispatch_pending"], "dispatch_pending"],
                      id="dispatch_pending", next_run_time=now_utc(), **common)
    scheduler.add_job(run_job, "interval", minutes=minutes, args=[app, JOBS["expire_offers"], "expire_offers"],
                      id="expire_offers", **common)
    scheduler.add_job(run_job, "interval", minutes=1, args=[app, JOBS["send_notifications"], "send_notifications"],
                      id="send_notifications", **common)
    scheduler.add_job(run_job, "cron", hour=3, minute=17, args=[app, JOBS["purge_contacts"], "purge_contacts"],
                      id="purge_contacts", **common)
    return scheduler
