"""A change counter for what schedules show, so rendered calendar pages can be reused safely."""

from __future__ import annotations

import logging

from sqlalchemy import BigInteger, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..domain.lifecycle import OrderStatus
from ..extensions import db

log = logging.getLogger(__name__)


class ChangeStamp(db.Model):
    """One row (id 1); its value goes up after every commit that changed watched data.

    Each web worker keeps its own cache of rendered pages keyed by this value: one cheap read
    tells every worker whether anything changed, whichever worker (or job) changed it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def _watched() -> tuple[type, ...]:
    from . import (
        Blackout,
        EquipmentKit,
        HolidayOverride,
        LectureSession,
        Market,
        Member,
        Order,
        School,
        Topic,
        Township,
        Village,
    )

    return (LectureSession, Order, Member, Market, HolidayOverride, Topic, Township,
            EquipmentKit, Village, School, Blackout)


def _shown_when_new(obj) -> bool:
    """Whether a row just inserted can change a cached page.

    A new order is ``submitted``: no cached page shows it (the calendar shows sessions and the
    orders waiting for the coordinator, ``needs_attention``), so placing one bumps nothing and
    concurrent placements do not all update this one row. Its first change of status (the
    dispatch pass offering it, or sending it to the coordinator) is an update and bumps. A
    cached page that shows submitted orders must drop this exception."""
    from . import Order

    return not (isinstance(obj, Order) and obj.status == OrderStatus.SUBMITTED)


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context, _instances) -> None:
    watched = _watched()
    if (any(isinstance(obj, watched) and _shown_when_new(obj) for obj in session.new)
            or any(isinstance(obj, watched)
                   for group in (session.dirty, session.deleted) for obj in group)):
        session.info["schedule_changed"] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if not session.info.pop("schedule_changed", False):
        return
    # A short transaction of its own, after the data is committed: no lock is held across the
    # request's work (no deadlocks), and a reader can at worst re-render once more than needed.
    try:
        with session.get_bind().begin() as conn:
            conn.execute(text("UPDATE change_stamp SET value = value + 1 WHERE id = 1"))
    except SQLAlchemyError:  # the data is committed; a missed bump only delays cached pages
        log.warning("could not bump change_stamp (is the database upgraded?)", exc_info=True)


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, _previous) -> None:
    if not session.in_transaction():
        session.info.pop("schedule_changed", None)


def current_stamp() -> int | None:
    """The counter, or None where the row does not exist (then nothing is cached)."""
    return db.session.scalar(text("SELECT value FROM change_stamp WHERE id = 1"))
