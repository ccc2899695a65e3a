"""Flushing a unit of work: a lost optimistic-lock race becomes a Conflict (HTTP 409)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..domain.errors import N_, Conflict
from ..extensions import db
from ..models.lecture_session import OVERLAP_CONSTRAINTS

TAKEN = N_("Sorry, this order has already been taken or the offer has expired.")
CLASH = N_("That time was just taken by another booking. Please choose another time.")
CHANGED = N_("Someone else changed this just now. Please reload and try again.")


def flush_or_conflict(reason: str = CHANGED) -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise Conflict(None, reason) from exc
    except IntegrityError as exc:
        # PostgreSQL's exclusion constraints: a member or kit booked twice at once.
        if any(name in str(exc.orig) for name in OVERLAP_CONSTRAINTS):
            raise Conflict(None, CLASH) from exc
        raise
