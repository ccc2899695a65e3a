"""Calendars the schedule depends on: lunar dates, market cycles, holidays, school terms, dusk, blackouts."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from astral import Observer, SunDirection
from astral.sun import sunset as _astral_sunset
from astral.sun import time_at_elevation
from lunar_python import LunarYear, Solar

from lectureorder.domain.errors import N_, DomainError

TZ = ZoneInfo("Asia/Shanghai")
# Ping'an district seat; places without their own coordinates fall back to it.
DISTRICT = (36.50, 102.11)

# lunar-python covers a wider range, but its tables are only trustworthy (and our holiday rules
# only meaningful) within these years.
MIN_YEAR = 1901
MAX_YEAR = 2099

_ONE_DAY = timedelta(days=1)


def _check_year(d: date) -> None:
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise DomainError(
            "date",
            N_("Dates must lie between the years %(first)s and %(last)s."),
            first=MIN_YEAR,
            last=MAX_YEAR,
        )


# --- Lunar dates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LunarDate:
    """A day of the Chinese lunisolar calendar; ``month`` is 1..12, ``leap`` marks a 闰 month."""

    year: int
    month: int
    day: int
    leap: bool
    month_days: Literal[29, 30]


@dataclass(frozen=True)
class _LunarMonth:
    year: int
    month: int  # negative for a leap month, as lunar-python has it
    days: int
    first: date


@cache
def _months_of(lunar_year: int) -> tuple[_LunarMonth, ...]:
    """Every lunar month lunar-python lists for a year (from the 11th month of the year before).

    lunar-python needs about a millisecond per date conversion, so we ask it once per year for
    the month boundaries and answer every later question by bisection.
    """
    try:
        months = LunarYear.fromYear(lunar_year).getMonths()
        table = []
        for m in months:
            first = Solar.fromJulianDay(m.getFirstJulianDay())
            table.append(
                _LunarMonth(
                    year=m.getYear(),
                    month=m.getMonth(),
                    days=m.getDayCount(),
                    first=date(first.getYear(), first.getMonth(), first.getDay()),
                )
            )
    except Exception as exc:  # lunar-python raises bare Exception on anything it dislikes
        raise DomainError(
            "date", N_("No lunar calendar is known for the year %(year)s."), year=lunar_year
        ) from exc
    table.sort(key=lambda m: m.first)
    return tuple(table)


def _month_containing(d: date) -> _LunarMonth:
    # The table for solar year y runs from about December of y-1 to February of y+1, so the
    # neighbours are only needed if that ever stops holding.
    for year in (d.year, d.year - 1, d.year + 1):
        table = _months_of(year)
        i = bisect_right([m.first for m in table], d) - 1
        if i >= 0 and d < table[i].first + timedelta(days=table[i].days):
            return table[i]
    raise DomainError("date", N_("No lunar date is known for %(date)s."), date=d.isoformat())


@lru_cache(maxsize=4096)
def lunar_of(d: date) -> LunarDate:
    """The lunar date of a solar (Gregorian) date."""
    _check_year(d)
    m = _month_containing(d)
    return LunarDate(
        year=m.year,
        month=abs(m.month),
        day=(d - m.first).days + 1,
        leap=m.month < 0,
        month_days=m.days,
    )


def solar_of_lunar(year: int, month: int, day: int, leap: bool = False) -> date | None:
    """The solar date of a lunar date, or None when that day (or leap month) does not exist."""
    if not 1 <= month <= 12 or not 1 <= day <= 30:
        raise DomainError("date", N_("A lunar month is 1 to 12 and a lunar day 1 to 30."))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DomainError(
            "date",
            N_("Dates must lie between the years %(first)s and %(last)s."),
            first=MIN_YEAR,
            last=MAX_YEAR,
        )
    wanted = -month if leap else month
    for m in _months_of(year):
        if m.year == year and m.month == wanted:
            return m.first + timedelta(days=day - 1) if day <= m.days else None
    return None


_MONTH_ZH = ("正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊")
_DIGIT_ZH = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
_WEEKDAY_ZH = ("", "周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAY_EN = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_EN_LONG = (
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
_MONTH_EN = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _lunar_day_zh(day: int) -> str:
    if day <= 10:
        return "初" + _DIGIT_ZH[day]
    if day < 20:
        return "十" + _DIGIT_ZH[day - 10]
    if day == 20:
        return "二十"
    if day < 30:
        return "廿" + _DIGIT_ZH[day - 20]
    return "三十"


def _lunar_month_zh(month: int, leap: bool) -> str:
    return ("闰" if leap else "") + _MONTH_ZH[month - 1] + "月"


def lunar_label(d: date) -> str:
    """The lunar date as people say it, e.g. "农历二月初三" or "农历闰六月初三"."""
    ld = lunar_of(d)
    return "农历" + _lunar_month_zh(ld.month, ld.leap) + _lunar_day_zh(ld.day)


def _is_zh(lang: str) -> bool:
    return lang.lower().startswith("zh")


def date_label(d: date, lang: str = "zh") -> str:
    """Both calendars at once: "农历二月初三（3月21日 周六）" / "Sat 21 Mar (lunar 2/3)"."""
    if _is_zh(lang):
        return f"{lunar_label(d)}（{d.month}月{d.day}日 {_WEEKDAY_ZH[d.isoweekday()]}）"
    ld = lunar_of(d)
    leap = "leap " if ld.leap else ""
    return (
        f"{_WEEKDAY_EN[d.isoweekday()]} {d.day} {_MONTH_EN[d.month]} "
        f"(lunar {leap}{ld.month}/{ld.day})"
    )


def long_date_label(d: date, lang: str = "zh") -> str:
    """With the year, for a day that may be months away: "2027年5月1日（周六，农历三月廿五）" /
    "Sat 1 May 2027 (lunar 3/25)"."""
    if _is_zh(lang):
        return f"{d.year}年{d.month}月{d.day}日（{_WEEKDAY_ZH[d.isoweekday()]}，{lunar_label(d)}）"
    ld = lunar_of(d)
    leap = "leap " if ld.leap else ""
    return (f"{_WEEKDAY_EN[d.isoweekday()]} {d.day} {_MONTH_EN[d.month]} {d.year} "
            f"(lunar {leap}{ld.month}/{ld.day})")


@dataclass(frozen=True)
class MonthDay:
    """A day of every year ("5月1日", "1 May"), e.g. in a message: the edge renders it in the
    reader's language with :func:`month_day_label`."""

    month: int
    day: int


def month_day_label(month: int, day: int, lang: str = "zh") -> str:
    """A day of every year: "5月1日" / "1 May"."""
    return f"{month}月{day}日" if _is_zh(lang) else f"{day} {_MONTH_EN[month]}"


def _local_clock(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise DomainError("time", N_("Times must carry a time zone."))
    return at.astimezone(TZ)


# The short mark a label carries when its day rests on an estimated holiday schedule.
_PROVISIONAL_MARK = {"zh": "（待定）", "en": " (provisional)"}


def slot_label(start: datetime, end: datetime, lang: str = "zh", provisional: bool | None = None) -> str:
    """The one way a slot is written for people, in local time:
    "农历十月三十（12月8日 周二）09:30–11:30" / "Tue 8 Dec (lunar 10/30) 09:30–11:30".

    A provisional slot (its year's holiday arrangement is not published, see ``is_provisional``,
    which decides when ``provisional`` is None) ends in "（待定）" / " (provisional)".
    """
    a, b = _local_clock(start), _local_clock(end)
    day = date_label(a.date(), lang)
    times = f"{a:%H:%M}–{b:%H:%M}"
    # The Chinese date ends in a full-width bracket, which needs no space after it.
    text = f"{day}{times}" if day.endswith("）") else f"{day} {times}"
    if provisional is None:
        provisional = is_provisional(a.date())
    if provisional:
        text += _PROVISIONAL_MARK["zh" if _is_zh(lang) else "en"]
    return text


def period_label(start: datetime, end: datetime, lang: str = "zh") -> str:
    """A leave-like period [start, end) in local time; whole days show as days only."""
    a, b = _local_clock(start), _local_clock(end)
    if a.hour == a.minute == 0 and b.hour == b.minute == 0:
        last = (b - _ONE_DAY).date()
        if last == a.date():
            return date_label(a.date(), lang)
        return f"{date_label(a.date(), lang)} – {date_label(last, lang)}"
    if a.date() == b.date():
        return slot_label(a, b, lang, provisional=False)
    return f"{date_label(a.date(), lang)} {a:%H:%M} – {date_label(b.date(), lang)} {b:%H:%M}"


# --- Market cycles -----------------------------------------------------------------------------

_CALENDARS = ("lunar", "solar", "weekday")
_ODD = frozenset({1, 3, 5, 7, 9})
_EVEN = frozenset({0, 2, 4, 6, 8})


def _ints(values: Iterable[object], what: str) -> frozenset[int]:
    out = set()
    for v in values:
        # bool is an int subclass; True as a market day is a typing accident, not a day.
        if isinstance(v, bool) or not isinstance(v, int):
            raise DomainError(
                "cycle", N_("The %(what)s of a market cycle must be whole numbers."), what=what
            )
        out.add(v)
    return frozenset(out)


@dataclass(frozen=True)
class MarketRule:
    """When a market meets. Exactly one of ``digits``, ``days`` or ``weekdays`` is used.

    ``digits`` are last digits of the day number (0 stands for 10, 20, 30), ``days`` are day
    numbers, ``weekdays`` ISO weekdays. ``missing_30`` says what happens to a day-30 market in a
    29-day lunar month: "skip" it or hold it on the "next" day (初一). ``pauses`` are inclusive
    periods without market; ``spring_festival_pause`` is (days before, days after) lunar new
    year's day during which the market does not meet.
    """

    calendar: Literal["lunar", "solar", "weekday"]
    digits: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    missing_30: Literal["skip", "next"] = "skip"
    pauses: tuple[tuple[date, date], ...] = ()
    spring_festival_pause: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        # Accept any iterable from callers but keep the rule hashable and immutable.
        object.__setattr__(self, "digits", _ints(self.digits, "digits"))
        object.__setattr__(self, "days", _ints(self.days, "days"))
        object.__setattr__(self, "weekdays", _ints(self.weekdays, "weekdays"))
        try:
            object.__setattr__(self, "pauses", tuple(tuple(p) for p in self.pauses))
            if self.spring_festival_pause is not None:
                sfp = tuple(self.spring_festival_pause)
                object.__setattr__(self, "spring_festival_pause", sfp)
        except TypeError:
            raise DomainError("cycle", N_("Market pauses must be pairs.")) from None
        self._validate()

    def _validate(self) -> None:
        if self.calendar not in _CALENDARS:
            raise DomainError("cycle", N_("A market calendar is lunar, solar or weekday."))
        if self.calendar == "weekday":
            if not self.weekdays or self.digits or self.days:
                raise DomainError("cycle", N_("A weekly market needs weekdays and nothing else."))
            if not self.weekdays <= frozenset(range(1, 8)):
                raise DomainError("cycle", N_("Weekdays run from 1 (Monday) to 7 (Sunday)."))
        else:
            if self.weekdays or bool(self.digits) == bool(self.days):
                raise DomainError(
                    "cycle", N_("A lunar or solar market needs either last digits or day numbers.")
                )
            if not self.digits <= frozenset(range(10)):
                raise DomainError("cycle", N_("A last digit runs from 0 to 9."))
            last = 30 if self.calendar == "lunar" else 31
            if not self.days <= frozenset(range(1, last + 1)):
                raise DomainError("cycle", N_("A day number runs from 1 to %(last)s."), last=last)
        if self.missing_30 not in ("skip", "next"):
            raise DomainError(
                "cycle", N_("A missing day 30 is either skipped or moved to the next day.")
            )
        for pause in self.pauses:
            if (
                len(pause) != 2
                or not all(isinstance(p, date) for p in pause)
                or pause[0] > pause[1]
            ):
                raise DomainError(
                    "cycle", N_("A market pause needs a first and a last day, in order.")
                )
        sfp = self.spring_festival_pause
        if sfp is not None and (
            len(sfp) != 2
            or any(isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 60 for n in sfp)
        ):
            raise DomainError(
                "cycle", N_("The Spring Festival pause is 0 to 60 days before and after.")
            )

    @property
    def uses_30(self) -> bool:
        return 0 in self.digits or 30 in self.days

    def to_contract(self) -> dict:
        """The cycle as the public API shows it (policy such as pauses stays internal)."""
        if self.calendar == "weekday":
            return {"calendar": "weekday", "weekdays": sorted(self.weekdays)}
        if self.digits:
            return {"calendar": self.calendar, "digits": sorted(self.digits)}
        return {"calendar": self.calendar, "days": sorted(self.days)}

    def policy_to_contract(self) -> dict:
        """The rest of the rule as the public API shows it beside the cycle: what a missing day
        30 does, the entered pauses (first and last day included) and the Spring Festival pause.
        """
        sfp = self.spring_festival_pause
        return {
            "missing_30": self.missing_30,
            "pauses": [{"first": a.isoformat(), "last": b.isoformat()} for a, b in self.pauses],
            "spring_festival_pause": None
            if sfp is None
            else {"days_before": sfp[0], "days_after": sfp[1]},
        }

    @classmethod
    def from_contract(cls, data: object, **policy: object) -> MarketRule:
        """Build a rule from the API shape, refusing anything else with a "cycle" error."""
        if not isinstance(data, dict):
            raise DomainError("cycle", N_("A market cycle must be an object."))
        calendar = data.get("calendar")
        if calendar not in _CALENDARS:
            raise DomainError("cycle", N_("A market calendar is lunar, solar or weekday."))
        keys = set(data) - {"calendar"}
        allowed = {"weekdays"} if calendar == "weekday" else {"digits", "days"}
        if len(keys) != 1 or not keys <= allowed:
            raise DomainError(
                "cycle",
                N_("A %(calendar)s market cycle needs exactly one of: %(keys)s."),
                calendar=calendar,
                keys=", ".join(sorted(allowed)),
            )
        (key,) = keys
        values = data[key]
        if not isinstance(values, list | tuple) or not values:
            raise DomainError(
                "cycle", N_("The %(what)s of a market cycle must be a non-empty list."), what=key
            )
        return cls(calendar=calendar, **{key: _ints(values, key)}, **policy)

    def describe(self, lang: str = "zh") -> str:
        zh = _is_zh(lang)
        cal_zh = {"lunar": "农历", "solar": "公历"}.get(self.calendar, "")
        if self.calendar == "weekday":
            days = sorted(self.weekdays)
            if zh:
                text = "每" + "、".join(_WEEKDAY_ZH[w] for w in days)
            else:
                text = "every " + ", ".join(_WEEKDAY_EN_LONG[w] for w in days)
        elif self.digits == _ODD:
            text = cal_zh + "单日" if zh else f"odd {self.calendar} days"
        elif self.digits == _EVEN:
            text = cal_zh + "双日" if zh else f"even {self.calendar} days"
        elif self.digits:
            # 0 means 10/20/30, so people name it last: 逢五、十.
            ordered = sorted(self.digits, key=lambda n: n or 10)
            if zh:
                text = cal_zh + "逢" + "、".join(_DIGIT_ZH[n or 10] for n in ordered)
            else:
                text = f"{self.calendar} days ending in " + ", ".join(str(n) for n in ordered)
        elif zh:
            if self.calendar == "lunar":
                text = "农历" + "、".join(_lunar_day_zh(n) for n in sorted(self.days))
            else:
                text = "公历每月" + "、".join(f"{n}日" for n in sorted(self.days))
        else:
            text = f"{self.calendar} days " + ", ".join(str(n) for n in sorted(self.days))
        if self.calendar == "lunar" and self.uses_30 and self.missing_30 == "next":
            text += "，小月无三十改在初一" if zh else "; day 30 of a short month moves to day 1"
        if self.spring_festival_pause is not None:
            before, after = self.spring_festival_pause
            if zh:
                text += f"，春节前{before}天至后{after}天休集"
            else:
                text += (
                    f"; no market from {before} days before to {after} days after lunar new year"
                )
        return text


def _lunar_new_year(lunar_year: int) -> date:
    first = solar_of_lunar(lunar_year, 1, 1)
    assert first is not None  # every lunar year has a first month
    return first


def _paused(rule: MarketRule, d: date) -> bool:
    if any(first <= d <= last for first, last in rule.pauses):
        return True
    if rule.spring_festival_pause is None:
        return False
    before, after = rule.spring_festival_pause
    year = lunar_of(d).year
    # The pause before next new year can start while the lunar year of d is still running.
    return d <= _lunar_new_year(year) + timedelta(days=after) or (
        year + 1 <= MAX_YEAR and d >= _lunar_new_year(year + 1) - timedelta(days=before)
    )


def _day_matches(rule: MarketRule, day: int) -> bool:
    return day in rule.days or day % 10 in rule.digits


def is_market_day(rule: MarketRule, d: date) -> bool:
    """Whether the market meets on a given day."""
    _check_year(d)
    if _paused(rule, d):
        return False
    if rule.calendar == "weekday":
        return d.isoweekday() in rule.weekdays
    if rule.calendar == "solar":
        return _day_matches(rule, d.day)
    ld = lunar_of(d)
    if _day_matches(rule, ld.day):
        return True
    return (
        rule.missing_30 == "next"
        and rule.uses_30
        and ld.day == 1
        and lunar_of(d - _ONE_DAY).month_days == 29
    )


def market_days(rule: MarketRule, start: date, end: date) -> list[date]:
    """Market days from ``start`` to ``end``, both included."""
    days = []
    d = start
    while d <= end:
        if is_market_day(rule, d):
            days.append(d)
        d += _ONE_DAY
    return days


# --- Holidays and working days -----------------------------------------------------------------

# Our own marked names, so the catalogue extractor sees them (chinesecalendar's are plain str).
NEW_YEAR = N_("New Year's Day")
SPRING_FESTIVAL = N_("Spring Festival")
TOMB_SWEEPING = N_("Tomb-sweeping Day")
LABOUR_DAY = N_("Labour Day")
DRAGON_BOAT = N_("Dragon Boat Festival")
MID_AUTUMN = N_("Mid-autumn Festival")
NATIONAL_DAY = N_("National Day")
_LIBRARY_NAMES = {
    "New Year's Day": NEW_YEAR,
    "Spring Festival": SPRING_FESTIVAL,
    "Tomb-sweeping Day": TOMB_SWEEPING,
    "Labour Day": LABOUR_DAY,
    "Dragon Boat Festival": DRAGON_BOAT,
    "Mid-autumn Festival": MID_AUTUMN,
    "National Day": NATIONAL_DAY,
    "Anti-Fascist 70th Day": N_("Victory Day (70th anniversary)"),
}


@dataclass(frozen=True)
class HolidayOverride:
    """An announced arrangement (调休) entered by an admin; it beats every computed answer."""

    day: date
    working: bool
    name: str = ""


@dataclass(frozen=True)
class DayStatus:
    """Whether a day is a working day.

    ``holiday_name`` names the holiday the day belongs to, like chinesecalendar: a rest day of it,
    or, with ``working`` true, a make-up working day for it. ``confirmed`` is false when the answer
    for this day is a guess (no admin entry and no published arrangement). ``provisional`` is true
    for every day of a year whose official arrangement is not in the calendar library yet
    (放假安排未公布): even a day an admin entered stays provisional, because the rest of its year is
    still estimated from the statutory holidays and the customary breaks.
    """

    working: bool
    holiday_name: str | None
    confirmed: bool
    provisional: bool = False


@cache
def schedule_published(year: int) -> bool:
    """Whether the calendar library knows the official arrangement (调休) for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_provisional(d: date) -> bool:
    """Whether plans on day ``d`` rest on an estimated holiday schedule (放假安排未公布)."""
    return not schedule_published(d.year)


def statutory_holidays(year: int) -> Mapping[date, str]:
    """The rest days fixed by law (2025 revision), before any 调休 arrangement.

    Bridging days and make-up working days are announced each year and cannot be computed; see
    ``estimated_days_off`` for what the app assumes for a year not published yet.
    """
    return MappingProxyType(_statutory_holidays(year))


@lru_cache(maxsize=64)
def _statutory_holidays(year: int) -> dict[date, str]:
    _check_year(date(year, 1, 1))
    out: dict[date, str] = {}

    def add(d: date | None, name: str) -> None:
        if d is not None:
            out.setdefault(d, name)

    add(date(year, 1, 1), NEW_YEAR)
    new_year = _lunar_new_year(year)
    for offset in range(-1, 3):  # 除夕 to 初三
        add(new_year + timedelta(days=offset), SPRING_FESTIVAL)
    add(_qingming(year), TOMB_SWEEPING)
    add(date(year, 5, 1), LABOUR_DAY)
    add(date(year, 5, 2), LABOUR_DAY)
    add(solar_of_lunar(year, 5, 5), DRAGON_BOAT)
    add(solar_of_lunar(year, 8, 15), MID_AUTUMN)
    for day in (1, 2, 3):
        add(date(year, 10, day), NATIONAL_DAY)
    return out


def customary_breaks(year: int) -> Mapping[date, str]:
    """The long breaks every recent arrangement has had, beyond the statutory days.

    National Day week 1–7 October (a 7-day break every year since 1999), Labour Day 1–5 May
    (5 days every year since 2020) and Spring Festival from 除夕 to 初六; the weekends and
    make-up working days the State Council trades for them are not guessed.
    """
    return MappingProxyType(_customary_breaks(year))


@lru_cache(maxsize=64)
def _customary_breaks(year: int) -> dict[date, str]:
    _check_year(date(year, 1, 1))
    out = {date(year, 10, day): NATIONAL_DAY for day in range(1, 8)}
    out |= {date(year, 5, day): LABOUR_DAY for day in range(1, 6)}
    new_year = _lunar_new_year(year)
    out |= {new_year + timedelta(days=offset): SPRING_FESTIVAL for offset in range(-1, 6)}
    return out


def estimated_days_off(year: int) -> Mapping[date, str]:
    """The days off assumed for a year not published yet: statutory days and customary breaks."""
    return MappingProxyType(_estimated_days_off(year))


@lru_cache(maxsize=64)
def _estimated_days_off(year: int) -> dict[date, str]:
    # A statutory day keeps its own name (Mid-autumn can fall in the National Day week).
    return _customary_breaks(year) | _statutory_holidays(year)


def _qingming(year: int) -> date:
    try:
        solar = Solar.fromYmd(year, 4, 20).getLunar().getJieQiTable()["清明"]
        return date(solar.getYear(), solar.getMonth(), solar.getDay())
    except Exception as exc:  # lunar-python raises bare Exception
        raise DomainError(
            "date", N_("No lunar calendar is known for the year %(year)s."), year=year
        ) from exc


def day_status(d: date, overrides: Iterable[HolidayOverride] = ()) -> DayStatus:
    """Working day or not: admin overrides, else chinesecalendar, else the estimated days off."""
    _check_year(d)
    provisional = not schedule_published(d.year)
    override = None
    for o in overrides:
        if o.day == d:
            override = o  # the last entry wins, as the newest announcement would
    if override is not None:
        return DayStatus(override.working, override.name or None, True, provisional)
    if provisional:
        # Next year's arrangement is published around late November; until then we guess.
        name = estimated_days_off(d.year).get(d)
        working = name is None and d.isoweekday() <= 5
        return DayStatus(working, name, confirmed=False, provisional=True)
    working = chinese_calendar.is_workday(d)
    _, name = chinese_calendar.get_holiday_detail(d)
    return DayStatus(working, _LIBRARY_NAMES.get(name, name) if name else None, confirmed=True)


def is_working_day(d: date, overrides: Iterable[HolidayOverride] = ()) -> bool:
    return day_status(d, overrides).working


# --- School terms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A school term, first and last day included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise DomainError("term", N_("A term cannot end before it starts."))

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.first <= d <= self.last


def default_terms(year: int) -> tuple[Term, ...]:
    """Terms touching the calendar year ``year``, as Haidong schools usually run them.

    Defaults only (autumn from 1 September to about 15 January, spring about 1 March to
    10 July); each school's admin edits its own calendar.
    """
    return (
        Term(date(year - 1, 9, 1), date(year, 1, 15)),
        Term(date(year, 3, 1), date(year, 7, 10)),
        Term(date(year, 9, 1), date(year + 1, 1, 15)),
    )


def is_school_day(
    d: date, terms: Iterable[Term], overrides: Iterable[HolidayOverride] = ()
) -> bool:
    """In term and a working day (a make-up working Saturday is a school day too)."""
    return any(d in t for t in terms) and is_working_day(d, overrides)


# --- Sunset and dusk ---------------------------------------------------------------------------


def _check_coordinates(lat: float, lon: float) -> None:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError("place", N_("Latitude or longitude out of range."))


def _sun_event(event: Callable[..., datetime], d: date, lat: float, lon: float) -> datetime:
    _check_coordinates(lat, lon)
    observer = Observer(latitude=lat, longitude=lon)
    # astral raises ValueError on some days when the event slips across midnight UTC; a
    # neighbour's clock time is off by about a minute, which is fine for planning.
    for offset in (0, -1, 1, -2, 2):
        try:
            at = event(observer, d + timedelta(days=offset), tzinfo=TZ).astimezone(TZ)
        except ValueError:
            continue
        return datetime.combine(d, at.timetz().replace(tzinfo=None), TZ)
    raise DomainError("place", N_("The sun does not set normally at this place around this date."))


def sunset_at(d: date, lat: float, lon: float) -> datetime:
    """Local sunset time."""
    return _sun_event(_astral_sunset, d, lat, lon)


# Civil twilight ends when the sun's centre is 6° below the horizon, geometrically: the
# definition has no refraction term. astral's dusk() adds refraction (about 0.05° at -6°), which
# put dusk 17–22 s late here and moved about 6% of screenings to the next 5-minute mark.
CIVIL_DEPRESSION = 6.0


def _geometric_dusk(observer: Observer, day: date, tzinfo: ZoneInfo) -> datetime:
    return time_at_elevation(
        observer, -CIVIL_DEPRESSION, day, SunDirection.SETTING, tzinfo=tzinfo,
        with_refraction=False,
    )


def dusk_at(d: date, lat: float, lon: float) -> datetime:
    """Local end of civil twilight: the sun's centre 6° below the horizon, without refraction."""
    return _sun_event(_geometric_dusk, d, lat, lon)


_FILM_AFTER_DUSK = timedelta(minutes=15)
_ROUND_TO = 300  # seconds


# Pure in its arguments, and asked for the same evenings by every proposal of a batch.
@lru_cache(maxsize=8192)
def film_earliest_start(d: date, lat: float, lon: float) -> datetime:
    """Civil dusk + 15 minutes, rounded up to 5 minutes: dark enough for a projector."""
    at = dusk_at(d, lat, lon) + _FILM_AFTER_DUSK
    midnight = datetime.combine(at.date(), time(0), TZ)
    seconds = (at - midnight) / timedelta(seconds=1)
    return midnight + timedelta(seconds=math.ceil(seconds / _ROUND_TO) * _ROUND_TO)


# --- Blackouts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blackout:
    """A recurring time when no session may be held (harvest, Friday prayer, Ramadan evenings).

    Applies on days ``first``..``last`` (included) whose ISO weekday is in ``weekdays`` (empty:
    every day), from ``start`` to ``end`` local time, or the whole day when both are None.
    """

    first: date
    last: date
    weekdays: frozenset[int] = field(default_factory=frozenset)
    start: time | None = None
    end: time | None = None
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if self.first > self.last:
            raise DomainError("blackout", N_("A blackout cannot end before it starts."))
        if not self.weekdays <= frozenset(range(1, 8)):
            raise DomainError("blackout", N_("Weekdays run from 1 (Monday) to 7 (Sunday)."))
        if (self.start is None) != (self.end is None):
            raise DomainError("blackout", N_("Give both a start and an end time, or neither."))
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise DomainError("blackout", N_("A blackout must end after it starts."))

    def _window_on(self, d: date) -> tuple[datetime, datetime] | None:
        if not self.first <= d <= self.last:
            return None
        if self.weekdays and d.isoweekday() not in self.weekdays:
            return None
        if self.start is None or self.end is None:
            return datetime.combine(d, time(0), TZ), datetime.combine(d + _ONE_DAY, time(0), TZ)
        return datetime.combine(d, self.start, TZ), datetime.combine(d, self.end, TZ)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        start, end = _local(start), _local(end)
        d = start.date()
        while d <= end.date():
            window = self._window_on(d)
            if window is not None and window[0] < end and start < window[1]:
                return True
            d += _ONE_DAY
        return False


def _local(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise DomainError("time", N_("Times must carry a time zone."))
    return at.astimezone(TZ)


def blocked(
    interval_start: datetime, interval_end: datetime, blackouts: Iterable[Blackout]
) -> Blackout | None:
    """The first blackout that overlaps the half-open interval, if any."""
    for b in blackouts:
        if b.overlaps(interval_start, interval_end):
            return b
    return None
