"""Assign the backlog: every open order x every active member solved at once, previewed, then offered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from ..domain import availability as av
from ..domain import formats as fm
from ..domain import matching
from ..domain.errors import N_, DomainError
from ..domain.lifecycle import OrderStatus
from ..extensions import db
from ..models import Blackout, HolidayOverride, Member, Offer, Order, School, User
from . import dispatch, notify, scheduling
from .settings import DEFAULTS, Settings
from .unit import flush_or_conflict

# Why an order stays in the backlog (shown next to it in the preview).
NO_TOPIC = N_("The order has no topic left on the menu.")
NO_SLOT = N_("No possible time is left in the order's window.")
NOBODY = N_("Nobody on the team can take it at any of its times.")
FULL = N_("Those who could take it reached their weekly limits with higher-scoring orders.")
DROPPED = N_("Its member had no time left for it next to higher-scoring orders.")
# Why a previewed offer was not sent (something changed between preview and sending).
CHANGED = N_("The order changed since the preview.")
GONE = N_("The order is not waiting for a member any more.")
MEMBER_GONE = N_("This team member is no longer active.")
NOT_FREE = N_("%(name)s can no longer take it at that time.")
TWICE = N_("This order appeared twice in the preview.")
BAD_PLAN = N_("The preview could not be read. Please open the backlog again.")

MAX_PROPOSALS = 10_000
WAITING = (OrderStatus.SUBMITTED, OrderStatus.NEEDS_ATTENTION)


@dataclass(frozen=True)
class Proposal:
    """One row of a preview: offer this order to this member, at this time first."""

    order_id: int
    member_id: int
    start: datetime


@dataclass(frozen=True)
class PlannedOffer:
    order: Order
    member_id: int
    member_name: str
    start: datetime
    end: datetime
    score: float
    parts: tuple[matching.ScorePart, ...]

    @property
    def proposal(self) -> Proposal:
        return Proposal(self.order.id, self.member_id, self.start)


@dataclass(frozen=True)
class Unplanned:
    order: Order
    reason: str  # an msgid (N_); the page translates it
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BacklogPlan:
    made_at: datetime
    offers: tuple[PlannedOffer, ...]
    unplanned: tuple[Unplanned, ...]
    objective: float

    @property
    def token(self) -> str:
        return plan_token(p.proposal for p in self.offers)


@dataclass(frozen=True)
class Skipped:
    order_id: int
    code: str
    reason: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ApplyReport:
    sent: tuple[Offer, ...]
    skipped: tuple[Skipped, ...]


# ---------------------------------------------------------------- the preview's token

def plan_token(proposals) -> str:
    """A preview as the form carries it back: ``order:member:start-epoch`` joined by commas."""
    return ",".join(f"{p.order_id}:{p.member_id}:{int(p.start.timestamp())}" for p in proposals)


def parse_plan_token(token: str | None) -> list[Proposal]:
    """The proposals of a preview; DomainError("plan") for anything that is not one."""
    token = (token or "").strip()
    if not token:
        raise DomainError("plan", N_("There is nothing to send."))
    items = token.split(",")
    if len(items) > MAX_PROPOSALS:
        raise DomainError("plan", BAD_PLAN)
    proposals = []
    for item in items:
        parts = item.split(":")
        if len(parts) != 3 or not all(p.isdigit() and len(p) <= 12 for p in parts):
            raise DomainError("plan", BAD_PLAN)
        order_id, member_id, epoch = (int(p) for p in parts)
        try:
            start = datetime.fromtimestamp(epoch, UTC)
        except (OverflowError, OSError, ValueError):
            raise DomainError("plan", BAD_PLAN) from None
        proposals.append(Proposal(order_id, member_id, start))
    return proposals


# ---------------------------------------------------------------- loading, in a fixed number of queries

def _live_offer(now: datetime):
    return exists().where(Offer.order_id == Order.id, Offer.status == dispatch.OPEN,
                          Offer.expires_at > now)


def _waiting_clause(now: datetime):
    """Orders waiting for a member: new, back with the coordinator, or offered with every
    offer answered or run out (the sweep may not have passed yet)."""
    return or_(Order.status.in_([str(s) for s in WAITING]),
               and_(Order.status == OrderStatus.OFFERED, ~_live_offer(now)))


def _is_waiting(order: Order, now: datetime) -> bool:
    if order.status in WAITING:
        return True
    return order.status == OrderStatus.OFFERED and not any(
        o.status == dispatch.OPEN and o.expires_at > now for o in order.offers)


def _orders(*criteria) -> list[Order]:
    return list(db.session.scalars(
        select(Order).where(*criteria).order_by(Order.id).options(
            selectinload(Order.topics), selectinload(Order.township),
            selectinload(Order.village), selectinload(Order.market),
            selectinload(Order.school).selectinload(School.terms),
            selectinload(Order.offers),
        )
    ))


class _SlotSource:
    """Candidate slots of many orders from calendars loaded once for their combined window."""

    def __init__(self, orders: Sequence[Order], now: datetime, settings: Settings) -> None:
        self.now = now
        self.blackouts: list[Blackout] = []
        self.overrides: list[HolidayOverride] = []
        self.kits: tuple[fm.KitAvailability, ...] = ()
        self.settings = scheduling.slot_settings(settings)
        if not orders:
            return
        first = min(o.earliest for o in orders)
        last = max(o.latest for o in orders)
        towns = sorted({o.township_id for o in orders})
        self.blackouts = list(db.session.scalars(select(Blackout).where(
            Blackout.township_id.in_(towns), Blackout.first <= last, Blackout.last >= first)))
        self.overrides = list(db.session.scalars(select(HolidayOverride).where(
            HolidayOverride.day >= first, HolidayOverride.day <= last)))
        if any(o.format == fm.Format.MOBILE_FILM for o in orders):
            self.kits = scheduling.kit_availability(*av.days_utc(first, last))

    def slots(self, order: Order) -> list[fm.Slot]:
        place = order.place
        if place is None or (order.place_kind == "market" and not place.active):
            return []
        try:
            ctx = scheduling.build_place_context(
                order.place_kind, place, order.earliest, order.latest,
                blackouts=self.blackouts, overrides=self.overrides,
                kits=self.kits if order.format == fm.Format.MOBILE_FILM else (),
            )
            found = fm.propose_slots(order.format, ctx, order.earliest, order.latest, self.now,
                                     self.settings)
        except DomainError:  # the window has passed or the place changed: nothing to offer
            return []
        return dispatch.timed_slots(order, found)


def _profiles(orders: Sequence[Order], now: datetime) -> list[matching.MemberProfile]:
    if not orders:
        return []
    start, end = av.days_utc(min(o.earliest for o in orders), max(o.latest for o in orders))
    return dispatch.load_profiles(start, end, now=now)


# ---------------------------------------------------------------- plan

@dataclass
class Backlog:
    """What a plan is solved from: the waiting orders, their needs, the team's profiles."""

    orders: list[Order]
    needs: list[matching.OrderNeed]
    profiles: list[matching.MemberProfile]
    unplanned: dict[int, Unplanned]


def load_backlog(now: datetime, settings: Settings = DEFAULTS) -> Backlog:
    """Every waiting order with its candidate slots, and the team, in a fixed number of queries
    whatever the backlog: orders with everything the slot rules and the matcher read, the
    calendars of their combined window, then the team's profiles."""
    return backlog_of(_orders(_waiting_clause(now)), now, settings)


def load_orders(order_ids: Sequence[int], now: datetime, settings: Settings = DEFAULTS) -> Backlog:
    """These orders (lowest id first) with their candidate slots, and the team, as
    :func:`load_backlog` loads them (the dispatch pass solves the orders that just arrived)."""
    return backlog_of(_orders(Order.id.in_(list(order_ids))), now, settings)


def backlog_of(orders: list[Order], now: datetime, settings: Settings = DEFAULTS) -> Backlog:
    source = _SlotSource(orders, now, settings)
    profiles = _profiles(orders, now)
    unplanned: dict[int, Unplanned] = {}
    needs = []
    for order in orders:
        if not order.topics:
            unplanned[order.id] = Unplanned(order, NO_TOPIC)
            continue
        slots = source.slots(order)
        if not slots:
            unplanned[order.id] = Unplanned(order, NO_SLOT)
            continue
        needs.append(dispatch.order_need(order, slots, now=now))
    return Backlog(orders, needs, profiles, unplanned)


def plan_backlog(now: datetime, *, settings: Settings = DEFAULTS) -> BacklogPlan:
    """Solve every waiting order against every active member at once; change nothing."""
    return solve(load_backlog(now, settings), now, settings=settings)


def solve(backlog: Backlog, now: datetime, *, settings: Settings = DEFAULTS) -> BacklogPlan:
    """The min-cost joint assignment of a backlog's orders to the team; changes nothing."""
    orders, needs, profiles = backlog.orders, backlog.needs, backlog.profiles
    unplanned = dict(backlog.unplanned)
    weights = settings.weights
    result = matching.assign_batch(needs, profiles, now, weights)
    parts = matching.score_parts(
        needs, profiles, [(a.order_id, a.member_id) for a in result.assignments], now, weights)
    by_id = {o.id: o for o in orders}
    names = {p.id: p.name for p in profiles}
    planned = tuple(
        PlannedOffer(order=by_id[a.order_id], member_id=a.member_id, member_name=names[a.member_id],
                     start=a.slot[0], end=a.slot[1], score=a.score,
                     parts=parts[a.order_id, a.member_id])
        for a in result.assignments
    )
    dropped = set(result.dropped)
    for order_id in result.unassigned:
        if order_id in dropped:
            reason = DROPPED
        elif result.eligible.get(order_id):
            reason = FULL
        else:
            reason = NOBODY
        unplanned[order_id] = Unplanned(by_id[order_id], reason)
    return BacklogPlan(
        made_at=now, offers=planned,
        unplanned=tuple(unplanned[i] for i in sorted(unplanned)),
        objective=result.objective,
    )


# ---------------------------------------------------------------- apply

def apply_backlog(proposals: Sequence[Proposal], *, now: datetime, actor: User | None,
                  settings: Settings = DEFAULTS) -> ApplyReport:
    """Send the previewed offers (directed: one offer per order to its member, the previewed
    time first). Each is checked again first; one that no longer holds is skipped and reported,
    the others are sent. Flushes; the caller commits."""
    if not proposals:
        raise DomainError("plan", N_("There is nothing to send."))
    wanted = {p.order_id for p in proposals}
    orders = {o.id: o for o in _orders(Order.id.in_(wanted))}
    source = _SlotSource(list(orders.values()), now, settings)
    profiles = {p.id: p for p in _profiles(list(orders.values()), now)}
    names = dict(db.session.execute(select(Member.id, Member.name).where(
        Member.id.in_({p.member_id for p in proposals}))).all())
    weights = settings.weights
    sent: list[Offer] = []
    skipped: list[Skipped] = []
    seen: set[int] = set()

    def skip(order_id: int, reason: str, **params) -> None:
        order = orders.get(order_id)
        skipped.append(Skipped(order_id, order.code if order else str(order_id), reason, params))

    # Lowest order id first, like the expiry sweep: concurrent claims queue, never deadlock.
    for proposal in sorted(proposals, key=lambda p: p.order_id):
        order = orders.get(proposal.order_id)
        if proposal.order_id in seen:
            skip(proposal.order_id, TWICE)
            continue
        seen.add(proposal.order_id)
        if order is None or not _is_waiting(order, now):
            skip(proposal.order_id, GONE)
            continue
        profile = profiles.get(proposal.member_id)
        if profile is None:
            skip(order.id, MEMBER_GONE)
            continue
        need = dispatch.order_need(order, source.slots(order), now=now) if order.topics else None
        free: tuple = ()
        if need is not None:
            reasons, free = matching.eligibility(need, profile, now)
            free = () if reasons else free
        chosen = next((s for s in free if s[0] == proposal.start), None)
        if chosen is None:
            skip(order.id, NOT_FREE, name=names.get(profile.id, profile.name))
            continue
        # Re-checked under the claim: another coordinator may have sent it meanwhile.
        claimed = dispatch.claim_order(order.id, now=now, statuses=dispatch.ASSIGNABLE)
        if claimed is None or not _is_waiting(claimed, now):
            skip(order.id, CHANGED)
            continue
        if not _still_free(profile.id, chosen, order.township_id):
            skip(order.id, NOT_FREE, name=names.get(profile.id, profile.name))
            continue
        sent.append(_offer(order, profile, chosen, free, need, now=now, actor=actor,
                           weights=weights, settings=settings))
    return ApplyReport(tuple(sent), tuple(skipped))


def send_planned(backlog: Backlog, plan: BacklogPlan, claimed: Sequence[int], *, now: datetime,
                 settings: Settings = DEFAULTS) -> set[int]:
    """Offer the planned orders among ``claimed`` (orders the caller has claimed already, see
    ``dispatch.dispatch_pending``) to their planned members, the planned time first; returns
    the ids of the orders offered. One whose member is no longer free at that time (the one
    availability rule, on the member's sessions and leave as they are now) is left out for the
    caller to dispatch otherwise. Flushes; the caller commits."""
    wanted = set(claimed)
    needs = {n.id: n for n in backlog.needs}
    profiles = {p.id: p for p in backlog.profiles}
    sent: set[int] = set()
    for planned in sorted(plan.offers, key=lambda p: p.order.id):
        order = planned.order
        if order.id not in wanted or order.status != OrderStatus.SUBMITTED:
            continue
        profile, need = profiles[planned.member_id], needs[order.id]
        reasons, free = matching.eligibility(need, profile, now)
        chosen = (planned.start, planned.end)
        if reasons or chosen not in free or not _still_free(profile.id, chosen, order.township_id):
            continue
        _offer(order, profile, chosen, free, need, now=now, actor=None, weights=settings.weights,
               settings=settings, mode="joint")
        sent.add(order.id)
    return sent


def _still_free(member_id: int, chosen, township_id: int) -> bool:
    """The one availability rule, on the member's sessions and leave as they are now."""
    member = db.session.get(Member, member_id)
    return member is not None and member.active and not av.why_not(
        scheduling.member_time(member, *chosen), chosen, township_id, buffers=scheduling.BUFFERS)


def _offer(order: Order, profile: matching.MemberProfile, chosen, free, need, *, now: datetime,
           actor: User | None, weights: matching.Weights, settings: Settings,
           mode: str = "batch") -> Offer:
    for old in order.offers:  # answered already, or run out before the sweep came by
        if old.status == dispatch.OPEN:
            old.transition("expire", now=now, actor=actor, detail={"reason": "batch"})
    others = sorted(s for s in free if s != chosen)
    slots = [chosen, *others][:dispatch.MAX_SLOTS_PER_OFFER]
    parts = matching.score_parts([need], [profile], [(order.id, profile.id)], now,
                                 weights)[order.id, profile.id]
    offer = Offer(
        order=order, member_id=profile.id, rank=1,
        score=round(sum(p.points for p in parts), 3),
        parts=[dispatch.part_record(p) for p in parts],
        slots=[[s.astimezone(UTC).isoformat(), e.astimezone(UTC).isoformat()] for s, e in slots],
        created_at=now, expires_at=dispatch.offer_expiry(now, min(s for s, _e in slots),
                                                         settings=settings),
    )
    db.session.add(offer)
    # A batch offer is the coordinator's fresh start (and a joint one the order's first round):
    # declines then move on for the usual rounds.
    order.offer_rounds = 1
    order.transition("offer", now=now, actor=actor,
                     detail={"members": [profile.id], "round": 1, "mode": mode})
    flush_or_conflict()
    notify.enqueue("offer_new", key=f"offer:{offer.id}:new", recipient_kind="member",
                   member_id=profile.id, order=order, now=now,
                   payload={"offer_id": offer.id, "code": order.code})
    return offer
