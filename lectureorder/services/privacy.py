"""People's data (PIPL): who sees a requester's full phone, and one requester's data exported
or erased by phone number, keeping the anonymous statistics."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain.calendars import TZ
from ..domain.contact import mask_phone, normalise_phone
from ..domain.lifecycle import SessionStatus
from ..extensions import db
from ..models import AuditEvent, LectureSession, Order, User, audit_row

# ------------------------------------------------------------------ the member's view of contacts

#: A member sees a session's requester (full phone, to call) from booking until this long after
#: the session ended, while it is still to be given or recorded; the member pages list sessions
#: over the same window.
MEMBER_CONTACT_WINDOW = timedelta(days=14)


def member_contact_since(now: datetime) -> datetime:
    """The oldest session end a member's pages still list."""
    return now - MEMBER_CONTACT_WINDOW


def member_sees_phone(session: LectureSession, now: datetime) -> bool:
    """Whether the member pages show this session's requester phone in full: a scheduled
    session (upcoming, or past and waiting for its delivery record) that ended within the
    window. A delivered or cancelled one shows no contact."""
    return (session.status == SessionStatus.SCHEDULED
            and session.end >= member_contact_since(now))


# ------------------------------------------------------------------ one requester's data

#: What an erased requester's name reads as (the column may not be empty).
ERASED_NAME = "—"

CSV_COLUMNS = (
    "code", "status", "created_at", "updated_at", "format", "topics", "place_kind", "place",
    "township", "audience_type", "audience_size", "earliest", "latest", "timing", "channel",
    "language", "requester_name", "requester_organisation", "requester_phone", "notes",
    "session_start", "session_end", "session_venue", "session_status", "rating", "comment",
    "contact_purged_at",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def orders_for_phone(raw_phone: str) -> tuple[str, list[Order]]:
    """(the normalised phone, the orders it placed, oldest first); DomainError("phone") when
    the number is no phone number (domain/contact.py's one rule)."""
    phone = normalise_phone(raw_phone)
    orders = db.session.scalars(
        select(Order).where(Order.requester_phone == phone).order_by(Order.created_at, Order.id)
        .options(selectinload(Order.topics), selectinload(Order.township),
                 selectinload(Order.village), selectinload(Order.school),
                 selectinload(Order.market), selectinload(Order.feedback),
                 selectinload(Order.lecture_session))
    ).all()
    return phone, list(orders)


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(TZ).isoformat() if dt is not None else None


def order_record(order: Order, history: list[AuditEvent]) -> dict:
    """Everything stored about one order that concerns its requester, in plain JSON values."""
    s = order.lecture_session
    fb = order.feedback
    return {
        "code": order.code, "status": order.status,
        "created_at": _iso(order.created_at), "updated_at": _iso(order.updated_at),
        "format": order.format, "topics": [t.code for t in order.topics],
        "place": {"kind": order.place_kind, "name": order.place.name},
        "township": order.township.name,
        "audience": {"type": order.audience_type, "size": order.audience_size},
        "window": {"earliest": order.earliest.isoformat(), "latest": order.latest.isoformat()},
        "timing": order.timing, "channel": order.channel, "language": order.language,
        "requester": {"name": order.requester_name, "organisation": order.requester_org,
                      "phone": order.requester_phone},
        "notes": order.notes,
        "session": None if s is None else {
            "start": _iso(s.start), "end": _iso(s.end), "venue": s.venue, "status": s.status},
        "feedback": None if fb is None else {
            "rating": fb.rating, "comment": fb.comment, "created_at": _iso(fb.created_at)},
        "contact_purged_at": _iso(order.contact_purged_at),
        # the states it went through (the audit trail's details stay with the staff)
        "history": [{"at": _iso(e.at), "action": e.action, "from": e.from_state,
                     "to": e.to_state} for e in history],
    }


def export_records(orders: list[Order]) -> list[dict]:
    ids = [o.id for o in orders]
    events: dict[int, list[AuditEvent]] = {i: [] for i in ids}
    if ids:
        for e in db.session.scalars(select(AuditEvent).where(
                AuditEvent.entity == "order", AuditEvent.entity_id.in_(ids))
                .order_by(AuditEvent.at, AuditEvent.id)):
            events[e.entity_id].append(e)
    return [order_record(o, events[o.id]) for o in orders]


def export_json(phone: str, orders: list[Order], *, now: datetime) -> bytes:
    data = {"phone": phone, "exported_at": _iso(now), "orders": export_records(orders)}
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    # A spreadsheet would run text like "=..." as a formula: keep it text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(orders: list[Order]) -> bytes:
    """One row per order; UTF-8 with a byte-order mark so Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in export_records(orders):
        s, fb = r["session"] or {}, r["feedback"] or {}
        writer.writerow([_cell(v) for v in (
            r["code"], r["status"], r["created_at"], r["updated_at"], r["format"],
            " ".join(r["topics"]), r["place"]["kind"], r["place"]["name"], r["township"],
            r["audience"]["type"], r["audience"]["size"], r["window"]["earliest"],
            r["window"]["latest"], r["timing"], r["channel"], r["language"],
            r["requester"]["name"], r["requester"]["organisation"], r["requester"]["phone"],
            r["notes"], s.get("start"), s.get("end"), s.get("venue"), s.get("status"),
            fb.get("rating"), fb.get("comment"), r["contact_purged_at"])])
    return out.getvalue().encode("utf-8-sig")


def erase_requester(raw_phone: str, *, now: datetime, actor: User) -> list[Order]:
    """Replace the requester's name, organisation, phone and free text (order notes, rating
    comment) on every order the phone placed; counts, formats, places, topics, dates, states
    and ratings stay, so the reports do not change. One audit row per order, with the phone
    masked. Returns the orders erased (the caller commits)."""
    phone, orders = orders_for_phone(raw_phone)
    masked = mask_phone(phone)
    for order in orders:
        order.requester_name = ERASED_NAME
        order.requester_org = ""
        order.requester_phone = None
        order.notes = ""
        if order.feedback is not None:
            order.feedback.comment = ""
        order.contact_purged_at = now
        order.updated_at = now
        audit_row("order", order.id, "erase_requester", now=now, actor=actor,
                  from_state=order.status, to_state=order.status,
                  detail={"phone": masked, "reason": "pipl_request"})
    db.session.flush()
    return orders
