"""Calendar administration of places: markets, school terms and township blackouts, and the
admin home's summary (调休 days: ``holidays_admin``; film season and kits: ``screenings_admin``).

Every change is checked by the domain (``domain/calendar_text.py``) and against the stored rows
here, raising ``ValidationFailed``/``DomainError`` with the form's field names; it is flushed and
written to the audit log; the view commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import raiseload, selectinload

from ..domain import calendar_text
from ..domain import calendars as cal
from ..domain.errors import N_, DomainError, ValidationFailed
from ..extensions import db
from ..models import (
    Blackout,
    EquipmentKit,
    HolidayOverride,
    Market,
    School,
    SchoolTerm,
    Township,
    User,
)
from .admin_changes import audit, check_township
from .holidays_admin import UnpublishedYear, unpublished_years
from .scheduling import market_rule
from .screenings_admin import (
    FilmSeasonView,
    film_season_overrides,  # noqa: F401 (services/scheduling reads it here)
    film_season_view,
)

MAX_NAME = 80
MAX_LABEL = 80
NEXT_MARKET_DAYS = 5
# A market paused for a long time (or a rule that rarely matches) should still answer quickly.
MARKET_LOOKAHEAD_DAYS = 400


# --- Markets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketData:
    """A market as the coordinator's form describes it (cycle still as typed)."""

    name: str
    township_id: int | None
    calendar: str
    pattern: str = "digits"
    cycle: str = ""
    weekdays: tuple[int, ...] = ()
    missing_30: str = "skip"
    opens: time | None = time(9, 30)
    closes: time | None = time(12, 0)
    pauses: str = ""
    spring_festival_days_before: int | None = None
    spring_festival_days_after: int | None = None
    active: bool = True
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class _CheckedMarket:
    name: str
    township_id: int
    rule: cal.MarketRule
    opens: time
    closes: time
    active: bool
    lat: float | None
    lon: float | None


def _check_market(data: MarketData, market: Market | None) -> _CheckedMarket:
    errors: list[DomainError] = []
    name = calendar_text.check_text(data.name, "name", MAX_NAME, errors)
    town = check_township(data.township_id, "township_id", errors)
    if town is not None and name:
        same = select(Market.id).where(Market.township_id == town.id, Market.name == name)
        if market is not None:
            same = same.where(Market.id != market.id)
        if db.session.scalar(same.limit(1)) is not None:
            errors.append(DomainError(
                "name", N_("This township already has a market with this name.")))
    calendar_text.check_hours(data.opens, data.closes, errors)
    calendar_text.check_coordinates(data.lat, data.lon, errors)
    rule = None
    try:
        rule = calendar_text.read_market_rule(
            data.calendar, data.pattern, data.cycle, data.weekdays, missing_30=data.missing_30,
            pauses=data.pauses, spring_festival_days=(data.spring_festival_days_before,
                                                      data.spring_festival_days_after))
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    ValidationFailed.collect(errors)
    assert town is not None and rule is not None and data.opens and data.closes
    return _CheckedMarket(name=name, township_id=town.id, rule=rule, opens=data.opens,
                          closes=data.closes, active=bool(data.active), lat=data.lat, lon=data.lon)


def _apply_market(market: Market, checked: _CheckedMarket) -> None:
    rule = checked.rule
    sfp = rule.spring_festival_pause
    market.name = checked.name
    market.township_id = checked.township_id
    market.cycle = rule.to_contract()
    market.missing_30 = rule.missing_30
    market.opens, market.closes = checked.opens, checked.closes
    market.pauses = [[a.isoformat(), b.isoformat()] for a, b in rule.pauses]
    market.spring_festival_days_before = None if sfp is None else sfp[0]
    market.spring_festival_days_after = None if sfp is None else sfp[1]
    market.active = checked.active
    market.lat, market.lon = checked.lat, checked.lon


def create_market(data: MarketData, *, now: datetime, actor: User | None = None) -> Market:
    checked = _check_market(data, None)
    market = Market(township_id=checked.township_id, name=checked.name,
                    cycle=checked.rule.to_contract())
    _apply_market(market, checked)
    db.session.add(market)
    db.session.flush()
    audit("market", market.id, "create", now=now, actor=actor, detail={"cycle": market.cycle})
    return market


def update_market(market: Market, data: MarketData, *, now: datetime,
                  actor: User | None = None) -> Market:
    checked = _check_market(data, market)
    before = {"cycle": market.cycle, "active": market.active}
    _apply_market(market, checked)
    db.session.flush()
    audit("market", market.id, "update", now=now, actor=actor,
          detail={"before": before, "after": {"cycle": market.cycle, "active": market.active}})
    return market


def market_form_data(market: Market) -> dict:
    """A stored market as the edit form shows it."""
    calendar, pattern, text, weekdays = calendar_text.cycle_text(market.cycle or {})
    return {
        "name": market.name, "township_id": str(market.township_id), "calendar": calendar,
        "pattern": pattern, "cycle": text, "weekdays": weekdays,
        "missing_30": market.missing_30 or "skip", "opens": market.opens,
        "closes": market.closes, "pauses": calendar_text.pauses_text(market.pauses or []),
        "spring_festival_days_before": market.spring_festival_days_before,
        "spring_festival_days_after": market.spring_festival_days_after,
        "active": market.active, "lat": market.lat, "lon": market.lon,
    }


@dataclass(frozen=True)
class MarketView:
    """A market with its rule (or why the stored one is broken) and its next market days."""

    market: Market
    rule: cal.MarketRule | None
    problem: DomainError | None
    next_days: tuple[date, ...]


def rule_of(market: Market) -> tuple[cal.MarketRule | None, DomainError | None]:
    try:  # the same reading of a market as slot proposals use
        return market_rule(market), None
    except DomainError as exc:  # rows written before this page existed may hold anything
        return None, exc


def next_market_days(rule: cal.MarketRule, today: date, count: int = NEXT_MARKET_DAYS,
                     lookahead: int = MARKET_LOOKAHEAD_DAYS) -> tuple[date, ...]:
    """The next ``count`` market days from ``today`` (included) within ``lookahead`` days."""
    found: list[date] = []
    d, last = today, min(today + timedelta(days=lookahead), date(cal.MAX_YEAR, 12, 31))
    while d <= last and len(found) < count:
        if cal.is_market_day(rule, d):
            found.append(d)
        d += timedelta(days=1)
    return tuple(found)


def market_view(market: Market, today: date) -> MarketView:
    rule, problem = rule_of(market)
    days = next_market_days(rule, today) if rule is not None else ()
    return MarketView(market, rule, problem, days)


def market_overview(today: date) -> list[MarketView]:
    """Every market, by township, with its rule in words and its next market days."""
    markets = db.session.scalars(
        select(Market).join(Market.township)
        .options(selectinload(Market.township), raiseload("*"))
        .order_by(Township.position, Township.id, Market.active.desc(), Market.name)
    ).all()
    return [market_view(m, today) for m in markets]


# --- School terms ------------------------------------------------------------------------------


def _check_term(school: School | None, first: date | None, last: date | None,
                term: SchoolTerm | None) -> None:
    assert school is not None
    errors: list[DomainError] = []
    calendar_text.check_period(first, last, errors)
    ValidationFailed.collect(errors)
    assert first is not None and last is not None
    cal.Term(first, last)  # the domain's own check (already satisfied above)
    others = select(SchoolTerm).where(
        SchoolTerm.school_id == school.id, SchoolTerm.first <= last, SchoolTerm.last >= first)
    if term is not None and term.id is not None:
        others = others.where(SchoolTerm.id != term.id)
    clash = db.session.scalars(others.order_by(SchoolTerm.first).limit(1)).first()
    if clash is not None:
        raise DomainError("first", N_("This term overlaps the term %(first)s – %(last)s."),
                          first=clash.first.isoformat(), last=clash.last.isoformat())


def add_term(school: School, first: date | None, last: date | None, *, now: datetime,
             actor: User | None = None) -> SchoolTerm:
    _check_term(school, first, last, None)
    term = SchoolTerm(school_id=school.id, first=first, last=last)
    db.session.add(term)
    db.session.flush()
    audit("school_term", term.id, "create", now=now, actor=actor,
          detail={"school_id": school.id, "first": str(first), "last": str(last)})
    return term


def update_term(term: SchoolTerm, first: date | None, last: date | None, *, now: datetime,
                actor: User | None = None) -> SchoolTerm:
    _check_term(db.session.get(School, term.school_id), first, last, term)
    before = {"first": str(term.first), "last": str(term.last)}
    term.first, term.last = first, last
    db.session.flush()
    audit("school_term", term.id, "update", now=now, actor=actor,
          detail={"before": before, "after": {"first": str(first), "last": str(last)}})
    return term


def delete_term(term: SchoolTerm, *, now: datetime, actor: User | None = None) -> None:
    audit("school_term", term.id, "delete", now=now, actor=actor,
          detail={"school_id": term.school_id, "first": str(term.first), "last": str(term.last)})
    db.session.delete(term)
    db.session.flush()


def schools_overview() -> list[School]:
    """Schools by township with their terms loaded (three queries)."""
    return list(db.session.scalars(
        select(School).join(School.township)
        .options(selectinload(School.township), selectinload(School.terms), raiseload("*"))
        .order_by(Township.position, Township.id, School.name)
    ))


# --- Township blackouts ------------------------------------------------------------------------


@dataclass(frozen=True)
class BlackoutData:
    township_id: int | None
    first: date | None
    last: date | None
    label: str
    weekdays: tuple[int, ...] = ()
    start: time | None = None
    end: time | None = None


def _check_blackout(data: BlackoutData) -> tuple[int, list[int], str]:
    errors: list[DomainError] = []
    town = check_township(data.township_id, "township_id", errors)
    calendar_text.check_period(data.first, data.last, errors)
    weekdays = calendar_text.check_weekdays(data.weekdays, "weekdays", errors)
    label = calendar_text.check_text(data.label, "label", MAX_LABEL, errors)
    calendar_text.check_time_span(data.start, data.end, errors)
    ValidationFailed.collect(errors)
    assert town is not None and data.first is not None and data.last is not None
    cal.Blackout(first=data.first, last=data.last, weekdays=frozenset(weekdays),
                 start=data.start, end=data.end, label=label)  # the domain agrees
    return town.id, weekdays, label


def _blackout_detail(b: Blackout) -> dict:
    return {"township_id": b.township_id, "first": str(b.first), "last": str(b.last),
            "weekdays": list(b.weekdays or []), "start": str(b.start) if b.start else None,
            "end": str(b.end) if b.end else None, "label": b.label}


def create_blackout(data: BlackoutData, *, now: datetime, actor: User | None = None) -> Blackout:
    township_id, weekdays, label = _check_blackout(data)
    blackout = Blackout(township_id=township_id, first=data.first, last=data.last,
                        weekdays=weekdays, start=data.start, end=data.end, label=label)
    db.session.add(blackout)
    db.session.flush()
    audit("blackout", blackout.id, "create", now=now, actor=actor,
          detail=_blackout_detail(blackout))
    return blackout


def update_blackout(blackout: Blackout, data: BlackoutData, *, now: datetime,
                    actor: User | None = None) -> Blackout:
    township_id, weekdays, label = _check_blackout(data)
    before = _blackout_detail(blackout)
    blackout.township_id, blackout.first, blackout.last = township_id, data.first, data.last
    blackout.weekdays, blackout.start, blackout.end = weekdays, data.start, data.end
    blackout.label = label
    db.session.flush()
    audit("blackout", blackout.id, "update", now=now, actor=actor,
          detail={"before": before, "after": _blackout_detail(blackout)})
    return blackout


def delete_blackout(blackout: Blackout, *, now: datetime, actor: User | None = None) -> None:
    audit("blackout", blackout.id, "delete", now=now, actor=actor,
          detail=_blackout_detail(blackout))
    db.session.delete(blackout)
    db.session.flush()


def blackouts_overview() -> list[Blackout]:
    return list(db.session.scalars(
        select(Blackout).join(Blackout.township)
        .options(selectinload(Blackout.township), raiseload("*"))
        .order_by(Township.position, Township.id, Blackout.first, Blackout.id)
    ))


# --- Holiday overrides (调休) ------------------------------------------------------------------

# --- The admin home ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminSummary:
    markets: int
    schools: int
    schools_without_terms: int
    blackouts: int
    overrides: int
    kits: int
    season: FilmSeasonView
    unpublished: tuple[UnpublishedYear, ...] = field(default_factory=tuple)


def admin_summary(today: date, *, default_all_year: bool) -> AdminSummary:
    def count(stmt) -> int:
        return db.session.scalar(stmt) or 0

    overrides = db.session.scalars(
        select(HolidayOverride).where(HolidayOverride.day >= today)).all()
    return AdminSummary(
        markets=count(select(func.count()).select_from(Market)),
        schools=count(select(func.count()).select_from(School)),
        schools_without_terms=count(
            select(func.count()).select_from(School).where(~School.terms.any())),
        blackouts=count(select(func.count()).select_from(Blackout)
                        .where(Blackout.last >= today)),
        overrides=len(overrides),
        kits=count(select(func.count()).select_from(EquipmentKit)
                   .where(EquipmentKit.active.is_(True))),
        season=film_season_view(default_all_year),
        unpublished=unpublished_years(today, overrides),
    )
