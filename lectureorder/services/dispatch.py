"""Dispatch (派单): rank members for an order, offer it, accept/decline/expire, assign."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import selectinload

from ..domain import availability as av
from ..domain import matching
from ..domain.calendars import TZ
from ..domain.errors import N_, Conflict, DomainError
from ..domain.lifecycle import OFFER_REFUSED, OfferStatus, OrderStatus
from ..extensions import db
from ..models import (
    Feedback,
    LectureSession,
    Member,
    Offer,
    Order,
    SessionStatus,
    Topic,
    User,
    order_topic,
    record_event,
)
from . import notify, scheduling
from .settings import DEFAULTS, Settings
from .unit import TAKEN, flush_or_conflict

OPEN = OfferStatus.OPEN
MAX_SLOTS_PER_OFFER = 6


# ---------------------------------------------------------------- loading what the domain needs

def load_profiles(start: datetime, end: datetime, *, now: datetime) -> list[matching.MemberProfile]:
    """Every active member as the matcher sees them; a fixed number of queries."""
    members = db.session.scalars(
        select(Member).where(Member.active.is_(True)).order_by(Member.id).options(
            selectinload(Member.specialties), selectinload(Member.vice_principal_of),
            selectinload(Member.leaves), selectinload(Member.home_township),
        )
    ).all()
    # A week either side so weekly caps see the whole ISO week.
    busy_rows = db.session.execute(
        select(LectureSession.lead_member_id, LectureSession.start, LectureSession.end,
               LectureSession.township_id).where(
            *scheduling.overlapping(start - timedelta(days=7), end + timedelta(days=7)),
        )
    ).all()
    busy: dict[int, list[matching.Busy]] = defaultdict(list)
    for member_id, s, e, township_id in busy_rows:
        busy[member_id].append(matching.Busy(start=s, end=e, township_id=township_id))
    recent = dict(db.session.execute(
        select(LectureSession.lead_member_id, func.count()).where(
            LectureSession.status != SessionStatus.CANCELLED,
            LectureSession.start >= now - timedelta(days=30), LectureSession.start < now,
        ).group_by(LectureSession.lead_member_id)
    ).all())
    experience: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for member_id, code, n in db.session.execute(
        select(LectureSession.lead_member_id, Topic.code, func.count())
        .join(order_topic, order_topic.c.order_id == LectureSession.order_id)
        .join(Topic, Topic.id == order_topic.c.topic_id)
        .where(LectureSession.status == SessionStatus.DELIVERED)
        .group_by(LectureSession.lead_member_id, Topic.code)
    ):
        experience[member_id].append((code, n))
    ratings = {
        member_id: (float(avg), n)
        for member_id, avg, n in db.session.execute(
            select(LectureSession.lead_member_id, func.avg(Feedback.rating), func.count())
            .join(Feedback, Feedback.order_id == LectureSession.order_id)
            .group_by(LectureSession.lead_member_id)
        )
    }
    profiles = []
    for m in members:
        home = m.home_township
        avg, n = ratings.get(m.id, (None, 0))
        profiles.append(matching.MemberProfile(
            id=m.id, name=m.name, active=m.active,
            topics=frozenset(t.code for t in m.specialties),
            formats=frozenset(m.formats or ()), languages=frozenset(m.languages or ("zh",)),
            home_township_id=m.home_township_id,
            home=(home.lat, home.lon) if home is not None and home.lat is not None else None,
            vice_principal_of=frozenset(s.id for s in m.vice_principal_of),
            kit_qualified=m.kit_qualified,
            leave=tuple((lv.start, lv.end) for lv in m.leaves),
            busy=tuple(busy.get(m.id, ())), daily_cap=m.daily_cap, weekly_cap=m.weekly_cap,
            recent_sessions=recent.get(m.id, 0), topic_experience=tuple(experience.get(m.id, ())),
            avg_rating=avg, rating_count=n,
        ))
    return profiles


def order_need(order: Order, slots, *, now: datetime | None = None) -> matching.OrderNeed:
    """The order as the matcher sees it. With ``now``, an open offer already past its deadline
    counts as expired (the sweep may not have passed yet): its member is not asked again."""
    place = order.place
    venue = None
    if place is not None and place.lat is not None:
        venue = (place.lat, place.lon)
    elif order.township.lat is not None:
        venue = (order.township.lat, order.township.lon)
    tried = frozenset(
        o.member_id for o in order.offers
        if o.status in OFFER_REFUSED
        or (now is not None and o.status == OPEN and o.expires_at <= now)
    )
    return matching.OrderNeed(
        id=order.id, topics=frozenset(order.topic_codes), format=order.format,
        township_id=order.township_id, venue=venue, school_id=order.school_id,
        language=order.language, slots=tuple((s.start, s.end) for s in slots), exclude=tried,
    )


def order_slots(order: Order, *, now: datetime, settings: Settings = DEFAULTS,
                kit_bookings: bool = True):
    try:
        slots = scheduling.propose_slots(
            order.format, order.place_kind, order.place_id, order.earliest, order.latest, now=now,
            settings=settings, kit_bookings=kit_bookings,
        )
    except DomainError:  # the window has passed or the place changed: nothing to offer
        return []
    return timed_slots(order, slots)


def timed_slots(order: Order, slots: list) -> list:
    """Only the first possible day's slots for an order that wants "the next possible day"."""
    if order.timing == "next" and slots:
        first_day = slots[0].start.astimezone(TZ).date()
        slots = [s for s in slots if s.start.astimezone(TZ).date() == first_day]
    return slots


def candidates_for(order: Order, *, now: datetime, settings: Settings = DEFAULTS,
                   ) -> tuple[matching.Ranking, list]:
    slots = order_slots(order, now=now, settings=settings)
    start, end = av.days_utc(order.earliest, order.latest)
    profiles = load_profiles(start, end, now=now)
    ranking = matching.rank_candidates(order_need(order, slots), profiles, now, settings.weights)
    return ranking, slots


# ---------------------------------------------------------------- offering

def offer_expiry(now: datetime, first_slot_start: datetime | None, *,
                 settings: Settings = DEFAULTS) -> datetime:
    """Configured hours, shorter when the session is near (a third of the time left, ≥ 30 min)."""
    expires = now + timedelta(hours=settings.offer_expiry_hours)
    if first_slot_start is not None:
        near = now + max((first_slot_start - now) / 3, timedelta(minutes=30))
        expires = min(expires, near)
    return expires


def _slots_json(slots) -> list[list[str]]:
    return [[s.astimezone(UTC).isoformat(), e.astimezone(UTC).isoformat()] for s, e in slots]


def dispatch_order(order: Order, *, now: datetime, actor: User | None = None,
                   settings: Settings = DEFAULTS) -> list[Offer]:
    """Offer the order to the best candidate (or the pool); escalate when nobody can take it."""
    if order.offer_rounds >= settings.max_offer_rounds:
        order.transition("escalate", now=now, actor=actor,
                         detail={"reason": "rounds", "rounds": order.offer_rounds})
        _tell_coordinators(order, now, "rounds")
        return []
    ranking, slots = candidates_for(order, now=now, settings=settings)
    if not slots or not ranking.candidates:
        reason = "no_slot" if not slots else "no_candidate"
        order.transition("escalate", now=now, actor=actor, detail={"reason": reason})
        _tell_coordinators(order, now, reason)
        return []
    pool = settings.pool
    chosen = ranking.candidates[:settings.pool_size] if pool else ranking.candidates[:1]
    offers = []
    order.offer_rounds += 1
    for rank, cand in enumerate(chosen, start=1):
        free = sorted(cand.free_slots)[:MAX_SLOTS_PER_OFFER]
        offer = Offer(
            order=order, member_id=cand.member_id, rank=rank, score=round(cand.score, 3),
            parts=[part_record(p) for p in cand.parts],
            slots=_slots_json(free), created_at=now,
            expires_at=offer_expiry(now, free[0][0] if free else None, settings=settings),
        )
        db.session.add(offer)
        offers.append(offer)
    flush_or_conflict(TAKEN)
    order.transition("offer", now=now, actor=actor, detail={
        "members": [o.member_id for o in offers], "round": order.offer_rounds,
        "mode": "pool" if pool else "directed",
    })
    for offer in offers:
        notify.enqueue("offer_new", key=f"offer:{offer.id}:new", recipient_kind="member",
                       member_id=offer.member_id, order=order, now=now,
                       payload={"offer_id": offer.id, "code": order.code})
    return offers


# One pass takes at most this many waiting orders; the next pass takes the rest.
PASS_LIMIT = 200


def dispatch_pending(*, now: datetime, settings: Settings = DEFAULTS, limit: int = PASS_LIMIT,
                     ) -> int:
    """One dispatch pass: offer the orders waiting since they were placed; returns how many
    were dispatched (offered or escalated).

    Placing an order only stores it (``ordering.place_order``); this pass, run by the scheduler
    every ``DISPATCH_INTERVAL_SECONDS`` and by ``flask dispatch-pending``, offers it. Directed
    mode assigns the pass's orders jointly with the backlog's min-cost solver (against the
    whole team, so two orders that arrived together do not both go to the one best member);
    the orders it leaves out go the usual way (``dispatch_order``: next best candidate, or the
    coordinator). Pool mode offers each order to its pool.

    The plan is made before anything is written (on SQLite no write lock is held meanwhile);
    then every order is claimed (status still ``submitted``), lowest id first, before any is
    offered, so two passes at once queue on the first order they share instead of
    deadlocking, and an order the other pass took is skipped: each order is offered once.
    """
    ids = list(db.session.scalars(
        select(Order.id).where(Order.status == OrderStatus.SUBMITTED)
        .order_by(Order.id).limit(limit)
    ))
    if not ids:
        return 0
    joint = None
    if not settings.pool:
        from . import batch  # batch builds on this module's offering

        backlog = batch.load_orders(ids, now, settings)
        joint = backlog, batch.solve(backlog, now, settings=settings)
    claimed = [i for i in ids
               if claim_order(i, now=now, statuses=(OrderStatus.SUBMITTED,)) is not None]
    offered: set[int] = set()
    if joint is not None:
        offered = batch.send_planned(*joint, claimed, now=now, settings=settings)
    for order_id in claimed:
        if order_id not in offered:
            dispatch_order(db.session.get(Order, order_id), now=now, settings=settings)
            flush_or_conflict(TAKEN)
    return len(claimed)


def part_record(part: matching.ScorePart) -> dict:
    """A score part as an offer stores it: the note stays an msgid, translated when shown."""
    return {"name": part.name, "weight": part.weight, "value": round(part.value, 4),
            "points": round(part.points, 3), "note": part.note,
            "note_params": dict(part.note_params), "detail": part.detail}


def reoffer(order: Order, *, now: datetime, actor: User | None,
            settings: Settings = DEFAULTS) -> list[Offer]:
    """A coordinator sends an order that came back to them out again, with fresh rounds."""
    if order.status != OrderStatus.NEEDS_ATTENTION or claim_order(
            order.id, now=now, statuses=(OrderStatus.NEEDS_ATTENTION,)) is None:
        raise Conflict(None, N_("Only orders waiting for the coordinator can be offered again."))
    order.offer_rounds = 0
    return dispatch_order(order, now=now, actor=actor, settings=settings)


def _tell_coordinators(order: Order, now: datetime, reason: str) -> None:
    notify.enqueue("order_needs_attention", key=f"order:{order.id}:attention:{order.version}",
                   recipient_kind="coordinator", order=order, now=now,
                   payload={"code": order.code, "reason": reason})


def open_offers_for(member: Member, *, now: datetime) -> list[Offer]:
    """The member's open offers, soonest deadline first; pool offers included (see rivals)."""
    return list(db.session.scalars(
        select(Offer).where(Offer.member_id == member.id, Offer.status == OPEN,
                            Offer.expires_at > now)
        .order_by(Offer.expires_at, Offer.id)
        .options(selectinload(Offer.order).selectinload(Order.topics),
                 selectinload(Offer.order).selectinload(Order.township),
                 selectinload(Offer.order).selectinload(Order.offers),
                 # The inbox card shows the order's questions and its place (with a map link).
                 selectinload(Offer.order).selectinload(Order.questions),
                 selectinload(Offer.order).selectinload(Order.village),
                 selectinload(Offer.order).selectinload(Order.school),
                 selectinload(Offer.order).selectinload(Order.market))
    ))


def rivals(offer: Offer) -> int:
    """How many other members hold an open offer for the same order (pool mode: first wins)."""
    return sum(1 for o in offer.order.offers if o.status == OPEN and o.id != offer.id)


def _member_offer(offer_id: int, member: Member) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.member_id != member.id:
        raise LookupError(offer_id)
    return offer


def _answerable(offer: Offer, now: datetime) -> bool:
    return offer.status == OPEN and offer.expires_at > now


ASSIGNABLE = (OrderStatus.SUBMITTED, OrderStatus.OFFERED, OrderStatus.NEEDS_ATTENTION)


def claim_order(order_id: int, *, now: datetime, statuses=None, where=()) -> Order | None:
    """Take the order for this unit of work with one atomic conditional UPDATE, or return None.

    The UPDATE bumps the order's version only while the order is in one of ``statuses`` (and
    ``where`` holds). Of several racing transactions exactly one gets the row at a time:
    PostgreSQL keeps it locked until commit and re-checks the order's own columns for the
    waiters; SQLite's single writer lock queues them behind the winner. Only then is the order
    (with its offers) read again, so what follows sees every change committed before, and the
    flushes after it cannot go stale. A ``where`` on other tables (offers) only saves work:
    PostgreSQL re-checks it against the waiter's old snapshot, so a caller that needs it to hold
    checks it again on the order returned.

    Every change to an order's offers claims the order first. Locks are therefore always taken
    order, then offers, then member and kit: concurrent flows queue instead of deadlocking, and
    a loser fails at the claim, before it has written anything.
    """
    stmt = update(Order).where(Order.id == order_id, *where)
    if statuses is not None:
        stmt = stmt.where(Order.status.in_([str(s) for s in statuses]))
    result = db.session.execute(
        stmt.values(version=Order.version + 1, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        return None
    order = db.session.scalars(
        select(Order).where(Order.id == order_id).options(selectinload(Order.offers))
        .execution_options(populate_existing=True)
    ).one()
    return order


def accept_offer(offer_id: int, member: Member, slot_start: datetime | None, *, now: datetime) -> LectureSession:
    """First accept wins, exactly once; a loser gets Conflict (HTTP 409)."""
    offer = _member_offer(offer_id, member)
    if not _answerable(offer, now) or offer.order.status != OrderStatus.OFFERED:
        raise Conflict(None, TAKEN)
    if slot_start is None:
        raise DomainError("slot_start", N_("Please choose one of the proposed times."))
    chosen = next((s for s in offer.slot_times if s[0] == slot_start), None)
    if chosen is None:
        raise DomainError("slot_start", N_("Please choose one of the proposed times."))
    order = claim_order(offer.order_id, now=now, statuses=(OrderStatus.OFFERED,))
    # Under the claim the offer is current: another member (pool), a second tap of this one or
    # the expiry sweep may have answered it since it was read.
    if order is None or not _answerable(offer, now):
        raise Conflict(None, TAKEN)
    session = scheduling.book_session(order=order, member=member, start=chosen[0], end=chosen[1],
                                      now=now)
    offer.transition("accept", now=now, actor=member.user,
                     detail={"start": chosen[0].isoformat()})
    withdraw_open_offers(order, now=now, actor=member.user, reason="taken")
    order.transition("schedule", now=now, actor=member.user,
                     detail={"member_id": member.id, "start": chosen[0].isoformat()})
    flush_or_conflict(TAKEN)
    notify.enqueue("order_scheduled", key=f"order:{order.id}:scheduled:{session.id}",
                   recipient_kind="requester", order=order, now=now,
                   payload={"code": order.code, "start": chosen[0].isoformat()})
    return session


NOT_OPEN = N_("This offer is no longer open.")


def decline_offer(offer_id: int, member: Member, reason: str, *, now: datetime,
                  settings: Settings = DEFAULTS) -> Offer:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason", N_("Please say why you cannot take it."))
    if len(reason) > 200:
        raise DomainError("reason", N_("At most %(n)d characters."), n=200)
    offer = _member_offer(offer_id, member)
    if offer.status != OPEN:
        raise Conflict(None, NOT_OPEN)
    order = claim_order(offer.order_id, now=now)
    if order is None or offer.status != OPEN:
        raise Conflict(None, NOT_OPEN)
    offer.decline_reason = reason
    offer.transition("decline", now=now, actor=member.user, detail={"reason": reason})
    _move_on(order, now=now, actor=member.user, settings=settings)
    flush_or_conflict(TAKEN)
    return offer


def _move_on(order: Order, *, now: datetime, actor: User | None, settings: Settings) -> None:
    """After a decline or expiry: next candidate, unless others in the pool are still open."""
    if order.status != OrderStatus.OFFERED:
        return
    if any(o.status == OPEN for o in order.offers):
        return
    dispatch_order(order, now=now, actor=actor, settings=settings)


def _overdue(now: datetime):
    return (Offer.status == OPEN, Offer.expires_at <= now)


def expire_offers(*, now: datetime, settings: Settings = DEFAULTS) -> int:
    """Expire overdue offers and move their orders on; returns how many offers expired.

    Idempotent, and safe to run twice at once or against accepting members: each order with
    overdue offers is claimed first (lowest id first, so two sweeps queue rather than deadlock),
    then its offers are read again, so each offer expires once and each order moves on once.
    """
    order_ids = db.session.scalars(
        select(Offer.order_id).where(*_overdue(now)).distinct().order_by(Offer.order_id)
    ).all()
    done = 0
    for order_id in order_ids:
        still_due = exists().where(Offer.order_id == Order.id, *_overdue(now))
        order = claim_order(order_id, now=now, where=(still_due,))
        if order is None:  # another sweep or an accept got there first
            continue
        due = [o for o in order.offers if o.status == OPEN and o.expires_at <= now]
        for offer in due:
            offer.transition("expire", now=now)
        done += len(due)
        if due:
            _move_on(order, now=now, actor=None, settings=settings)
        flush_or_conflict()
    return done


def assign(order: Order, member: Member, slot_start: datetime | None, *, now: datetime,
           actor: User, settings: Settings = DEFAULTS) -> LectureSession:
    """A coordinator assigns (or re-assigns) an order to a member directly."""
    if not member.active:
        raise DomainError("member", N_("This member is not active."))
    session = order.lecture_session
    if order.status == OrderStatus.SCHEDULED and session is not None:
        if member.id == session.lead_member_id:
            raise DomainError("member", N_("%(name)s already gives this session."),
                              name=member.name)
        before = session.lead_member_id
        scheduling.lock_schedule(member, now)
        # The kit stays with the session: only the member's time is checked.
        scheduling.check_free(member, session.start, session.end, order.township_id,
                              film=False, field="member")
        session.lead_member = member
        record_event(order, "reassign", now=now, actor=actor,
                     detail={"from_member": before, "to_member": member.id})
        flush_or_conflict(TAKEN)
        return session
    if order.status not in ASSIGNABLE:
        raise Conflict(None, N_("This order can no longer be assigned."))
    # A valid time for the order, kits' bookings aside: whether a kit (and the member) is free
    # is the gate's answer under the lock, a 409 that says why, not "not a proposed time".
    slots = order_slots(order, now=now, settings=settings, kit_bookings=False)
    chosen = next(((s.start, s.end) for s in slots if s.start == slot_start), None)
    if chosen is None:
        raise DomainError("slot_start", N_("Please choose one of the proposed times."))
    if claim_order(order.id, now=now, statuses=ASSIGNABLE) is None:
        raise Conflict(None, TAKEN)
    session = scheduling.book_session(order=order, member=member, start=chosen[0], end=chosen[1],
                                      now=now)
    withdraw_open_offers(order, now=now, actor=actor, reason="assigned")
    order.transition("schedule", now=now, actor=actor,
                     detail={"member_id": member.id, "assigned": True, "start": chosen[0].isoformat()})
    flush_or_conflict(TAKEN)
    notify.enqueue("session_assigned", key=f"session:{session.id}:assigned:{member.id}",
                   recipient_kind="member", member_id=member.id, order=order, now=now,
                   payload={"code": order.code})
    return session


def withdraw_open_offers(order: Order, *, now: datetime, actor: User | None, reason: str) -> None:
    """Every offer of the order still open is withdrawn (taken, assigned, cancelled, re-sent)."""
    for offer in order.offers:
        if offer.status == OPEN:
            offer.transition("withdraw", now=now, actor=actor, detail={"reason": reason})
