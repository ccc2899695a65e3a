"""Reach (pure): which places the team's talks reached, how long ago, and a member's record.

Built on the reports' facts (`reports.SessionFact`, `reports.matches`, `reports.figures`) so the
figures here are the reports' figures: a talk is a delivered session, its audience the delivery's
recorded headcount, its day the local (Beijing) date it was held. Reach only adds where the talk
was: the place (village, school or market) of the order behind it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from . import reports as rp
from .errors import N_, DomainError

#: "Not reached in N months": N when nobody chose one, and the bounds of a choice.
DEFAULT_MONTHS = 12
MIN_MONTHS, MAX_MONTHS = 1, 120

#: Months-since buckets, newest first: (name, first month included, first month excluded).
BUCKETS = (("0-3", 0, 3), ("3-6", 3, 6), ("6-12", 6, 12), ("12plus", 12, None))
NEVER = "never"
BUCKET_NAMES = tuple(b[0] for b in BUCKETS) + (NEVER,)
PLACE_KINDS = ("village", "school", "market")

PlaceKey = tuple[str, int]  # ("village", 3)


# --- Inputs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlaceInfo:
    kind: str          # village | school | market
    id: int
    name: str
    township: int
    lat: float | None = None
    lon: float | None = None

    @property
    def key(self) -> PlaceKey:
        return (self.kind, self.id)


@dataclass(frozen=True)
class Talk:
    """A delivered session as the reports count it, and the place of its order (None: no order)."""

    fact: rp.SessionFact
    place: PlaceKey | None


# --- Months since ------------------------------------------------------------------------------

def months_since(last: date | None, today: date) -> int | None:
    """Whole months from `last` to `today` (a month counts once its day is reached); None: never."""
    if last is None:
        return None
    if last >= today:
        return 0
    months = (today.year - last.year) * 12 + today.month - last.month
    if today.day < last.day:
        months -= 1
    return max(months, 0)


def bucket(months: int | None) -> str:
    """The map's colour class for a place last reached `months` ago (see BUCKETS)."""
    if months is None:
        return NEVER
    for name, first, stop in BUCKETS:
        if months >= first and (stop is None or months < stop):
            return name
    raise ValueError(months)


def parse_months(raw: str | None) -> tuple[int, DomainError | None]:
    """The "not reached in N months" choice; a bad one falls back to the default, explained."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_MONTHS, None
    if text.isascii() and text.isdigit() and len(text) <= 4 \
            and MIN_MONTHS <= int(text) <= MAX_MONTHS:
        return int(text), None
    return DEFAULT_MONTHS, DomainError(
        "months", N_("Choose a number of months from %(low)d to %(high)d."),
        low=MIN_MONTHS, high=MAX_MONTHS)


# --- Coverage ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TopicReach:
    topic: str
    talks: int                 # in the period
    audience: int              # in the period
    last: date | None          # the last talk on this topic ever (up to today)


@dataclass(frozen=True)
class PlaceReach:
    place: PlaceInfo
    talks: int                 # in the period
    audience: int              # in the period
    last: date | None          # the last talk ever (up to today), topic filter applied
    months: int | None         # whole months since `last`; None: never reached
    topics: tuple[TopicReach, ...] = ()

    @property
    def bucket(self) -> str:
        return bucket(self.months)

    @property
    def css_class(self) -> str:
        return f"cov-{self.bucket}"


@dataclass(frozen=True)
class Coverage:
    filter: rp.ReportFilter
    months: int                      # N of "not reached in N months"
    today: date
    places: tuple[PlaceReach, ...]   # every place of the township filter, in the given order
    total: rp.Figures                # the reports' figures for the same filter
    placed: rp.Figures               # of those, the talks held at the places listed

    @property
    def not_reached(self) -> tuple[PlaceReach, ...]:
        """No talk for `months` months or more, or never: the never-reached first, then oldest."""
        out = [p for p in self.places if p.months is None or p.months >= self.months]
        return tuple(sorted(out, key=lambda p: (p.last is not None, p.last or date.min)))

    @property
    def unplaced(self) -> tuple[int, int]:
        """(talks, audience) of the period not at a listed place (no order behind them)."""
        return (self.total.sessions - self.placed.sessions,
                self.total.audience - self.placed.audience)

    def counts(self) -> dict[str, int]:
        """How many places fall in each bucket, every bucket listed."""
        out = dict.fromkeys(BUCKET_NAMES, 0)
        for p in self.places:
            out[p.bucket] += 1
        return out


def _history_filter(flt: rp.ReportFilter, today: date) -> rp.ReportFilter:
    """Everything up to today, with the same narrowing: for the "last talk" of a place."""
    return replace(flt, first=date(rp.FIRST_YEAR, 1, 1), last=today)


def build_coverage(
    flt: rp.ReportFilter, places: Sequence[PlaceInfo], talks: Iterable[Talk], *, today: date,
    months: int = DEFAULT_MONTHS, topic_order: Sequence[str] = (),
) -> Coverage:
    """Every place of `places` (narrowed to the filter's township) with its talks in the period.

    The period's talks are the reports' (`reports.matches` with the same filter), so the total
    is the report's total. The last talk looks at the whole history up to `today`, with the
    same township and topic narrowing (not reached on *this* topic).
    """
    talks = list(talks)
    rank = {code: i for i, code in enumerate(topic_order)}

    def order(code: str) -> tuple[int, str]:
        return (rank.get(code, len(rank)), code)

    history = _history_filter(flt, today)
    kept = [t for t in talks if rp.matches(t.fact, flt)]
    past = [t for t in talks if rp.matches(t.fact, history)]
    shown = [p for p in places if flt.township is None or p.township == flt.township]
    keys = {p.key for p in shown}

    in_period: dict[PlaceKey, list[rp.SessionFact]] = {}
    for t in kept:
        if t.place in keys:
            in_period.setdefault(t.place, []).append(t.fact)
    last: dict[PlaceKey, date] = {}
    last_topic: dict[tuple[PlaceKey, str], date] = {}
    for t in past:
        if t.place not in keys:
            continue
        if t.place not in last or t.fact.day > last[t.place]:
            last[t.place] = t.fact.day
        for code in t.fact.topics:
            k = (t.place, code)
            if k not in last_topic or t.fact.day > last_topic[k]:
                last_topic[k] = t.fact.day

    rows = []
    for p in shown:
        facts = in_period.get(p.key, [])
        figs = rp.figures(facts, [])
        codes = sorted({c for (k, c) in last_topic if k == p.key}
                       | {c for f in facts for c in f.topics}, key=order)
        if flt.topic is not None:
            codes = [c for c in codes if c == flt.topic]
        per_topic = []
        for code in codes:
            on_topic = [f for f in facts if code in f.topics]
            per_topic.append(TopicReach(
                topic=code, talks=len(on_topic),
                audience=sum(f.headcount or 0 for f in on_topic),
                last=last_topic.get((p.key, code))))
        rows.append(PlaceReach(
            place=p, talks=figs.sessions, audience=figs.audience, last=last.get(p.key),
            months=months_since(last.get(p.key), today), topics=tuple(per_topic)))

    placed = rp.figures([t.fact for t in kept if t.place in keys], [])
    return Coverage(filter=flt, months=months, today=today, places=tuple(rows),
                    total=rp.figures([t.fact for t in kept], []), placed=placed)


# --- Map projection ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Projection:
    width: int
    height: int
    points: Mapping[object, tuple[float, float]]  # key → (x, y) in the viewBox
    skipped: tuple[object, ...]                    # keys without both coordinates


def project(
    coords: Mapping[object, tuple[float | None, float | None]], *, width: int = 800,
    pad: int = 40, min_height: int = 240,
) -> Projection:
    """(lat, lon) → (x, y): linear, north up, east right, one scale on both axes.

    A degree of longitude is shortened by cos(mean latitude) so the district keeps its shape
    (about 0.8 at 36.5°N); the larger extent fills the width, the map's height follows. Places
    without both coordinates are skipped and listed.
    """
    known = {k: (lat, lon) for k, (lat, lon) in coords.items()
             if lat is not None and lon is not None
             and math.isfinite(lat) and math.isfinite(lon)}
    skipped = tuple(k for k in coords if k not in known)
    if not known:
        return Projection(width=width, height=min_height, points={}, skipped=skipped)
    lats = [lat for lat, _ in known.values()]
    lons = [lon for _, lon in known.values()]
    north, south, west, east = max(lats), min(lats), min(lons), max(lons)
    shrink = math.cos(math.radians((north + south) / 2))
    span_x, span_y = (east - west) * shrink, north - south
    inner = width - 2 * pad
    scale = inner / max(span_x, span_y) if max(span_x, span_y) > 0 else 0.0
    height = max(round(2 * pad + span_y * scale), min_height)
    left = pad + (inner - span_x * scale) / 2       # centred when taller than wide
    top = (height - span_y * scale) / 2             # centred when the map is short
    points = {
        k: (round(left + (lon - west) * shrink * scale, 1), round(top + (north - lat) * scale, 1))
        for k, (lat, lon) in known.items()
    }
    return Projection(width=width, height=height, points=points, skipped=skipped)


# --- A member's record -------------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    member: int
    talks_all_time: int            # the reports' career count
    talks_this_year: int
    talks_since: int               # since reports.SINCE, as the reports show it
    figures: rp.Figures            # every delivered talk the member gave: audience, ratings
    by_topic: tuple[tuple[str | None, int], ...]
    by_format: tuple[tuple[str, int], ...]
    places: Mapping[str, tuple[tuple[int, int, date], ...]]  # kind → (place id, talks, last)
    schools: tuple[tuple[int, int, int, date | None], ...]  # vice-principal school: id,
    #                                                         talks by the member, by anyone, last


def build_record(
    member: int, talks: Iterable[Talk], participations: Iterable[tuple[int, int, date]], *,
    today: date, vice_principal_of: Sequence[int] = (), school_talks: Iterable[Talk] = (),
    topic_order: Sequence[str] = (), format_order: Sequence[str] = (),
) -> Record:
    """`talks`: the member's delivered talks (lead or helper); `participations`: the reports'
    (session, member, day) of every delivered talk; `school_talks`: every talk at the
    vice-principal schools, whoever gave it."""
    talks = [t for t in talks if member in t.fact.members]
    facts = [t.fact for t in talks]
    participations = list(participations)
    all_time, since = rp.career_counts(participations).get(member, (0, 0))
    _, this_year = rp.career_counts(participations, since=date(today.year, 1, 1)).get(
        member, (0, 0))

    topic_rows = rp.breakdown(facts, [], "topic", topic_order)
    format_rows = rp.breakdown(facts, [], "format", format_order)

    places: dict[str, dict[int, list]] = {kind: {} for kind in PLACE_KINDS}
    for t in talks:
        if t.place is None or t.place[0] not in places:
            continue
        entry = places[t.place[0]].setdefault(t.place[1], [0, t.fact.day])
        entry[0] += 1
        entry[1] = max(entry[1], t.fact.day)
    place_rows = {
        kind: tuple(sorted(((pid, n, day) for pid, (n, day) in rows.items()),
                           key=lambda r: (-r[1], r[0])))
        for kind, rows in places.items()
    }

    schools = []
    school_talks = list(school_talks)
    for sid in vice_principal_of:
        here = [t.fact for t in school_talks if t.place == ("school", sid)]
        mine = [f for f in here if member in f.members]
        schools.append((sid, len(mine), len(here), max((f.day for f in here), default=None)))

    return Record(
        member=member, talks_all_time=all_time, talks_this_year=this_year, talks_since=since,
        figures=rp.figures(facts, []),
        by_topic=tuple((k, f.sessions) for k, f in topic_rows if f.sessions or k is not None),
        by_format=tuple((k, f.sessions) for k, f in format_rows),
        places=place_rows, schools=tuple(schools),
    )
