"""Calendar entries as coordinators type them (market days like 逢三六九 or 初一十五, pauses,
dates, periods, weekdays, season boundaries), and the one gate every market rule passes through.

Checks that can report several problems at once append ``DomainError``s naming the form's
fields to the ``errors`` list they are given; the caller raises them together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, time

from . import calendars as cal
from .errors import N_, DomainError, ValidationFailed

CALENDARS = ("lunar", "solar", "weekday")
PATTERNS = ("digits", "days")
MISSING_30 = ("skip", "next")
MAX_CYCLE_TEXT = 120
MAX_PAUSES_TEXT = 2000
MAX_SPRING_FESTIVAL_DAYS = 60  # MarketRule's own limit

# --- Messages (English msgids; the view translates) --------------------------------------------

REQUIRED_NAME = N_("Please enter a name.")
TOO_LONG = N_("Please use at most %(max)s characters.")
OUT_OF_RANGE = N_("Please enter a date between the years %(first)s and %(last)s.")
REQUIRED_DATE = N_("Please enter a date.")
LAST_BEFORE_FIRST = N_("The last day comes before the first day.")
WEEKDAYS_RANGE = N_("Weekdays run from 1 (Monday) to 7 (Sunday).")
NOT_NUMBERS = N_("“%(text)s” is not a day number. Write the days like 3 6 9, 三六九 or 初一 十五.")
NO_DAYS = N_("Please enter the market days.")
PAUSE_FORMAT = N_("Line %(line)s: write a period as two dates, e.g. 2027-01-25 – 2027-02-20.")
BROKEN_PAUSES = N_("The stored market pauses are not valid dates.")


# --- Fields ------------------------------------------------------------------------------------


def check_text(value: str | None, field: str, limit: int, errors: list[DomainError],
               *, required: bool = True) -> str:
    """The stripped text; empty (when required) or longer than ``limit`` is an error."""
    value = (value or "").strip()
    if required and not value:
        errors.append(DomainError(field, REQUIRED_NAME))
    elif len(value) > limit:
        errors.append(DomainError(field, TOO_LONG, max=limit))
    return value


def check_day(value: date | None, field: str, errors: list[DomainError]) -> date | None:
    """The date, or None (with an error) when missing or outside the calendars' years."""
    if value is None:
        errors.append(DomainError(field, REQUIRED_DATE))
        return None
    if not cal.MIN_YEAR <= value.year <= cal.MAX_YEAR:
        errors.append(DomainError(field, OUT_OF_RANGE, first=cal.MIN_YEAR, last=cal.MAX_YEAR))
        return None
    return value


def check_period(first: date | None, last: date | None, errors: list[DomainError]) -> None:
    """An inclusive period in the form's ``first`` and ``last`` fields."""
    first = check_day(first, "first", errors)
    last = check_day(last, "last", errors)
    if first is not None and last is not None and last < first:
        errors.append(DomainError("last", LAST_BEFORE_FIRST))


def check_weekdays(values: Iterable[int], field: str, errors: list[DomainError]) -> list[int]:
    """ISO weekdays, sorted and without repeats (empty, with an error, when one is not 1–7)."""
    days = sorted(set(values))
    if any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        errors.append(DomainError(field, WEEKDAYS_RANGE))
        return []
    return days


def check_time_span(start: time | None, end: time | None, errors: list[DomainError]) -> None:
    """A part of the day in ``start`` and ``end``, or neither (the whole day)."""
    if (start is None) != (end is None):
        missing = "end" if end is None else "start"
        errors.append(DomainError(
            missing, N_("Give both a start and an end time, or neither (the whole day).")))
    elif start is not None and end is not None and end <= start:
        errors.append(DomainError("end", N_("The end time must come after the start time.")))


def check_hours(opens: time | None, closes: time | None, errors: list[DomainError]) -> None:
    """A market's opening hours in ``opens`` and ``closes``."""
    if opens is None:
        errors.append(DomainError("opens", N_("Please enter the time the market opens.")))
    if closes is None:
        errors.append(DomainError("closes", N_("Please enter the time the market closes.")))
    elif opens is not None and closes <= opens:
        errors.append(DomainError("closes", N_("The market must close after it opens.")))


def check_coordinates(lat: float | None, lon: float | None, errors: list[DomainError]) -> None:
    """Optional ``lat`` and ``lon`` in degrees."""
    for field, value, lo, hi in (("lat", lat, -90, 90), ("lon", lon, -180, 180)):
        if value is not None and not lo <= value <= hi:
            errors.append(DomainError(field, N_("Please enter a number from %(min)s to %(max)s."),
                                      min=lo, max=hi))


def month_day(month: int | None, day: int | None, prefix: str,
              errors: list[DomainError]) -> tuple[int, int] | None:
    """A (month, day) of any year, such as a season boundary, in ``<prefix>_month/_day``."""
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


# --- Market days as people write them ----------------------------------------------------------

_SEPARATORS = " \t\r\n,，、;；/.。"
_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
# Words people put around the numbers: 逢三六九, 农历每月初一、十五, 1日 15号.
_FILLERS = ("每逢", "逢", "农历", "阴历", "公历", "阳历", "每月", "日", "号")
_ODD_WORDS = ("单日", "单", "odd")
_EVEN_WORDS = ("双日", "双", "even")
_NUMBER = re.compile(r"\d+")
_DAY_TOKEN = re.compile(
    r"\d+|初[一二三四五六七八九十]|廿[一二三四五六七八九]|二十[一二三四五六七八九]?|三十"
    r"|十[一二三四五六七八九]?|[一二三四五六七八九]"
)


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


def _bad_token(text: str, pos: int) -> str:
    end = pos
    while end < len(text) and text[end] not in _SEPARATORS:
        end += 1
    return text[pos:end][:20]


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
            m = _NUMBER.match(text, pos)
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


def cycle_contract(calendar: str, pattern: str, text: str, weekdays: Iterable[int]) -> dict:
    """The public contract shape for what the form says; errors name the form's fields.

    Only the shape: whether the numbers make a market rule is :func:`market_rule`'s answer.
    """
    if calendar not in CALENDARS:
        raise DomainError("calendar", N_("A market calendar is lunar, solar or weekday."))
    if len(text or "") > MAX_CYCLE_TEXT:
        raise DomainError("cycle", TOO_LONG, max=MAX_CYCLE_TEXT)
    if calendar == "weekday":
        days = sorted(set(weekdays))
        if not days:
            raise DomainError("weekdays", N_("Please tick the weekdays the market meets."))
        return {"calendar": "weekday", "weekdays": days}
    if pattern not in PATTERNS:
        raise DomainError("pattern", N_("Please choose last digits or day numbers."))
    values = parse_digits(text or "") if pattern == "digits" else parse_days(text or "")
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


# --- Pauses ------------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_PERIOD_GLUE = re.compile(r"(?i)to|[\s~～–—\-至到,，;；]")


def parse_pauses(text: str) -> list[tuple[date, date]]:
    """One pause per line: "2027-01-25 – 2027-02-20" (or a single date for one day)."""
    if len(text or "") > MAX_PAUSES_TEXT:
        raise ValidationFailed([DomainError("pauses", TOO_LONG, max=MAX_PAUSES_TEXT)])
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
    """The form's text for stored pauses (even broken ones)."""
    if not isinstance(pauses, list):
        return ""
    return "\n".join(" – ".join(map(str, p)) if isinstance(p, list | tuple) else str(p)
                     for p in pauses)


def _pause_dates(pauses: object) -> tuple[tuple[date, date], ...]:
    def day(value: object) -> date:
        return value if isinstance(value, date) else date.fromisoformat(value)  # type: ignore

    try:
        return tuple((day(a), day(b)) for a, b in pauses)  # type: ignore
    except (TypeError, ValueError):
        # Rows written before the admin pages existed may hold anything.
        raise DomainError("cycle", BROKEN_PAUSES) from None


# --- The one gate ------------------------------------------------------------------------------


def market_rule(cycle: object, *, missing_30: object = "skip", pauses: object = (),
                spring_festival_days: tuple[object, object] = (None, None)) -> cal.MarketRule:
    """The market rule for a cycle in the public contract's shape and a market's policy.

    Every reading of a market goes through here: a stored row (pauses as ISO date pairs), the
    admin form (through :func:`read_market_rule`), slot proposals and the calendar. Anything
    that does not make a rule raises ``DomainError("cycle", ...)``.
    """
    policy: dict = {"missing_30": missing_30 or "skip"}
    if pauses:
        policy["pauses"] = _pause_dates(pauses)
    before, after = spring_festival_days
    if before is not None or after:
        policy["spring_festival_pause"] = (before or 0, after or 0)
    return cal.MarketRule.from_contract(cycle, **policy)


def read_market_rule(calendar: str, pattern: str, cycle: str, weekdays: Iterable[int], *,
                     missing_30: str = "skip", pauses: str = "",
                     spring_festival_days: tuple[int | None, int | None] = (None, None),
                     ) -> cal.MarketRule:
    """The rule the market form describes, through :func:`market_rule`.

    Raises ``ValidationFailed`` with every broken field at once, each named as the form names it
    (calendar, pattern, cycle, weekdays, missing_30, pauses, spring_festival_days_before/_after).
    """
    errors: list[DomainError] = []
    if missing_30 not in MISSING_30:
        errors.append(DomainError(
            "missing_30", N_("A missing day 30 is either skipped or moved to the next day.")))
    sf: list[int | None] = []
    for field, value in zip(("spring_festival_days_before", "spring_festival_days_after"),
                            spring_festival_days, strict=True):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= MAX_SPRING_FESTIVAL_DAYS):
            errors.append(DomainError(field, N_("Please enter a number of days from 0 to %(max)s."),
                                      max=MAX_SPRING_FESTIVAL_DAYS))
            value = None
        sf.append(value)
    periods: list[tuple[date, date]] = []
    try:
        periods = parse_pauses(pauses)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    contract = None
    try:
        contract = cycle_contract(calendar, pattern, cycle, weekdays)
    except DomainError as exc:
        errors.append(exc)
    rule = None
    if contract is not None:
        # One number left empty means 0; both empty means no Spring Festival pause.
        days = (None, None) if sf == [None, None] else (sf[0] or 0, sf[1] or 0)
        try:
            rule = market_rule(contract, missing_30=missing_30 if missing_30 in MISSING_30
                               else "skip", pauses=periods, spring_festival_days=days)
        except DomainError as exc:
            errors.append(DomainError("weekdays" if calendar == "weekday" else "cycle",
                                      exc.reason, **exc.params))
    ValidationFailed.collect(errors)
    assert rule is not None
    return rule
