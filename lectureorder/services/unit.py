"""Flushing a unit of work: a lost optimistic-lock race becomes a Conflict (HTTP 409)."""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from ..domain.errors import Conflict, N_
from ..extensions import db

TAKEN = N_("Sorry, this order has already been taken or the offer has expired.")
CHANGED = N_("Someone else changed this just now. Please reload and try again.")


def flush_or_conflict(reason: str = CHANGED) -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise Conflict(None, reason) from exc
