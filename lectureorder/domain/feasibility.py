"""Can an order happen at all? The slot rules asked before anything is stored.

An order whose format, place and window leave no slot (a film screening in December, a school
talk in the winter break, a market talk with no market day in the dates) is refused with the
reason and the next days that would work, instead of being told "received" and waiting for
ever. Members and film-kit bookings are not asked: who is free is dispatch's question, and a
kit booked today may be free tomorrow; only "no kit in service at all" makes a screening
impossible.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from .calendars import TZ, MonthDay, blocked, default_terms, is_market_day, is_school_day
from .errors import N_, DomainError
from .formats import Format, PlaceContext, SlotSettings, parse_format, propose_slots

#: How far ahead the next possible days are looked for (an order may be placed a year ahead).
LOOK_AHEAD_DAYS = 366
#: How many next possible days are offered as one-tap choices.
NEXT_DAYS = 3


@dataclass(frozen=True)
class Verdict:
    """``possible`` when at least one slot exists in the window; otherwise ``errors`` say why
    (on the ``earliest`` field, where the fix is made) and ``next_days`` are the first days
    after the window that have a slot (empty when none within a year)."""

    possible: bool
    errors: tuple[DomainError, ...] = ()
    next_days: tuple[date, ...] = ()
    #: When possible: the first local day in the window with a slot (what "the next possible
    #: day" means for this order).
    first_day: date | None = None


def _settings(settings: SlotSettings, slots: int) -> SlotSettings:
    return replace(settings, max_slots=slots, max_window_days=LOOK_AHEAD_DAYS + 1)


def slot_days(fmt: str | Format, place: PlaceContext, first: date, last: date, now: datetime,
              settings: SlotSettings, limit: int = NEXT_DAYS) -> tuple[date, ...]:
    """The first ``limit`` local days in [first, last] with at least one slot."""
    found: list[date] = []
    day = first
    while day <= last and len(found) < limit:
        slots = propose_slots(fmt, place, day, last, now, _settings(settings, 1))
        if not slots:
            break
        found.append(slots[0].start.astimezone(TZ).date())
        day = found[-1] + timedelta(days=1)
    return tuple(found)


def check(fmt: str | Format, place: PlaceContext, earliest: date, latest: date, now: datetime,
          settings: SlotSettings, *, look_ahead: int = LOOK_AHEAD_DAYS) -> Verdict:
    """Whether [earliest, latest] has a slot for ``fmt`` at ``place``; if not, why and when next.

    ``place`` must cover the window and the look-ahead (blackouts, holiday overrides), which
    the services load in one go. Raises the slot rules' own DomainError for a place that lacks
    what the format needs (a market without a market-day rule)."""
    fmt = parse_format(fmt)
    first = propose_slots(fmt, place, earliest, latest, now, _settings(settings, 1))
    if first:
        return Verdict(True, first_day=first[0].start.astimezone(TZ).date())
    today = now.astimezone(TZ).date()
    nxt = slot_days(fmt, place, max(latest + timedelta(days=1), today), today + timedelta(
        days=look_ahead), now, settings)
    errors = [reason(fmt, place, earliest, latest, now, settings)]
    if nxt:
        errors.append(DomainError("earliest", N_("The earliest possible day is %(day)s."),
                                  day=nxt[0]))
    else:
        errors.append(DomainError(
            "earliest", N_("No day in the next twelve months is possible; please call the station.")))
    return Verdict(False, tuple(errors), nxt)


def _days(earliest: date, latest: date) -> list[date]:
    return [earliest + timedelta(days=i) for i in range((latest - earliest).days + 1)]


def reason(fmt: Format, place: PlaceContext, earliest: date, latest: date, now: datetime,
           settings: SlotSettings) -> DomainError:
    """The most specific reason why the window holds no slot (the window is known empty)."""
    ready = (now.astimezone(TZ) + timedelta(hours=settings.min_lead_hours)).date()
    if latest < ready or propose_slots(fmt, place, earliest, latest, now,
                                       replace(_settings(settings, 1), min_lead_hours=0)):
        return DomainError("earliest", N_("We need at least %(hours)s hours to prepare a talk."),
                           hours=settings.min_lead_hours)
    days = _days(max(earliest, ready), latest)  # not empty: latest >= ready
    if fmt == Format.MOBILE_FILM:
        if not place.kits:
            return DomainError("format", N_("No film kit is in service, so no screening can be "
                                            "booked at the moment."))
        if not any(settings.in_film_season(d) for d in days):
            return DomainError(
                "earliest", N_("Mobile film screenings run every year from %(first)s to %(last)s."),
                first=MonthDay(*settings.film_season_start),
                last=MonthDay(*settings.film_season_end))
    if fmt == Format.SCHOOL_TALK:
        found = _school_reason(place, days)
        if found is not None:
            return found
    if fmt == Format.MARKET_TALK and place.market is not None and not any(
            is_market_day(place.market, d) for d in days):
        return DomainError("earliest", N_("This market has no market day in these dates."))
    hits = [blocked(*_whole_day(d), place.blackouts) for d in days]
    if hits and all(hits):  # a blackout (harvest, prayer times) touches every day of the window
        what = "、".join(sorted({b.label for b in hits if b.label}))
        if what:
            return DomainError("earliest", N_("No talks are held in this township then: %(what)s."),
                               what=what)
        return DomainError("earliest", N_("No talks are held in this township on these dates."))
    return DomainError("earliest", N_("No time in these dates can be scheduled for this talk."))


def _whole_day(d: date) -> tuple[datetime, datetime]:
    start = datetime.combine(d, datetime.min.time(), TZ)
    return start, start + timedelta(days=1)


def _school_reason(place: PlaceContext, days: list[date]) -> DomainError | None:
    years = {d.year for d in days}
    terms = place.terms or tuple(t for y in sorted(years) for t in default_terms(y))
    if any(is_school_day(d, terms, place.holiday_overrides) for d in days):
        return None
    if any(d in t for d in days for t in terms):
        return DomainError("earliest", N_("These dates have no school days (weekends and public "
                                          "holidays)."))
    before = [t.last for t in terms if t.last < days[0]]
    after = [t.first for t in terms if t.first > days[-1]]
    if not before or not after:
        return DomainError("earliest", N_("This school has no term in these dates."))
    first, last = max(before) + timedelta(days=1), min(after) - timedelta(days=1)
    holiday = {"first": MonthDay(first.month, first.day), "last": MonthDay(last.month, last.day)}
    if any(first <= date(y, 2, 1) <= last for y in (first.year, last.year)):
        return DomainError("earliest", N_("This school is on winter holiday from %(first)s to "
                                          "%(last)s."), **holiday)
    if any(first <= date(y, 8, 1) <= last for y in (first.year, last.year)):
        return DomainError("earliest", N_("This school is on summer holiday from %(first)s to "
                                          "%(last)s."), **holiday)
    return DomainError("earliest", N_("This school is on holiday from %(first)s to %(last)s."),
                       **holiday)
