"""The lecture team's availability: leave (members their own, coordinators everyone's) and the
profile fields coordinators edit (limits, active, formats, specialties, film kit)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import raiseload, selectinload
from sqlalchemy.orm.attributes import flag_modified

from ..domain import formats as fm
from ..domain.errors import N_, DomainError, ValidationFailed
from ..extensions import db
from ..models import AuditEvent, Leave, LectureSession, Member, SessionStatus, Topic, User
from . import scheduling
from .unit import flush_or_conflict

MAX_LEAVE = timedelta(days=366)
MAX_REASON = 120
DAILY_CAP = (1, 10)
WEEKLY_CAP = (1, 30)


@dataclass(frozen=True)
class LeaveResult:
    """The leave as stored (merged with any it overlapped) and the member's sessions inside it,
    which stay booked: the coordinator decides who takes them over."""

    leave: Leave
    merged: int
    clashes: tuple[LectureSession, ...]


def _audit(member: Member, action: str, *, now: datetime, actor: User | None, detail: dict) -> None:
    db.session.add(AuditEvent(
        at=now, actor=actor, actor_label=actor.username if actor else "system", entity="member",
        entity_id=member.id, action=action, detail=detail,
    ))


def _lock(member: Member) -> None:
    """Bump the member's schedule version, as every booking does: a booking racing this change
    (it checked leave before we wrote) then fails instead of landing inside new leave."""
    member.last_booked_at  # noqa: B018  (loaded, so that it can be flagged)
    flag_modified(member, "last_booked_at")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# ---------------------------------------------------------------- leave

def add_leave(member: Member, start: datetime | None, end: datetime | None, reason: str, *,
              now: datetime, actor: User | None) -> LeaveResult:
    """Record leave [start, end); leave it overlaps or touches is merged into one period."""
    reason = (reason or "").strip()
    errors = []
    if start is None:
        errors.append(DomainError("start", N_("Please give the first day of the leave.")))
    if end is None:
        errors.append(DomainError("end", N_("Please give the last day of the leave.")))
    if len(reason) > MAX_REASON:
        errors.append(DomainError("reason", N_("At most %(n)d characters."), n=MAX_REASON))
    if start is not None and end is not None:
        if start.tzinfo is None or end.tzinfo is None:
            raise DomainError(None, N_("Times must carry a time zone."))
        if end <= start:
            errors.append(DomainError("end", N_("The leave must end after it starts.")))
        elif end - start > MAX_LEAVE:
            errors.append(DomainError("end", N_("A leave period can be at most a year long.")))
        elif end <= now:
            errors.append(DomainError("end", N_("This leave is already over.")))
    ValidationFailed.collect(errors)

    overlapping = [lv for lv in member.leaves if lv.start <= end and start <= lv.end]
    first = min([start, *(lv.start for lv in overlapping)])
    last = max([end, *(lv.end for lv in overlapping)])
    if last - first > MAX_LEAVE:
        raise ValidationFailed([DomainError("end", N_(
            "Together with the leave it overlaps, this would be longer than a year."))])
    reasons = [lv.reason for lv in overlapping if lv.reason] + ([reason] if reason else [])
    merged_reason = "；".join(dict.fromkeys(reasons))[:MAX_REASON]
    with db.session.no_autoflush:  # a stale member fails in flush_or_conflict (409)
        for lv in overlapping:
            member.leaves.remove(lv)  # delete-orphan: the merged period replaces them
        leave = Leave(start=first, end=last, reason=merged_reason)
        member.leaves.append(leave)
        _lock(member)
        _audit(member, "leave_add", now=now, actor=actor, detail={
            "start": _iso(first), "end": _iso(last), "reason": merged_reason,
            "merged": len(overlapping)})
    flush_or_conflict()
    clashes = tuple(db.session.scalars(
        select(LectureSession).where(
            LectureSession.lead_member_id == member.id,
            LectureSession.status == SessionStatus.SCHEDULED,
            *scheduling.overlapping(first, last),
        ).order_by(LectureSession.start)
    ))
    return LeaveResult(leave, len(overlapping), clashes)


def member_leave(member: Member, leave_id: int) -> Leave:
    """One of this member's leave periods, or LookupError (another member's is "not found")."""
    leave = db.session.get(Leave, leave_id)
    if leave is None or leave.member_id != member.id:
        raise LookupError(leave_id)
    return leave


def delete_leave(member: Member, leave_id: int, *, now: datetime, actor: User | None) -> None:
    leave = member_leave(member, leave_id)
    with db.session.no_autoflush:  # a stale member fails in flush_or_conflict (409)
        member.leaves.remove(leave)
        _lock(member)
        _audit(member, "leave_delete", now=now, actor=actor, detail={
            "start": _iso(leave.start), "end": _iso(leave.end), "reason": leave.reason})
    flush_or_conflict()


def current_leave(member: Member, *, now: datetime) -> list[Leave]:
    """Leave that has not ended yet, soonest first (past leave stays in the history)."""
    return [lv for lv in member.leaves if lv.end > now]


# ---------------------------------------------------------------- coordinators: the profile

@dataclass(frozen=True)
class MemberChanges:
    daily_cap: int | None
    weekly_cap: int | None
    active: bool
    formats: tuple[str, ...]
    specialties: tuple[str, ...]
    kit_qualified: bool


def _cap(value: int | None, field: str, bounds: tuple[int, int], errors: list) -> None:
    low, high = bounds
    if value is None or isinstance(value, bool) or not low <= value <= high:
        errors.append(DomainError(field, N_("Please enter a number from %(min)s to %(max)s."),
                                  min=low, max=high))


def update_member(member: Member, changes: MemberChanges, *, now: datetime,
                  actor: User | None) -> Member:
    """Change a member's limits, active flag, formats, specialties and film-kit qualification."""
    errors: list[DomainError] = []
    _cap(changes.daily_cap, "daily_cap", DAILY_CAP, errors)
    _cap(changes.weekly_cap, "weekly_cap", WEEKLY_CAP, errors)
    if not errors and changes.weekly_cap < changes.daily_cap:
        errors.append(DomainError("weekly_cap", N_(
            "The weekly limit cannot be lower than the daily limit.")))
    known_formats = {f.value for f in fm.Format}
    if any(f not in known_formats for f in changes.formats):
        errors.append(DomainError("formats", N_("Please choose from the list.")))
    topics = {t.code: t for t in db.session.scalars(select(Topic))}
    if any(code not in topics for code in changes.specialties):
        errors.append(DomainError("specialties", N_("Please choose from the list.")))
    ValidationFailed.collect(errors)

    before = _profile(member)
    # No autoflush: a stale member must fail in flush_or_conflict (409), not in a lazy load.
    with db.session.no_autoflush:
        member.daily_cap = changes.daily_cap
        member.weekly_cap = changes.weekly_cap
        member.active = changes.active
        member.formats = [f.value for f in fm.Format if f.value in changes.formats]
        member.kit_qualified = changes.kit_qualified
        member.specialties = sorted((topics[c] for c in set(changes.specialties)),
                                    key=lambda t: (t.position, t.id))
        after = _profile(member)
        if after != before:
            _audit(member, "member_update", now=now, actor=actor, detail={
                key: {"from": before[key], "to": after[key]}
                for key in after if after[key] != before[key]})
    flush_or_conflict()
    return member


def _profile(member: Member) -> dict:
    return {"daily_cap": member.daily_cap, "weekly_cap": member.weekly_cap,
            "active": member.active, "formats": list(member.formats or ()),
            "specialties": [t.code for t in member.specialties],
            "kit_qualified": member.kit_qualified}


def team(*, now: datetime) -> list[Member]:
    """Every member with what the team page shows; a fixed number of queries."""
    return list(db.session.scalars(
        select(Member).order_by(Member.active.desc(), Member.name, Member.id).options(
            selectinload(Member.specialties), selectinload(Member.leaves),
            selectinload(Member.home_township), raiseload("*"),
        )
    ))


def topic_choices() -> Iterable[Topic]:
    return db.session.scalars(select(Topic).order_by(Topic.position, Topic.id))
