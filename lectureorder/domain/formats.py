"""Session formats and the rules that turn a place and a date window into candidate slots."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from lectureorder.domain.calendars import (
    DISTRICT,
    TZ,
    Blackout,
    HolidayOverride,
    MarketRule,
    MonthDay,
    Term,
    blocked,
    default_terms,
    film_earliest_start,
    is_market_day,
    is_provisional,
    is_school_day,
    slot_label,
)
from lectureorder.domain.errors import N_, DomainError


class Format(StrEnum):
    FIELD_CLASS = "field_class"
    MARKET_TALK = "market_talk"
    MOBILE_FILM = "mobile_film"
    SCHOOL_TALK = "school_talk"


ALLOWED_PLACE_KINDS: dict[Format, frozenset[str]] = {
    Format.FIELD_CLASS: frozenset({"village"}),
    Format.MOBILE_FILM: frozenset({"village"}),
    Format.MARKET_TALK: frozenset({"market"}),
    Format.SCHOOL_TALK: frozenset({"school"}),
}
PLACE_KINDS = frozenset({"village", "school", "market"})

_FORMAT_LABELS = {
    Format.FIELD_CLASS: ("田间课堂", "Field class"),
    Format.MARKET_TALK: ("集市宣讲", "Market-day talk"),
    Format.MOBILE_FILM: ("流动电影", "Mobile film screening"),
    Format.SCHOOL_TALK: ("进校园", "School talk"),
}

SAFE_TRAVEL_NOTE = N_(
    "Evening screening: remind the audience to travel home safely "
    "(18:00–21:00 is the local traffic accident peak)."
)
ASSEMBLY_NOTE = N_("School assembly: the whole school listens at once.")


_WHEN = {
    Format.FIELD_CLASS: N_("In the village in daytime, except when the township's farm work or "
                           "prayer times are blocked out."),
    Format.MARKET_TALK: N_("On market-day mornings only, at the market (its market days follow "
                           "its own cycle, often the lunar calendar)."),
    Format.MOBILE_FILM: N_("Every year from %(first)s to %(last)s, in the evening after dusk."),
    Format.SCHOOL_TALK: N_("On school days, in a class period or at the Monday assembly; not in "
                           "the winter or summer holidays."),
}
_WHEN_ALL_YEAR = N_("All year round, in the evening after dusk.")


def when_it_runs(fmt: str | Format, settings: SlotSettings) -> tuple[str, dict]:
    """When a format can be held, said up front (the order form, the topic page): an N_
    message and its parameters."""
    fmt = parse_format(fmt)
    if fmt == Format.MOBILE_FILM:
        if settings.film_season_all_year:
            return _WHEN_ALL_YEAR, {}
        return _WHEN[fmt], {"first": MonthDay(*settings.film_season_start),
                            "last": MonthDay(*settings.film_season_end)}
    return _WHEN[fmt], {}


def parse_format(value: str | Format) -> Format:
    try:
        return Format(value)
    except ValueError:
        raise DomainError("format", N_("Unknown format “%(format)s”."), format=str(value)) from None


def format_label(fmt: str | Format, lang: str = "zh") -> str:
    zh, en = _FORMAT_LABELS[parse_format(fmt)]
    return zh if lang.lower().startswith("zh") else en


def _aware(at: datetime, what: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise DomainError(what, N_("Times must carry a time zone."))
    return at.astimezone(TZ)


@dataclass(frozen=True)
class Slot:
    """A candidate time for a session, half-open [start, end), in local time.

    ``label`` defaults to the Chinese label; ``notes`` are untranslated (N_) reminders for the
    people running it; ``kit_ids`` are the film kits free for the whole slot. ``provisional``
    marks a slot in a year whose official holiday arrangement is not published yet: the days
    off it was planned around are estimated (放假安排未公布).
    """

    start: datetime
    end: datetime
    label: str = ""
    notes: tuple[str, ...] = ()
    kit_ids: tuple[int, ...] = ()
    provisional: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _aware(self.start, "start"))
        object.__setattr__(self, "end", _aware(self.end, "end"))
        if self.end <= self.start:
            raise DomainError("end", N_("A slot must end after it starts."))
        if not self.label:
            object.__setattr__(self, "label", self.label_for("zh"))

    def label_for(self, lang: str = "zh") -> str:
        return slot_label(self.start, self.end, lang, provisional=self.provisional)

    def overlaps(self, other: Slot) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class KitAvailability:
    """A film kit and the (half-open) intervals it is already booked for, travel included."""

    kit_id: int
    busy: tuple[tuple[datetime, datetime], ...] = ()

    def __post_init__(self) -> None:
        busy = tuple((_aware(s, "kits"), _aware(e, "kits")) for s, e in self.busy)
        object.__setattr__(self, "busy", busy)

    def free(self, start: datetime, end: datetime) -> bool:
        return all(not (b_start < end and start < b_end) for b_start, b_end in self.busy)


@dataclass(frozen=True)
class PlaceContext:
    """What the slot rules need to know about one village, school or market."""

    kind: str
    lat: float | None = None
    lon: float | None = None
    market: MarketRule | None = None
    market_hours: tuple[time, time] = (time(9, 30), time(12, 0))
    terms: tuple[Term, ...] = ()
    blackouts: tuple[Blackout, ...] = ()
    holiday_overrides: tuple[HolidayOverride, ...] = ()
    kits: tuple[KitAvailability, ...] = ()

    @property
    def coordinates(self) -> tuple[float, float]:
        if self.lat is None or self.lon is None:
            return DISTRICT
        return self.lat, self.lon


@dataclass(frozen=True)
class SlotSettings:
    """Tunable scheduling policy; the defaults are the team's first guesses, admin-editable."""

    min_lead_hours: int = 12
    max_slots: int = 12
    max_window_days: int = 120
    daytime: tuple[time, time] = (time(9, 0), time(18, 0))
    field_class_slots: tuple[tuple[time, time], ...] = (
        (time(9, 30), time(11, 0)),
        (time(14, 30), time(16, 0)),
    )
    # (month, day) both included; a start after the end wraps over the new year.
    film_season_start: tuple[int, int] = (5, 1)
    film_season_end: tuple[int, int] = (10, 10)
    film_season_all_year: bool = False
    film_latest_end: time = time(22, 30)
    film_min_minutes: int = 60
    school_periods: tuple[tuple[time, time], ...] = (
        (time(10, 10), time(10, 55)),
        (time(15, 0), time(15, 45)),
    )
    # Monday flag-raising is when schools give the whole-school safety talk (国旗下讲话).
    school_assembly: tuple[time, time] | None = (time(8, 0), time(8, 40))
    school_assembly_weekdays: frozenset[int] = field(default_factory=lambda: frozenset({1}))

    def __post_init__(self) -> None:
        for start, end in (
            self.daytime,
            *self.field_class_slots,
            *self.school_periods,
            *([self.school_assembly] if self.school_assembly else []),
        ):
            if start >= end:
                raise DomainError("settings", N_("Every period must end after it starts."))
        lo, hi = self.daytime
        if any(start < lo or end > hi for start, end in self.field_class_slots):
            raise DomainError("settings", N_("Field classes must lie within the daytime hours."))
        for month, day in (self.film_season_start, self.film_season_end):
            try:
                date(2000, month, day)  # a leap year, so 29 February is allowed
            except ValueError:
                raise DomainError("settings", N_("The film season needs real dates.")) from None
        if self.max_slots < 1 or self.max_window_days < 1 or self.min_lead_hours < 0:
            raise DomainError("settings", N_("Slot limits must be positive."))

    def in_film_season(self, d: date) -> bool:
        if self.film_season_all_year:
            return True
        md = (d.month, d.day)
        if self.film_season_start <= self.film_season_end:
            return self.film_season_start <= md <= self.film_season_end
        return md >= self.film_season_start or md <= self.film_season_end


def film_window(
    d: date, lat: float, lon: float, settings: SlotSettings
) -> tuple[datetime, datetime] | None:
    """The evening a screening can use on day ``d``, or None if it is too short."""
    start = film_earliest_start(d, lat, lon)
    end = datetime.combine(d, settings.film_latest_end, TZ)
    if end - start < timedelta(minutes=settings.film_min_minutes):
        return None
    return start, end


def _at(d: date, period: tuple[time, time]) -> tuple[datetime, datetime]:
    return datetime.combine(d, period[0], TZ), datetime.combine(d, period[1], TZ)


@dataclass(frozen=True)
class _Candidate:
    start: datetime
    end: datetime
    notes: tuple[str, ...] = ()
    kit_ids: tuple[int, ...] = ()


class FormatRule:
    """Common checks for every format; subclasses say which times a day offers."""

    format: Format

    def propose(
        self,
        place: PlaceContext,
        earliest: date,
        latest: date,
        now: datetime,
        settings: SlotSettings,
    ) -> list[Slot]:
        now = _aware(now, "now")
        if place.kind not in ALLOWED_PLACE_KINDS[self.format]:
            raise DomainError(
                "place",
                # The same words as the order form's check, so one translation serves both.
                N_("This kind of talk cannot be held at that place."),
            )
        _check_window(earliest, latest, now, settings)
        self.check_place(place)
        not_before = now + timedelta(hours=settings.min_lead_hours)
        slots: list[Slot] = []
        d = max(earliest, not_before.date())
        while d <= latest and len(slots) < settings.max_slots:
            # Every slot of a year without a published arrangement rests on estimated days off.
            provisional = is_provisional(d)
            day_slots = []
            for c in self.candidates(place, d, settings):
                if c.start < not_before or blocked(c.start, c.end, place.blackouts):
                    continue
                day_slots.append(Slot(c.start, c.end, notes=c.notes, kit_ids=c.kit_ids,
                                      provisional=provisional))
            slots.extend(sorted(day_slots, key=lambda s: (s.start, s.end)))
            d += timedelta(days=1)
        return slots[: settings.max_slots]

    def check_place(self, place: PlaceContext) -> None:
        """Refuse a place lacking what this format needs."""

    def candidates(
        self, place: PlaceContext, d: date, settings: SlotSettings
    ) -> Iterator[_Candidate]:
        raise NotImplementedError


def _check_window(earliest: date, latest: date, now: datetime, settings: SlotSettings) -> None:
    if latest < earliest:
        raise DomainError("window", N_("The last day comes before the first day."))
    if latest < now.date():
        raise DomainError("window", N_("These dates are all in the past."))
    days = (latest - earliest).days + 1
    if days > settings.max_window_days:
        raise DomainError(
            "window",
            N_("Choose at most %(max)s days (you chose %(days)s)."),
            max=settings.max_window_days,
            days=days,
        )


class FieldClassRule(FormatRule):
    """Daytime classes in a village, outside harvest and other blackouts."""

    format = Format.FIELD_CLASS

    def candidates(
        self, place: PlaceContext, d: date, settings: SlotSettings
    ) -> Iterator[_Candidate]:
        for period in settings.field_class_slots:
            yield _Candidate(*_at(d, period))


class MarketTalkRule(FormatRule):
    """A talk during the market morning, on market days only."""

    format = Format.MARKET_TALK

    def check_place(self, place: PlaceContext) -> None:
        if place.market is None:
            raise DomainError("place", N_("This market has no market-day rule yet."))
        start, end = place.market_hours
        if start is None or end is None or start >= end:
            raise DomainError("place", N_("The market hours must end after they start."))

    def candidates(
        self, place: PlaceContext, d: date, settings: SlotSettings
    ) -> Iterator[_Candidate]:
        assert place.market is not None  # check_place ran first
        if is_market_day(place.market, d):
            yield _Candidate(*_at(d, place.market_hours))


class MobileFilmRule(FormatRule):
    """An evening screening from dusk, in season, with a film kit free for the whole evening."""

    format = Format.MOBILE_FILM

    def candidates(
        self, place: PlaceContext, d: date, settings: SlotSettings
    ) -> Iterator[_Candidate]:
        # No kit, no screening: the projector, screen and generator are the whole format.
        if not place.kits or not settings.in_film_season(d):
            return
        window = film_window(d, *place.coordinates, settings)
        if window is None:
            return
        start, end = window
        free = tuple(k.kit_id for k in place.kits if k.free(start, end))
        if free:
            yield _Candidate(start, end, notes=(SAFE_TRAVEL_NOTE,), kit_ids=free)


class SchoolTalkRule(FormatRule):
    """Class periods or an assembly on the school's school days."""

    format = Format.SCHOOL_TALK

    def candidates(
        self, place: PlaceContext, d: date, settings: SlotSettings
    ) -> Iterator[_Candidate]:
        # A school whose calendar nobody has entered yet gets the district's usual terms.
        terms = place.terms or default_terms(d.year)
        if not is_school_day(d, terms, place.holiday_overrides):
            return
        assembly = settings.school_assembly
        if assembly is not None and (
            not settings.school_assembly_weekdays
            or d.isoweekday() in settings.school_assembly_weekdays
        ):
            yield _Candidate(*_at(d, assembly), notes=(ASSEMBLY_NOTE,))
        for period in settings.school_periods:
            yield _Candidate(*_at(d, period))


RULES: dict[Format, FormatRule] = {
    rule.format: rule
    for rule in (FieldClassRule(), MarketTalkRule(), MobileFilmRule(), SchoolTalkRule())
}


def propose_slots(
    format: str | Format,
    place: PlaceContext,
    earliest: date,
    latest: date,
    now: datetime,
    settings: SlotSettings | None = None,
) -> list[Slot]:
    """Candidate slots for a format at a place within [earliest, latest], earliest first."""
    rule = RULES[parse_format(format)]
    return rule.propose(place, earliest, latest, now, settings or SlotSettings())
