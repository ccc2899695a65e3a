"""The audit trail: one helper writes every event, and the guarded ``transition()`` that orders,
offers and lecture sessions change status through."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import JSON, ForeignKey, String, insert
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.lifecycle import Machine
from ..extensions import db
from .base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .user import User


class AuditEvent(db.Model):
    """Who did what to which record, when, from which state to which."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_label: Mapped[str] = mapped_column(String(60), default="")
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


def audit_row(
    entity: str, entity_id: int, action: str, *, now: datetime, actor: User | None = None,
    label: str = "", from_state: str | None = None, to_state: str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """The one helper that writes an audit row, for any entity (orders, offers, sessions,
    markets, terms, kits …). ``label`` names an actor without an account ("requester");
    otherwise the actor's username, or "system" for jobs."""
    values = audit_values(entity, entity_id, action, now=now, actor=actor, label=label,
                          from_state=from_state, to_state=to_state, detail=detail)
    del values["actor_id"]  # the relationship sets it, even for an actor not flushed yet
    event = AuditEvent(actor=actor, **values)
    db.session.add(event)
    return event


def insert_audit(
    entity: str, entity_id: int, action: str, *, now: datetime, actor: User | None = None,
    label: str = "", from_state: str | None = None, to_state: str | None = None,
    detail: dict | None = None,
) -> int:
    """:func:`audit_row` as one prepared INSERT, for a hot path that never uses the event as an
    object (the bench's bare insert); the actor, if any, is stored already. Returns its id."""
    return insert_audit_values(audit_values(entity, entity_id, action, now=now, actor=actor,
                                            label=label, from_state=from_state,
                                            to_state=to_state, detail=detail))


def insert_audit_values(values: dict) -> int:
    """Write an audit row from :func:`audit_values` (placing an order fills in the order's id
    once its INSERT made one). Returns the event's id."""
    return db.session.execute(_INSERT, values).scalar_one()


def audit_values(entity: str, entity_id: int | None, action: str, *, now: datetime,
                 actor: User | None = None, label: str = "", from_state: str | None = None,
                 to_state: str | None = None, detail: dict | None = None) -> dict:
    """An audit row's columns, the one place they are worked out (the actor, if any, must be
    stored for its id to be known)."""
    return {"at": now, "actor_id": actor.id if actor is not None else None,
            "actor_label": label or (actor.username if actor else "system"),
            "entity": entity, "entity_id": entity_id, "action": action,
            "from_state": from_state, "to_state": to_state, "detail": detail or {}}


_INSERT = insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id)


def record_event(
    record, action: str, *, now: datetime, actor: User | None = None, label: str = "",
    from_state: str | None = None, to_state: str | None = None, detail: dict | None = None,
) -> AuditEvent:
    """An audit row for an order, offer or session (a :class:`Guarded` record).

    Without states it records a change that is not a state transition (re-assign, move, …):
    both states are the record's current one.
    """
    if record.id is None:  # the row needs the record's id
        db.session.add(record)
        db.session.flush()
    current = record.status
    return audit_row(
        record.__audit_entity__, record.id, action, now=now, actor=actor, label=label,
        from_state=current if from_state is None else from_state,
        to_state=current if to_state is None else to_state, detail=detail,
    )


class Guarded:
    """A model whose ``status`` changes only through :meth:`transition`, guarded by its
    state machine (``__machine__``) and audited as ``__audit_entity__``."""

    __machine__: ClassVar[Machine]
    __audit_entity__: ClassVar[str]
    status: str

    def transition(
        self, action: str, *, now: datetime, actor: User | None = None, label: str = "",
        detail: dict | None = None,
    ) -> AuditEvent:
        """Move to the state ``action`` leads to (or raise InvalidTransition) and record it."""
        if self.id is None:  # a new record gets its id and its default status first
            db.session.add(self)
            db.session.flush()
        before = self.status
        after = self.__machine__.next(before, action).value
        event = record_event(self, action, now=now, actor=actor, label=label, from_state=before,
                             to_state=after, detail=detail)
        self.status = after
        self.after_transition(now)
        return event

    def can(self, action: str) -> bool:
        return self.__machine__.can(self.status, action)

    def after_transition(self, now: datetime) -> None:
        """What a transition also stamps (``updated_at``, ``responded_at``)."""
