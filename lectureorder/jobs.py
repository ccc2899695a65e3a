"""Background jobs (APScheduler), run only by the single `flask scheduler` process."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask

from .extensions import db
from .services import dispatch, notify, ordering_retention
from .services.clock import now_utc
from .services.settings import Settings, from_app

log = logging.getLogger(__name__)


def run_job(app: Flask, work: Callable[..., int], name: str) -> int:
    """One unit of work per run: call the service with the clock and the settings (read from
    the app's config now), commit, or roll back on failure."""
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
    return notify.send_pending(now=now)


JOBS: dict[str, Callable[..., int]] = {
    "dispatch_pending": dispatch.dispatch_pending,
    "expire_offers": dispatch.expire_offers,
    "send_notifications": send_notifications,
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
