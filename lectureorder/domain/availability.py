"""Who is free when: the one rule for whether a member (and a film kit) can take a slot at a venue.

Every path that books or moves a session asks :func:`why_not` under the member's lock; the
matcher (``domain/matching``) computes the same answer for a whole team at once with arrays,
and a property test proves the two agree. The travel buffers and the Beijing-day and ISO-week
boundaries that both use are defined here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import NamedTuple

from .calendars import TZ
from .errors import N_, Conflict

Interval = tuple[datetime, datetime]

# Travel between townships on mountain roads: an hour between two sessions of one member;
# within one township twenty minutes.
TRAVEL_BUFFER = timedelta(minutes=60)
SAME_TOWNSHIP_BUFFER = timedelta(minutes=20)

_ONE_DAY = timedelta(days=1)


# --- Beijing days and ISO weeks --------------------------------------------------------------

def local_day(moment: datetime) -> date:
    """The Beijing (Asia/Shanghai) calendar day of an aware moment."""
    return moment.astimezone(TZ).date()


def day_start(day: date) -> datetime:
    """Beijing midnight starting ``day``, in UTC."""
    return datetime.combine(day, time.min, TZ).astimezone(UTC)


def days_utc(first: date, last: date) -> tuple[datetime, datetime]:
    """The half-open UTC interval covering the Beijing days ``first`` … ``last`` (inclusive)."""
    return day_start(first), day_start(last + _ONE_DAY)


def day_bounds(moment: datetime) -> Interval:
    """The Beijing day that ``moment`` falls in, as a half-open UTC interval."""
    day = local_day(moment)
    return days_utc(day, day)


def week_bounds(moment: datetime) -> Interval:
    """The ISO week (Monday to Sunday, Beijing time) that ``moment`` falls in, in UTC."""
    day = local_day(moment)
    monday = day - timedelta(days=day.weekday())
    return day_start(monday), day_start(monday + timedelta(days=7))


# --- what the rule reads -----------------------------------------------------------------------

@dataclass(frozen=True)
class Busy:
    """A session a member (or a kit) already holds; ``session_id`` lets a move ignore itself."""

    start: datetime
    end: datetime
    township_id: int | None
    session_id: int | None = None


class MemberTime:
    """What the rule reads of a member: anything with these attributes (the matcher's
    ``MemberProfile`` is one, the services build one per booking)."""

    id: int
    name: str
    busy: tuple[Busy, ...]
    leave: tuple[Interval, ...]
    daily_cap: int
    weekly_cap: int


@dataclass(frozen=True)
class Member:
    """A member's time as the booking paths load it (see :class:`MemberTime`)."""

    id: int
    name: str
    busy: tuple[Busy, ...] = ()
    leave: tuple[Interval, ...] = ()
    daily_cap: int = 2
    weekly_cap: int = 5


@dataclass(frozen=True)
class Kit:
    """A film kit and the sessions it is booked for."""

    id: int
    busy: tuple[Busy, ...] = ()


@dataclass(frozen=True)
class Buffers:
    """Time a member needs between two sessions: ``same_township`` when both are in one."""

    travel: timedelta = TRAVEL_BUFFER
    same_township: timedelta = SAME_TOWNSHIP_BUFFER

    def between(self, township_a: int | None, township_b: int | None) -> timedelta:
        # An unknown township is never "the same" as another.
        if township_a is not None and township_a == township_b:
            return self.same_township
        return self.travel


DEFAULT_BUFFERS = Buffers()


class Reason(NamedTuple):
    """Why a slot is closed: a stable ``code`` (as in the matcher's REASONS) and an English
    msgid with its parameters, translated by the web layer."""

    code: str
    message: str
    params: Mapping[str, object] = MappingProxyType({})


# The codes, in the order they are reported.
CODES = ("leave", "busy", "cap_day", "cap_week", "kit")

MESSAGES: Mapping[str, str] = MappingProxyType({
    "leave": N_("%(name)s is on leave at that time."),
    "busy": N_("%(name)s has another session from %(start)s to %(end)s: too close to allow "
               "%(minutes)d minutes for travel."),
    "cap_day": N_("%(name)s already has %(n)d session(s) that day: the daily limit."),
    "cap_week": N_("%(name)s already has %(n)d session(s) that week: the weekly limit."),
    "kit": N_("No film kit is free at that time."),
})


# --- the rule --------------------------------------------------------------------------------

def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals: touching ends do not overlap."""
    return a_start < b_end and b_start < a_end


def clashes(busy: Busy, slot: Interval, township_id: int | None, buffers: Buffers) -> bool:
    """``busy`` is too close to ``slot`` at a venue in ``township_id`` (travel included)."""
    gap = buffers.between(busy.township_id, township_id)
    return overlaps(busy.start, busy.end, slot[0] - gap, slot[1] + gap)


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(TZ).strftime("%H:%M")


def why_not(
    member: MemberTime, slot: Interval, township_id: int | None, *,
    kits: Iterable[Kit] | None = None, buffers: Buffers = DEFAULT_BUFFERS,
    ignore_session_id: int | None = None,
) -> tuple[Reason, ...]:
    """Every reason ``member`` cannot take ``slot`` at a venue in ``township_id``; empty = free.

    - leave: any leave period overlapping the slot;
    - busy: another session closer to the slot than the travel buffer (shorter within one
      township; sessions that merely touch the buffer are fine);
    - cap_day / cap_week: the member already holds ``daily_cap`` sessions starting on the slot's
      Beijing day, or ``weekly_cap`` in its ISO week (a session counts where it starts);
    - kit (only when ``kits`` is given, i.e. for a film screening): no kit is free for the slot.

    ``ignore_session_id`` is the session being moved: it neither clashes nor counts.
    """
    start, end = slot
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a slot's times must carry a time zone")
    if end <= start:
        raise ValueError("a slot must end after it starts")
    name = member.name
    reasons: list[Reason] = []
    if any(overlaps(a, b, start, end) for a, b in member.leave):
        reasons.append(Reason("leave", MESSAGES["leave"], {"name": name}))
    others = [b for b in member.busy
              if ignore_session_id is None or b.session_id != ignore_session_id]
    clash = next((b for b in sorted(others, key=lambda b: b.start)
                  if clashes(b, slot, township_id, buffers)), None)
    if clash is not None:
        reasons.append(Reason("busy", MESSAGES["busy"], {
            "name": name, "start": _hhmm(clash.start), "end": _hhmm(clash.end),
            "minutes": buffers.between(clash.township_id, township_id) // timedelta(minutes=1),
        }))
    day_lo, day_hi = day_bounds(start)
    week_lo, week_hi = week_bounds(start)
    in_week = [b for b in others if week_lo <= b.start < week_hi]
    in_day = sum(1 for b in in_week if day_lo <= b.start < day_hi)
    if in_day >= member.daily_cap:
        reasons.append(Reason("cap_day", MESSAGES["cap_day"], {"name": name, "n": in_day}))
    if len(in_week) >= member.weekly_cap:
        reasons.append(Reason("cap_week", MESSAGES["cap_week"], {"name": name, "n": len(in_week)}))
    if kits is not None and not free_kits(kits, slot, ignore_session_id=ignore_session_id):
        reasons.append(Reason("kit", MESSAGES["kit"]))
    return tuple(reasons)


def free_kits(
    kits: Iterable[Kit], slot: Interval, *, ignore_session_id: int | None = None
) -> tuple[int, ...]:
    """Ids of the kits free for the whole slot, lowest first (kits need no travel buffer:
    the member drives the kit)."""
    start, end = slot
    return tuple(sorted(
        k.id for k in kits
        if not any(overlaps(b.start, b.end, start, end) for b in k.busy
                   if ignore_session_id is None or b.session_id != ignore_session_id)
    ))


def reason_codes(reasons: Iterable[Reason]) -> tuple[str, ...]:
    return tuple(r.code for r in reasons)


def horizon(slot: Interval, buffers: Buffers = DEFAULT_BUFFERS) -> Interval:
    """The stretch of time whose sessions can matter to ``slot``: its ISO week (caps) widened by
    the travel buffer on both sides; a loader that reads this much gives :func:`why_not` all it
    needs."""
    week_lo, week_hi = week_bounds(slot[0])
    gap = max(buffers.travel, buffers.same_township)
    return min(week_lo, slot[0] - gap), max(week_hi, slot[1] + gap)


class Unavailable(Conflict):
    """The member (or every kit) is not free for the slot (HTTP 409); ``reasons`` holds them all,
    the message is the first one's."""

    def __init__(self, field: str | None, reasons: Iterable[Reason]) -> None:
        self.reasons = tuple(reasons)
        if not self.reasons:
            raise ValueError("Unavailable needs at least one reason")
        first = self.reasons[0]
        super().__init__(field, first.message, **first.params)

    @property
    def codes(self) -> tuple[str, ...]:
        return reason_codes(self.reasons)


def require_free(
    member: MemberTime, slot: Interval, township_id: int | None, *, field: str | None = None,
    kits: Iterable[Kit] | None = None, buffers: Buffers = DEFAULT_BUFFERS,
    ignore_session_id: int | None = None,
) -> int | None:
    """Raise :class:`Unavailable` unless the member is free; return the free kit's id (lowest
    first) when ``kits`` is given, else None."""
    kits = None if kits is None else tuple(kits)
    reasons = why_not(member, slot, township_id, kits=kits, buffers=buffers,
                      ignore_session_id=ignore_session_id)
    if reasons:
        raise Unavailable(field, reasons)
    if kits is None:
        return None
    return free_kits(kits, slot, ignore_session_id=ignore_session_id)[0]
