"""Report arithmetic (pure): filters from query text, medians, rates, and breakdowns of facts."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median as _median

from .errors import N_, DomainError

#: Career counts are given "since 2023", the year the lecture team's tally starts.
SINCE = date(2023, 1, 1)
#: Orders in these states count as fulfilled.
FULFILLED = frozenset({"delivered", "closed"})
CANCELLED = "cancelled"
#: The breakdowns every report carries, in the order pages show them.
DIMENSIONS = ("month", "township", "topic", "format", "member")
#: A longer range is cut to this many years (a ledger of more is never what anyone meant).
MAX_YEARS = 10
FIRST_YEAR, LAST_YEAR = 2000, 2100

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID = re.compile(r"\d{1,9}")
_CODE = re.compile(r"[a-z0-9_]{1,40}")


# --- Filters -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportFilter:
    """Local (Asia/Shanghai) dates, both inclusive, and optional narrowing by one value each."""

    first: date
    last: date
    township: int | None = None
    topic: str | None = None
    format: str | None = None
    member: int | None = None
    #: Only what a campaign (宣传活动) planned: its orders and their talks.
    campaign: int | None = None

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links to the same report or its exports)."""
        out = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        for name in ("township", "topic", "format", "member", "campaign"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        return out

    @property
    def file_stem(self) -> str:
        """`2026-11` for one whole calendar month, `2026` for a whole year, else both dates."""
        if self.first.day == 1 and self.last == month_end(self.first):
            return f"{self.first:%Y-%m}"
        if (self.first.month, self.first.day, self.last.month, self.last.day) == (1, 1, 12, 31) \
                and self.first.year == self.last.year:
            return f"{self.first:%Y}"
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def month_end(day: date) -> date:
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The first of the month `months` away from `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def default_range(today: date) -> tuple[date, date]:
    """The last twelve months, the current one included."""
    return add_months(today, -11), month_end(today)


def _parse_date(raw: str) -> date | None:
    if not _DATE.fullmatch(raw):
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None
    return value if FIRST_YEAR <= value.year <= LAST_YEAR else None


def parse_filter(
    args: Mapping[str, str], *, today: date, townships: Iterable[int] = (),
    topics: Iterable[str] = (), formats: Iterable[str] = (), members: Iterable[int] = (),
    campaigns: Iterable[int] = (),
) -> tuple[ReportFilter, list[DomainError]]:
    """Read the report's query parameters; anything wrong is dropped and explained, never fatal.

    `townships`, `topics`, `formats`, `members`, `campaigns` are the values that exist; others
    are refused.
    """
    errors: list[DomainError] = []
    default_first, default_last = default_range(today)
    bounds = {}
    for name, default in (("from", default_first), ("to", default_last)):
        raw = (args.get(name) or "").strip()
        value = _parse_date(raw) if raw else default
        if value is None:
            errors.append(DomainError(
                name, N_("“%(value)s” is not a date; write dates like 2026-11-30."),
                value=raw[:20]))
            value = default
        bounds[name] = value
    first, last = bounds["from"], bounds["to"]
    if first > last:
        first, last = last, first
        errors.append(DomainError("from", N_("The start date was after the end date; "
                                             "they have been swapped.")))
    if last.year - first.year > MAX_YEARS:
        first = date(last.year - MAX_YEARS, 1, 1)
        errors.append(DomainError("from", N_("A report covers at most %(n)d years; it now starts "
                                             "on %(date)s."), n=MAX_YEARS, date=first.isoformat()))

    def pick(name: str, pattern: re.Pattern, known: set, convert: Callable, message: str):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        value = convert(raw) if pattern.fullmatch(raw) else None
        if value is None or value not in known:
            errors.append(DomainError(name, message))
            return None
        return value

    chosen = {
        "township": pick("township", _ID, set(townships), int,
                         N_("Unknown township; showing all townships.")),
        "topic": pick("topic", _CODE, set(topics), str, N_("Unknown talk; showing all talks.")),
        "format": pick("format", _CODE, set(formats), str, N_("Unknown form; showing all forms.")),
        "member": pick("member", _ID, set(members), int,
                       N_("Unknown team member; showing all members.")),
        "campaign": pick("campaign", _ID, set(campaigns), int,
                         N_("Unknown campaign; showing all talks.")),
    }
    return ReportFilter(first=first, last=last, **chosen), errors


def months_between(first: date, last: date) -> list[str]:
    """Every month touched by [first, last] as `YYYY-MM`, oldest first."""
    out, cursor = [], date(first.year, first.month, 1)
    while cursor <= last:
        out.append(f"{cursor:%Y-%m}")
        cursor = add_months(cursor, 1)
    return out


# --- Facts -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionFact:
    """A delivered session, reduced to what reports count. `day` is its local date."""

    day: date
    township: int | None
    topics: tuple[str, ...]
    format: str
    members: tuple[int, ...]  # the lead first, then helpers
    headcount: int | None = None
    signins: int | None = None
    photos: int = 0
    rating: int | None = None
    campaign: int | None = None  # the campaign of its order, if any


@dataclass(frozen=True)
class OrderFact:
    """An order received on local date `day`, with how long acceptance and delivery took."""

    day: date
    township: int | None
    topics: tuple[str, ...]
    format: str
    members: tuple[int, ...]  # of its session, if it has one
    status: str
    to_acceptance: timedelta | None = None
    to_delivery: timedelta | None = None
    campaign: int | None = None


def matches(fact: SessionFact | OrderFact, flt: ReportFilter) -> bool:
    """Inside the filter's dates and narrowing (a talk with several topics matches each)."""
    return (
        flt.first <= fact.day <= flt.last
        and (flt.township is None or fact.township == flt.township)
        and (flt.topic is None or flt.topic in fact.topics)
        and (flt.format is None or fact.format == flt.format)
        and (flt.member is None or flt.member in fact.members)
        and (flt.campaign is None or fact.campaign == flt.campaign)
    )


# --- Figures -----------------------------------------------------------------------------------

def median(values: Iterable[timedelta]) -> timedelta | None:
    """The median duration, the mean of the middle two for an even count; None when empty."""
    seconds = [v.total_seconds() for v in values]
    return timedelta(seconds=_median(seconds)) if seconds else None


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by (never a misleading 0%)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    sessions: int = 0
    audience: int = 0            # sum of headcounts
    signins: int = 0             # sum of sign-in counts
    signin_sessions: int = 0     # sessions that reported a sign-in count
    photos: int = 0
    received: int = 0
    fulfilled: int = 0           # of the orders received, now delivered or closed
    cancelled: int = 0
    to_acceptance: timedelta | None = None  # median, order received → accepted/assigned
    to_delivery: timedelta | None = None    # median, order received → session held
    ratings: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)  # how many gave 1, 2, … 5 stars

    @property
    def rating_count(self) -> int:
        return sum(self.ratings)

    @property
    def rating_avg(self) -> float | None:
        total = sum(stars * n for stars, n in enumerate(self.ratings, start=1))
        return rate(total, self.rating_count)

    @property
    def fulfil_rate(self) -> float | None:
        return rate(self.fulfilled, self.received)

    @property
    def cancel_rate(self) -> float | None:
        return rate(self.cancelled, self.received)


def figures(sessions: Sequence[SessionFact], orders: Sequence[OrderFact]) -> Figures:
    ratings = [0] * 5
    for s in sessions:
        if s.rating is not None and 1 <= s.rating <= 5:
            ratings[s.rating - 1] += 1
    return Figures(
        sessions=len(sessions),
        audience=sum(s.headcount or 0 for s in sessions),
        signins=sum(s.signins or 0 for s in sessions),
        signin_sessions=sum(1 for s in sessions if s.signins is not None),
        photos=sum(s.photos for s in sessions),
        received=len(orders),
        fulfilled=sum(1 for o in orders if o.status in FULFILLED),
        cancelled=sum(1 for o in orders if o.status == CANCELLED),
        to_acceptance=median(o.to_acceptance for o in orders if o.to_acceptance is not None),
        to_delivery=median(o.to_delivery for o in orders if o.to_delivery is not None),
        ratings=tuple(ratings),
    )


def keys_of(fact: SessionFact | OrderFact, dimension: str) -> tuple[Hashable, ...]:
    """The bucket(s) a fact falls in; a talk on two topics counts once under each topic."""
    if dimension == "month":
        return (f"{fact.day:%Y-%m}",)
    if dimension == "township":
        return (fact.township,)
    if dimension == "format":
        return (fact.format,)
    if dimension == "topic":
        return tuple(dict.fromkeys(fact.topics)) or (None,)
    if dimension == "member":
        return tuple(dict.fromkeys(fact.members)) or (None,)
    raise ValueError(dimension)


def _sort_key(key: Hashable) -> tuple:
    return (key is None, str(key))


def breakdown(
    sessions: Sequence[SessionFact], orders: Sequence[OrderFact], dimension: str,
    keys: Sequence[Hashable] = (),
) -> list[tuple[Hashable, Figures]]:
    """Figures per bucket: the given `keys` first, in order (zero rows too), then any others."""
    groups: dict[Hashable, tuple[list, list]] = {k: ([], []) for k in keys}
    seen: list[Hashable] = []
    for index, facts in ((0, sessions), (1, orders)):
        for fact in facts:
            for key in keys_of(fact, dimension):
                if key not in groups:
                    groups[key] = ([], [])
                    seen.append(key)
                groups[key][index].append(fact)
    ordered = list(keys) + sorted(seen, key=_sort_key)
    return [(k, figures(*groups[k])) for k in ordered]


@dataclass(frozen=True)
class Report:
    filter: ReportFilter
    total: Figures
    rows: Mapping[str, list[tuple[Hashable, Figures]]] = field(default_factory=dict)


def build_report(
    flt: ReportFilter, sessions: Iterable[SessionFact], orders: Iterable[OrderFact],
    keys: Mapping[str, Sequence[Hashable]] | None = None,
) -> Report:
    """Filter the facts and break them down by every dimension.

    Months always run over the whole range (empty months show as zero); other dimensions list
    `keys[dimension]` first, so a township with no talks still shows up.
    """
    keys = dict(keys or {})
    keys["month"] = months_between(flt.first, flt.last)
    kept_sessions = [s for s in sessions if matches(s, flt)]
    kept_orders = [o for o in orders if matches(o, flt)]
    rows = {dim: breakdown(kept_sessions, kept_orders, dim, keys.get(dim, ()))
            for dim in DIMENSIONS}
    return Report(filter=flt, total=figures(kept_sessions, kept_orders), rows=rows)


def career_counts(
    participations: Iterable[tuple[int, int, date]], since: date = SINCE,
) -> dict[int, tuple[int, int]]:
    """(session id, member id, local day) of every delivered talk → member: (all time, since)."""
    counts: dict[int, list[int]] = {}
    for _session, member, day in set(participations):
        entry = counts.setdefault(member, [0, 0])
        entry[0] += 1
        if day >= since:
            entry[1] += 1
    return {member: (a, b) for member, (a, b) in counts.items()}

