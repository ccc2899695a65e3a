"""Who may take an order and who should: hard eligibility rules, soft scores, batch assignment."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from itertools import compress, repeat
from operator import attrgetter, contains
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from .errors import N_, DomainError

Interval = tuple[datetime, datetime]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_TRAVEL_BUFFER = timedelta(minutes=60)
DEFAULT_SAME_TOWNSHIP_BUFFER = timedelta(minutes=20)

# Beyond this a member's home is as good as "far": the district is about 50 km across.
FAR_KM = 60.0
# Half-points of the saturating parts: 2 recent sessions halve fairness, 5 talks on the
# topics give half the experience points.
FAIRNESS_HALF = 2.0
EXPERIENCE_HALF = 5.0
# Missing data should neither reward nor punish a member.
NEUTRAL = 0.5
EARTH_RADIUS_KM = 6371.0088

MOBILE_FILM = "mobile_film"

REASONS: Mapping[str, str] = MappingProxyType(
    {
        "inactive": N_("Not active in the lecture team."),
        "topic": N_(
            "Does not cover the order's topics, alone or with helpers free at the same time."
        ),
        "format": N_("Does not run this format."),
        "kit": N_("Is not qualified to run the film kit."),
        "leave": N_("Is on leave at the proposed times."),
        "busy": N_("Has another session at or too close to the proposed times (travel included)."),
        "cap_day": N_("Has reached the daily limit of sessions on the proposed days."),
        "cap_week": N_("Has reached the weekly limit of sessions in the proposed weeks."),
        "language": N_("Does not speak the language asked for."),
        "declined": N_("Already declined this order or let its offer expire."),
        "no_slot": N_("None of the order's proposed times is still ahead."),
    }
)


@dataclass(frozen=True)
class Busy:
    """A session the member already holds."""

    start: datetime
    end: datetime
    township_id: int | None


@dataclass(frozen=True)
class MemberProfile:
    """What matching needs to know about a team member.

    ``busy`` and ``leave`` need only cover the weeks of the orders at hand; ``recent_sessions``
    counts the last 30 days (fairness); ``topic_experience`` is (topic code, sessions given).
    """

    id: int
    name: str
    active: bool = True
    topics: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"zh"})
    home_township_id: int | None = None
    home: tuple[float, float] | None = None
    vice_principal_of: frozenset[int] = frozenset()
    kit_qualified: bool = False
    leave: tuple[Interval, ...] = ()
    busy: tuple[Busy, ...] = ()
    daily_cap: int = 2
    weekly_cap: int = 5
    recent_sessions: int = 0
    topic_experience: tuple[tuple[str, int], ...] = ()
    avg_rating: float | None = None
    rating_count: int = 0


@dataclass(frozen=True)
class OrderNeed:
    """What an order asks for. ``slots`` are the candidate times, already valid for the place,
    the format and the kits; ``exclude`` holds members who declined it or let an offer expire;
    ``language`` None means any."""

    id: int | None
    topics: frozenset[str]
    format: str
    township_id: int | None
    venue: tuple[float, float] | None
    school_id: int | None = None
    language: str | None = None
    slots: tuple[Interval, ...] = ()
    exclude: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Weights:
    """Points each soft part is worth at its best; an app can override them from config."""

    vice_principal: float = 40
    distance: float = 25
    fairness: float = 20
    experience: float = 10
    rating: float = 5

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _weight_value(f.name, getattr(self, f.name)))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> Weights:
        known = {f.name for f in fields(cls)}
        for key in mapping:
            if key not in known:
                raise DomainError("weights", N_("Unknown matching weight “%(name)s”."), name=key)
        return cls(**mapping)  # type: ignore[arg-type]


def _weight_value(name: str, raw: object) -> float:
    # Config files and env vars hand over strings; booleans are a typo, not a weight.
    if isinstance(raw, bool):
        raise DomainError("weights", N_("Matching weight “%(name)s” must be a number."), name=name)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DomainError(
            "weights", N_("Matching weight “%(name)s” must be a number."), name=name
        ) from None
    if not math.isfinite(value) or value < 0:
        raise DomainError(
            "weights", N_("Matching weight “%(name)s” must be zero or more."), name=name
        )
    return value


DEFAULT_WEIGHTS = Weights()


# What each soft part is called on screen; ``ScorePart.name`` stays the stable code.
PART_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "vice_principal": N_("Vice-principal of this school"),
        "distance": N_("Distance"),
        "fairness": N_("Recent load (fairness)"),
        "experience": N_("Experience with the topic"),
        "rating": N_("Average rating"),
    }
)


_NO_PARAMS: Mapping[str, object] = MappingProxyType({})


class ScorePart(NamedTuple):
    """One soft part of a score. ``note`` is an English msgid (marked with ``N_``) saying why
    the value is what it is, ``note_params`` fill its holes; the web layer translates both.
    A named tuple: the API explains thousands of them at once."""

    name: str
    weight: float
    value: float
    note: str = ""
    note_params: Mapping[str, object] = _NO_PARAMS

    @property
    def points(self) -> float:
        return self.weight * self.value

    @property
    def label(self) -> str:
        return PART_LABELS.get(self.name, self.name)

    @property
    def detail(self) -> str:
        """The note in English, for logs and tests (people get it translated)."""
        return self.note % self.note_params if self.note_params else self.note


@dataclass(frozen=True)
class Candidate:
    """An eligible member. ``parts`` explain the score; they are worked out on first use, as
    dispatching reads them only for the one or few members it offers the order to."""

    member_id: int
    score: float
    free_slots: tuple[Interval, ...]
    helpers: tuple[int, ...] = ()
    explain: Callable[[], tuple[ScorePart, ...]] | None = field(
        default=None, repr=False, compare=False
    )

    @cached_property
    def parts(self) -> tuple[ScorePart, ...]:
        return self.explain() if self.explain is not None else ()


class Exclusion(NamedTuple):
    """A member who may not take the order, with every reason (codes of :data:`REASONS`).

    A named tuple rather than a dataclass: a ranking of a large team makes thousands."""

    member_id: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    """Candidates best first; ``excluded`` (every other member with all reasons, by member id)
    is built on first use: most of a large team is excluded, and dispatching never asks why."""

    candidates: tuple[Candidate, ...]
    exclusions: Callable[[], tuple[Exclusion, ...]] = field(repr=False, compare=False)

    @cached_property
    def excluded(self) -> tuple[Exclusion, ...]:
        return self.exclusions()


@dataclass(frozen=True)
class Assignment:
    order_id: int
    member_id: int
    slot: Interval
    score: float


@dataclass(frozen=True)
class BatchResult:
    """``dropped`` lists the orders the solver matched but whose member had no time left for them.

    They are also in ``unassigned``; ``objective`` is the total score of ``assignments``;
    ``eligible`` says, for an unassigned order, whether anyone could have taken it at all.
    """

    assignments: tuple[Assignment, ...]
    unassigned: tuple[int, ...]
    objective: float
    dropped: tuple[int, ...] = ()
    #: Order id -> how many members could take it (hard rules, one free slot); absent = none.
    eligible: Mapping[int, int] = field(default_factory=dict, hash=False, compare=False)


# --- time -----------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def _us(moment: datetime, field: str) -> int:
    """Microseconds since the epoch: exact, and cheap to compare by the thousand."""
    try:
        return (moment - _EPOCH) // _US
    except TypeError:  # a naive datetime cannot be placed in time
        raise DomainError(field, N_("Times must carry a time zone.")) from None


def _local_day_week(moment: datetime) -> tuple[int, int]:
    """The local (Asia/Shanghai) midnights starting the day and the ISO week of ``moment``."""
    local = moment.astimezone(LOCAL_TZ)
    day = datetime(local.year, local.month, local.day, tzinfo=LOCAL_TZ)
    return _us(day, "slots"), _us(day - timedelta(days=local.weekday()), "slots")


_DAY_US = 86_400_000_000
_WEEK_US = 7 * _DAY_US

# A slot resolved for the hard rules: (start, end, day_lo, day_hi, week_lo, week_hi) in
# microseconds, where the day and the ISO week are those of its start in Asia/Shanghai.
_Bounds = tuple[int, int, int, int, int, int]


class _Need:
    """An order prepared for the rules: validated, its live slots resolved to microseconds."""

    __slots__ = (
        "need", "topics", "multi", "format", "needs_kit", "township", "language", "exclude",
        "live_slots", "bounds",
    )  # fmt: skip

    def __init__(self, need: OrderNeed, now: datetime, cache: dict | None = None) -> None:
        if not need.topics:
            raise DomainError("topics", N_("An order needs at least one topic."))
        self.need = need
        self.topics = need.topics
        self.multi = len(need.topics) > 1
        self.format = need.format
        self.needs_kit = need.format == MOBILE_FILM
        self.township = need.township_id
        self.language = need.language
        self.exclude = need.exclude
        now_us = _us(now, "now")
        # Orders of one batch share slots (market mornings, film evenings): resolve each once.
        cache = {} if cache is None else cache
        resolved = []
        for slot in need.slots:
            bounds = cache.get(slot)
            if bounds is None:
                start, end = _us(slot[0], "slots"), _us(slot[1], "slots")
                if end <= start:
                    raise DomainError("slots", N_("A proposed time must end after it starts."))
                day, week = _local_day_week(slot[0])
                bounds = cache[slot] = (start, end, day, day + _DAY_US, week, week + _WEEK_US)
            # A slot that has begun can no longer be offered.
            if bounds[0] > now_us:
                resolved.append((bounds[0], bounds[1], slot, bounds))
        resolved.sort(key=lambda r: (r[0], r[1]))
        seen = set()
        live = []
        for start, end, slot, bounds in resolved:
            if (start, end) not in seen:
                seen.add((start, end))
                live.append((slot, bounds))
        self.live_slots: tuple[Interval, ...] = tuple(slot for slot, _ in live)
        self.bounds: tuple[_Bounds, ...] = tuple(bounds for _, bounds in live)


_get_id = attrgetter("id")


# Township codes: an unknown township is never "the same" as another.
_NO_SESSION_TOWN = np.iinfo(np.int64).min
_NO_ORDER_TOWN = _NO_SESSION_TOWN + 1


class _Timeline:
    """The sessions and leave of a list of members as arrays, to check a slot for all at once.

    Checking member by member in Python cost ~5 µs a member and slot; here a slot costs a
    handful of array operations whatever the team size.
    """

    def __init__(
        self, members: Sequence[MemberProfile], travel: timedelta, same: timedelta
    ) -> None:
        if travel < timedelta(0) or same < timedelta(0):
            raise DomainError(None, N_("Travel buffers cannot be negative."))
        self.n = len(members)
        self.travel = travel // _US
        self.same = same // _US
        # Flat lists of ints: numpy reads them far faster than lists of tuples.
        busy: list[int] = []
        leave: list[int] = []
        epoch, us = _EPOCH, _US
        field = "busy"
        try:  # _us() inlined: this loop is most of the cost of ranking a large team
            for i, m in enumerate(members):
                field = "busy"
                for s in m.busy:
                    town = _NO_SESSION_TOWN if s.township_id is None else s.township_id
                    busy += (i, (s.start - epoch) // us, (s.end - epoch) // us, town)
                field = "leave"
                for start, end in m.leave:
                    leave += (i, (start - epoch) // us, (end - epoch) // us)
        except TypeError:  # a naive datetime cannot be placed in time
            raise DomainError(field, N_("Times must carry a time zone.")) from None
        b = np.array(busy, dtype=np.int64).reshape(-1, 4).T.copy()
        self.b_member, self.b_start, self.b_end, self.b_town = b
        lv = np.array(leave, dtype=np.int64).reshape(-1, 3).T.copy()
        self.l_member, self.l_start, self.l_end = lv
        self.daily_cap = np.fromiter((m.daily_cap for m in members), np.int64, self.n)
        self.weekly_cap = np.fromiter((m.weekly_cap for m in members), np.int64, self.n)
        self._memo: dict[tuple[_Bounds, int], np.ndarray] = {}

    def faults(self, bounds: _Bounds, township: int | None) -> np.ndarray:
        """Bit mask of time faults per member for one slot of an order in ``township``."""
        town = _NO_ORDER_TOWN if township is None else township
        key = (bounds, town)
        faults = self._memo.get(key)
        if faults is not None:
            return faults
        start, end, day_lo, day_hi, week_lo, week_hi = bounds
        n = self.n
        faults = np.zeros(n, dtype=np.int64)
        if len(self.l_start):
            on_leave = (self.l_start < end) & (self.l_end > start)
            faults[self.l_member[on_leave]] |= _LEAVE
        day_n = week_n = np.zeros(n, dtype=np.int64)
        if len(self.b_start):
            # The slot widened by the buffer on both sides must not touch the session;
            # the buffer is shorter when the session is in the order's township.
            buffer = np.where(self.b_town == town, self.same, self.travel)
            clash = (self.b_start < end + buffer) & (self.b_end > start - buffer)
            faults[self.b_member[clash]] |= _BUSY
            # A session counts towards the day and week in which it starts.
            in_week = (self.b_start >= week_lo) & (self.b_start < week_hi)
            in_day = in_week & (self.b_start >= day_lo) & (self.b_start < day_hi)
            week_n = np.bincount(self.b_member[in_week], minlength=n)
            day_n = np.bincount(self.b_member[in_day], minlength=n)
        faults |= np.where(day_n >= self.daily_cap, _CAP_DAY, 0)
        faults |= np.where(week_n >= self.weekly_cap, _CAP_WEEK, 0)
        self._memo[key] = faults
        return faults

    def slot_faults(self, ctx: _Need, members: np.ndarray | None = None) -> np.ndarray:
        """(slots x members) fault masks of the order's live slots; all members or a subset."""
        rows = [self.faults(b, ctx.township) for b in ctx.bounds]
        matrix = np.array(rows) if rows else np.zeros((0, self.n), dtype=np.int64)
        return matrix if members is None else matrix[:, members]


def _time_summary(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per member: the faults that closed every slot (0 when one is free); the free-slot mask."""
    free = matrix == 0
    if not len(matrix):
        return np.full(matrix.shape[1], _NO_SLOT, dtype=np.int64), free
    return np.where(free.any(axis=0), 0, np.bitwise_or.reduce(matrix, axis=0)), free


# --- hard rules -----------------------------------------------------------------------------

# One bit per reason, in the order of REASONS, so that a set of reasons is one int.
_BIT = {code: 1 << i for i, code in enumerate(REASONS)}
_INACTIVE, _TOPIC, _FORMAT, _KIT = _BIT["inactive"], _BIT["topic"], _BIT["format"], _BIT["kit"]
_LEAVE, _BUSY, _CAP_DAY, _CAP_WEEK = _BIT["leave"], _BIT["busy"], _BIT["cap_day"], _BIT["cap_week"]
_LANGUAGE, _DECLINED, _NO_SLOT = _BIT["language"], _BIT["declined"], _BIT["no_slot"]
_REASON_TUPLES: dict[int, tuple[str, ...]] = {}


def _reason_codes(mask: int) -> tuple[str, ...]:
    codes = _REASON_TUPLES.get(mask)
    if codes is None:
        codes = _REASON_TUPLES[mask] = tuple(c for c, bit in _BIT.items() if mask & bit)
    return codes


class _Team:
    """The member-level facts of a team as arrays over its members, each built on first use,
    so that the static rules cost a few array operations per order instead of a Python loop
    over the team."""

    def __init__(self, members: Sequence[MemberProfile]) -> None:
        self.members = members
        self.n = len(members)
        self.ids = np.fromiter(map(_get_id, members), np.int64, self.n)
        self._masks: dict[tuple[str, object], np.ndarray] = {}

    def mask(self, attr: str, value: object = None) -> np.ndarray:
        """Members whose ``attr`` holds ``value`` (a set attribute) or is true (``value`` None)."""
        key = (attr, value)
        got = self._masks.get(key)
        if got is None:
            values = map(attrgetter(attr), self.members)
            if value is not None:
                values = map(contains, values, repeat(value))
            got = np.fromiter(values, bool, self.n)
            self._masks[key] = got
        return got

    def static_faults(self, ctx: _Need) -> np.ndarray:
        """Bit mask per member of the rules that do not depend on time."""
        topical = np.zeros(self.n, dtype=bool)
        for topic in ctx.topics:
            topical |= self.mask("topics", topic)
        faults = np.where(self.mask("active"), 0, _INACTIVE)
        faults |= np.where(topical, 0, _TOPIC)
        faults |= np.where(self.mask("formats", ctx.format), 0, _FORMAT)
        if ctx.needs_kit:
            faults |= np.where(self.mask("kit_qualified"), 0, _KIT)
        if ctx.language is not None:
            faults |= np.where(self.mask("languages", ctx.language), 0, _LANGUAGE)
        if ctx.exclude:
            faults |= np.where(np.isin(self.ids, list(ctx.exclude)), _DECLINED, 0)
        return faults

    def exclusions(self, faults: np.ndarray) -> tuple[Exclusion, ...]:
        """Every member with a fault and all its reasons, by member id."""
        out = np.flatnonzero(faults)
        out = out[np.argsort(self.ids[out], kind="stable")]
        masks, which = np.unique(faults[out], return_inverse=True)
        codes = [_reason_codes(int(m)) for m in masks.tolist()]
        return tuple(map(Exclusion, self.ids[out].tolist(), map(codes.__getitem__, which.tolist())))


def _time_faults(
    ctx: _Need, members: Sequence[MemberProfile], travel: timedelta, same: timedelta
) -> tuple[np.ndarray, np.ndarray]:
    """Per member the time faults that closed every slot (0 when one is free), and the
    (slots x members) free mask."""
    return _time_summary(_Timeline(members, travel, same).slot_faults(ctx))


def eligibility(
    need: OrderNeed,
    member: MemberProfile,
    now: datetime,
    *,
    travel_buffer: timedelta = DEFAULT_TRAVEL_BUFFER,
    same_township_buffer: timedelta = DEFAULT_SAME_TOWNSHIP_BUFFER,
) -> tuple[tuple[str, ...], tuple[Interval, ...]]:
    """Why ``member`` may not take ``need`` (codes of :data:`REASONS`) and the slots it is free for.

    A member is eligible when the first item is empty, which needs at least one free slot.
    Time reasons (leave, busy, caps) are reported only when they closed every slot, as the
    union over the slots. For an order with several topics covering one of them is enough
    here; whether helpers cover the rest depends on the other members: :func:`rank_candidates`.
    """
    ctx = _Need(need, now)
    time_faults, free = _time_faults(ctx, [member], travel_buffer, same_township_buffer)
    faults = int(time_faults[0] | _Team([member]).static_faults(ctx)[0])
    return _reason_codes(faults), tuple(compress(ctx.live_slots, free[:, 0].tolist()))


# --- teams for orders with several topics ---------------------------------------------------


def _teams(
    ctx: _Need,
    people: Sequence[MemberProfile],
    free: np.ndarray,
    cover: np.ndarray | None = None,
    ids: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, ...]]]:
    """Which eligible members can lead the order, at which slots, with which helpers.

    ``free`` is (slots x people). Returns the kept columns, their free slots and helper ids.
    Helpers are other eligible members free at the same slot, chosen greedily (most missing
    topics covered, then lowest id). A lead keeps one team, the one free at most of its slots
    (then the earliest), so an offer names the same helpers whichever of its slots is taken.
    A batch passes ``cover`` (sorted topics x people) and ``ids``, which it already has.
    """
    n = len(people)
    if not ctx.multi or not n:
        return np.arange(n), free, [()] * n
    topics = sorted(ctx.topics)
    if cover is None or ids is None:
        cover = np.array([[t in m.topics for m in people] for t in topics], dtype=bool)
        ids = np.fromiter((m.id for m in people), np.int64, n)
    n_slots = free.shape[0]
    new_free = free.copy()
    alive = cover.all(axis=0)
    helpers: list[tuple[int, ...]] = [()] * n
    # Leads missing the same topics share their teams: group them by what they miss.
    gap_code = ((~cover) * (1 << np.arange(len(topics)))[:, None]).sum(axis=0)
    for code in np.unique(gap_code[~alive]).tolist():
        leads = np.flatnonzero(gap_code == code)
        gap = ~cover[:, leads[0]]
        teams: list[tuple[int, ...]] = []
        label = np.full(n_slots, -1)
        for k in range(n_slots):
            team = _cover(gap, cover, ids, free[k])
            if team is not None:
                if team not in teams:
                    teams.append(team)
                label[k] = teams.index(team)
        if not teams:
            continue
        lead_free = free[:, leads]
        best_value = np.full(len(leads), -1)
        best_team = np.full(len(leads), -1)
        for t in range(len(teams)):
            at = lead_free & (label == t)[:, None]
            count = at.sum(axis=0)
            first = at.argmax(axis=0)  # the earliest such slot, when count > 0
            value = np.where(count > 0, count * (n_slots + 1) + (n_slots - first), -1)
            better = value > best_value
            best_value = np.where(better, value, best_value)
            best_team = np.where(better, t, best_team)
        new_free[:, leads] = lead_free & (label[:, None] == best_team[None, :])
        ok = best_team >= 0
        alive[leads[ok]] = True
        for j, t in zip(leads[ok].tolist(), best_team[ok].tolist(), strict=True):
            helpers[j] = teams[t]
    kept = np.flatnonzero(alive)
    return kept, new_free[:, kept], [helpers[j] for j in kept.tolist()]


def _cover(
    gap: np.ndarray, cover: np.ndarray, ids: np.ndarray, available: np.ndarray
) -> tuple[int, ...] | None:
    """Greedy helpers covering the ``gap`` topics among ``available`` people, or None."""
    if gap.sum() == 1:  # the usual case: one topic missing, the lowest id covering it
        can = cover[int(gap.argmax())] & available
        return (int(ids[can].min()),) if can.any() else None
    remaining = gap.copy()
    available = available.copy()
    chosen = []
    while remaining.any():
        gain = np.where(available, cover[remaining].sum(axis=0), 0)
        top = gain.max(initial=0)
        if top == 0:
            return None
        # Among the best gains the lowest id; ids are unique.
        best = int(np.argmin(np.where(gain == top, ids, np.iinfo(np.int64).max)))
        chosen.append(int(ids[best]))
        remaining &= ~cover[:, best]
        available[best] = False
    return tuple(sorted(chosen))


# --- soft score -----------------------------------------------------------------------------


class _Scores:
    """The soft parts of many (order, member) pairs at once, as arrays over the pairs.

    Ranking one order and assigning a batch both score through here, so a pair gets the
    very same points either way.
    """

    def __init__(
        self,
        needs: Sequence[_Need],
        members: Sequence[MemberProfile],
        pair_need: np.ndarray,
        pair_member: np.ndarray,
        w: Weights,
    ) -> None:
        topics = {t: k for k, t in enumerate(sorted({t for ctx in needs for t in ctx.topics}))}
        asked = np.zeros((len(needs), len(topics)))
        for n, ctx in enumerate(needs):
            for t in ctx.topics:
                asked[n, topics[t]] = 1.0
        nan = math.nan
        n_members = len(members)
        # Plain lists first: numpy item assignment in a loop costs more than the loop.
        home, home_town, recent, rating, given, vp_codes = [], [], [], [], [], []
        for i, m in enumerate(members):
            home.append(m.home or (nan, nan))
            # -1 for an unknown home township never equals an order's -2.
            home_town.append(-1 if m.home_township_id is None else m.home_township_id)
            recent.append(max(0, m.recent_sessions))
            rating.append(
                NEUTRAL
                if m.avg_rating is None or m.rating_count <= 0
                else min(1.0, max(0.0, (m.avg_rating - 1.0) / 4.0))
            )
            for topic, count in m.topic_experience:
                k = topics.get(topic)
                if k is not None:
                    given += (i * len(topics) + k, count)
            vp_codes.extend(school * n_members + i for school in m.vice_principal_of)
        home = np.array(home, dtype=float).reshape(-1, 2)
        home_town = np.array(home_town, dtype=np.int64)
        recent = np.array(recent, dtype=float)
        rating = np.array(rating, dtype=float)
        talks_given = np.zeros(n_members * len(topics))
        np.add.at(talks_given, given[::2], given[1::2])
        given = talks_given.reshape(n_members, len(topics))
        venue = np.array([ctx.need.venue or (nan, nan) for ctx in needs], dtype=float).reshape(
            -1, 2
        )
        town = np.array(
            [-2 if ctx.township is None else ctx.township for ctx in needs], dtype=np.int64
        )
        school = np.array(
            [-1 if ctx.need.school_id is None else ctx.need.school_id for ctx in needs],
            dtype=np.int64,
        )

        pn, pm = pair_need, pair_member
        self.vice_principal = np.isin(school[pn] * n_members + pm, vp_codes) & (school[pn] >= 0)
        self.km = _haversine_km(home[pm], venue[pn])
        known = ~np.isnan(self.km)
        same_town = home_town[pm] == town[pn]
        self.distance = np.where(
            known,
            np.clip(1.0 - np.where(known, self.km, 0.0) / FAR_KM, 0.0, 1.0),
            np.where(same_town, 1.0, NEUTRAL),
        )
        self.recent = recent[pm]
        self.fairness = FAIRNESS_HALF / (FAIRNESS_HALF + self.recent)
        self.talks = (asked[pn] * given[pm]).sum(axis=1)
        self.experience = self.talks / (self.talks + EXPERIENCE_HALF)
        self.rating = rating[pm]
        self.total = (
            w.vice_principal * self.vice_principal
            + w.distance * self.distance
            + w.fairness * self.fairness
            + w.experience * self.experience
            + w.rating * self.rating
        )

    def parts(self, p: int, member: MemberProfile, w: Weights) -> tuple[ScorePart, ...]:
        km = float(self.km[p])
        near = float(self.distance[p])
        if not math.isnan(km):
            where, where_params = N_("%(km).1f km from home"), {"km": round(km, 1)}
        elif near == 1.0:
            where, where_params = N_("lives in the same township"), {}
        else:
            where, where_params = N_("distance unknown"), {}
        vp = bool(self.vice_principal[p])
        if member.avg_rating is None or member.rating_count <= 0:
            rated, rated_params = N_("no ratings yet"), {}
        else:
            rated = N_("%(avg).1f on average (ratings: %(n)d)")
            rated_params = {"avg": member.avg_rating, "n": member.rating_count}
        return (
            ScorePart("vice_principal", w.vice_principal, 1.0 if vp else 0.0,
                      N_("legal vice-principal of this school") if vp else ""),
            ScorePart("distance", w.distance, near, where, where_params),
            ScorePart("fairness", w.fairness, float(self.fairness[p]),
                      N_("sessions in the last 30 days: %(n)d"),
                      {"n": member.recent_sessions}),
            ScorePart("experience", w.experience, float(self.experience[p]),
                      N_("sessions given on these topics: %(n)d"), {"n": int(self.talks[p])}),
            ScorePart("rating", w.rating, float(self.rating[p]), rated, rated_params),
        )  # fmt: skip


def _haversine_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle km between rows of (lat, lon); NaN where either is unknown."""
    lat1, lon1 = np.radians(a[:, 0]), np.radians(a[:, 1])
    lat2, lon2 = np.radians(b[:, 0]), np.radians(b[:, 1])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


# --- ranking one order ----------------------------------------------------------------------


def _unique_ids(members: Iterable[MemberProfile]) -> list[MemberProfile]:
    members = list(members)
    if len({m.id for m in members}) != len(members):
        raise DomainError("members", N_("Each member may appear only once."))
    return members


def rank_candidates(
    need: OrderNeed,
    members: Iterable[MemberProfile],
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    travel_buffer: timedelta = DEFAULT_TRAVEL_BUFFER,
    same_township_buffer: timedelta = DEFAULT_SAME_TOWNSHIP_BUFFER,
) -> Ranking:
    """Eligible members best first (score, then member id), and every other one with all reasons.

    A candidate's ``free_slots`` are the slots it can take; for an order with several topics,
    those at which its ``helpers`` are free too.
    """
    members = list(members)
    team = _Team(members)
    if len(np.unique(team.ids)) != team.n:
        raise DomainError("members", N_("Each member may appear only once."))
    ctx = _Need(need, now)
    static = team.static_faults(ctx)
    # The time rules only for the members the static rules let through, a fraction of a large
    # team; the others' time reasons are worked out when someone asks why (``excluded``).
    passed = np.flatnonzero(static == 0)
    time_faults, free = _time_faults(ctx, [members[i] for i in passed.tolist()],
                                     travel_buffer, same_township_buffer)
    free_now = time_faults == 0
    eligible, free = passed[free_now], free[:, free_now]
    people = [members[i] for i in eligible.tolist()]
    kept, free, helpers = _teams(ctx, people, free)
    lone = np.setdiff1d(eligible, eligible[kept])  # missing topics no free member covers

    def exclusions() -> tuple[Exclusion, ...]:
        faults = static.copy()
        faults[passed] |= time_faults
        rest = np.flatnonzero(static)
        if len(rest):
            faults[rest] |= _time_faults(ctx, [members[i] for i in rest.tolist()],
                                         travel_buffer, same_township_buffer)[0]
        faults[lone] = _TOPIC
        return team.exclusions(faults)

    leads = eligible[kept]
    candidates = []
    if len(leads):
        lead_people = [members[i] for i in leads.tolist()]
        scores = _Scores(
            [ctx], lead_people, np.zeros(len(leads), dtype=np.int64), np.arange(len(leads)),
            weights,
        )
        total = scores.total.tolist()
        columns = free.T.tolist()
        live = ctx.live_slots
        # Best score first, then the lowest member id.
        for p in np.lexsort((team.ids[leads], -scores.total)).tolist():
            m = lead_people[p]
            candidates.append(Candidate(
                m.id, total[p], tuple(compress(live, columns[p])), helpers[p],
                partial(scores.parts, p, m, weights),
            ))
    return Ranking(tuple(candidates), exclusions)


def score_parts(
    needs: Iterable[OrderNeed],
    members: Iterable[MemberProfile],
    pairs: Iterable[tuple[int, int]],
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
) -> dict[tuple[int, int], tuple[ScorePart, ...]]:
    """The soft parts of (order id, member id) pairs, e.g. those a batch assigned: the very
    points :func:`rank_candidates` and :func:`assign_batch` give them. No hard rules here."""
    pairs = list(pairs)
    if not pairs:
        return {}
    wanted_needs = {o for o, _m in pairs}
    wanted_members = {m for _o, m in pairs}
    cache: dict = {}
    contexts = [_Need(n, now, cache) for n in needs if n.id in wanted_needs]
    team = [m for m in members if m.id in wanted_members]
    need_at = {ctx.need.id: i for i, ctx in enumerate(contexts)}
    member_at = {m.id: i for i, m in enumerate(team)}
    missing = [p for p in pairs if p[0] not in need_at or p[1] not in member_at]
    if missing:
        raise DomainError(None, N_("Each pair must name a given order and member."))
    pn = np.fromiter((need_at[o] for o, _m in pairs), np.int64, len(pairs))
    pm = np.fromiter((member_at[m] for _o, m in pairs), np.int64, len(pairs))
    scores = _Scores(contexts, team, pn, pm, weights)
    return {
        pair: scores.parts(p, team[int(pm[p])], weights) for p, pair in enumerate(pairs)
    }


# --- batch assignment -----------------------------------------------------------------------

# A solver gets the edges (row, unit, gain) and unit capacities and returns the unit of each
# row, or -1, maximising the total gain; rows may stay unmatched.
_Solver = Callable[[int, Sequence[int], np.ndarray, np.ndarray, np.ndarray], list[int]]


def assign_batch(
    needs: Iterable[OrderNeed],
    members: Iterable[MemberProfile],
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    travel_buffer: timedelta = DEFAULT_TRAVEL_BUFFER,
    same_township_buffer: timedelta = DEFAULT_SAME_TOWNSHIP_BUFFER,
) -> BatchResult:
    """Assign many open orders at once, maximising the total score of the assigned pairs.

    Orders x (member, ISO week) is solved as a min-cost assignment on a capacity-expanded
    sparse graph (LAPJVsp): a member takes at most its remaining weekly cap in each week, an
    order may stay unassigned (a zero-gain dummy), an ineligible pair has no edge. Then each
    member's orders get concrete slots, highest score first, the earliest slots that keep them
    apart (travel buffer) and under the daily cap; an order that cannot fit next to the
    higher-scoring ones is dropped (``BatchResult.dropped``, also in ``unassigned``), never
    squeezed in. Helpers of orders with several topics are proposed by
    :func:`rank_candidates`; the batch checks that a team exists but does not reserve it.
    Exact ties between whole assignments go by a fixed tiny value per pair (:data:`TIE_EPS`).
    """
    return _assign(needs, members, now, weights, travel_buffer, same_township_buffer, _solve_sparse)


def assign_batch_reference(
    needs: Iterable[OrderNeed],
    members: Iterable[MemberProfile],
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    travel_buffer: timedelta = DEFAULT_TRAVEL_BUFFER,
    same_township_buffer: timedelta = DEFAULT_SAME_TOWNSHIP_BUFFER,
) -> BatchResult:
    """:func:`assign_batch` solved as a min-cost flow by networkx (a test extra), to compare."""
    return _assign(needs, members, now, weights, travel_buffer, same_township_buffer, _solve_flow)


# Scores tie often (orders without coordinates in one township score alike), so a batch has
# many optimal assignments, and which one a solver returns decides which orders slot picking
# drops. A fixed tiny value per (order, member) pair, far below any score difference that
# matters, makes the optimum unique: every exact solver then returns the same assignment.
TIE_EPS = 1e-6


def _tie_break(order_ids: np.ndarray, member_ids: np.ndarray) -> np.ndarray:
    """A value in [0, 1) per pair, mixed from the two ids (splitmix64); no randomness."""
    x = order_ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    x ^= member_ids.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


class _Block:
    """The eligible members of one order and, per live slot, which of them are free."""

    __slots__ = ("need", "members", "free", "weeks")

    def __init__(self, need: int, members: np.ndarray, free: np.ndarray, weeks: np.ndarray) -> None:
        self.need = need
        self.members = members  # team indexes
        self.free = free  # (slots x members) bool
        self.weeks = weeks  # week id of each slot

    def slots(self, ctx: _Need, column: int, week: int) -> list[int]:
        return [
            k for k in range(len(ctx.live_slots)) if self.free[k, column] and self.weeks[k] == week
        ]


def _assign(
    needs: Iterable[OrderNeed],
    members: Iterable[MemberProfile],
    now: datetime,
    weights: Weights,
    travel: timedelta,
    same: timedelta,
    solve: _Solver,
) -> BatchResult:
    needs = list(needs)
    if any(n.id is None for n in needs):
        raise DomainError("orders", N_("Only saved orders can be assigned in a batch."))
    if len({n.id for n in needs}) != len(needs):
        raise DomainError("orders", N_("Each order may appear only once."))
    needs.sort(key=lambda n: n.id)  # type: ignore[arg-type, return-value]
    team = sorted(_unique_ids(members), key=lambda m: m.id)
    cache: dict = {}
    contexts = [_Need(n, now, cache) for n in needs]
    timeline = _Timeline(team, travel, same)
    week_ids: dict[int, int] = {}
    blocks = _eligible_blocks(contexts, team, timeline, week_ids)
    if not blocks:
        return BatchResult((), tuple(n.id for n in needs), 0.0)  # type: ignore[misc]
    eligible = {needs[b.need].id: len(b.members) for b in blocks}

    # One pair per (order, eligible member); one edge per pair and week in which the member
    # has a free slot for the order, to the unit (member, week) whose capacity is the weekly
    # cap minus the sessions already held that week.
    n_weeks = len(week_ids)
    pair_need = np.concatenate([np.full(len(b.members), b.need) for b in blocks])
    pair_member = np.concatenate([b.members for b in blocks])
    score = _Scores(contexts, team, pair_need, pair_member, weights).total
    e_pair, e_key = [], []
    first = 0
    for b in blocks:
        columns = np.arange(first, first + len(b.members))
        for week in np.unique(b.weeks).tolist():
            has = b.free[b.weeks == week].any(axis=0)
            e_pair.append(columns[has])
            e_key.append(b.members[has] * n_weeks + week)
        first += len(b.members)
    ep = np.concatenate(e_pair)
    keys, e_unit = np.unique(np.concatenate(e_key), return_inverse=True)
    week_starts = sorted(week_ids, key=week_ids.__getitem__)
    loads: dict[int, dict[int, int]] = {}
    unit_caps = []
    for key in keys.tolist():
        m_idx, week = divmod(key, n_weeks)
        if m_idx not in loads:
            loads[m_idx] = _loads(team[m_idx])[1]
        held = loads[m_idx].get(week_starts[week], 0)
        unit_caps.append(max(0, team[m_idx].weekly_cap - held))
    rows, e_row = np.unique(pair_need[ep], return_inverse=True)
    order_ids = np.asarray([n.id for n in needs], dtype=np.int64)
    member_ids = np.asarray([m.id for m in team], dtype=np.int64)
    tie = _tie_break(order_ids[pair_need[ep]], member_ids[pair_member[ep]])
    chosen = solve(len(rows), unit_caps, e_row, e_unit, score[ep] + TIE_EPS * tie)

    block_of = {b.need: (b, start) for b, start in zip(blocks, _starts(blocks), strict=True)}
    # Back from (row, unit) to the edge, hence the pair: look the chosen keys up among all.
    picked = np.asarray(chosen, dtype=np.int64)
    matched = np.flatnonzero(picked >= 0)
    edge_key = e_row * len(keys) + e_unit
    by_key = np.argsort(edge_key)
    found = by_key[np.searchsorted(edge_key[by_key], matched * len(keys) + picked[matched])]
    per_member: dict[int, list[tuple[float, int, list[tuple]]]] = {}
    for p, unit in zip(ep[found].tolist(), picked[matched].tolist(), strict=True):
        n_idx, m_idx = int(pair_need[p]), int(pair_member[p])
        block, start = block_of[n_idx]
        ctx = contexts[n_idx]
        options = [
            (ctx.live_slots[k], ctx.bounds[k], ctx.township)
            for k in block.slots(ctx, p - start, int(keys[unit]) % n_weeks)
        ]
        per_member.setdefault(m_idx, []).append((float(score[p]), n_idx, options))

    assignments: list[Assignment] = []
    dropped: list[int] = []
    for m_idx, items in per_member.items():
        member = team[m_idx]
        placed, lost = _place(member, items, timeline.travel, timeline.same)
        gained = {n_idx: s for s, n_idx, _options in items}
        for n_idx, slot in placed.items():
            assignments.append(Assignment(needs[n_idx].id, member.id, slot, gained[n_idx]))  # type: ignore[arg-type]
        dropped.extend(needs[n].id for n in lost)  # type: ignore[misc]
    assignments.sort(key=lambda a: a.order_id)
    done = {a.order_id for a in assignments}
    return BatchResult(
        assignments=tuple(assignments),
        unassigned=tuple(n.id for n in needs if n.id not in done),  # type: ignore[misc]
        objective=math.fsum(a.score for a in assignments),
        dropped=tuple(sorted(dropped)),
        eligible=eligible,
    )


def _starts(blocks: Sequence[_Block]) -> list[int]:
    starts, first = [], 0
    for b in blocks:
        starts.append(first)
        first += len(b.members)
    return starts


def _eligible_blocks(
    contexts: Sequence[_Need],
    team: Sequence[MemberProfile],
    timeline: _Timeline,
    week_ids: dict[int, int],
) -> list[_Block]:
    """Per order with a live slot, its eligible members; fills ``week_ids`` (week start -> id)."""
    # Static rules as boolean masks over the team, so that one order costs a few array
    # operations; property tests hold the batch to the member-by-member rules.
    n = len(team)
    active = np.fromiter((m.active for m in team), bool, n)
    kit = np.fromiter((m.kit_qualified for m in team), bool, n)
    index_of = {m.id: i for i, m in enumerate(team)}
    member_ids = np.fromiter((m.id for m in team), np.int64, n)
    masks: dict[tuple[str, str], np.ndarray] = {}

    def mask(kind: str, value: str) -> np.ndarray:
        got = masks.get((kind, value))
        if got is None:
            attr = {"topic": "topics", "format": "formats", "language": "languages"}[kind]
            got = masks[kind, value] = np.fromiter(
                (value in getattr(m, attr) for m in team), bool, n
            )
        return got

    blocks = []
    for n_idx, ctx in enumerate(contexts):
        if not ctx.live_slots:
            continue
        pool = active & mask("format", ctx.format)
        if ctx.needs_kit:
            pool = pool & kit
        topical = np.zeros(n, dtype=bool)
        for topic in ctx.topics:
            topical |= mask("topic", topic)
        pool &= topical
        if ctx.language is not None:
            pool &= mask("language", ctx.language)
        for member_id in ctx.exclude:
            if member_id in index_of:
                pool[index_of[member_id]] = False
        members = np.flatnonzero(pool)
        free = timeline.slot_faults(ctx, members) == 0
        keep = free.any(axis=0)
        members, free = members[keep], free[:, keep]
        if ctx.multi and len(members):
            cover = np.vstack([mask("topic", t)[members] for t in sorted(ctx.topics)])
            people = [team[i] for i in members.tolist()]
            kept, free, _helpers = _teams(ctx, people, free, cover, member_ids[members])
            members = members[kept]
        if len(members):
            weeks = np.asarray(
                [week_ids.setdefault(b[4], len(week_ids)) for b in ctx.bounds], dtype=np.int64
            )
            blocks.append(_Block(n_idx, members, free, weeks))
    return blocks


def _loads(member: MemberProfile) -> tuple[dict[int, int], dict[int, int]]:
    """Sessions the member already holds per local day and per ISO week (keyed by their start)."""
    days: dict[int, int] = {}
    weeks: dict[int, int] = {}
    for session in member.busy:
        day, week = _local_day_week(session.start)
        days[day] = days.get(day, 0) + 1
        weeks[week] = weeks.get(week, 0) + 1
    return days, weeks


_PLACE_BUDGET = 20_000  # search steps per member and order; beyond it the order is dropped


def _place(
    member: MemberProfile,
    items: list[tuple[float, int, list[tuple]]],
    travel: int,
    same: int,
) -> tuple[dict[int, Interval], list[int]]:
    """Give each (score, order index, options) a slot; drop the orders that do not fit.

    Highest score first: an order is kept only if it fits together with all kept ones, whose
    slots may move to make room; slots are tried earliest first. ``options`` are
    (slot, bounds, township) with bounds in microseconds.
    """
    day_load, week_load = _loads(member)
    kept: list[tuple[int, list[tuple]]] = []
    placed: dict[int, Interval] = {}
    lost: list[int] = []
    for _score, n_idx, options in sorted(items, key=lambda it: (-it[0], it[1])):
        trial = [*kept, (n_idx, options)]
        # Fewest options first prunes the search; sorted() is stable, so ties keep score order.
        trial_order = sorted(trial, key=lambda it: len(it[1]))
        result = _search(trial_order, member, day_load, week_load, travel, same)
        if result is None:
            lost.append(n_idx)
        else:
            kept, placed = trial, result
    return placed, lost


def _search(
    items: list[tuple[int, list[tuple]]],
    member: MemberProfile,
    day_load: dict[int, int],
    week_load: dict[int, int],
    travel: int,
    same: int,
) -> dict[int, Interval] | None:
    chosen: list[tuple] = []
    budget = [_PLACE_BUDGET]

    def fits(bounds: _Bounds, town: int | None) -> bool:
        start, end, day, _day_hi, week, _week_hi = bounds
        in_day = day_load.get(day, 0)
        in_week = week_load.get(week, 0)
        for _slot, other, other_town in chosen:
            buffer = same if town is not None and town == other_town else travel
            if other[0] - buffer < end and start < other[1] + buffer:
                return False
            in_day += other[2] == day
            in_week += other[4] == week
        return in_day < member.daily_cap and in_week < member.weekly_cap

    def go(k: int) -> bool:
        if k == len(items):
            return True
        for option in items[k][1]:
            budget[0] -= 1
            if budget[0] < 0:
                return False
            if fits(option[1], option[2]):
                chosen.append(option)
                if go(k + 1):
                    return True
                chosen.pop()
        return False

    if not go(0):
        return None
    return {items[k][0]: chosen[k][0] for k in range(len(items))}


def _solve_sparse(
    n_rows: int,
    unit_caps: Sequence[int],
    e_row: Sequence[int],
    e_unit: Sequence[int],
    e_score: Sequence[float],
) -> list[int]:
    """Max-gain assignment with capacities by LAPJVsp on a capacity-expanded sparse graph."""
    # scipy is imported on first use: most requests never run a batch.
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    rows = np.asarray(e_row, dtype=np.int64)
    unit = np.asarray(e_unit, dtype=np.int64)
    score = np.asarray(e_score, dtype=np.float64)
    # A unit never needs more copies than it has orders (nor more than its capacity).
    copies = np.minimum(
        np.asarray(unit_caps, dtype=np.int64), np.bincount(unit, minlength=len(unit_caps))
    )
    first = np.cumsum(copies) - copies
    n_copies = int(copies.sum())
    live = copies[unit] > 0
    rows, unit, score = rows[live], unit[live], score[live]
    rep = copies[unit]
    # Every edge to a unit becomes one edge to each of its copies.
    within = np.arange(int(rep.sum())) - np.repeat(np.cumsum(rep) - rep, rep)
    x_rows = np.repeat(rows, rep)
    x_cols = np.repeat(first[unit], rep) + within
    # Shifted so that every weight is positive (LAPJVsp drops zeros) and a dummy, costing the
    # same as a zero-score edge, lets an order stay open or a copy stay idle: this gains nothing.
    top = float(score.max(initial=0.0)) + 1.0
    x_cost = top - np.repeat(score, rep)
    # LAPJVsp must match every row: the smaller side is the rows, each with a dummy column of its
    # own. Measured on 5,000 orders x 1,000 members, copies as rows ran ten times faster.
    if n_copies <= n_rows:
        major, minor, n_major, n_minor = x_cols, x_rows, n_copies, n_rows
    else:
        major, minor, n_major, n_minor = x_rows, x_cols, n_rows, n_copies
    dummy = np.arange(n_major)
    graph = csr_matrix(
        (
            np.concatenate([x_cost, np.full(n_major, top)]),
            (np.concatenate([major, dummy]), np.concatenate([minor, n_minor + dummy])),
        ),
        shape=(n_major, n_minor + n_major),
    )
    major_ind, minor_ind = min_weight_full_bipartite_matching(graph)
    real = minor_ind < n_minor
    major_ind, minor_ind = major_ind[real], minor_ind[real]
    row_ind, col_ind = (minor_ind, major_ind) if n_copies <= n_rows else (major_ind, minor_ind)
    unit_of_copy = np.repeat(np.arange(len(unit_caps)), copies)
    out = [-1] * n_rows
    for r, c in zip(row_ind.tolist(), unit_of_copy[col_ind].tolist(), strict=True):
        out[r] = c
    return out


def _solve_dense(
    n_rows: int,
    unit_caps: Sequence[int],
    e_row: Sequence[int],
    e_unit: Sequence[int],
    e_score: Sequence[float],
) -> list[int]:
    """The same capacity-expanded problem through dense ``linear_sum_assignment`` (for the bench)."""
    from scipy.optimize import linear_sum_assignment

    unit = np.asarray(e_unit, dtype=np.int64)
    copies = np.minimum(
        np.asarray(unit_caps, dtype=np.int64), np.bincount(unit, minlength=len(unit_caps))
    )
    first = np.cumsum(copies) - copies
    n_copies = int(copies.sum())
    gain = np.full((n_rows, n_copies + n_rows), -np.inf)
    gain[:, n_copies:] = 0.0
    for r, u, s in zip(e_row, e_unit, e_score, strict=True):
        gain[r, first[u] : first[u] + copies[u]] = s
    row_ind, col_ind = linear_sum_assignment(gain, maximize=True)
    unit_of_copy = np.repeat(np.arange(len(unit_caps)), copies)
    out = [-1] * n_rows
    for r, c in zip(row_ind.tolist(), col_ind.tolist(), strict=True):
        if c < n_copies:
            out[r] = int(unit_of_copy[c])
    return out


# Network simplex wants integer costs; fine enough to keep the tie-break values apart.
_FLOW_SCALE = 10**12


def _solve_flow(
    n_rows: int,
    unit_caps: Sequence[int],
    e_row: Sequence[int],
    e_unit: Sequence[int],
    e_score: Sequence[float],
) -> list[int]:
    """The same problem as a min-cost flow with native capacities (networkx network simplex)."""
    import networkx as nx  # a test/bench extra, not a runtime dependency

    graph = nx.DiGraph()
    graph.add_node("s", demand=-n_rows)
    graph.add_node("t", demand=n_rows)
    for r in range(n_rows):
        graph.add_edge("s", ("o", r), capacity=1, weight=0)
        graph.add_edge(("o", r), "t", capacity=1, weight=0)  # the order stays open
    for u, cap in enumerate(unit_caps):
        graph.add_edge(("u", u), "t", capacity=cap, weight=0)
    edges = zip(
        np.asarray(e_row).tolist(),
        np.asarray(e_unit).tolist(),
        np.asarray(e_score).tolist(),
        strict=True,
    )
    for r, u, s in edges:
        graph.add_edge(("o", r), ("u", u), capacity=1, weight=-round(s * _FLOW_SCALE))
    _cost, flow = nx.network_simplex(graph)
    out = [-1] * n_rows
    for r in range(n_rows):
        for target, amount in flow[("o", r)].items():
            if amount and target != "t":
                out[r] = target[1]
    return out
