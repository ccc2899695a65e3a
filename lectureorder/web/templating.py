"""Jinja filters and globals: local times, both calendars, labels, masked phones."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request
from flask_babel import format_datetime, gettext

from ..domain import calendars as cal
from ..domain import formats as fm
from ..domain.contact import mask_phone
from ..domain.lifecycle import STATUS_LABELS
from ..domain.orders import AUDIENCE_TYPES, CHANNELS
from .i18n import current_lang

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


def slot_label(start: datetime, end: datetime) -> str:
    return f"{day_label(start)} {local_time(start)}–{local_time(end)}"


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


def format_label(fmt: str) -> str:
    return fm.format_label(fmt, current_lang())


def audience_label(kind: str) -> str:
    return gettext(AUDIENCE_TYPES.get(kind, kind))


def channel_label(kind: str) -> str:
    return gettext(CHANNELS.get(kind, kind))


def exclusion_label(code: str) -> str:
    from ..domain.matching import REASONS

    return gettext(REASONS[code]) if code in REASONS else code


def translate_reason(reason: str, params: dict | None = None) -> str:
    return gettext(reason, **(params or {}))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        local=local, local_time=local_time, day_label=day_label, status_label=status_label,
        format_label=format_label, audience_label=audience_label, channel_label=channel_label,
        mask_phone=mask_phone, exclusion_label=exclusion_label,
    )
    app.jinja_env.globals.update(slot_label=slot_label, translate_reason=translate_reason)

    @app.context_processor
    def inject() -> dict:
        return {
            "lang": current_lang(),
            "station_phone": current_app.config["STATION_PHONE"],
            "station_name": current_app.config["STATION_NAME"],
            "current_path": request.full_path if request.query_string else request.path,
        }
