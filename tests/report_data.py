"""Builders for report and evidence tests: orders and sessions written straight to the tables."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

from lectureorder.domain.calendars import TZ
from lectureorder.models import AuditEvent, Feedback, LectureSession, Order

_codes = itertools.count(1)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """Beijing wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), TZ).astimezone(UTC)


def make_order(db, world, *, created: datetime, status: str = "submitted", topics=("anti_fraud",),
               fmt: str = "field_class", township=None, phone: str = "13800001234") -> Order:
    township = township or world.town
    village = world.village if township is world.town else world.far_village
    order = Order(
        code=f"T{next(_codes):05d}", status=status, format=fmt, place_kind="village",
        village_id=village.id, township_id=township.id, audience_type="villagers",
        audience_size=50, earliest=created.date(), latest=created.date() + timedelta(days=30),
        requester_name="张三", requester_org="东庄村委会", requester_phone=phone,
        channel="qr", created_at=created, updated_at=created,
        topics=[world.topics[t] for t in topics],
    )
    db.session.add(order)
    db.session.flush()
    return order


def accept(db, order: Order, when: datetime, action: str = "schedule") -> None:
    db.session.add(AuditEvent(at=when, actor_label="test", entity="order", entity_id=order.id,
                              action=action, from_state="offered", to_state="scheduled"))


def make_session(db, world, member, *, start: datetime, order: Order | None = None,
                 status: str = "delivered", headcount: int | None = 50,
                 signins: int | None = None, rating: int | None = None, helpers=(),
                 notes: str = "", township="order", minutes: int = 60) -> LectureSession:
    if township == "order":
        township_id = order.township_id if order is not None else world.town.id
    else:
        township_id = township.id if township is not None else None
    session = LectureSession(
        order=order, format=order.format if order is not None else "field_class", start=start,
        end=start + timedelta(minutes=minutes), venue="东庄村（示例）村委会广场",
        township_id=township_id, lead_member=member, helpers=list(helpers), status=status,
        headcount=headcount if status == "delivered" else None, signin_count=signins,
        delivery_notes=notes, delivered_at=start + timedelta(hours=2) if status == "delivered"
        else None, created_at=start - timedelta(days=1),
    )
    db.session.add(session)
    if rating is not None:
        db.session.add(Feedback(order=order, rating=rating, created_at=start + timedelta(days=1)))
    db.session.flush()
    return session
