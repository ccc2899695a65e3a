"""Scheduling: candidate slots for a place and format, and booking sessions without clashes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from ..domain import calendars as cal
from ..domain import formats as fm
from ..domain.errors import N_, Conflict, DomainError
from ..extensions import db
from ..models import (
    Blackout,
    EquipmentKit,
    HolidayOverride,
    LectureSession,
    Market,
    Member,
    School,
    SessionStatus,
    Village,
)

PLACE_MODELS = {"village": Village, "school": School, "market": Market}
# No session lasts longer than this; bounding `start` from below lets the index on start cut
# the history out of every overlap query (otherwise they scan every past session).
MAX_SESSION_LENGTH = timedelta(hours=12)


def overlapping(start: datetime, end: datetime) -> tuple:
    """WHERE clauses: non-cancelled sessions overlapping [start, end), index-friendly."""
    return (
        LectureSession.status != SessionStatus.CANCELLED,
        LectureSession.start < end,
        LectureSession.start > start - MAX_SESSION_LENGTH,
        LectureSession.end > start,
    )
# Travel between townships on mountain roads: keep an hour between two sessions of one member.
TRAVEL_BUFFER = timedelta(minutes=60)
SAME_TOWNSHIP_BUFFER = timedelta(minutes=20)


def load_place(kind: str, place_id: int | None) -> Village | School | Market:
    model = PLACE_MODELS.get(kind)
    if model is None:
        raise DomainError("place", N_("Please choose a village, school or market."))
    place = db.session.get(model, place_id) if place_id is not None else None
    if place is None:
        raise DomainError("place", N_("This place is not in our list."))
    if kind == "market" and not place.active:
        raise DomainError("place", N_("This market is not held at the moment."))
    return place


def slot_settings() -> fm.SlotSettings:
    # The film season coordinators store wins over the configured default.
    from .calendar_admin import film_season_overrides  # late: calendar_admin uses market_rule

    cfg = current_app.config
    film = {"film_season_all_year": cfg["FILM_SEASON_ALL_YEAR"]} | film_season_overrides()
    return fm.SlotSettings(min_lead_hours=cfg["SLOT_MIN_LEAD_HOURS"], **film)


def market_rule(market: Market) -> cal.MarketRule:
    policy: dict = {"missing_30": market.missing_30 or "skip"}
    if market.pauses:
        policy["pauses"] = tuple(
            (date.fromisoformat(a), date.fromisoformat(b)) for a, b in market.pauses
        )
    if market.spring_festival_days_before is not None or market.spring_festival_days_after:
        policy["spring_festival_pause"] = (
            market.spring_festival_days_before or 0, market.spring_festival_days_after or 0
        )
    return cal.MarketRule.from_contract(market.cycle, **policy)


def _utc_bounds(earliest: date, latest: date) -> tuple[datetime, datetime]:
    start = datetime.combine(earliest, time.min, cal.TZ).astimezone(UTC)
    end = datetime.combine(latest + timedelta(days=1), time.min, cal.TZ).astimezone(UTC)
    return start, end


def kit_availability(start: datetime, end: datetime) -> tuple[fm.KitAvailability, ...]:
    """Every active kit with its bookings in [start, end): two queries whatever the history."""
    kits = db.session.scalars(
        select(EquipmentKit).where(EquipmentKit.active.is_(True)).order_by(EquipmentKit.id)
    ).all()
    rows = db.session.execute(
        select(LectureSession.kit_id, LectureSession.start, LectureSession.end).where(
            LectureSession.kit_id.is_not(None), *overlapping(start, end),
        )
    ).all()
    busy: dict[int, list[tuple[datetime, datetime]]] = {k.id: [] for k in kits}
    for kit_id, s, e in rows:
        busy.setdefault(kit_id, []).append((s, e))
    return tuple(fm.KitAvailability(kit_id=k.id, busy=tuple(busy[k.id])) for k in kits)


def place_context(kind: str, place, earliest: date, latest: date, *, with_kits: bool) -> fm.PlaceContext:
    township_id = place.township_id
    blackouts = db.session.scalars(
        select(Blackout).where(
            Blackout.township_id == township_id, Blackout.first <= latest, Blackout.last >= earliest
        )
    ).all()
    overrides = db.session.scalars(
        select(HolidayOverride).where(
            HolidayOverride.day >= earliest, HolidayOverride.day <= latest
        )
    ).all()
    kits: tuple = ()
    if with_kits:
        kits = kit_availability(*_utc_bounds(earliest, latest))
    return build_place_context(kind, place, earliest, latest, blackouts=blackouts,
                               overrides=overrides, kits=kits)


def build_place_context(
    kind: str, place, earliest: date, latest: date, *, blackouts: Iterable[Blackout],
    overrides: Iterable[HolidayOverride], kits: tuple[fm.KitAvailability, ...] = (),
) -> fm.PlaceContext:
    """The slot rules' view of a place from rows already loaded (supersets are fine: only the
    place's township and the window are kept), so a batch loads them once for every order."""
    blackouts = [b for b in blackouts if b.township_id == place.township_id
                 and b.first <= latest and b.last >= earliest]
    overrides = [o for o in overrides if earliest <= o.day <= latest]
    terms: tuple = ()
    market = None
    hours = (time(9, 30), time(12, 0))
    if kind == "school":
        terms = tuple(cal.Term(first=t.first, last=t.last) for t in place.terms)
        if not terms:  # a school with no term calendar entered: Haidong's usual terms
            terms = cal.default_terms(earliest.year - 1) + cal.default_terms(earliest.year) + (
                cal.default_terms(latest.year) if latest.year != earliest.year else ()
            )
    elif kind == "market":
        market = market_rule(place)
        hours = (place.opens, place.closes)
    return fm.PlaceContext(
        kind=kind, lat=place.lat, lon=place.lon, market=market, market_hours=hours, terms=terms,
        blackouts=tuple(
            cal.Blackout(first=b.first, last=b.last, weekdays=frozenset(b.weekdays or ()),
                         start=b.start, end=b.end, label=b.label)
            for b in blackouts
        ),
        holiday_overrides=tuple(
            cal.HolidayOverride(day=o.day, working=o.working, name=o.name) for o in overrides
        ),
        kits=kits,
    )


def propose_slots(
    fmt: str, place_kind: str, place_id: int | None, earliest: date, latest: date, *,
    now: datetime,
) -> list[fm.Slot]:
    """The one seam every flow uses to get candidate slots for a place, format and window."""
    place = load_place(place_kind, place_id)
    ctx = place_context(place_kind, place, earliest, latest,
                        with_kits=fmt == fm.Format.MOBILE_FILM)
    return fm.propose_slots(fmt, ctx, earliest, latest, now, slot_settings())


def member_clash(
    member_id: int, start: datetime, end: datetime, township_id: int | None, *,
    ignore_session_id: int | None = None,
) -> LectureSession | None:
    """An existing session of the member too close to [start, end) (travel buffer included)."""
    stmt = select(LectureSession).where(
        LectureSession.lead_member_id == member_id,
        *overlapping(start - TRAVEL_BUFFER, end + TRAVEL_BUFFER),
    )
    if ignore_session_id is not None:
        stmt = stmt.where(LectureSession.id != ignore_session_id)
    for other in db.session.scalars(stmt):
        buffer = SAME_TOWNSHIP_BUFFER if other.township_id == township_id else TRAVEL_BUFFER
        if other.start < end + buffer and start - buffer < other.end:
            return other
    return None


def free_kit(start: datetime, end: datetime, *, ignore_session_id: int | None = None) -> EquipmentKit | None:
    taken = select(LectureSession.kit_id).where(
        LectureSession.kit_id.is_not(None), *overlapping(start, end),
    )
    if ignore_session_id is not None:
        taken = taken.where(LectureSession.id != ignore_session_id)
    return db.session.scalar(
        select(EquipmentKit).where(EquipmentKit.active.is_(True), EquipmentKit.id.not_in(taken))
        .order_by(EquipmentKit.id).limit(1)
    )


def on_leave(member: Member, start: datetime, end: datetime) -> bool:
    return any(lv.start < end and start < lv.end for lv in member.leaves)


def lock_schedule(member: Member, now: datetime, kit: EquipmentKit | None = None) -> None:
    """Write the member's (and kit's) row first, so concurrent bookings of them serialise.

    The version bump makes the slower of two racing bookings fail here, before it writes
    anything else (on SQLite the write also waits for the other transaction to finish).
    """
    from .unit import CLASH, flush_or_conflict

    member.last_booked_at = now
    if kit is not None:
        kit.last_booked_at = now
    flush_or_conflict(CLASH)


def book_session(
    *, order, member: Member, start: datetime, end: datetime, now: datetime,
    helpers: Iterable[Member] = (),
) -> LectureSession:
    """Create the session for an order, refusing clashes for the member and the kit."""
    township_id = order.township_id
    if on_leave(member, start, end):
        raise Conflict("slot_start", N_("%(name)s is on leave at that time."), name=member.name)
    clash = member_clash(member.id, start, end, township_id)
    if clash is not None:
        raise Conflict("slot_start", N_("%(name)s already has a session at that time."),
                       name=member.name)
    kit = None
    if order.format == fm.Format.MOBILE_FILM:
        kit = free_kit(start, end)
        if kit is None:
            raise Conflict("slot_start", N_("No film kit is free at that time."))
    lock_schedule(member, now, kit)
    session = LectureSession(
        order=order, format=order.format, start=start, end=end, venue=venue_name(order),
        township_id=township_id, lead_member=member, kit=kit, created_at=now,
        helpers=list(helpers),
    )
    db.session.add(session)
    return session


def venue_name(order) -> str:
    place = order.place
    return f"{order.township.name} {place.name}" if place is not None else order.township.name


# ---------------------------------------------------------------- moving sessions

RESCHEDULE_DAYS = 30


def _session_order(session: LectureSession):
    if session.order is None:
        raise DomainError(None, N_("Only sessions that come from an order can be moved here."))
    return session.order


def free_slots_for_session(
    session: LectureSession, earliest: date, latest: date, *, now: datetime
) -> list[fm.Slot]:
    """Valid slots for this session's place and format that its member (and a kit) can take."""
    order = _session_order(session)
    slots = propose_slots(order.format, order.place_kind, order.place_id, earliest, latest,
                          now=now)
    member = session.lead_member
    result = []
    for slot in slots:
        if on_leave(member, slot.start, slot.end):
            continue
        if member_clash(member.id, slot.start, slot.end, session.township_id,
                        ignore_session_id=session.id) is not None:
            continue
        result.append(slot)
    return result


def reschedule_window(session: LectureSession, *, now: datetime) -> tuple[date, date]:
    order = _session_order(session)
    today = now.astimezone(cal.TZ).date()
    earliest = max(today, order.earliest)
    latest = max(order.latest, today + timedelta(days=RESCHEDULE_DAYS))
    return earliest, min(latest, earliest + timedelta(days=RESCHEDULE_DAYS * 3))


def reschedule_session(
    session: LectureSession, start: datetime | None, *, now: datetime, actor=None, reason: str = "",
) -> LectureSession:
    """Move a scheduled session to another valid slot; the member and requester are told."""
    from .dispatch import record_event  # avoids an import cycle at module load

    if session.status != SessionStatus.SCHEDULED:
        raise Conflict(None, N_("Only scheduled sessions can be moved."))
    earliest, latest = reschedule_window(session, now=now)
    slots = free_slots_for_session(session, earliest, latest, now=now)
    chosen = next((s for s in slots if s.start == start), None)
    if chosen is None:
        raise DomainError("slot_start", N_("Please choose one of the proposed times."))
    kit = session.kit
    if session.format == fm.Format.MOBILE_FILM:
        if kit is None or not kit_is_free(kit.id, chosen.start, chosen.end, session.id):
            kit = free_kit(chosen.start, chosen.end, ignore_session_id=session.id)
        if kit is None:
            raise Conflict("slot_start", N_("No film kit is free at that time."))
    before = session.start
    lock_schedule(session.lead_member, now, kit)
    session.start, session.end, session.kit = chosen.start, chosen.end, kit
    order = session.order
    record_event(order, "reschedule", now=now, actor=actor, detail={
        "from": before.isoformat(), "to": chosen.start.isoformat(), "reason": reason[:200]})
    _tell_about_move(session, now)
    return session


def kit_is_free(kit_id: int, start: datetime, end: datetime, ignore_session_id: int | None) -> bool:
    return db.session.scalar(select(LectureSession.id).where(
        LectureSession.kit_id == kit_id, *overlapping(start, end),
        LectureSession.id != (ignore_session_id or 0)).limit(1)) is None


def _tell_about_move(session: LectureSession, now: datetime) -> None:
    from . import notify

    order = session.order
    stamp = session.start.isoformat()
    notify.enqueue("session_moved", key=f"session:{session.id}:moved:{stamp}:member",
                   recipient_kind="member", member_id=session.lead_member_id, order=order,
                   now=now, payload={"code": order.code, "start": stamp})
    notify.enqueue("session_moved", key=f"session:{session.id}:moved:{stamp}:requester",
                   recipient_kind="requester", order=order, now=now,
                   payload={"code": order.code, "start": stamp})


def evening_screenings(day: date) -> list[LectureSession]:
    start, end = _utc_bounds(day, day)
    return list(db.session.scalars(select(LectureSession).where(
        LectureSession.format == fm.Format.MOBILE_FILM,
        LectureSession.status == SessionStatus.SCHEDULED,
        LectureSession.start >= start, LectureSession.start < end,
    ).order_by(LectureSession.start)))


def rain_plan(day: date, *, now: datetime) -> list[tuple[LectureSession, fm.Slot | None]]:
    """For every screening that evening, the next valid evening (or None: back to the coordinator)."""
    plan = []
    promised: list[tuple[datetime, datetime]] = []  # kits already promised within this plan
    for session in evening_screenings(day):
        first = max(day + timedelta(days=1), now.astimezone(cal.TZ).date())
        candidates = free_slots_for_session(session, first, first + timedelta(days=RESCHEDULE_DAYS),
                                            now=now)
        chosen = None
        for slot in candidates:
            overlapping = sum(1 for s, e in promised if s < slot.end and slot.start < e)
            if overlapping < len(slot.kit_ids):
                chosen = slot
                break
        if chosen is not None:
            promised.append((chosen.start, chosen.end))
        plan.append((session, chosen))
    return plan


def rain_out(day: date, *, now: datetime, actor=None) -> list[tuple[LectureSession, fm.Slot | None]]:
    """Cancel the evening's screenings for weather and move each to its next valid evening."""
    from .dispatch import record_event

    plan = rain_plan(day, now=now)
    for session, slot in plan:
        if slot is not None:
            reschedule_session(session, slot.start, now=now, actor=actor, reason="weather")
            db.session.flush()
        else:
            order = session.order
            session.status = SessionStatus.CANCELLED
            record_event(order, "rain_out", now=now, actor=actor, detail={"session_id": session.id})
            order.transition("unschedule", now=now, actor=actor, detail={"reason": "weather"})
            _tell_about_move(session, now)
    return plan
