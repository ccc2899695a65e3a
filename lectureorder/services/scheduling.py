"""Scheduling: candidate slots for a place and format, and booking sessions without clashes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..domain import availability as av
from ..domain import calendar_text, feasibility
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
    record_event,
)
from . import notify, reference
from .screenings_admin import film_season_overrides
from .settings import DEFAULTS, Settings

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
BUFFERS = av.DEFAULT_BUFFERS


def load_place(kind: str, place_id: int | None) -> Village | School | Market:
    model = PLACE_MODELS.get(kind)
    place = db.session.get(model, place_id) if model is not None and place_id is not None else None
    return checked_place(kind, place)


def checked_place(kind: str, place):
    """The one rule for which place an order or a slot may name: a known kind, a place in the
    list, a market still held. ``place`` is a row or a reference snapshot's entry (or None)."""
    if kind not in PLACE_MODELS:
        raise DomainError("place", N_("Please choose a village, school or market."))
    if place is None:
        raise DomainError("place", N_("This place is not in our list."))
    if kind == "market" and not place.active:
        raise DomainError("place", N_("This market is not held at the moment."))
    return place


def slot_settings(settings: Settings = DEFAULTS, fmt: str | None = None, *,
                  film: dict | None = None) -> fm.SlotSettings:
    """The slot rules' policy; with ``fmt`` other than a screening, the film season (one
    query) is left at its default, which no other format reads. ``film`` is the stored season
    already read (the reference snapshot's), instead of that query."""
    season = {"film_season_all_year": settings.film_season_all_year}
    if fmt is None or fmt == fm.Format.MOBILE_FILM:
        # The film season coordinators store wins over the configured default.
        season |= film_season_overrides() if film is None else film
    return fm.SlotSettings(min_lead_hours=settings.slot_min_lead_hours, **season)


def market_rule(market: Market) -> cal.MarketRule:
    """The market's cycle and policy through the one reading of a market (``calendar_text``)."""
    return calendar_text.market_rule(
        market.cycle, missing_30=market.missing_30, pauses=market.pauses,
        spring_festival_days=(market.spring_festival_days_before,
                              market.spring_festival_days_after))


def kit_availability(start: datetime, end: datetime) -> tuple[fm.KitAvailability, ...]:
    """Every active kit with its bookings in [start, end): two queries whatever the history."""
    return tuple(fm.KitAvailability(kit_id=k.id, busy=tuple((b.start, b.end) for b in k.busy))
                 for k in kits_time(start, end))


def place_context(kind: str, place, earliest: date, latest: date, *, with_kits: bool,
                  kit_bookings: bool = True) -> fm.PlaceContext:
    township_id = place.township_id
    blackouts = db.session.scalars(
        select(Blackout).where(
            Blackout.township_id == township_id, Blackout.first <= latest, Blackout.last >= earliest
        )
    ).all()
    overrides: list = []
    if kind == "school":  # working days only decide school days
        overrides = db.session.scalars(
            select(HolidayOverride).where(
                HolidayOverride.day >= earliest, HolidayOverride.day <= latest
            )
        ).all()
    kits: tuple = ()
    if with_kits and not kit_bookings:  # every active kit, as if free: the booking gate decides
        kits = tuple(fm.KitAvailability(kit_id=kit_id) for kit_id in active_kit_ids())
    elif with_kits:
        kits = kit_availability(*av.days_utc(earliest, latest))
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
    now: datetime, settings: Settings = DEFAULTS, kit_bookings: bool = True,
) -> list[fm.Slot]:
    """The one seam every flow uses to get candidate slots for a place, format and window.

    With ``kit_bookings`` False a screening's time counts as valid whenever a kit exists: a
    booking then learns from the gate (under the lock) that the kit was just taken (409)."""
    place = load_place(place_kind, place_id)
    ctx = place_context(place_kind, place, earliest, latest,
                        with_kits=fmt == fm.Format.MOBILE_FILM, kit_bookings=kit_bookings)
    return fm.propose_slots(fmt, ctx, earliest, latest, now, slot_settings(settings))


def can_happen(fmt: str, place_kind: str, place, earliest: date, latest: date, *,
               now: datetime, settings: Settings = DEFAULTS,
               ref: reference.Reference | None = None) -> feasibility.Verdict:
    """Whether the slot rules leave any time for this order at all (members and kit bookings
    aside), and if not why and the next days that would work; one place context covers the
    window and the year ahead. Blackouts, holiday overrides and the film season come from the
    reference snapshot (``ref``, or the current one), so the answer costs no query but the
    active kits' for a screening."""
    ref = ref or reference.current()
    today = now.astimezone(cal.TZ).date()
    horizon = max(latest, today + timedelta(days=feasibility.LOOK_AHEAD_DAYS))
    kits: tuple = ()
    if fmt == fm.Format.MOBILE_FILM:  # every active kit, as if free: the booking gate decides
        kits = tuple(fm.KitAvailability(kit_id=kit_id) for kit_id in active_kit_ids())
    ctx = build_place_context(place_kind, place, earliest, horizon,
                              blackouts=ref.township_blackouts(place.township_id),
                              overrides=ref.overrides if place_kind == "school" else (),
                              kits=kits)
    return feasibility.check(fmt, ctx, earliest, latest, now,
                             slot_settings(settings, fmt, film=ref.film))


def member_time(member: Member, lo: datetime, hi: datetime) -> av.Member:
    """The member's leave and sessions as the availability rule reads them, for slots within
    [lo, hi) (a week and the travel buffer either side are loaded: caps and buffers need them)."""
    horizon_lo = av.horizon((lo, lo + timedelta(minutes=1)))[0]
    horizon_hi = av.horizon((hi - timedelta(minutes=1), hi))[1]
    rows = db.session.execute(
        select(LectureSession.id, LectureSession.start, LectureSession.end,
               LectureSession.township_id).where(
            LectureSession.lead_member_id == member.id, *overlapping(horizon_lo, horizon_hi),
        )
    ).all()
    return av.Member(
        id=member.id, name=member.name,
        busy=tuple(av.Busy(start=s, end=e, township_id=t, session_id=i) for i, s, e, t in rows),
        leave=tuple((lv.start, lv.end) for lv in member.leaves),
        daily_cap=member.daily_cap, weekly_cap=member.weekly_cap,
    )


def active_kit_ids() -> list[int]:
    return list(db.session.scalars(
        select(EquipmentKit.id).where(EquipmentKit.active.is_(True)).order_by(EquipmentKit.id)))


def kits_time(lo: datetime, hi: datetime) -> tuple[av.Kit, ...]:
    """Every active kit with its bookings overlapping [lo, hi), lowest id first."""
    kit_ids = active_kit_ids()
    busy: dict[int, list[av.Busy]] = {k: [] for k in kit_ids}
    for i, kit_id, s, e in db.session.execute(
        # "Any kit", not "one of these": the planner then keeps to the index on start.
        select(LectureSession.id, LectureSession.kit_id, LectureSession.start, LectureSession.end)
        .where(LectureSession.kit_id.is_not(None), *overlapping(lo, hi))
    ):
        if kit_id in busy:  # sessions of a retired kit do not matter
            busy[kit_id].append(av.Busy(start=s, end=e, township_id=None, session_id=i))
    return tuple(av.Kit(id=k, busy=tuple(busy[k])) for k in kit_ids)


def why_not(
    member: Member, start: datetime, end: datetime, township_id: int | None, *,
    ignore_session_id: int | None = None,
) -> tuple[av.Reason, ...]:
    """The availability rule for one member and slot, on the member's time as stored now."""
    return av.why_not(member_time(member, start, end), (start, end), township_id,
                      buffers=BUFFERS, ignore_session_id=ignore_session_id)


def check_free(
    member: Member, start: datetime, end: datetime, township_id: int | None, *, film: bool,
    field: str | None = "slot_start", ignore_session_id: int | None = None,
    prefer_kit_id: int | None = None,
) -> EquipmentKit | None:
    """The one gate every booking and move passes, under the member's lock: raise
    ``Unavailable`` (HTTP 409, with every reason) unless the member is free for [start, end) at
    a venue in ``township_id``; for a film screening return the free kit to use (the preferred
    one when it is free, else the lowest)."""
    kits = kits_time(start, end) if film else None
    kit_id = av.require_free(
        member_time(member, start, end), (start, end), township_id, field=field, kits=kits,
        buffers=BUFFERS, ignore_session_id=ignore_session_id,
    )
    if kit_id is None:
        return None
    if prefer_kit_id is not None and prefer_kit_id in av.free_kits(
            kits, (start, end), ignore_session_id=ignore_session_id):
        kit_id = prefer_kit_id
    return db.session.get(EquipmentKit, kit_id)


def lock_schedule(member: Member, now: datetime, kit: EquipmentKit | None = None) -> None:
    """Write the member's (and kit's) row first, so concurrent bookings of them serialise.

    The version bump makes the slower of two racing bookings fail here, before it writes
    anything else (on SQLite the write also waits for the other transaction to finish); what
    is read after it (the member's sessions) includes every booking committed before.
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
    """Create the session for an order once the availability rule says the member (and a kit)
    is free; the member is locked first, the kit as soon as it is chosen."""
    township_id = order.township_id
    lock_schedule(member, now)
    kit = check_free(member, start, end, township_id,
                     film=order.format == fm.Format.MOBILE_FILM)
    if kit is not None:
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
    session: LectureSession, earliest: date, latest: date, *, now: datetime,
    settings: Settings = DEFAULTS,
) -> list[fm.Slot]:
    """Valid slots for this session's place and format that its member (and a kit) can take."""
    order = _session_order(session)
    slots = propose_slots(order.format, order.place_kind, order.place_id, earliest, latest,
                          now=now, settings=settings)
    if not slots:
        return []
    member = member_time(session.lead_member, slots[0].start, slots[-1].end)
    return [slot for slot in slots
            if not av.why_not(member, (slot.start, slot.end), session.township_id,
                              buffers=BUFFERS, ignore_session_id=session.id)]


def reschedule_window(session: LectureSession, *, now: datetime) -> tuple[date, date]:
    order = _session_order(session)
    today = now.astimezone(cal.TZ).date()
    earliest = max(today, order.earliest)
    latest = max(order.latest, today + timedelta(days=RESCHEDULE_DAYS))
    return earliest, min(latest, earliest + timedelta(days=RESCHEDULE_DAYS * 3))


def reschedule_session(
    session: LectureSession, start: datetime | None, *, now: datetime, actor=None, reason: str = "",
    settings: Settings = DEFAULTS,
) -> LectureSession:
    """Move a scheduled session to another valid slot; the member and requester are told."""
    if session.status != SessionStatus.SCHEDULED:
        raise Conflict(None, N_("Only scheduled sessions can be moved."))
    order = _session_order(session)
    earliest, latest = reschedule_window(session, now=now)
    # A valid time for the place and format; whether the member is free then is the gate's
    # answer below (under the lock, with the reason), not a silent absence from the list.
    slots = propose_slots(order.format, order.place_kind, order.place_id, earliest, latest,
                          now=now, settings=settings, kit_bookings=False)
    chosen = next((s for s in slots if s.start == start), None)
    if chosen is None:
        raise DomainError("slot_start", N_("Please choose one of the proposed times."))
    before = session.start
    member = session.lead_member
    lock_schedule(member, now)
    kit = check_free(member, chosen.start, chosen.end, session.township_id,
                     film=session.format == fm.Format.MOBILE_FILM, ignore_session_id=session.id,
                     prefer_kit_id=session.kit_id)
    if kit is not None:
        lock_schedule(member, now, kit)
    session.start, session.end, session.kit = chosen.start, chosen.end, kit
    record_event(session.order, "reschedule", now=now, actor=actor, detail={
        "from": before.isoformat(), "to": chosen.start.isoformat(), "reason": reason[:200]})
    _tell_about_move(session, now)
    return session


def _tell_about_move(session: LectureSession, now: datetime) -> None:
    order = session.order
    stamp = session.start.isoformat()
    notify.enqueue("session_moved", key=f"session:{session.id}:moved:{stamp}:member",
                   recipient_kind="member", member_id=session.lead_member_id, order=order,
                   now=now, payload={"code": order.code, "start": stamp})
    notify.enqueue("session_moved", key=f"session:{session.id}:moved:{stamp}:requester",
                   recipient_kind="requester", order=order, now=now,
                   payload={"code": order.code, "start": stamp})


def evening_screenings(day: date) -> list[LectureSession]:
    start, end = av.days_utc(day, day)
    return list(db.session.scalars(select(LectureSession).where(
        LectureSession.format == fm.Format.MOBILE_FILM,
        LectureSession.status == SessionStatus.SCHEDULED,
        LectureSession.start >= start, LectureSession.start < end,
    ).order_by(LectureSession.start)))


def rain_plan(day: date, *, now: datetime, settings: Settings = DEFAULTS,
              ) -> list[tuple[LectureSession, fm.Slot | None]]:
    """For every screening that evening, the next valid evening (or None: back to the coordinator)."""
    plan = []
    promised: list[tuple[datetime, datetime]] = []  # kits already promised within this plan
    for session in evening_screenings(day):
        first = max(day + timedelta(days=1), now.astimezone(cal.TZ).date())
        candidates = free_slots_for_session(session, first, first + timedelta(days=RESCHEDULE_DAYS),
                                            now=now, settings=settings)
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


def rain_out(day: date, *, now: datetime, actor=None, settings: Settings = DEFAULTS,
             ) -> list[tuple[LectureSession, fm.Slot | None]]:
    """Cancel the evening's screenings for weather and move each to its next valid evening."""
    plan = rain_plan(day, now=now, settings=settings)
    for session, slot in plan:
        if slot is not None:
            reschedule_session(session, slot.start, now=now, actor=actor, reason="weather",
                               settings=settings)
            db.session.flush()
        else:
            order = session.order
            session.transition("cancel", now=now, actor=actor, detail={"reason": "weather"})
            record_event(order, "rain_out", now=now, actor=actor, detail={"session_id": session.id})
            order.transition("unschedule", now=now, actor=actor, detail={"reason": "weather"})
            _tell_about_move(session, now)
    return plan
