"""Campaigns (pure): which calendar days fall in a range, default windows, the form of a talk
per kind of place, what a valid plan and a valid calendar day are, and a campaign's tally."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .errors import N_, DomainError
from .orders import MAX_TOPICS, WindowWords, topic_errors, window_errors

#: What a calendar day is; awareness days and term starts are planned for, slowdowns warned of.
KINDS: dict[str, str] = {
    "awareness": N_("Awareness day"),
    "term_start": N_("School term starts"),
    "slowdown": N_("Slowdown (harvest, few people at home)"),
}
PLANNABLE = ("awareness", "term_start")

#: A village gets a field class by day or a film evening; schools and markets have one form.
VILLAGE_FORMATS = ("field_class", "mobile_film")
FORMAT_OF_KIND = {"school": "school_talk", "market": "market_talk"}
#: Who listens and about how many, per kind of place (the order needs both).
AUDIENCE_OF_KIND = {"village": ("villagers", 60), "school": ("pupils", 200),
                    "market": ("market_goers", 100)}
PLACE_KINDS = ("village", "school", "market")

MAX_NAME = 60
MAX_NAME_EN = 80
MAX_NOTES = 500
MAX_PLACES = 120
MAX_DAYS = 120  # how long one calendar entry may last
#: A campaign window around an awareness day: a week before to a week after.
DAYS_BEFORE, DAYS_AFTER = 7, 7

PlaceKey = tuple[str, int]


# --- The calendar ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CalendarDay:
    """One entry of the calendar as the rules read it (the model's row, reduced)."""

    id: int | None
    name_zh: str
    month: int
    day: int
    kind: str = "awareness"
    topics: tuple[str, ...] = ()
    days: int = 1
    name_en: str = ""
    active: bool = True

    def display(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh


@dataclass(frozen=True)
class Occurrence:
    entry: CalendarDay
    first: date
    last: date


def on_year(month: int, day: int, year: int) -> date:
    """(month, day) in ``year``; 29 February is the 28th in a common year."""
    if (month, day) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, month, day)


def occurrences(entries: Iterable[CalendarDay], first: date, last: date, *,
                kinds: Iterable[str] | None = None) -> list[Occurrence]:
    """Every active entry's days that touch [first, last], soonest first (an entry that runs
    over the new year is found from the year before)."""
    wanted = set(kinds) if kinds is not None else None
    out = []
    for entry in entries:
        if not entry.active or (wanted is not None and entry.kind not in wanted):
            continue
        for year in range(first.year - 1, last.year + 1):
            start = on_year(entry.month, entry.day, year)
            end = start + timedelta(days=max(entry.days, 1) - 1)
            if start <= last and end >= first:
                out.append(Occurrence(entry, start, end))
    return sorted(out, key=lambda o: (o.first, o.entry.name_zh, o.entry.id or 0))


def next_occurrence(entry: CalendarDay, today: date) -> Occurrence:
    """The entry's next days that have not ended yet (this year's, else next year's)."""
    found = occurrences([replace(entry, active=True)], today, today + timedelta(days=366))
    return found[0]


def default_window(occ: Occurrence, today: date) -> tuple[date, date]:
    """The campaign range for an occurrence: an awareness day a week either side, a term start
    its first days and the week after; never starting before today."""
    if occ.entry.kind == "term_start":
        first, last = occ.first, occ.last + timedelta(days=DAYS_AFTER)
    else:
        first, last = occ.first - timedelta(days=DAYS_BEFORE), occ.last + timedelta(days=DAYS_AFTER)
    first = max(first, today)
    return first, max(last, first)


def default_name(entry: CalendarDay, year: int, lang: str = "zh") -> str:
    return f"{year} {entry.display(lang)}"[:MAX_NAME]


# --- Places and forms --------------------------------------------------------------------------

def format_for(kind: str, village_format: str) -> str:
    """The form of a campaign talk at a place of this kind."""
    if kind == "village":
        return village_format
    return FORMAT_OF_KIND[kind]


def topics_for_format(topics: Iterable[str], fmt: str,
                      topic_formats: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """The campaign's topics that are given in this form (campus bullying only in schools)."""
    return tuple(t for t in topics if fmt in set(topic_formats.get(t, ())))


def parse_place_key(raw: str) -> PlaceKey | None:
    """``village:3`` → ("village", 3); None for anything else."""
    kind, _, ident = (raw or "").strip().partition(":")
    if kind not in PLACE_KINDS or not (ident.isascii() and ident.isdigit()) or len(ident) > 9:
        return None
    return kind, int(ident)


def place_key(kind: str, ident: int) -> str:
    return f"{kind}:{ident}"


# --- A plan ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanInput:
    """A campaign as the coordinator typed it, before it is trusted."""

    name: str
    topics: tuple[str, ...]
    first: date | None
    last: date | None
    places: tuple[str, ...]
    village_format: str = "field_class"
    awareness_day_id: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class Plan:
    name: str
    topics: tuple[str, ...]
    first: date
    last: date
    places: tuple[PlaceKey, ...]
    village_format: str
    awareness_day_id: int | None
    notes: str


def validate_plan(data: PlanInput, *, today: date, known_topics: Iterable[str],
                  ) -> tuple[Plan | None, list[DomainError]]:
    """The cleaned plan and every problem found (not just the first)."""
    errors: list[DomainError] = []
    name = (data.name or "").strip()
    if not name:
        errors.append(DomainError("name", N_("Please give the campaign a name.")))
    elif len(name) > MAX_NAME:
        errors.append(DomainError("name", N_("At most %(n)d characters."), n=MAX_NAME))
    topics, problems = topic_errors(data.topics, set(known_topics))
    errors += problems
    errors += range_errors(data.first, data.last, today)
    keys: list[PlaceKey] = []
    for raw in data.places:
        key = parse_place_key(raw)
        if key is None:
            errors.append(DomainError("places", N_("Please choose the places from the list.")))
            break
        if key not in keys:
            keys.append(key)
    if not keys and not any(e.field == "places" for e in errors):
        errors.append(DomainError("places", N_("Please choose at least one place.")))
    elif len(keys) > MAX_PLACES:
        errors.append(DomainError("places", N_("A campaign takes at most %(n)d places."),
                                  n=MAX_PLACES))
    if data.village_format not in VILLAGE_FORMATS:
        errors.append(DomainError("village_format",
                                  N_("Please choose how the talks in villages are given.")))
    notes = (data.notes or "").strip()
    if len(notes) > MAX_NOTES:
        errors.append(DomainError("notes", N_("At most %(n)d characters."), n=MAX_NOTES))
    if errors:
        return None, errors
    assert data.first is not None and data.last is not None
    return Plan(name=name, topics=topics, first=data.first, last=data.last, places=tuple(keys),
                village_format=data.village_format, awareness_day_id=data.awareness_day_id,
                notes=notes), []


CAMPAIGN_WINDOW = WindowWords(
    "first", "last", N_("Please choose the first day of the campaign."),
    N_("Please choose the last day of the campaign."),
    N_("The campaign cannot start in the past."),
    N_("A campaign can be planned at most a year ahead."),
    N_("The last day must not be before the first day."))


def range_errors(first: date | None, last: date | None, today: date) -> list[DomainError]:
    """The campaign's dates: the rules of an order's window, on the campaign's own fields."""
    return window_errors(first, last, today, CAMPAIGN_WINDOW)


# --- A calendar entry --------------------------------------------------------------------------

@dataclass(frozen=True)
class DayInput:
    name_zh: str
    name_en: str
    month: int | None
    day: int | None
    kind: str
    topics: tuple[str, ...] = ()
    days: int | None = 1
    active: bool = True


def validate_day(data: DayInput, *, known_topics: Iterable[str],
                 ) -> tuple[DayInput, list[DomainError]]:
    """A calendar entry's rules: names, a real day of the year, a kind, known topics."""
    errors: list[DomainError] = []
    name_zh = (data.name_zh or "").strip()
    name_en = (data.name_en or "").strip()
    if not name_zh:
        errors.append(DomainError("name_zh", N_("Please enter the Chinese name.")))
    elif len(name_zh) > MAX_NAME:
        errors.append(DomainError("name_zh", N_("At most %(n)d characters."), n=MAX_NAME))
    if len(name_en) > MAX_NAME_EN:
        errors.append(DomainError("name_en", N_("At most %(n)d characters."), n=MAX_NAME_EN))
    if data.month is None or not 1 <= data.month <= 12:
        errors.append(DomainError("month", N_("Please choose a month from 1 to 12.")))
    elif data.day is None or not _real_day(data.month, data.day):
        errors.append(DomainError("day", N_("This month has no such day.")))
    if data.days is None or not 1 <= data.days <= MAX_DAYS:
        errors.append(DomainError("days", N_("Please enter a number of days from 1 to %(n)d."),
                                  n=MAX_DAYS))
    if data.kind not in KINDS:
        errors.append(DomainError("kind", N_("Please choose what kind of day this is.")))
    known = set(known_topics)
    topics = tuple(dict.fromkeys(t.strip() for t in data.topics if t and t.strip()))
    unknown = [t for t in topics if t not in known]
    if unknown:
        errors.append(DomainError("topics", N_("Unknown talk: %(code)s."), code=", ".join(unknown)))
    elif len(topics) > MAX_TOPICS:
        errors.append(DomainError("topics", N_("Please choose at most %(n)d talks."), n=MAX_TOPICS))
    return replace(data, name_zh=name_zh, name_en=name_en, topics=topics), errors


def _real_day(month: int, day: int) -> bool:
    try:
        date(2024, month, day)  # a leap year: 29 February is a day of the year
    except ValueError:
        return False
    return True


# --- Tracking ----------------------------------------------------------------------------------

#: The campaign page's counts, in the order it shows them: order statuses counted under each.
TALLY = (
    ("planned", ("submitted",)),
    ("offered", ("offered",)),
    ("scheduled", ("scheduled",)),
    ("delivered", ("delivered", "closed")),
    ("needs_attention", ("needs_attention",)),
    ("cancelled", ("cancelled",)),
)
TALLY_LABELS = {
    "planned": N_("Planned (waiting for the dispatch pass)"),
    "offered": N_("Offered"),
    "scheduled": N_("Scheduled"),
    "delivered": N_("Delivered"),
    "needs_attention": N_("Needs attention"),
    "cancelled": N_("Cancelled"),
}


def tally(statuses: Iterable[str]) -> dict[str, int]:
    """How many of a campaign's orders are in each stage; every stage listed, plus ``total``."""
    where = {s: name for name, group in TALLY for s in group}
    out = dict.fromkeys((name for name, _ in TALLY), 0)
    total = 0
    for status in statuses:
        total += 1
        if status in where:
            out[where[status]] += 1
    out["total"] = total
    return out


# --- The well-known days (the demo calendar; the migration seeds the same list) -----------------

WELL_KNOWN: tuple[CalendarDay, ...] = (
    CalendarDay(None, "中国人民警察节", 1, 10, "awareness", ("anti_fraud", "two_cards"),
                name_en="Chinese People's Police Day"),
    CalendarDay(None, "春季学期开学", 3, 1, "term_start", ("campus_bullying", "traffic_safety"),
                days=7, name_en="Spring term starts"),
    CalendarDay(None, "全民国家安全教育日", 4, 15, "awareness", ("anti_fraud", "two_cards"),
                name_en="National Security Education Day"),
    CalendarDay(None, "国际禁毒日", 6, 26, "awareness", ("drug_awareness",),
                name_en="International Day against Drug Abuse"),
    CalendarDay(None, "夏收农忙（请核实）", 7, 20, "slowdown", (), days=40,
                name_en="Summer harvest (verify)"),
    CalendarDay(None, "秋季学期开学", 9, 1, "term_start", ("campus_bullying", "traffic_safety"),
                days=7, name_en="Autumn term starts"),
    CalendarDay(None, "全国消防日", 11, 9, "awareness", (), name_en="National Fire Day"),
    CalendarDay(None, "全国交通安全日", 12, 2, "awareness", ("traffic_safety",),
                name_en="National Traffic Safety Day"),
    CalendarDay(None, "国家宪法日", 12, 4, "awareness", ("campus_bullying", "two_cards"),
                name_en="National Constitution Day"),
)
