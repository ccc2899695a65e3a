"""Calendar administration: markets, school terms, blackouts, 调休 overrides, film season, kits.

Every change is validated here (raising ``ValidationFailed``/``DomainError`` with the form's
field names), flushed, and written to the audit log; the view commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import raiseload, selectinload

from ..domain import calendars as cal
from ..domain import formats as fm
from ..domain.errors import N_, DomainError, ValidationFailed
from ..extensions import db
from ..models import (
    AuditEvent,
    Blackout,
    EquipmentKit,
    FilmSeason,
    HolidayOverride,
    Market,
    School,
    SchoolTerm,
    Township,
    User,
)

CALENDARS = ("lunar", "solar", "weekday")
PATTERNS = ("digits", "days")
MISSING_30 = ("skip", "next")
MAX_NAME = 80
MAX_LABEL = 80
MAX_HOLIDAY_NAME = 60
MAX_KIT_NAME = 60
MAX_KIT_CONTENTS = 200
MAX_SPRING_FESTIVAL_DAYS = 60
NEXT_MARKET_DAYS = 5
# A market paused for a long time (or a rule that rarely matches) should still answer quickly.
MARKET_LOOKAHEAD_DAYS = 400
HOLIDAY_LOOKAHEAD_DAYS = 400

# --- Messages (English msgids; the view translates) --------------------------------------------

REQUIRED_NAME = N_("Please enter a name.")
TOO_LONG = N_("Please use at most %(max)s characters.")
UNKNOWN_TOWNSHIP = N_("Please choose a township from the list.")
OUT_OF_RANGE = N_("Please enter a date between the years %(first)s and %(last)s.")
REQUIRED_DATE = N_("Please enter a date.")
LAST_BEFORE_FIRST = N_("The last day comes before the first day.")
WEEKDAYS_RANGE = N_("Weekdays run from 1 (Monday) to 7 (Sunday).")


# --- Audit -------------------------------------------------------------------------------------


def _audit(entity: str, entity_id: int, action: str, *, now: datetime, actor: User | None,
           detail: dict | None = None) -> None:
    db.session.add(AuditEvent(
        at=now, actor=actor, actor_label=actor.username if actor else "system", entity=entity,
        entity_id=entity_id, action=action, detail=detail or {},
    ))


# --- Shared checks -----------------------------------------------------------------------------


def _text(value: str | None) -> str:
    return (value or "").strip()


def _check_name(value: str, field_name: str, limit: int, errors: list[DomainError],
                required: bool = True) -> str:
    value = _text(value)
    if required and not value:
        errors.append(DomainError(field_name, REQUIRED_NAME))
    elif len(value) > limit:
        errors.append(DomainError(field_name, TOO_LONG, max=limit))
    return value


def _check_township(township_id: int | None, field_name: str,
                    errors: list[DomainError]) -> Township | None:
    town = db.session.get(Township, township_id) if township_id is not None else None
    if town is None:
        errors.append(DomainError(field_name, UNKNOWN_TOWNSHIP))
    return town


def _check_day(value: date | None, field_name: str, errors: list[DomainError]) -> date | None:
    if value is None:
        errors.append(DomainError(field_name, REQUIRED_DATE))
        return None
    if not cal.MIN_YEAR <= value.year <= cal.MAX_YEAR:
        errors.append(DomainError(field_name, OUT_OF_RANGE, first=cal.MIN_YEAR, last=cal.MAX_YEAR))
        return None
    return value


def _check_period(first: date | None, last: date | None, errors: list[DomainError]) -> None:
    first = _check_day(first, "first", errors)
    last = _check_day(last, "last", errors)
    if first is not None and last is not None and last < first:
        errors.append(DomainError("last", LAST_BEFORE_FIRST))


def _check_weekdays(values: Iterable[int], field_name: str,
                    errors: list[DomainError]) -> list[int]:
    days = sorted(set(values))
    if any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        errors.append(DomainError(field_name, WEEKDAYS_RANGE))
        return []
    return days


# --- Market cycles as people write them --------------------------------------------------------

_SEPARATORS = " \t\r\n,，、;；/.。"
_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
# Words people put around the numbers: 逢三六九, 农历每月初一、十五, 1日 15号.
_FILLERS = ("每逢", "逢", "农历", "阴历", "公历", "阳历", "每月", "日", "号")
_ODD_WORDS = ("单日", "单", "odd")
_EVEN_WORDS = ("双日", "双", "even")
_DAY_TOKEN = re.compile(
    r"\d+|初[一二三四五六七八九十]|廿[一二三四五六七八九]|二十[一二三四五六七八九]?|三十"
    r"|十[一二三四五六七八九]?|[一二三四五六七八九]"
)
NOT_NUMBERS = N_("“%(text)s” is not a day number. Write the days like 3 6 9, 三六九 or 初一 十五.")
NO_DAYS = N_("Please enter the market days.")


def _strip_fillers(text: str) -> str:
    text = text.strip().lower()
    for word in _FILLERS:
        text = text.replace(word, " ")
    return text


def _chinese_day(token: str) -> int:
    """初三 → 3, 十五 → 15, 廿六 / 二十六 → 26, 三十 → 30, 九 → 9."""
    if token.startswith("初"):
        return 10 if token[1] == "十" else _CN_DIGIT[token[1]]
    if token.startswith("廿"):
        return 20 + _CN_DIGIT[token[1]]
    if token.startswith("二十"):
        return 20 + (_CN_DIGIT[token[2]] if len(token) > 2 else 0)
    if token == "三十":
        return 30
    if token.startswith("十"):
        return 10 + (_CN_DIGIT[token[1]] if len(token) > 1 else 0)
    return _CN_DIGIT[token]


def parse_digits(text: str) -> list[int]:
    """Last digits as people write them: "3 6 9", "三六九", "逢一四七", "五、十", "单日".

    十 stands for 10, 20 and 30, so it is digit 0. Numbers in Arabic figures are taken whole:
    "12" is twelve (and refused later as no last digit), never 1 and 2.
    """
    text = _strip_fillers(text)
    for words, digits in ((_ODD_WORDS, (1, 3, 5, 7, 9)), (_EVEN_WORDS, (0, 2, 4, 6, 8))):
        if text.strip(_SEPARATORS) in words:
            return list(digits)
    out: list[int] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch in _SEPARATORS:
            pos += 1
        elif ch.isascii() and ch.isdigit():
            m = re.compile(r"\d+").match(text, pos)
            assert m is not None
            out.append(int(m.group()))
            pos = m.end()
        elif ch in _CN_DIGIT:
            out.append(_CN_DIGIT[ch])
            pos += 1
        elif ch == "十":
            out.append(0)
            pos += 1
        else:
            raise DomainError("cycle", NOT_NUMBERS, text=_bad_token(text, pos))
    if not out:
        raise DomainError("cycle", NO_DAYS)
    return out


def parse_days(text: str) -> list[int]:
    """Day numbers as people write them: "1 15", "初一、十五", "初一十五", "廿三", "1日 15号"."""
    text = _strip_fillers(text)
    out: list[int] = []
    pos = 0
    while pos < len(text):
        if text[pos] in _SEPARATORS:
            pos += 1
            continue
        m = _DAY_TOKEN.match(text, pos)
        if m is None:
            raise DomainError("cycle", NOT_NUMBERS, text=_bad_token(text, pos))
        token = m.group()
        out.append(int(token) if token.isascii() else _chinese_day(token))
        pos = m.end()
    if not out:
        raise DomainError("cycle", NO_DAYS)
    return out


def _bad_token(text: str, pos: int) -> str:
    end = pos
    while end < len(text) and text[end] not in _SEPARATORS:
        end += 1
    return text[pos:end][:20]


def cycle_contract(calendar: str, pattern: str, text: str, weekdays: Iterable[int]) -> dict:
    """The public contract shape for what the form says; errors name the form's fields."""
    if calendar not in CALENDARS:
        raise DomainError("calendar", N_("A market calendar is lunar, solar or weekday."))
    if calendar == "weekday":
        days = sorted(set(weekdays))
        if not days:
            raise DomainError("weekdays", N_("Please tick the weekdays the market meets."))
        return {"calendar": "weekday", "weekdays": days}
    if pattern not in PATTERNS:
        raise DomainError("pattern", N_("Please choose last digits or day numbers."))
    values = parse_digits(text) if pattern == "digits" else parse_days(text)
    return {"calendar": calendar, pattern: sorted(set(values))}


def cycle_text(cycle: object) -> tuple[str, str, str, list[int]]:
    """The form's (calendar, pattern, text, weekdays) for a stored cycle (even a broken one)."""
    if not isinstance(cycle, dict):
        return "lunar", "digits", "", []

    def numbers(key: str) -> list:
        values = cycle.get(key)
        return list(values) if isinstance(values, list | tuple) else []

    calendar = str(cycle.get("calendar", "lunar"))
    if calendar == "weekday":
        return calendar, "digits", "", [n for n in numbers("weekdays") if isinstance(n, int)]
    pattern = "days" if "days" in cycle else "digits"
    return calendar, pattern, " ".join(str(n) for n in numbers(pattern)), []


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_PERIOD_GLUE = re.compile(r"(?i)to|[\s~～–—\-至到,，;；]")
PAUSE_FORMAT = N_("Line %(line)s: write a period as two dates, e.g. 2027-01-25 – 2027-02-20.")


def parse_pauses(text: str) -> list[tuple[date, date]]:
    """One pause per line: "2027-01-25 – 2027-02-20" (or a single date for one day)."""
    errors: list[DomainError] = []
    periods: list[tuple[date, date]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        found = list(_DATE.finditer(line))
        leftover = _PERIOD_GLUE.sub("", _DATE.sub("", line))
        if not found or len(found) > 2 or leftover:
            errors.append(DomainError("pauses", PAUSE_FORMAT, line=number))
            continue
        days = []
        for m in found:
            try:
                days.append(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
            except ValueError:
                errors.append(DomainError(
                    "pauses", N_("Line %(line)s: %(text)s is not a real date."),
                    line=number, text=m.group(0).strip()))
        if len(days) != len(found):
            continue
        first, last = days[0], days[-1]
        if any(not cal.MIN_YEAR <= d.year <= cal.MAX_YEAR for d in days):
            errors.append(DomainError(
                "pauses", N_("Line %(line)s: please enter dates between the years %(first)s and "
                             "%(last)s."), line=number, first=cal.MIN_YEAR, last=cal.MAX_YEAR))
        elif last < first:
            errors.append(DomainError(
                "pauses", N_("Line %(line)s: the last day comes before the first day."),
                line=number))
        else:
            periods.append((first, last))
    ValidationFailed.collect(errors)
    return sorted(periods)


def pauses_text(pauses: object) -> str:
    if not isinstance(pauses, list):
        return ""
    return "\n".join(" – ".join(map(str, p)) if isinstance(p, list | tuple) else str(p)
                     for p in pauses)


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
    cycle: dict
    missing_30: str
    opens: time
    closes: time
    pauses: list[list[str]]
    sf_before: int | None
    sf_after: int | None
    active: bool
    lat: float | None
    lon: float | None


def _check_market(data: MarketData, market: Market | None) -> _CheckedMarket:
    errors: list[DomainError] = []
    name = _check_name(data.name, "name", MAX_NAME, errors)
    town = _check_township(data.township_id, "township_id", errors)
    if town is not None and name:
        same = select(Market.id).where(Market.township_id == town.id, Market.name == name)
        if market is not None:
            same = same.where(Market.id != market.id)
        if db.session.scalar(same.limit(1)) is not None:
            errors.append(DomainError(
                "name", N_("This township already has a market with this name.")))
    if data.missing_30 not in MISSING_30:
        errors.append(DomainError(
            "missing_30", N_("A missing day 30 is either skipped or moved to the next day.")))
    if data.opens is None:
        errors.append(DomainError("opens", N_("Please enter the time the market opens.")))
    if data.closes is None:
        errors.append(DomainError("closes", N_("Please enter the time the market closes.")))
    elif data.opens is not None and data.closes <= data.opens:
        errors.append(DomainError("closes", N_("The market must close after it opens.")))
    sfp: dict[str, int | None] = {}
    for name_ in ("spring_festival_days_before", "spring_festival_days_after"):
        value = getattr(data, name_)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= MAX_SPRING_FESTIVAL_DAYS):
            errors.append(DomainError(name_, N_("Please enter a number of days from 0 to %(max)s."),
                                      max=MAX_SPRING_FESTIVAL_DAYS))
            value = None
        sfp[name_] = value
    for name_, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
        value = getattr(data, name_)
        if value is not None and not lo <= value <= hi:
            errors.append(DomainError(name_, N_("Please enter a number from %(min)s to %(max)s."),
                                      min=lo, max=hi))
    pauses: list[tuple[date, date]] = []
    try:
        pauses = parse_pauses(data.pauses)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    contract = None
    try:
        contract = cycle_contract(data.calendar, data.pattern, data.cycle, data.weekdays)
    except DomainError as exc:
        errors.append(exc)
    before, after = sfp["spring_festival_days_before"], sfp["spring_festival_days_after"]
    pause_policy = None if before is None and after is None else (before or 0, after or 0)
    if contract is not None:
        try:
            # The one gate for cycles: whatever is stored is a valid public-contract cycle.
            rule = cal.MarketRule.from_contract(
                contract, missing_30=data.missing_30 if data.missing_30 in MISSING_30 else "skip",
                pauses=tuple(pauses), spring_festival_pause=pause_policy)
            contract = rule.to_contract()
        except DomainError as exc:
            errors.append(DomainError("weekdays" if data.calendar == "weekday" else "cycle",
                                      exc.reason, **exc.params))
    ValidationFailed.collect(errors)
    assert town is not None and contract is not None and data.opens and data.closes
    return _CheckedMarket(
        name=name, township_id=town.id, cycle=contract, missing_30=data.missing_30,
        opens=data.opens, closes=data.closes,
        pauses=[[a.isoformat(), b.isoformat()] for a, b in pauses],
        sf_before=None if pause_policy is None else pause_policy[0],
        sf_after=None if pause_policy is None else pause_policy[1],
        active=bool(data.active), lat=data.lat, lon=data.lon,
    )


def _apply_market(market: Market, checked: _CheckedMarket) -> None:
    market.name = checked.name
    market.township_id = checked.township_id
    market.cycle = checked.cycle
    market.missing_30 = checked.missing_30
    market.opens, market.closes = checked.opens, checked.closes
    market.pauses = checked.pauses
    market.spring_festival_days_before = checked.sf_before
    market.spring_festival_days_after = checked.sf_after
    market.active = checked.active
    market.lat, market.lon = checked.lat, checked.lon


def create_market(data: MarketData, *, now: datetime, actor: User | None = None) -> Market:
    checked = _check_market(data, None)
    market = Market(township_id=checked.township_id, name=checked.name, cycle=checked.cycle)
    _apply_market(market, checked)
    db.session.add(market)
    db.session.flush()
    _audit("market", market.id, "create", now=now, actor=actor, detail={"cycle": market.cycle})
    return market


def update_market(market: Market, data: MarketData, *, now: datetime,
                  actor: User | None = None) -> Market:
    checked = _check_market(data, market)
    before = {"cycle": market.cycle, "active": market.active}
    _apply_market(market, checked)
    db.session.flush()
    _audit("market", market.id, "update", now=now, actor=actor,
           detail={"before": before, "after": {"cycle": market.cycle, "active": market.active}})
    return market


def market_form_data(market: Market) -> dict:
    """A stored market as the edit form shows it."""
    calendar, pattern, text, weekdays = cycle_text(market.cycle or {})
    return {
        "name": market.name, "township_id": str(market.township_id), "calendar": calendar,
        "pattern": pattern, "cycle": text, "weekdays": weekdays,
        "missing_30": market.missing_30 or "skip", "opens": market.opens,
        "closes": market.closes, "pauses": pauses_text(market.pauses or []),
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
    from .scheduling import market_rule  # the same reading of a market as slot proposals use

    try:
        return market_rule(market), None
    except (DomainError, ValueError, TypeError) as exc:
        # Rows written before this page existed may hold anything; show it, never crash.
        if isinstance(exc, DomainError):
            return None, exc
        return None, DomainError("cycle", N_("The stored market pauses are not valid dates."))


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
    _check_period(first, last, errors)
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
    _audit("school_term", term.id, "create", now=now, actor=actor,
           detail={"school_id": school.id, "first": str(first), "last": str(last)})
    return term


def update_term(term: SchoolTerm, first: date | None, last: date | None, *, now: datetime,
                actor: User | None = None) -> SchoolTerm:
    _check_term(db.session.get(School, term.school_id), first, last, term)
    before = {"first": str(term.first), "last": str(term.last)}
    term.first, term.last = first, last
    db.session.flush()
    _audit("school_term", term.id, "update", now=now, actor=actor,
           detail={"before": before, "after": {"first": str(first), "last": str(last)}})
    return term


def delete_term(term: SchoolTerm, *, now: datetime, actor: User | None = None) -> None:
    _audit("school_term", term.id, "delete", now=now, actor=actor,
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
    town = _check_township(data.township_id, "township_id", errors)
    _check_period(data.first, data.last, errors)
    weekdays = _check_weekdays(data.weekdays, "weekdays", errors)
    label = _check_name(data.label, "label", MAX_LABEL, errors)
    if (data.start is None) != (data.end is None):
        missing = "end" if data.end is None else "start"
        errors.append(DomainError(
            missing, N_("Give both a start and an end time, or neither (the whole day).")))
    elif data.start is not None and data.end is not None and data.end <= data.start:
        errors.append(DomainError("end", N_("The end time must come after the start time.")))
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
    _audit("blackout", blackout.id, "create", now=now, actor=actor,
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
    _audit("blackout", blackout.id, "update", now=now, actor=actor,
           detail={"before": before, "after": _blackout_detail(blackout)})
    return blackout


def delete_blackout(blackout: Blackout, *, now: datetime, actor: User | None = None) -> None:
    _audit("blackout", blackout.id, "delete", now=now, actor=actor,
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


@dataclass(frozen=True)
class HolidayData:
    day: date | None
    working: bool | None
    name: str


DUPLICATE_DAY = N_("%(day)s already has an entry (%(name)s); edit that one instead.")


def _check_holiday(data: HolidayData, override: HolidayOverride | None) -> str:
    errors: list[DomainError] = []
    day = _check_day(data.day, "day", errors)
    if data.working is None:
        errors.append(DomainError(
            "working", N_("Please say whether the day is a working day or a holiday.")))
    name = _check_name(data.name, "name", MAX_HOLIDAY_NAME, errors)
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
    _audit("holiday_override", override.id, "create", now=now, actor=actor,
           detail={"day": str(override.day), "working": override.working, "name": name})
    return override


def update_holiday(override: HolidayOverride, data: HolidayData, *, now: datetime,
                   actor: User | None = None) -> HolidayOverride:
    name = _check_holiday(data, override)
    assert data.day is not None and data.working is not None
    before = {"day": str(override.day), "working": override.working, "name": override.name}
    override.day, override.working, override.name = data.day, data.working, name
    _flush_holiday(data.day)
    _audit("holiday_override", override.id, "update", now=now, actor=actor,
           detail={"before": before, "after": {"day": str(data.day), "working": data.working,
                                                "name": name}})
    return override


def delete_holiday(override: HolidayOverride, *, now: datetime,
                   actor: User | None = None) -> None:
    _audit("holiday_override", override.id, "delete", now=now, actor=actor,
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
            for day, name in sorted(cal.statutory_holidays(year).items()) if first <= day <= end
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


# --- Film season -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilmSeasonData:
    all_year: bool
    start_month: int | None = None
    start_day: int | None = None
    end_month: int | None = None
    end_day: int | None = None


@dataclass(frozen=True)
class FilmSeasonView:
    all_year: bool
    start: tuple[int, int]
    end: tuple[int, int]
    stored: bool
    updated_at: datetime | None = None


def _month_day(month: int | None, day: int | None, prefix: str,
               errors: list[DomainError]) -> tuple[int, int] | None:
    ok = True
    if month is None or isinstance(month, bool) or not 1 <= month <= 12:
        errors.append(DomainError(f"{prefix}_month", N_("Please enter a month from 1 to 12.")))
        ok = False
    if day is None or isinstance(day, bool) or not 1 <= day <= 31:
        errors.append(DomainError(f"{prefix}_day", N_("Please enter a day from 1 to 31.")))
        ok = False
    if not ok:
        return None
    assert month is not None and day is not None
    try:
        date(2000, month, day)  # a leap year: 29 February is a real season boundary
    except ValueError:
        errors.append(DomainError(f"{prefix}_day", N_("This month has no day %(day)s."), day=day))
        return None
    return month, day


def save_film_season(data: FilmSeasonData, *, now: datetime,
                     actor: User | None = None) -> FilmSeason:
    errors: list[DomainError] = []
    start = _month_day(data.start_month, data.start_day, "start", errors)
    end = _month_day(data.end_month, data.end_day, "end", errors)
    if data.all_year:
        # The dates only matter again when "all year" is switched off; keep what is valid.
        errors = []
        start = start or fm.SlotSettings.film_season_start
        end = end or fm.SlotSettings.film_season_end
    ValidationFailed.collect(errors)
    assert start is not None and end is not None
    fm.SlotSettings(film_season_start=start, film_season_end=end,
                    film_season_all_year=bool(data.all_year))  # the domain agrees
    season = db.session.get(FilmSeason, 1)
    before = None
    if season is None:
        season = FilmSeason(id=1)
        db.session.add(season)
    else:
        before = _season_detail(season)
    season.all_year = bool(data.all_year)
    season.start_month, season.start_day = start
    season.end_month, season.end_day = end
    season.updated_at = now
    db.session.flush()
    _audit("film_season", 1, "update", now=now, actor=actor,
           detail={"before": before, "after": _season_detail(season)})
    return season


def _season_detail(season: FilmSeason) -> dict:
    return {"all_year": season.all_year,
            "start": [season.start_month, season.start_day],
            "end": [season.end_month, season.end_day]}


def film_season_overrides() -> dict:
    """SlotSettings keyword arguments from the stored season; empty when none is stored."""
    season = db.session.get(FilmSeason, 1)
    if season is None:
        return {}
    return {
        "film_season_all_year": season.all_year,
        "film_season_start": (season.start_month, season.start_day),
        "film_season_end": (season.end_month, season.end_day),
    }


def film_season_view(default_all_year: bool) -> FilmSeasonView:
    """The season in force: the stored one, or the configured default."""
    season = db.session.get(FilmSeason, 1)
    if season is None:
        return FilmSeasonView(default_all_year, fm.SlotSettings.film_season_start,
                              fm.SlotSettings.film_season_end, stored=False)
    return FilmSeasonView(season.all_year, (season.start_month, season.start_day),
                          (season.end_month, season.end_day), stored=True,
                          updated_at=season.updated_at)


# --- Equipment kits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KitData:
    name: str
    contents: str = ""
    base_township_id: int | None = None
    active: bool = True


def _check_kit(data: KitData, kit: EquipmentKit | None) -> tuple[str, str]:
    errors: list[DomainError] = []
    name = _check_name(data.name, "name", MAX_KIT_NAME, errors)
    contents = _check_name(data.contents, "contents", MAX_KIT_CONTENTS, errors, required=False)
    if data.base_township_id is not None:
        _check_township(data.base_township_id, "base_township_id", errors)
    if name:
        same = select(EquipmentKit.id).where(EquipmentKit.name == name)
        if kit is not None:
            same = same.where(EquipmentKit.id != kit.id)
        if db.session.scalar(same.limit(1)) is not None:
            errors.append(DomainError("name", N_("A kit with this name already exists.")))
    ValidationFailed.collect(errors)
    return name, contents


def _kit_detail(kit: EquipmentKit) -> dict:
    return {"name": kit.name, "contents": kit.contents,
            "base_township_id": kit.base_township_id, "active": kit.active}


def create_kit(data: KitData, *, now: datetime, actor: User | None = None) -> EquipmentKit:
    name, contents = _check_kit(data, None)
    kit = EquipmentKit(name=name, contents=contents, base_township_id=data.base_township_id,
                       active=bool(data.active))
    db.session.add(kit)
    db.session.flush()
    _audit("equipment_kit", kit.id, "create", now=now, actor=actor, detail=_kit_detail(kit))
    return kit


def update_kit(kit: EquipmentKit, data: KitData, *, now: datetime,
               actor: User | None = None) -> EquipmentKit:
    name, contents = _check_kit(data, kit)
    before = _kit_detail(kit)
    kit.name, kit.contents = name, contents
    kit.base_township_id, kit.active = data.base_township_id, bool(data.active)
    db.session.flush()
    _audit("equipment_kit", kit.id, "update", now=now, actor=actor,
           detail={"before": before, "after": _kit_detail(kit)})
    return kit


def kits_overview() -> list[EquipmentKit]:
    return list(db.session.scalars(
        select(EquipmentKit).options(selectinload(EquipmentKit.base_township), raiseload("*"))
        .order_by(EquipmentKit.active.desc(), EquipmentKit.name)
    ))


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
