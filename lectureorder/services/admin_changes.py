"""What every calendar-administration change shares: the audit row it writes and the township
it names (the pure checks live in ``domain/calendar_text.py``)."""

from __future__ import annotations

from datetime import datetime

from ..domain.errors import N_, DomainError
from ..extensions import db
from ..models import Township, User, audit_row

UNKNOWN_TOWNSHIP = N_("Please choose a township from the list.")


def audit(entity: str, entity_id: int, action: str, *, now: datetime, actor: User | None,
          detail: dict | None = None) -> None:
    audit_row(entity, entity_id, action, now=now, actor=actor, detail=detail)


def check_township(township_id: int | None, field: str,
                   errors: list[DomainError]) -> Township | None:
    """The township chosen in ``field``, or None (with an error) when there is no such row."""
    town = db.session.get(Township, township_id) if township_id is not None else None
    if town is None:
        errors.append(DomainError(field, UNKNOWN_TOWNSHIP))
    return town
