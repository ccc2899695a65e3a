"""A named lease row: the single-instance lock of the scheduler (the same row on SQLite and
PostgreSQL). Whoever holds an unexpired lease keeps it by renewing; others wait for it to run
out, so a dead scheduler's jobs are taken over within one lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models.notification import SchedulerLease


def acquire(name: str, holder: str, *, now: datetime, seconds: float) -> bool:
    """Take or renew the lease; True when ``holder`` holds it until ``now + seconds``."""
    until = now + timedelta(seconds=seconds)
    renewed = db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name,
               or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=until).returning(SchedulerLease.name)
        .execution_options(synchronize_session=False)).first()
    if renewed is not None:
        return True
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = db.session.execute(
        insert(SchedulerLease).values(name=name, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=["name"]).returning(SchedulerLease.name)).first()
    return created is not None


def release(name: str, holder: str) -> None:
    db.session.execute(update(SchedulerLease)
                       .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
                       .values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
                       .execution_options(synchronize_session=False))
