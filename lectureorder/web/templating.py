"""Jinja filters and globals: local times, both calendars, labels, masked phones."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask, current_app, request
from flask_babel import format_datetime, gettext

from ..domain import calendars as cal
from ..domain import formats as fm
from ..domain.contact import mask_phone
from ..domain.errors import N_
from ..domain.lifecycle import STATUS_LABELS
from ..domain.orders import AUDIENCE_TYPES, CHANNELS
from ..services import scheduling
from . import edge
from .i18n import current_lang, message

WEEKDAYS_ZH = "一二三四五六日"


def local(dt: datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    """UTC in, Asia/Shanghai out (Flask-Babel converts to the configured zone)."""
    return format_datetime(dt, pattern) if dt is not None else ""


def local_time(dt: datetime | None) -> str:
    return format_datetime(dt, "HH:mm") if dt is not None else ""


def day_label(value: date | datetime | None) -> str:
    """Both calendars, the way villagers read dates: 农历二月初三（3月21日 周六）."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(cal.TZ).date()
    return cal.date_label(value, current_lang())


def _aware(dt: datetime) -> datetime:
    # Babel reads a naive datetime as UTC; the domain formatter wants the zone said.
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def long_day(value: date) -> str:
    """A day with its year and lunar date, in the page's language."""
    return cal.long_date_label(value, current_lang())


def slot_label(start: datetime, end: datetime, provisional: bool | None = None) -> str:
    """The domain's one slot formatter in the visitor's language; a slot in a year whose
    holiday arrangement is not published carries the provisional mark (（待定）)."""
    return cal.slot_label(_aware(start), _aware(end), current_lang(), provisional)


def period_label(start: datetime, end: datetime) -> str:
    """A leave-like period [start, end) in local time; whole days show as days only."""
    return cal.period_label(_aware(start), _aware(end), current_lang())


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


OFFER_STATUS = {
    "open": N_("Waiting for an answer"), "accepted": N_("Accepted"), "declined": N_("Declined"),
    "expired": N_("Expired"), "withdrawn": N_("Withdrawn"),
}
SESSION_STATUS = {
    "scheduled": N_("Scheduled"), "delivered": N_("Delivered"), "cancelled": N_("Cancelled"),
}
ACTIONS = {
    "submit": N_("Order placed"), "offer": N_("Offered to a member"),
    "escalate": N_("Passed to the coordinator"), "schedule": N_("Accepted and scheduled"),
    "unschedule": N_("Session fell through"), "deliver": N_("Delivery recorded"),
    "close": N_("Rated and closed"), "cancel": N_("Cancelled"), "reassign": N_("Re-assigned"),
    "reschedule": N_("Moved to another time"), "rain_out": N_("Called off for weather"),
    "erase_requester": N_("Requester's data erased (PIPL)"),
}
ACTORS = {"system": N_("system"), "requester": N_("requester")}


def offer_status_label(code: str) -> str:
    return gettext(OFFER_STATUS[code]) if code in OFFER_STATUS else code


def session_status_label(code: str) -> str:
    return gettext(SESSION_STATUS[code]) if code in SESSION_STATUS else code


def action_label(code: str) -> str:
    """What happened, in words; a code this page does not know yet is never shown raw."""
    return gettext(ACTIONS[code]) if code in ACTIONS else gettext("Other change")


def actor_label(value) -> str:
    """Who did it, in words: a person's name (a member's, or a staff account's display name),
    "调度员" for a coordinator's account without one, "点单人" for the requester, "系统" for the
    jobs. Never a username. Takes an audit event, or a stored label alone (older callers)."""
    actor = getattr(value, "actor", None)
    label = getattr(value, "actor_label", value) or ""
    if actor is not None:
        member = actor.member
        if member is not None and member.name:
            return member.name
        if actor.display_name:
            return actor.display_name
        return gettext("Coordinator") if actor.is_coordinator else gettext("Team member")
    return gettext(ACTORS.get(label, ACTORS["system"]))


def format_label(fmt: str) -> str:
    return fm.format_label(fmt, current_lang())


def audience_label(kind: str) -> str:
    return gettext(AUDIENCE_TYPES.get(kind, kind))


def channel_label(kind: str) -> str:
    return gettext(CHANNELS.get(kind, kind))


def exclusion_label(code: str) -> str:
    from ..domain.matching import REASONS

    return gettext(REASONS[code]) if code in REASONS else code


def part_label(name: str) -> str:
    """The on-screen name of a score part (its ``name`` is the stable code)."""
    from ..domain.matching import PART_LABELS

    return gettext(PART_LABELS[name]) if name in PART_LABELS else name


def part_note(part) -> str:
    """A score part's note, translated: a domain ``ScorePart`` or the JSON an offer stored."""
    if isinstance(part, dict):
        note, params = part.get("note"), part.get("note_params") or {}
        if note is None:  # stored before parts carried notes: the English text is all there is
            return part.get("detail") or ""
    else:
        note, params = part.note, part.note_params
    return gettext(note, **params) if note else ""  # gettext("") would be the catalogue header


def translate_reason(reason: str, params: dict | None = None) -> str:
    return message(reason, params)


def when_format_runs(fmt: str) -> str:
    """When a format can be held, from the slot rules in force (the stored film season)."""
    text, params = fm.when_it_runs(fmt, scheduling.slot_settings(edge.settings(), fmt))
    return message(text, params)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        local=local, local_time=local_time, day_label=day_label, status_label=status_label,
        format_label=format_label, audience_label=audience_label, channel_label=channel_label,
        mask_phone=mask_phone, exclusion_label=exclusion_label,
        offer_status_label=offer_status_label, session_status_label=session_status_label,
        action_label=action_label, actor_label=actor_label, part_label=part_label,
        part_note=part_note, long_day=long_day,
    )
    app.jinja_env.globals.update(slot_label=slot_label, translate_reason=translate_reason,
                                 period_label=period_label, when_format_runs=when_format_runs)

    @app.context_processor
    def inject() -> dict:
        return {
            "lang": current_lang(),
            "station_phone": current_app.config["STATION_PHONE"],
            "station_name": current_app.config["STATION_NAME"],
            "current_path": request.full_path if request.query_string else request.path,
        }
