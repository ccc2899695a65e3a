"""Scheduled lecture sessions (never called `Session`) and their delivery record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DDL,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    event,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.lifecycle import SESSION, SessionStatus
from ..extensions import db
from .audit import Guarded
from .base import UTCDateTime, utcnow
from .kit import EquipmentKit
from .place import Township
from .user import Member

session_helper = Table(
    "session_helper",
    db.metadata,
    Column("session_id", ForeignKey("lecture_session.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("member.id"), primary_key=True),
)


class LectureSession(Guarded, db.Model):
    __machine__ = SESSION
    __audit_entity__ = "session"
    __table_args__ = (
        Index("ix_lecture_session_member_start", "lead_member_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), unique=True)
    format: Mapped[str] = mapped_column(String(20))
    start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end: Mapped[datetime] = mapped_column(UTCDateTime)  # exclusive
    venue: Mapped[str] = mapped_column(String(120), default="")
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    lead_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_kit.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=SessionStatus.SCHEDULED, index=True)
    headcount: Mapped[int | None]
    delivery_notes: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many signed the attendance sheet (签到), next to the headcount estimate; None = no sheet.
    signin_count: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    order: Mapped[Order | None] = relationship(back_populates="lecture_session")
    lead_member: Mapped[Member] = relationship()
    helpers: Mapped[list[Member]] = relationship(secondary=session_helper)
    kit: Mapped[EquipmentKit | None] = relationship()
    township: Mapped[Township | None] = relationship()
    photos: Mapped[list[SessionPhoto]] = relationship(
        back_populates="session", order_by="SessionPhoto.id", cascade="all, delete-orphan"
    )

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


from .order import Order  # noqa: E402

# PostgreSQL enforces "no member or kit in two places at once" itself (half-open ranges, so
# back-to-back sessions are fine); SQLite relies on the optimistic locks on Member and
# EquipmentKit that every booking bumps (see services/scheduling.lock_schedule).
event.listen(
    db.metadata, "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
for _name, _column in (("no_member_overlap", "lead_member_id"), ("no_kit_overlap", "kit_id")):
    LectureSession.__table__.append_constraint(
        ExcludeConstraint(
            (LectureSession.__table__.c[_column], "="),
            (func.tsrange(LectureSession.__table__.c.start, LectureSession.__table__.c.end,
                          literal_column("'[)'")), "&&"),
            where=text("status <> 'cancelled'"), using="gist", name=_name,
        ).ddl_if(dialect="postgresql")
    )
OVERLAP_CONSTRAINTS = ("no_member_overlap", "no_kit_overlap")
from .evidence import SessionPhoto  # noqa: E402
