"""Turning JSON bodies into typed inputs, and models into the contract's JSON shapes."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext

from ...domain import calendars as cal
from ...domain import formats as fm
from ...domain.contact import mask_phone
from ...domain.errors import N_, DomainError, ValidationFailed
from ...domain.lifecycle import STATUS_LABELS
from ...domain.orders import OrderRequest
from ...models import LectureSession, Offer, Order
from ..i18n import current_lang
from ..safety import CONTROL_MESSAGE, has_control
from ..templating import part_label, part_note


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, as the contract promises."""
    return dt.astimezone(cal.TZ).isoformat() if dt is not None else None


# The order body's nested members are reported under the flat names its other errors use.
NESTED_FIELDS = {
    "place.kind": "place", "place.id": "place", "audience.type": "audience_type",
    "audience.size": "audience_size", "window.earliest": "earliest", "window.latest": "latest",
    "requester.name": "requester_name", "requester.organisation": "requester_org",
    "requester.phone": "phone",
}


def body() -> dict:
    """The JSON object of the request; any string in it (at any depth, keys included) with a
    control character is refused here, before a reader or the database sees it."""
    from flask import request

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed([DomainError("_", N_("Please send a JSON object."))])
    fields = sorted(set(_control_fields(data, ())))
    ValidationFailed.collect([DomainError(f, CONTROL_MESSAGE) for f in fields])
    return data


def _control_fields(value, path: tuple[str, ...]):
    """The field name of every string with a control character (list positions dropped)."""
    if isinstance(value, str):
        if has_control(value):
            dotted = ".".join(path) or "_"
            yield NESTED_FIELDS.get(dotted, dotted)
    elif isinstance(value, dict):
        for key, item in value.items():
            if has_control(key):
                yield ".".join(path) or "_"
            else:
                yield from _control_fields(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _control_fields(item, path)


def text(data: dict, key: str, errors: list, *, required: bool = False, field: str | None = None) -> str:
    value = data.get(key)
    if value is None:
        if required:
            errors.append(DomainError(field or key, N_("This field is required.")))
        return ""
    if not isinstance(value, str):
        errors.append(DomainError(field or key, N_("Must be text.")))
        return ""
    if has_control(value):  # a dict that did not come through body()
        errors.append(DomainError(field or key, CONTROL_MESSAGE))
        return ""
    return value


# The widest whole number a database column holds (PostgreSQL INTEGER); a larger one would
# reach the driver as an overflow (a 500), so it is refused here with the field's name.
MAX_INTEGER = 2**31 - 1


def integer(value, field: str, errors: list) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        # isdecimal, not isdigit: "²" is a digit that int() refuses; past 18 digits it is too
        # large anyway (and Python refuses to convert thousands of them)
        if isinstance(value, str) and value.strip().isdecimal():
            value = int(value.strip()) if len(value.strip()) <= 18 else MAX_INTEGER + 1
        else:
            errors.append(DomainError(field, N_("Must be a whole number.")))
            return None
    if abs(value) > MAX_INTEGER:
        errors.append(DomainError(field, N_("This number is too large.")))
        return None
    return value


def a_date(value, field: str, errors: list) -> date | None:
    if value is None:
        return None
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    errors.append(DomainError(field, N_("Must be a date like 2026-12-05.")))
    return None


def a_datetime(value, field: str, errors: list) -> datetime | None:
    if not isinstance(value, str):
        errors.append(DomainError(field, N_("Must be a time like 2026-12-06T09:30:00+08:00.")))
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        errors.append(DomainError(field, N_("Must be a time like 2026-12-06T09:30:00+08:00.")))
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=cal.TZ)  # local time is what people mean
    return dt


def api_channel(channel: str, errors: list[DomainError]) -> str:
    """How an order came in, as a client may say: any channel but "campaign" (only a
    coordinator's campaign places those)."""
    if channel == "campaign":
        errors.append(DomainError("channel", N_("Unknown channel.")))
    return channel


def order_request(data: dict) -> OrderRequest:
    """Parse the contract's order body; collects every shape error at once."""
    errors: list[DomainError] = []
    topics = data.get("topics")
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        errors.append(DomainError("topics", N_("Please choose at least one talk from the menu.")))
        topics = []
    place = data.get("place") if isinstance(data.get("place"), dict) else {}
    if not place:
        errors.append(DomainError("place", N_("Please choose a village, school or market.")))
    audience = data.get("audience") if isinstance(data.get("audience"), dict) else {}
    window = data.get("window") if isinstance(data.get("window"), dict) else {}
    requester = data.get("requester") if isinstance(data.get("requester"), dict) else {}
    questions = data.get("questions", [])
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        errors.append(DomainError("questions", N_("Questions must be a list of short texts.")))
        questions = []
    req = OrderRequest(
        topics=tuple(topics), format=text(data, "format", errors),
        place_kind=text(place, "kind", errors, field="place"),
        place_id=integer(place.get("id"), "place", errors),
        audience_type=text(audience, "type", errors, field="audience_type"),
        audience_size=integer(audience.get("size"), "audience_size", errors),
        earliest=a_date(window.get("earliest"), "earliest", errors),
        latest=a_date(window.get("latest"), "latest", errors),
        requester_name=text(requester, "name", errors, field="requester_name"),
        requester_org=text(requester, "organisation", errors, field="requester_org"),
        phone=text(requester, "phone", errors, field="phone"),
        channel=api_channel(text(data, "channel", errors) or "qr", errors),
        notes=text(data, "notes", errors),
        language=(text(data, "language", errors) or None),
        timing=text(data, "timing", errors) or "any",
        questions=tuple(questions),
    )
    ValidationFailed.collect(errors)
    return req


def slot_json(start: datetime, end: datetime, provisional: bool | None = None) -> dict:
    """A slot as the contract shows it; ``provisional`` (None: decided by the day's year) adds
    ``"provisional": true`` and the mark in the label, and is left out otherwise."""
    if provisional is None:
        provisional = cal.is_provisional(start.astimezone(cal.TZ).date())
    label = cal.slot_label(start, end, current_lang(), provisional)
    out = {"start": iso(start), "end": iso(end), "label": label}
    if provisional:
        out["provisional"] = True
    return out


def session_json(s: LectureSession, *, full_phone: bool) -> dict:
    order = s.order
    return {
        "id": s.id, "status": s.status, "format": s.format,
        "format_label": fm.format_label(s.format, current_lang()),
        "start": iso(s.start), "end": iso(s.end), "venue": s.venue,
        "headcount": s.headcount, "signin_count": s.signin_count,
        "order": None if order is None else {
            "code": order.code,
            "topics": [t.code for t in order.topics],
            "audience": {"type": order.audience_type, "size": order.audience_size},
            "requester": {
                "name": order.requester_name, "organisation": order.requester_org,
                "phone": order.requester_phone if full_phone else mask_phone(order.requester_phone),
            },
            "notes": order.notes,
            "questions": questions_json(order),
        },
    }


def questions_json(order: Order) -> list[dict]:
    """群众点题: the questions asked with the order and on the spot, and which were answered."""
    return [{"id": q.id, "text": q.text, "origin": q.origin, "answered": q.answered}
            for q in order.questions]


def order_status_json(order: Order) -> dict:
    lang = current_lang()
    s = order.lecture_session
    scheduled = s is not None and s.status != "cancelled"
    return {
        "code": order.code, "status": order.status,
        "status_label": gettext(STATUS_LABELS[order.status]),
        "topics": [{"code": t.code, "title": t.title(lang)} for t in order.topics],
        "format": order.format,
        "window": {"earliest": order.earliest.isoformat(), "latest": order.latest.isoformat()},
        "schedule": {"start": iso(s.start), "end": iso(s.end), "venue": s.venue}
        if scheduled else None,
        "member": {"name": s.lead_member.name} if scheduled else None,
        "phone": mask_phone(order.requester_phone),
        "rating": order.feedback.rating if order.feedback else None,
        "can_cancel": order.cancellable, "can_rate": order.status == "delivered",
        "questions": [q.text for q in order.questions],
    }


def part_json(part) -> dict:
    """A score part (domain ``ScorePart`` or an offer's stored JSON) with its label and note in
    the request's language; ``name`` is the stable code."""
    if isinstance(part, dict):
        name, weight, value, points = (part.get(k) for k in ("name", "weight", "value", "points"))
    else:
        name, weight, value, points = part.name, part.weight, round(part.value, 4), round(part.points, 3)
    return {"name": name, "label": part_label(name), "weight": weight, "value": value,
            "points": points, "note": part_note(part)}


def offer_json(offer: Offer) -> dict:
    order = offer.order
    lang = current_lang()
    return {
        "id": offer.id, "status": offer.status, "expires_at": iso(offer.expires_at),
        "score": offer.score, "parts": [part_json(p) for p in offer.parts or ()],
        # Pool mode: other members holding an open offer for the same order; first accept wins.
        "shared_with": sum(1 for o in order.offers if o.status == "open" and o.id != offer.id),
        "slots": [slot_json(s, e) for s, e in offer.slot_times],
        "order": {
            "code": order.code, "format": order.format,
            "topics": [{"code": t.code, "title": t.title(lang)} for t in order.topics],
            "place": {"kind": order.place_kind, "id": order.place_id,
                      "name": order.place.name, "township": order.township.name},
            "audience": {"type": order.audience_type, "size": order.audience_size},
            "window": {"earliest": order.earliest.isoformat(), "latest": order.latest.isoformat()},
            "requester": {"name": order.requester_name, "organisation": order.requester_org,
                          "phone": mask_phone(order.requester_phone)},
            "notes": order.notes,
            "questions": questions_json(order),
        },
    }
