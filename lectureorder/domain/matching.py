"""Who may take an order and who should: hard eligibility rules, soft scores, batch assignment."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from types import MappingProxyType
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
        "topic": N_("Does not cover the order's topics, alone or with helpers free at the same time."),
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


@dataclass(frozen=True)
class ScorePart:
    name: str
    weight: float
    value: float
    detail: str = ""

    @property
    def points(self) -> float:
        return self.weight * self.value


@dataclass(frozen=True)
class Candidate:
    member_id: int
    score: float
    parts: tuple[ScorePart, ...]
    free_slots: tuple[Interval, ...]
    helpers: tuple[int, ...] = ()


@dataclass(frozen=True)
class Exclusion:
    member_id: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    candidates: tuple[Candidate, ...]
    excluded: tuple[Exclusion, ...]


@dataclass(frozen=True)
class Assignment:
    order_id: int
    member_id: int
    slot: Interval
    score: float


@dataclass(frozen=True)
class BatchResult:
    """``dropped`` lists the orders the solver matched but whose member had no time left for them.

    They are also in ``unassigned``; ``objective`` is the total score of ``assignments``.
    """

    assignments: tuple[Assignment, ...]
    unassigned: tuple[int, ...]
    objective: float
    dropped: tuple[int, ...] = ()


# --- preparing an order ---------------------------------------------------------------------

# A slot resolved for the hard rules, all in one time zone: (start, end, day_lo, day_hi,
# week_lo, week_hi, start - travel, end + travel, start - same, end + same), where the day
# and the ISO week are those of the slot's start in Asia/Shanghai.
_SlotBounds = tuple[datetime, ...]
# The bounds of every live slot plus the window outside which sessions cannot matter.
_Frame = tuple[datetime, datetime, tuple[_SlotBounds, ...]]


class _Need:
    """An order prepared for the hard rules, built once per order.

    Aware datetimes that share a tzinfo compare field by field; across zones every comparison
    computes UTC offsets and costs about thirty times more. Sessions usually come in one zone
    (UTC from the database) and slots in another, so the slot bounds are converted once per
    zone met (a frame) and every comparison in the member loop stays inside one zone.
    """

    __slots__ = (
        "need", "topics", "multi", "format", "needs_kit", "township", "language", "exclude",
        "live_slots", "travel", "same", "frames", "cache", "days",
    )  # fmt: skip

    def __init__(
        self,
        need: OrderNeed,
        now: datetime,
        travel: timedelta,
        same: timedelta,
        cache: dict | None = None,
    ) -> None:
        _require_aware(now, "now")
        if not need.topics:
            raise DomainError("topics", N_("An order needs at least one topic."))
        if travel < timedelta(0) or same < timedelta(0):
            raise DomainError(None, N_("Travel buffers cannot be negative."))
        self.need = need
        self.topics = need.topics
        self.multi = len(need.topics) > 1
        self.format = need.format
        self.needs_kit = need.format == MOBILE_FILM
        self.township = need.township_id
        self.language = need.language
        self.exclude = need.exclude
        self.travel = travel
        self.same = same
        # Shared by the orders of one batch: slots repeat (market mornings, film evenings).
        self.cache = {} if cache is None else cache
        for start, end in need.slots:
            _require_aware(start, "slots")
            _require_aware(end, "slots")
            if end <= start:
                raise DomainError("slots", N_("A proposed time must end after it starts."))
        # A slot that has begun can no longer be offered.
        self.live_slots = tuple(sorted({s for s in need.slots if s[0] > now}))
        self.frames: dict[object, _Frame] = {}
        self.days = {s: self._bounds(s, LOCAL_TZ)[2:5:2] for s in self.live_slots}

    def _bounds(self, slot: Interval, tz: object) -> _SlotBounds:
        key = (slot, tz, self.travel, self.same)
        bounds = self.cache.get(key)
        if bounds is None:
            if tz is LOCAL_TZ:
                start, end = slot[0].astimezone(LOCAL_TZ), slot[1].astimezone(LOCAL_TZ)
                day_lo = datetime(start.year, start.month, start.day, tzinfo=LOCAL_TZ)
                week_lo = day_lo - timedelta(days=start.weekday())
                bounds = (
                    start, end, day_lo, day_lo + timedelta(days=1),
                    week_lo, week_lo + timedelta(days=7),
                    start - self.travel, end + self.travel, start - self.same, end + self.same,
                )  # fmt: skip
            else:
                bounds = tuple(b.astimezone(tz) for b in self._bounds(slot, LOCAL_TZ))  # type: ignore[arg-type]
            self.cache[key] = bounds
        return bounds

    def frame(self, tz: object) -> _Frame:
        """The live slots' bounds in ``tz``; sessions outside (lo, hi) can neither overlap a
        slot nor share its day or week."""
        frame = self.frames.get(tz)
        if frame is None:
            if tz is None:
                raise DomainError("busy", N_("Times must carry a time zone."))
            slots = tuple(self._bounds(s, tz) for s in self.live_slots)
            lo = min(min(b[4], b[6], b[8]) for b in slots)
            hi = max(max(b[5], b[7], b[9]) for b in slots)
            frame = self.frames[tz] = (lo, hi, slots)
        return frame


def _require_aware(value: datetime, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise DomainError(field, N_("Times must carry a time zone."))


def _local_day_week(moment: datetime) -> tuple[datetime, datetime]:
    local = moment.astimezone(LOCAL_TZ)
    day_lo = datetime(local.year, local.month, local.day, tzinfo=LOCAL_TZ)
    return day_lo, day_lo - timedelta(days=local.weekday())


# --- hard rules -----------------------------------------------------------------------------

# One bit per reason, in the order of REASONS, so that a set of reasons is one int.
_BIT = {code: 1 << i for i, code in enumerate(REASONS)}
_LEAVE, _BUSY, _CAP_DAY, _CAP_WEEK = _BIT["leave"], _BIT["busy"], _BIT["cap_day"], _BIT["cap_week"]
_NO_SLOT = _BIT["no_slot"]
_REASON_TUPLES: dict[int, tuple[str, ...]] = {}


def _reason_codes(mask: int) -> tuple[str, ...]:
    codes = _REASON_TUPLES.get(mask)
    if codes is None:
        codes = _REASON_TUPLES[mask] = tuple(c for c, bit in _BIT.items() if mask & bit)
    return codes


def _static_faults(ctx: _Need, member: MemberProfile) -> int:
    faults = 0
    if not member.active:
        faults |= 1  # inactive
    if member.topics.isdisjoint(ctx.topics):
        faults |= 2  # topic
    if ctx.format not in member.formats:
        faults |= 4  # format
    if ctx.needs_kit and not member.kit_qualified:
        faults |= 8  # kit
    if ctx.language is not None and ctx.language not in member.languages:
        faults |= 256  # language
    if member.id in ctx.exclude:
        faults |= 512  # declined
    return faults


def _slot_faults(ctx: _Need, member: MemberProfile) -> list[int]:
    """The time faults of each live slot of the order for this member."""
    n = len(ctx.live_slots)
    faults = [0] * n
    frames = ctx.frames
    for start, end in member.leave:
        frame = frames.get(start.tzinfo) or ctx.frame(start.tzinfo)
        if start < frame[1] and end > frame[0]:
            for k, bounds in enumerate(frame[2]):
                if start < bounds[1] and end > bounds[0]:
                    faults[k] |= _LEAVE
    in_day = [0] * n
    in_week = [0] * n
    town = ctx.township
    for session in member.busy:
        start, end = session.start, session.end
        frame = frames.get(start.tzinfo) or ctx.frame(start.tzinfo)
        if start >= frame[1] or end <= frame[0]:
            continue
        # The slot widened by the buffer on both sides must not touch the session.
        lo, hi = (8, 9) if town is not None and session.township_id == town else (6, 7)
        for k, bounds in enumerate(frame[2]):
            if start < bounds[hi] and end > bounds[lo]:
                faults[k] |= _BUSY
            # A session counts towards the day and week in which it starts.
            if bounds[4] <= start < bounds[5]:
                in_week[k] += 1
                if bounds[2] <= start < bounds[3]:
                    in_day[k] += 1
    daily_cap, weekly_cap = member.daily_cap, member.weekly_cap
    for k in range(n):
        if in_day[k] >= daily_cap:
            faults[k] |= _CAP_DAY
        if in_week[k] >= weekly_cap:
            faults[k] |= _CAP_WEEK
    return faults


def _always_free(member: MemberProfile) -> bool:
    return not member.busy and not member.leave and member.daily_cap > 0 and member.weekly_cap > 0


def _time_faults(
    ctx: _Need, member: MemberProfile, memo: dict | None = None
) -> tuple[int, tuple[Interval, ...]]:
    """(faults that closed every slot, or 0 when one is free; the slots the member is free for).

    Faults are the union over the slots. ``memo`` (one per member in a batch) keeps each
    slot's faults by order township, since orders of a batch share slots.
    """
    live = ctx.live_slots
    if not live:
        return _NO_SLOT, ()
    if _always_free(member):
        return 0, live
    if memo is None:
        faults = _slot_faults(ctx, member)
    else:
        town = ctx.township
        faults = [memo.get((slot, town)) for slot in live]
        if None in faults:
            faults = _slot_faults(ctx, member)
            for slot, f in zip(live, faults, strict=True):
                memo[slot, town] = f
    free = tuple(slot for slot, f in zip(live, faults, strict=True) if not f)
    if free:
        return 0, free
    union = 0
    for f in faults:
        union |= f
    return union, ()


def _check(
    ctx: _Need, member: MemberProfile, memo: dict | None = None
) -> tuple[tuple[str, ...], tuple[Interval, ...]]:
    faults, free = _time_faults(ctx, member, memo)
    return _reason_codes(faults | _static_faults(ctx, member)), free


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
    ctx = _Need(need, now, travel_buffer, same_township_buffer)
    return _check(ctx, member)


# --- teams for orders with several topics ---------------------------------------------------


def _teams(
    ctx: _Need, eligible: Sequence[tuple[MemberProfile, tuple[Interval, ...]]]
) -> list[tuple[MemberProfile, tuple[Interval, ...], tuple[int, ...]] | None]:
    """Per eligible lead: (lead, slots, helpers), or None when no team covers every topic.

    Helpers are other eligible members free at the same slot. A lead keeps one team, the one
    free for most of its slots, so that an offer names the same helpers whichever slot is taken.
    """
    if not ctx.multi:
        return [(m, free, ()) for m, free in eligible]
    by_slot_topic: dict[tuple[Interval, str], list[MemberProfile]] = {}
    for m, free in eligible:
        covered = m.topics & ctx.topics
        for slot in free:
            for topic in covered:
                by_slot_topic.setdefault((slot, topic), []).append(m)
    # The lead covers none of the missing topics, so the team depends only on slot and gap.
    memo: dict[tuple[Interval, frozenset[str]], tuple[int, ...] | None] = {}
    out: list[tuple[MemberProfile, tuple[Interval, ...], tuple[int, ...]] | None] = []
    for m, free in eligible:
        missing = ctx.topics - m.topics
        if not missing:
            out.append((m, free, ()))
            continue
        slots_by_team: dict[tuple[int, ...], list[Interval]] = {}
        for slot in free:
            key = (slot, missing)
            if key not in memo:
                memo[key] = _cover(missing, slot, by_slot_topic)
            team = memo[key]
            if team is not None:
                slots_by_team.setdefault(team, []).append(slot)
        if not slots_by_team:
            out.append(None)
            continue
        # max() keeps the first of equals: the team free earliest.
        team, slots = max(slots_by_team.items(), key=lambda item: len(item[1]))
        out.append((m, tuple(slots), team))
    return out


def _cover(
    missing: frozenset[str], slot: Interval, by_slot_topic: Mapping[tuple[Interval, str], list]
) -> tuple[int, ...] | None:
    remaining = set(missing)
    chosen: list[int] = []
    while remaining:
        best = None
        best_key = (0, 0)
        for topic in remaining:
            for h in by_slot_topic.get((slot, topic), ()):
                key = (len(h.topics & remaining), -h.id)
                if key > best_key:
                    best, best_key = h, key
        if best is None:
            return None
        remaining -= best.topics
        chosen.append(best.id)
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
        given = np.zeros((len(members), len(topics)))
        nan = math.nan
        home = np.empty((len(members), 2))
        # -1 for an unknown home township never equals an order's -2.
        home_town = np.empty(len(members), dtype=np.int64)
        recent = np.empty(len(members))
        rating = np.empty(len(members))
        vp_codes = []
        n_members = len(members)
        for i, m in enumerate(members):
            home[i] = m.home if m.home is not None else (nan, nan)
            home_town[i] = -1 if m.home_township_id is None else m.home_township_id
            recent[i] = max(0, m.recent_sessions)
            rating[i] = (
                NEUTRAL
                if m.avg_rating is None or m.rating_count <= 0
                else min(1.0, max(0.0, (m.avg_rating - 1.0) / 4.0))
            )
            for topic, count in m.topic_experience:
                k = topics.get(topic)
                if k is not None:
                    given[i, k] += count
            vp_codes.extend(school * n_members + i for school in m.vice_principal_of)
        venue = np.array([ctx.need.venue or (nan, nan) for ctx in needs], dtype=float).reshape(-1, 2)
        town = np.array([-2 if ctx.township is None else ctx.township for ctx in needs], dtype=np.int64)
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
            where = f"{km:.1f} km"
        elif near == 1.0:
            where = "same township"
        else:
            where = "distance unknown"
        vp = bool(self.vice_principal[p])
        rated = (
            "no ratings yet"
            if member.avg_rating is None or member.rating_count <= 0
            else f"{member.avg_rating:.1f} from {member.rating_count} ratings"
        )
        return (
            ScorePart("vice_principal", w.vice_principal, 1.0 if vp else 0.0,
                      "legal vice-principal of this school" if vp else ""),
            ScorePart("distance", w.distance, near, where),
            ScorePart("fairness", w.fairness, float(self.fairness[p]),
                      f"{member.recent_sessions} sessions in 30 days"),
            ScorePart("experience", w.experience, float(self.experience[p]),
                      f"{int(self.talks[p])} sessions on these topics"),
            ScorePart("rating", w.rating, float(self.rating[p]), rated),
        )  # fmt: skip


def _haversine_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle km between rows of (lat, lon); NaN where either is unknown."""
    lat1, lon1 = np.radians(a[:, 0]), np.radians(a[:, 1])
    lat2, lon2 = np.radians(b[:, 0]), np.radians(b[:, 1])
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
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
    members = _unique_ids(members)
    ctx = _Need(need, now, travel_buffer, same_township_buffer)
    eligible: list[tuple[MemberProfile, tuple[Interval, ...]]] = []
    excluded: list[Exclusion] = []
    for m in members:
        faults, free = _time_faults(ctx, m)
        faults |= _static_faults(ctx, m)
        if faults:
            excluded.append(Exclusion(m.id, _reason_codes(faults)))
        else:
            eligible.append((m, free))
    leads = []
    for (m, _free), team in zip(eligible, _teams(ctx, eligible), strict=True):
        if team is None:
            excluded.append(Exclusion(m.id, _reason_codes(_BIT["topic"])))
        else:
            leads.append(team)
    candidates = []
    if leads:
        leaders = [m for m, _slots, _helpers in leads]
        scores = _Scores(
            [ctx], leaders, np.zeros(len(leads), dtype=np.int64), np.arange(len(leads)), weights
        )
        for p, (m, slots, helpers) in enumerate(leads):
            candidates.append(
                Candidate(m.id, float(scores.total[p]), scores.parts(p, m, weights), slots, helpers)
            )
    candidates.sort(key=lambda c: (-c.score, c.member_id))
    excluded.sort(key=lambda e: e.member_id)
    return Ranking(tuple(candidates), tuple(excluded))


# --- batch assignment -----------------------------------------------------------------------

# A solver gets edges (row, unit, score) and unit capacities and returns the unit of each row
# (or -1), maximising the total score; rows may stay unmatched.
Solver = Callable[[int, Sequence[int], Sequence[int], Sequence[int], Sequence[float]], list[int]]


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

    Orders × (member, ISO week) is solved as a min-cost assignment on a capacity-expanded sparse
    graph (LAPJVsp): a member takes at most its remaining weekly cap in each week, an order
    may stay unassigned (a zero-gain dummy column of its own), ineligible pairs have no edge.
    Then each member's orders get concrete slots, highest score first, the earliest slots
    that keep them apart (travel buffer) and under the daily cap; an order that cannot fit
    next to the higher-scoring ones is dropped (``BatchResult.dropped``), never squeezed in.
    Helpers of orders with several topics are proposed by :func:`rank_candidates`, they are
    not reserved here.
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
    """:func:`assign_batch` solved as a min-cost flow by networkx (test/bench extra), to compare."""
    return _assign(needs, members, now, weights, travel_buffer, same_township_buffer, _solve_flow)


def _assign(
    needs: Iterable[OrderNeed],
    members: Iterable[MemberProfile],
    now: datetime,
    weights: Weights,
    travel: timedelta,
    same: timedelta,
    solve: Solver,
) -> BatchResult:
    needs = list(needs)
    if any(n.id is None for n in needs):
        raise DomainError("orders", N_("Only saved orders can be assigned in a batch."))
    if len({n.id for n in needs}) != len(needs):
        raise DomainError("orders", N_("Each order may appear only once."))
    needs.sort(key=lambda n: n.id)  # type: ignore[arg-type, return-value]
    team = sorted(_unique_ids(members), key=lambda m: m.id)
    cache: dict = {}
    contexts = [_Need(n, now, travel, same, cache) for n in needs]
    pair_need, pair_member, pair_slots = _eligible_pairs(contexts, team)
    if not pair_need:
        return BatchResult((), tuple(n.id for n in needs), 0.0)  # type: ignore[misc]
    pn = np.asarray(pair_need, dtype=np.int64)
    pm = np.asarray(pair_member, dtype=np.int64)
    score = _Scores(contexts, team, pn, pm, weights).total

    # Capacity is per member and ISO week: the weekly cap minus the sessions already held.
    # A pair is one edge per week in which the member has a free slot for the order.
    week_ids: dict[datetime, int] = {}
    e_pair: list[int] = []
    e_week: list[int] = []
    for p, (n_idx, slots) in enumerate(zip(pair_need, pair_slots, strict=True)):
        days = contexts[n_idx].days
        seen = -1
        for slot in slots:
            week = week_ids.setdefault(days[slot][1], len(week_ids))
            if week != seen:  # slots are sorted, so a week's slots are together
                e_pair.append(p)
                e_week.append(week)
                seen = week
    ep = np.asarray(e_pair, dtype=np.int64)
    unit_key = pm[ep] * len(week_ids) + np.asarray(e_week, dtype=np.int64)
    keys, e_unit = np.unique(unit_key, return_inverse=True)
    weeks = list(week_ids)
    unit_caps = []
    for key in keys.tolist():
        member = team[key // len(weeks)]
        held = _week_load(member).get(weeks[key % len(weeks)], 0)
        unit_caps.append(max(0, member.weekly_cap - held))
    rows, e_row = np.unique(pn[ep], return_inverse=True)
    order_ids = np.asarray([n.id for n in needs], dtype=np.int64)
    member_ids = np.asarray([m.id for m in team], dtype=np.int64)
    tie = _tie_break(order_ids[pn[ep]], member_ids[pm[ep]])
    chosen = solve(len(rows), unit_caps, e_row, e_unit, score[ep] + TIE_EPS * tie)

    # The edge (row, unit) leads back to its pair.
    edge_of = {(r, u): e for e, (r, u) in enumerate(zip(e_row.tolist(), e_unit.tolist(), strict=True))}
    per_member: dict[int, list[tuple[float, int, tuple[Interval, ...], _Need]]] = {}
    for row, unit in enumerate(chosen):
        if unit < 0:
            continue
        p = int(ep[edge_of[row, unit]])
        n_idx, m_idx = pair_need[p], pair_member[p]
        week = weeks[int(keys[unit]) % len(weeks)]
        ctx = contexts[n_idx]
        slots = tuple(s for s in pair_slots[p] if ctx.days[s][1] == week)
        per_member.setdefault(m_idx, []).append((float(score[p]), n_idx, slots, ctx))

    assignments: list[Assignment] = []
    dropped: list[int] = []
    for m_idx, items in per_member.items():
        member = team[m_idx]
        placed, lost = _place(member, items, travel, same)
        got = {n_idx: s for s, n_idx, _slots, _ctx in items}
        for n_idx, slot in placed.items():
            assignments.append(Assignment(needs[n_idx].id, member.id, slot, got[n_idx]))  # type: ignore[arg-type]
        dropped.extend(needs[n].id for n in lost)  # type: ignore[misc]
    assignments.sort(key=lambda a: a.order_id)
    done = {a.order_id for a in assignments}
    return BatchResult(
        assignments=tuple(assignments),
        unassigned=tuple(n.id for n in needs if n.id not in done),  # type: ignore[misc]
        objective=math.fsum(a.score for a in assignments),
        dropped=tuple(sorted(dropped)),
    )


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


def _eligible_pairs(
    contexts: Sequence[_Need], team: Sequence[MemberProfile]
) -> tuple[list[int], list[int], list[tuple[Interval, ...]]]:
    """(order index, member index, slots) of every eligible pair, as three parallel lists."""
    # The static rules go through set indexes, so that only members who pass them all get
    # the time checks; a test holds this to the member-by-member rules of rank_candidates.
    by_topic: dict[str, set[int]] = {}
    by_format: dict[str, set[int]] = {}
    by_language: dict[str, set[int]] = {}
    index_of = {}
    for i, m in enumerate(team):
        index_of[m.id] = i
        if not m.active:
            continue
        for topic in m.topics:
            by_topic.setdefault(topic, set()).add(i)
        for fmt in m.formats:
            if fmt != MOBILE_FILM or m.kit_qualified:
                by_format.setdefault(fmt, set()).add(i)
        for lang in m.languages:
            by_language.setdefault(lang, set()).add(i)
    # Members without sessions or leave are free for every live slot; the others remember
    # each slot's faults, as a batch's orders share slots.
    memos = [None if _always_free(m) else {} for m in team]
    empty: set[int] = set()

    pair_need: list[int] = []
    pair_member: list[int] = []
    pair_slots: list[tuple[Interval, ...]] = []
    for n_idx, ctx in enumerate(contexts):
        live = ctx.live_slots
        if not live:
            continue
        pool = set().union(*(by_topic.get(t, empty) for t in ctx.topics))
        pool &= by_format.get(ctx.format, empty)
        if ctx.language is not None:
            pool &= by_language.get(ctx.language, empty)
        if ctx.exclude:
            pool -= {index_of[i] for i in ctx.exclude if i in index_of}
        found: list[int] = []
        free_slots: list[tuple[Interval, ...]] = []
        for i in sorted(pool):
            memo = memos[i]
            if memo is None:
                found.append(i)
                free_slots.append(live)
            else:
                faults, free = _time_faults(ctx, team[i], memo)
                if not faults:
                    found.append(i)
                    free_slots.append(free)
        if ctx.multi:
            teams = _teams(ctx, [(team[i], f) for i, f in zip(found, free_slots, strict=True)])
            for i, entry in zip(found, teams, strict=True):
                if entry is not None:
                    pair_need.append(n_idx)
                    pair_member.append(i)
                    pair_slots.append(entry[1])
        else:
            pair_need.extend([n_idx] * len(found))
            pair_member.extend(found)
            pair_slots.extend(free_slots)
    return pair_need, pair_member, pair_slots


def _week_load(member: MemberProfile) -> dict[datetime, int]:
    load: dict[datetime, int] = {}
    for b in member.busy:
        week = _local_day_week(b.start)[1]
        load[week] = load.get(week, 0) + 1
    return load


_PLACE_BUDGET = 20_000  # DFS nodes per member and order; beyond it the order is dropped


def _place(
    member: MemberProfile,
    items: list[tuple[float, int, tuple[Interval, ...], _Need]],
    travel: timedelta,
    same: timedelta,
) -> tuple[dict[int, Interval], list[int]]:
    """Give each (score, need index, slots, order) a slot; drop those that do not fit.

    Highest score first: an order is kept only if it fits together with all kept ones, whose
    slots may move to make room. Slots are tried earliest first.
    """
    day_load: dict[datetime, int] = {}
    for b in member.busy:
        day = _local_day_week(b.start)[0]
        day_load[day] = day_load.get(day, 0) + 1
    week_load = _week_load(member)
    kept: list[tuple[int, list[tuple[Interval, datetime, datetime]], int | None]] = []
    placed: dict[int, Interval] = {}
    lost: list[int] = []
    for _score, n_idx, slots, ctx in sorted(items, key=lambda it: (-it[0], it[1])):
        options = [(slot, *ctx.days[slot]) for slot in slots]
        trial = kept + [(n_idx, options, ctx.township)]
        # Fewest options first prunes the search; ties keep score order.
        order = sorted(range(len(trial)), key=lambda k: len(trial[k][1]))
        result = _search(
            [trial[k] for k in order], member, day_load, week_load, travel, same
        )
        if result is None:
            lost.append(n_idx)
        else:
            kept = trial
            placed = result
    return placed, lost


def _search(
    items: list[tuple[int, list[tuple[Interval, datetime, datetime]], int | None]],
    member: MemberProfile,
    day_load: dict[datetime, int],
    week_load: dict[datetime, int],
    travel: timedelta,
    same: timedelta,
) -> dict[int, Interval] | None:
    chosen: list[tuple[Interval, datetime, datetime, int | None]] = []
    budget = [_PLACE_BUDGET]

    def fits(slot: Interval, day: datetime, week: datetime, township: int | None) -> bool:
        in_day = day_load.get(day, 0)
        in_week = week_load.get(week, 0)
        for other, o_day, o_week, o_town in chosen:
            buffer = same if township is not None and township == o_town else travel
            if other[0] - buffer < slot[1] and slot[0] < other[1] + buffer:
                return False
            in_day += o_day == day
            in_week += o_week == week
        return in_day < member.daily_cap and in_week < member.weekly_cap

    def go(k: int) -> bool:
        if k == len(items):
            return True
        _n, options, township = items[k]
        for slot, day, week in options:
            budget[0] -= 1
            if budget[0] < 0:
                return False
            if fits(slot, day, week, township):
                chosen.append((slot, day, week, township))
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
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    rows = np.asarray(e_row, dtype=np.int64)
    unit = np.asarray(e_unit, dtype=np.int64)
    score = np.asarray(e_score, dtype=np.float64)
    # A unit never needs more copies than it has orders.
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
    import numpy as np
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
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_node("s", demand=-n_rows)
    graph.add_node("t", demand=n_rows)
    for r in range(n_rows):
        graph.add_edge("s", ("o", r), capacity=1, weight=0)
        graph.add_edge(("o", r), "t", capacity=1, weight=0)  # the order stays open
    for u, cap in enumerate(unit_caps):
        graph.add_edge(("u", u), "t", capacity=cap, weight=0)
    for r, u, s in zip(e_row, e_unit, e_score, strict=True):
        graph.add_edge(("o", r), ("u", u), capacity=1, weight=-round(s * _FLOW_SCALE))
    _cost, flow = nx.network_simplex(graph)
    out = [-1] * n_rows
    for r in range(n_rows):
        for target, amount in flow[("o", r)].items():
            if amount and target != "t":
                out[r] = target[1]
    return out
