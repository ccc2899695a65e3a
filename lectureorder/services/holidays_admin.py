"""Announced 调休 days (holiday overrides) and the years whose official arrangement the app
does not know yet. Changes are validated, flushed and audited here; the view commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..domain import calendar_text
from ..domain import calendars as cal
from ..domain.errors import N_, DomainError, ValidationFailed
from ..extensions import db
from ..models import HolidayOverride, User
from .admin_changes import audit

MAX_HOLIDAY_NAME = 60
HOLIDAY_LOOKAHEAD_DAYS = 400
DUPLICATE_DAY = N_("%(day)s already has an entry (%(name)s); edit that one instead.")


@dataclass(frozen=True)
class HolidayData:
    day: date | None
    working: bool | None
    name: str


def _check_holiday(data: HolidayData, override: HolidayOverride | None) -> str:
    errors: list[DomainError] = []
    day = calendar_text.check_day(data.day, "day", errors)
    if data.working is None:
        errors.append(DomainError(
            "working", N_("Please say whether the day is a working day or a holiday.")))
    name = calendar_text.check_text(data.name, "name", MAX_HOLIDAY_NAME, errors)
    if day is not None:
        same = select(HolidayOverride).where(HolidayOverride.day == day)
        if override is not None:
            same = same.where(HolidayOverride.id != override.id)
        other = db.session.scalars(same.limit(1)).first()
        if other is not None:
            errors.append(DomainError("day", DUPLICATE_DAY, day=day.isoformat(),
                                      name=other.name or "—"))
    ValidationFailed.collect(errors)
    return name


def _flush_holiday(day: date) -> None:
    try:
        db.session.flush()
    except IntegrityError:
        # Two coordinators entered the same day at once; the unique index decided. The view
        # rolls back on any DomainError, which also clears the failed flush.
        raise DomainError("day", DUPLICATE_DAY, day=day.isoformat(), name="—") from None


def create_holiday(data: HolidayData, *, now: datetime,
                   actor: User | None = None) -> HolidayOverride:
    name = _check_holiday(data, None)
    assert data.day is not None and data.working is not None
    override = HolidayOverride(day=data.day, working=data.working, name=name)
    db.session.add(override)
    _flush_holiday(data.day)
    audit("holiday_override", override.id, "create", now=now, actor=actor,
          detail={"day": str(override.day), "working": override.working, "name": name})
    return override


def update_holiday(override: HolidayOverride, data: HolidayData, *, now: datetime,
                   actor: User | None = None) -> HolidayOverride:
    name = _check_holiday(data, override)
    assert data.day is not None and data.working is not None
    before = {"day": str(override.day), "working": override.working, "name": override.name}
    override.day, override.working, override.name = data.day, data.working, name
    _flush_holiday(data.day)
    audit("holiday_override", override.id, "update", now=now, actor=actor,
          detail={"before": before, "after": {"day": str(data.day), "working": data.working,
                                               "name": name}})
    return override


def delete_holiday(override: HolidayOverride, *, now: datetime,
                   actor: User | None = None) -> None:
    audit("holiday_override", override.id, "delete", now=now, actor=actor,
          detail={"day": str(override.day), "working": override.working, "name": override.name})
    db.session.delete(override)
    db.session.flush()


@dataclass(frozen=True)
class GuessedHoliday:
    """A statutory rest day in a year the official library does not know yet."""

    day: date
    name: str  # untranslated (N_) holiday name
    entered: HolidayOverride | None


@dataclass(frozen=True)
class UnpublishedYear:
    """Dates ahead whose official arrangement (放假安排) the app cannot know yet."""

    year: int
    first: date
    last: date
    holidays: tuple[GuessedHoliday, ...]
    entered: int  # overrides already entered for these dates


@dataclass(frozen=True)
class OverrideRow:
    override: HolidayOverride
    official: cal.DayStatus  # what the app would say without the entry


@dataclass(frozen=True)
class HolidayOverview:
    rows: tuple[OverrideRow, ...]
    unpublished: tuple[UnpublishedYear, ...]
    older: int  # entries before the listed period


def unpublished_years(today: date, overrides: Iterable[HolidayOverride],
                      days: int = HOLIDAY_LOOKAHEAD_DAYS) -> tuple[UnpublishedYear, ...]:
    """Per year, the coming dates the official calendar library does not know (confirmed is
    False), with the statutory holidays in them: what a coordinator should enter once the
    State Council publishes the arrangement (make-up working days included)."""
    by_day = {o.day: o for o in overrides}
    spans: dict[int, list[date]] = {}
    last = min(today + timedelta(days=days), date(cal.MAX_YEAR, 12, 31))
    d = today
    while d <= last:
        if not cal.day_status(d).confirmed:
            span = spans.setdefault(d.year, [d, d])
            span[1] = d
        d += timedelta(days=1)
    years = []
    for year, (first, end) in sorted(spans.items()):
        holidays = tuple(
            GuessedHoliday(day, name, by_day.get(day))
            for day, name in sorted(cal.estimated_days_off(year).items()) if first <= day <= end
        )
        entered = sum(1 for day in by_day if first <= day <= end)
        years.append(UnpublishedYear(year, first, end, holidays, entered))
    return tuple(years)


def holiday_overview(today: date) -> HolidayOverview:
    since = date(today.year - 1, 1, 1)
    overrides = db.session.scalars(
        select(HolidayOverride).where(HolidayOverride.day >= since)
        .order_by(HolidayOverride.day)
    ).all()
    older = db.session.scalar(
        select(func.count()).select_from(HolidayOverride).where(HolidayOverride.day < since))
    rows = tuple(OverrideRow(o, cal.day_status(o.day)) for o in overrides)
    return HolidayOverview(rows, unpublished_years(today, overrides), older or 0)
