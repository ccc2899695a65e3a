"""What placing an order is checked against, read once per change instead of once per order.

Topics, places (villages, schools with their terms, markets), township blackouts, holiday
overrides and the stored film season change a few times a year; orders arrive by the hundred.
Each process keeps one immutable snapshot of them per database (engine), keyed by the counter
(``change_stamp`` row 2, bumped after every commit that changed one of those tables, see
``models/stamp.py``): an order then costs one read of that counter instead of four queries, and
the snapshot is rebuilt, whole, the first time the counter has moved. Where the counter does
not exist (a database created without the migrations) or the current transaction changed
reference data itself, the snapshot is read afresh from the session: never stale, only slower.

The snapshot's places quack like the model rows the slot rules read (``township_id``, ``lat``,
``terms``, a market's ``cycle`` …), so ``scheduling.build_place_context`` reads both the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, time
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain.errors import Bilingual
from ..extensions import db
from ..models import Blackout, HolidayOverride, Market, School, Topic, Village
from ..models.stamp import REFERENCE_STAMP, reference_changed_here, stamp_value
from .screenings_admin import film_season_overrides

_HOLDERS: WeakKeyDictionary = WeakKeyDictionary()  # engine → _Holder
_HOLDERS_LOCK = threading.Lock()


@dataclass(frozen=True)
class TopicRef:
    id: int
    code: str
    title_zh: str
    title_en: str
    formats: frozenset[str]
    position: int

    def title(self, lang: str) -> str:
        return self.title_en if lang.startswith("en") else self.title_zh

    @property
    def bilingual(self) -> Bilingual:
        return Bilingual(self.title_zh, self.title_en)


@dataclass(frozen=True)
class TermRef:
    first: date
    last: date


@dataclass(frozen=True)
class PlaceRef:
    """A village, school or market as the order checks and the slot rules read it."""

    kind: str
    id: int
    township_id: int
    name: str
    lat: float | None
    lon: float | None
    active: bool = True
    terms: tuple[TermRef, ...] = ()
    cycle: dict | None = None
    missing_30: str = "skip"
    pauses: tuple = ()
    spring_festival_days_before: int | None = None
    spring_festival_days_after: int | None = None
    opens: time | None = None
    closes: time | None = None


@dataclass(frozen=True)
class BlackoutRef:
    township_id: int
    first: date
    last: date
    weekdays: tuple[int, ...]
    start: time | None
    end: time | None
    label: str


@dataclass(frozen=True)
class OverrideRef:
    day: date
    working: bool
    name: str


@dataclass(frozen=True)
class Reference:
    stamp: int | None
    topics: dict[str, TopicRef]  # the active topics, by code
    places: dict[tuple[str, int], PlaceRef]
    blackouts: dict[int, tuple[BlackoutRef, ...]]  # by township
    overrides: tuple[OverrideRef, ...]
    film: dict  # the stored film season as SlotSettings keywords; empty when none is stored
    formats: dict[str, frozenset[str]] = field(init=False)
    titles: dict[str, Bilingual] = field(init=False)

    def __post_init__(self) -> None:  # what validate_order reads, computed once
        object.__setattr__(self, "formats", {c: t.formats for c, t in self.topics.items()})
        object.__setattr__(self, "titles", {c: t.bilingual for c, t in self.topics.items()})

    def find_place(self, kind: str, place_id: int | None) -> PlaceRef | None:
        return self.places.get((kind, place_id)) if place_id is not None else None

    def township_blackouts(self, township_id: int) -> tuple[BlackoutRef, ...]:
        return self.blackouts.get(township_id, ())


class _Holder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reference: Reference | None = None


def cached() -> Reference | None:
    """The snapshot this process holds, without asking whether it is still current (no query):
    for a caller that checks the counter itself, in a statement it runs anyway (placing an
    order), and calls :func:`current` when it has moved."""
    holder = _HOLDERS.get(db.session.get_bind())
    return holder.reference if holder is not None else None


def changed_here() -> bool:
    """Whether this transaction has flushed reference changes of its own (not yet counted)."""
    return reference_changed_here(db.session)


def still_current(reference: Reference, stamp: int | None) -> bool:
    """Whether ``reference`` can stand for the data as this session sees it, given the counter
    read in this transaction."""
    return (stamp is not None and reference.stamp == stamp
            and not reference_changed_here(db.session))


def current() -> Reference:
    """The snapshot for this request: the cached one while the counter has not moved."""
    stamp = stamp_value(REFERENCE_STAMP)  # autoflushes, so pending changes are noticed below
    if stamp is None or reference_changed_here(db.session):
        return load(None)
    engine = db.session.get_bind()
    holder = _HOLDERS.get(engine)
    if holder is None:
        with _HOLDERS_LOCK:
            holder = _HOLDERS.setdefault(engine, _Holder())
    cached = holder.reference
    if cached is not None and cached.stamp == stamp:
        return cached
    with holder.lock:  # one rebuild per change, however many requests saw it at once
        cached = holder.reference
        if cached is None or cached.stamp != stamp:
            cached = holder.reference = load(stamp)
    return cached


def load(stamp: int | None) -> Reference:
    """Everything the snapshot holds, as the session sees it now (eight small queries)."""
    topics = {t.code: TopicRef(t.id, t.code, t.title_zh, t.title_en, frozenset(t.formats or ()),
                               t.position)
              for t in db.session.scalars(select(Topic).where(Topic.active.is_(True)))}
    places: dict[tuple[str, int], PlaceRef] = {}
    for v in db.session.scalars(select(Village)):
        places["village", v.id] = PlaceRef("village", v.id, v.township_id, v.name, v.lat, v.lon)
    for s in db.session.scalars(select(School).options(selectinload(School.terms))):
        places["school", s.id] = PlaceRef(
            "school", s.id, s.township_id, s.name, s.lat, s.lon,
            terms=tuple(TermRef(t.first, t.last) for t in s.terms))
    for m in db.session.scalars(select(Market)):
        places["market", m.id] = PlaceRef(
            "market", m.id, m.township_id, m.name, m.lat, m.lon, active=m.active,
            cycle=m.cycle, missing_30=m.missing_30, pauses=tuple(m.pauses or ()),
            spring_festival_days_before=m.spring_festival_days_before,
            spring_festival_days_after=m.spring_festival_days_after,
            opens=m.opens, closes=m.closes)
    blackouts: dict[int, list[BlackoutRef]] = {}
    for b in db.session.scalars(select(Blackout).order_by(Blackout.first, Blackout.id)):
        blackouts.setdefault(b.township_id, []).append(BlackoutRef(
            b.township_id, b.first, b.last, tuple(b.weekdays or ()), b.start, b.end, b.label))
    overrides = tuple(OverrideRef(o.day, o.working, o.name) for o in db.session.scalars(
        select(HolidayOverride).order_by(HolidayOverride.day)))
    return Reference(stamp=stamp, topics=topics, places=places,
                     blackouts={k: tuple(v) for k, v in blackouts.items()},
                     overrides=overrides, film=film_season_overrides())
