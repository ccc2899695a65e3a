"""Change counters, so what was read once can be reused safely: row 1 for what schedules show
(rendered calendar pages), row 2 for the reference data orders are checked against (topics,
places, blackouts, holiday overrides, the film season: ``services/reference.py``)."""

from __future__ import annotations

import logging

from sqlalchemy import BigInteger, event, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..domain.lifecycle import OrderStatus
from ..extensions import db

log = logging.getLogger(__name__)


SCHEDULE_STAMP = 1
REFERENCE_STAMP = 2


class ChangeStamp(db.Model):
    """One row per counter; its value goes up after every commit that changed watched data.

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


def _reference() -> tuple[type, ...]:
    from . import (
        Blackout,
        FilmSeason,
        HolidayOverride,
        Market,
        School,
        SchoolTerm,
        Topic,
        Township,
        Village,
    )

    return (Topic, Township, Village, School, SchoolTerm, Market, Blackout, HolidayOverride,
            FilmSeason)


def _shown_when_new(obj) -> bool:
    """Whether a row just inserted can change a cached page.

    A new order is ``submitted``: no cached page shows it (the calendar shows sessions and the
    orders waiting for the coordinator, ``needs_attention``), so placing one bumps nothing and
    concurrent placements do not all update this one row. Its first change of status (the
    dispatch pass offering it, or sending it to the coordinator) is an update and bumps. A
    cached page that shows submitted orders must drop this exception."""
    from . import Order

    return not (isinstance(obj, Order) and obj.status == OrderStatus.SUBMITTED)


_FLAGS = {SCHEDULE_STAMP: "schedule_changed", REFERENCE_STAMP: "reference_changed"}


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context, _instances) -> None:
    watched = _watched()
    changed = (session.dirty, session.deleted)
    if (any(isinstance(obj, watched) and _shown_when_new(obj) for obj in session.new)
            or any(isinstance(obj, watched) for group in changed for obj in group)):
        session.info[_FLAGS[SCHEDULE_STAMP]] = True
    reference = _reference()
    if any(isinstance(obj, reference) for group in (session.new, *changed) for obj in group):
        session.info[_FLAGS[REFERENCE_STAMP]] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    bump = [row for row, flag in _FLAGS.items() if session.info.pop(flag, False)]
    if not bump:
        return
    # A short transaction of its own, after the data is committed: no lock is held across the
    # request's work (no deadlocks), and a reader can at worst re-read once more than needed.
    try:
        with session.get_bind().begin() as conn:
            conn.execute(_BUMP, [{"row": row} for row in bump])
    except SQLAlchemyError:  # the data is committed; a missed bump only delays cached pages
        log.warning("could not bump change_stamp (is the database upgraded?)", exc_info=True)


_BUMP = text("UPDATE change_stamp SET value = value + 1 WHERE id = :row")
_VALUE = text("SELECT value FROM change_stamp WHERE id = :row")


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, _previous) -> None:
    if not session.in_transaction():
        for flag in _FLAGS.values():
            session.info.pop(flag, None)


def reference_changed_here(session: Session) -> bool:
    """Whether this session's transaction has flushed changes to reference data (not yet
    committed, so not yet counted): then nothing cached may stand in for them."""
    return bool(session.info.get(_FLAGS[REFERENCE_STAMP]))


def stamp_value(row: int) -> int | None:
    """A counter, or None where its row does not exist (then nothing is cached)."""
    return db.session.scalar(_VALUE, {"row": row})


def stamp_subquery(row: int):
    """The counter as a scalar subquery, to read it in a statement that runs anyway."""
    return (select(ChangeStamp.value).where(ChangeStamp.id == row)
            .scalar_subquery().label(f"stamp_{row}"))


def current_stamp() -> int | None:
    """The schedule counter (cached calendar pages), or None without its row."""
    return stamp_value(SCHEDULE_STAMP)
