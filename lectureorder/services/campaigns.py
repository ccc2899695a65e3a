"""Campaigns (宣传活动): plan talks at chosen places, preview what the matcher would propose,
place one order per place through ``ordering.place_order`` (the dispatch pass offers them),
track them; and the calendar of awareness days behind them.

Nothing here offers or books: the preview reads the matcher's joint plan (``batch.solve``, the
very solver the dispatch pass uses) for orders that are not stored; sending stores ``submitted``
orders and the next dispatch pass offers them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..domain import availability as av
from ..domain import campaigns as camp
from ..domain import formats as fm
from ..domain.errors import N_, Bilingual, DomainError, ValidationFailed
from ..domain.lifecycle import OrderStatus
from ..domain.orders import OrderRequest
from ..extensions import db
from ..models import (
    AwarenessDay,
    Campaign,
    LectureSession,
    Market,
    Order,
    School,
    Topic,
    User,
    Village,
)
from . import batch, ordering, scheduling
from .admin_changes import audit
from .clock import local_today
from .settings import DEFAULTS, Settings

NO_TOPIC_IN_FORM = N_("None of the campaign's talks is given as “%(form)s”.")
KIT_TAKEN = N_("No film kit is free on its evenings next to the campaign's other screenings.")
CHANGED = N_("This place changed since the preview; it was not sent. Preview again.")
NOTHING_SENT = N_("No place of this campaign has a possible time and a free team member; "
                  "nothing was sent.")
UNKNOWN_PLACE = N_("This place is not in our list.")
UNKNOWN_DAY = N_("Please choose the awareness day from the list.")
#: The calendar on the campaign pages looks this far ahead.
UPCOMING_DAYS = 120

_PLACE_MODELS = {"village": Village, "school": School, "market": Market}


# --- Topics and the calendar -------------------------------------------------------------------

def active_topics() -> dict[str, Topic]:
    return {t.code: t for t in ordering.active_topics()}


def entry_of(row: AwarenessDay) -> camp.CalendarDay:
    return camp.CalendarDay(id=row.id, name_zh=row.name_zh, name_en=row.name_en, month=row.month,
                            day=row.day, kind=row.kind, topics=tuple(row.topics or ()),
                            days=row.days, active=row.active)


def calendar_rows() -> list[AwarenessDay]:
    return list(db.session.scalars(
        select(AwarenessDay).order_by(AwarenessDay.month, AwarenessDay.day, AwarenessDay.id)))


def upcoming(today: date, *, days: int = UPCOMING_DAYS, kinds: Iterable[str] | None = None,
             ) -> list[camp.Occurrence]:
    return camp.occurrences([entry_of(r) for r in calendar_rows()], today,
                            today + timedelta(days=days), kinds=kinds)


# --- The planner's starting values -------------------------------------------------------------

def planner_defaults(args: Mapping[str, str], getlist, *, today: date, lang: str) -> dict:
    """What the planner form starts with: an awareness day's name, topics and window
    (``?awareness_day=<id>``), and the places and topic carried from the coverage page
    (``?place=village:3&place=...&topic=drug_awareness``). Anything unreadable is left out."""
    data: dict = {"places": [], "topics": [], "village_format": "field_class"}
    raw_day = (args.get("awareness_day") or "").strip()
    row = db.session.get(AwarenessDay, int(raw_day)) if raw_day.isdigit() and len(raw_day) < 10 \
        else None
    if row is not None:
        occ = camp.next_occurrence(entry_of(row), today)
        first, last = camp.default_window(occ, today)
        data.update(awareness_day=str(row.id), name=camp.default_name(entry_of(row), occ.first.year,
                                                                       lang),
                    topics=list(row.topics or ()), first=first, last=last)
    known = active_topics()
    topics = [t for t in getlist("topic") if t in known][:3]
    if topics:
        data["topics"] = topics
    data["places"] = [raw for raw in getlist("place")[:camp.MAX_PLACES]
                      if camp.parse_place_key(raw) is not None]
    for name in ("first", "last"):
        raw = (args.get(name) or "").strip()
        try:
            data[name] = date.fromisoformat(raw) if raw else data.get(name)
        except ValueError:
            pass
    if data.get("village_format") not in camp.VILLAGE_FORMATS:
        data["village_format"] = "field_class"
    return data


# --- The preview -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreviewRow:
    """One chosen place: the talk it would get, and the matcher's proposal or why none."""

    key: str                       # village:3
    kind: str
    place: Village | School | Market
    format: str
    topics: tuple[str, ...]
    start: datetime | None = None
    end: datetime | None = None
    member_id: int | None = None
    member_name: str = ""
    problem: DomainError | None = None

    @property
    def planned(self) -> bool:
        return self.problem is None and self.start is not None


@dataclass(frozen=True)
class Preview:
    plan: camp.Plan
    rows: tuple[PreviewRow, ...]
    slowdowns: tuple[camp.Occurrence, ...] = ()

    @property
    def planned(self) -> tuple[PreviewRow, ...]:
        return tuple(r for r in self.rows if r.planned)

    @property
    def skipped(self) -> tuple[PreviewRow, ...]:
        return tuple(r for r in self.rows if not r.planned)

    @property
    def token(self) -> str:
        """The places shown as planned: what "send" may send (and nothing else)."""
        return ",".join(r.key for r in self.planned)


def _load_places(keys: Iterable[camp.PlaceKey]) -> dict[camp.PlaceKey, object]:
    """The chosen places by key, one query per kind (with what the slot rules read)."""
    wanted: dict[str, list[int]] = {}
    for kind, ident in keys:
        wanted.setdefault(kind, []).append(ident)
    found: dict[camp.PlaceKey, object] = {}
    for kind, ids in wanted.items():
        model = _PLACE_MODELS[kind]
        query = select(model).where(model.id.in_(ids)).options(selectinload(model.township))
        if kind == "school":
            query = query.options(selectinload(School.terms))
        for place in db.session.scalars(query):
            found[kind, place.id] = place
    return found


def _check(data: camp.PlanInput, today: date) -> tuple[camp.Plan, dict, dict[str, Topic]]:
    topics = active_topics()
    plan, errors = camp.validate_plan(data, today=today, known_topics=topics)
    places: dict = {}
    if plan is not None:
        places = _load_places(plan.places)
        for kind, ident in plan.places:
            place = places.get((kind, ident))
            if place is None or (kind == "market" and not place.active):
                errors.append(DomainError("places", UNKNOWN_PLACE))
                break
        if plan.awareness_day_id is not None and \
                db.session.get(AwarenessDay, plan.awareness_day_id) is None:
            errors.append(DomainError("awareness_day", UNKNOWN_DAY))
    ValidationFailed.collect(errors)
    assert plan is not None
    return plan, places, topics


def _transient_order(ident: int, plan: camp.Plan, kind: str, place, fmt: str,
                     topics: list[Topic]) -> Order:
    """The order a place would get, never added to the session: the slot rules and the matcher
    read it as they read a stored one. ``ident`` only tells the preview's orders apart."""
    order = Order(
        id=ident, code="", status=OrderStatus.SUBMITTED, format=fmt, place_kind=kind,
        township_id=place.township_id, township=place.township, earliest=plan.first,
        latest=plan.last, timing="any", language=None, topics=topics, offers=[],
        lecture_session=None,
    )
    setattr(order, f"{kind}_id", place.id)
    setattr(order, kind, place)
    return order


def preview(data: camp.PlanInput, *, now: datetime, settings: Settings = DEFAULTS) -> Preview:
    """For every chosen place: the talk (form and topics it is given in), and the slot and
    member the matcher proposes when the campaign's orders are solved together against the whole
    team (caps, leave, sessions and travel through the one availability rule; screenings share
    the free kits). A place with no valid time, no topic in its form or no free member says so
    and is skipped. Changes nothing; raises ValidationFailed for a bad plan."""
    today = local_today(now)
    plan, places, topics = _check(data, today)
    formats = {code: t.formats or () for code, t in topics.items()}
    rows: dict[int, PreviewRow] = {}
    transient: list[Order] = []
    for ident, (kind, pid) in enumerate(plan.places, start=1):
        place = places[kind, pid]
        fmt = camp.format_for(kind, plan.village_format)
        codes = camp.topics_for_format(plan.topics, fmt, formats)
        row = PreviewRow(key=camp.place_key(kind, pid), kind=kind, place=place, format=fmt,
                         topics=codes)
        if not codes:
            rows[ident] = replace(row, problem=DomainError(None, NO_TOPIC_IN_FORM, form=Bilingual(
                fm.format_label(fmt, "zh"), fm.format_label(fmt, "en"))))
            continue
        # The rule place_order refuses with: only orders that can happen are proposed.
        verdict = ordering.possible(fmt, kind, pid, codes, plan.first, plan.last, now=now,
                                    settings=settings)
        if not verdict.possible:
            rows[ident] = replace(row, problem=verdict.errors[0] if verdict.errors else
                                  DomainError(None, batch.NO_SLOT))
            continue
        rows[ident] = row
        transient.append(_transient_order(ident, plan, kind, place, fmt,
                                          [topics[c] for c in codes]))
    for ident, planned in _solve(transient, plan, now, settings).items():
        row = rows[ident]
        if isinstance(planned, DomainError):
            rows[ident] = replace(row, problem=planned)
        else:
            rows[ident] = replace(row, start=planned.start, end=planned.end,
                                  member_id=planned.member_id, member_name=planned.member_name)
    slowdowns = tuple(upcoming_between(plan.first, plan.last, kinds=("slowdown",)))
    return Preview(plan=plan, rows=tuple(rows[i] for i in sorted(rows)), slowdowns=slowdowns)


def upcoming_between(first: date, last: date, *, kinds=None) -> list[camp.Occurrence]:
    return camp.occurrences([entry_of(r) for r in calendar_rows()], first, last, kinds=kinds)


def _solve(orders: list[Order], plan: camp.Plan, now: datetime, settings: Settings,
           ) -> dict[int, batch.PlannedOffer | DomainError]:
    """The dispatch pass's joint solve for these orders; the matcher does not share kits out
    between orders, so a screening whose evening takes a kit another planned screening holds
    loses those evenings and is solved again (until no two hold one kit)."""
    if not orders:
        return {}
    backlog = batch.backlog_of(orders, now, settings)
    kits = scheduling.kits_time(*av.days_utc(plan.first, plan.last))
    for _ in range(len(orders) + 1):
        result = batch.solve(backlog, now, settings=settings)
        clashes = _kit_clashes(result.offers, kits)
        if not clashes:
            break
        needs = []
        for need in backlog.needs:
            taken = clashes.get(need.id)
            if taken is None:
                needs.append(need)
                continue
            slots = tuple(s for s in need.slots
                          if not any(a < s[1] and s[0] < b for a, b in taken))
            if slots:
                needs.append(replace(need, slots=slots))
            else:
                backlog.unplanned[need.id] = batch.Unplanned(
                    next(o for o in orders if o.id == need.id), KIT_TAKEN)
        backlog.needs = needs
    out: dict[int, batch.PlannedOffer | DomainError] = {p.order.id: p for p in result.offers}
    for item in result.unplanned:
        out[item.order.id] = DomainError(None, item.reason, **item.params)
    return out


def _kit_clashes(offers: Iterable[batch.PlannedOffer], kits,
                 ) -> dict[int, list[tuple[datetime, datetime]]]:
    """Screenings planned at a time with no kit left (the best-scoring keep theirs): order id
    → the times the others hold."""
    held: list[tuple[datetime, datetime]] = []
    clashes: dict[int, list[tuple[datetime, datetime]]] = {}
    films = [p for p in offers if p.order.format == fm.Format.MOBILE_FILM]
    for p in sorted(films, key=lambda p: (-p.score, p.order.id)):
        slot = (p.start, p.end)
        free = len(av.free_kits(kits, slot))
        if sum(1 for a, b in held if a < p.end and p.start < b) >= free:
            clashes[p.order.id] = list(held)
        else:
            held.append(slot)
    return clashes


# --- Sending -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SendReport:
    campaign: Campaign
    orders: tuple[Order, ...]
    skipped: tuple[PreviewRow, ...]


def parse_token(token: str | None) -> set[str]:
    keys = {k for k in (token or "").split(",") if camp.parse_place_key(k) is not None}
    if not keys:
        raise DomainError(None, N_("There is nothing to send."))
    return keys


def send(data: camp.PlanInput, token: str | None, *, now: datetime, actor: User | None,
         settings: Settings = DEFAULTS) -> SendReport:
    """Store the campaign and one ``submitted`` order per place the preview showed as planned
    (``token``) that still has a proposal now; the next dispatch pass offers them. Places that
    changed since are reported, not sent. Flushes; the caller commits."""
    wanted = parse_token(token)
    shown = preview(data, now=now, settings=settings)
    plan = shown.plan
    campaign = Campaign(name=plan.name, topics=list(plan.topics), first=plan.first,
                        last=plan.last, awareness_day_id=plan.awareness_day_id, created_by=actor,
                        created_at=now, notes=plan.notes)
    db.session.add(campaign)
    db.session.flush()
    orders: list[Order] = []
    skipped: list[PreviewRow] = []
    for row in shown.rows:
        if row.key not in wanted:
            continue
        if not row.planned:
            skipped.append(row if row.problem is not None else
                           replace(row, problem=DomainError(None, CHANGED)))
            continue
        audience_type, size = camp.AUDIENCE_OF_KIND[row.kind]
        request = OrderRequest(
            topics=row.topics, format=row.format, place_kind=row.kind, place_id=row.place.id,
            audience_type=audience_type, audience_size=size, earliest=plan.first,
            latest=plan.last, requester_name=plan.name[:40], phone=settings.notify.station_phone,
            requester_org="", channel="campaign", notes=plan.notes, timing="any",
        )
        try:
            order = ordering.place_order(request, now=now, actor=actor, settings=settings)
        except ValidationFailed as exc:
            skipped.append(replace(row, problem=exc.errors[0] if exc.errors else
                                   DomainError(None, CHANGED)))
            continue
        order.campaign_id = campaign.id
        orders.append(order)
    if not orders:
        raise DomainError(None, NOTHING_SENT)
    db.session.flush()
    audit("campaign", campaign.id, "create", now=now, actor=actor, detail={
        "name": campaign.name, "topics": campaign.topics, "first": plan.first.isoformat(),
        "last": plan.last.isoformat(), "orders": [o.code for o in orders]})
    return SendReport(campaign=campaign, orders=tuple(orders), skipped=tuple(skipped))


# --- Tracking ----------------------------------------------------------------------------------

def tallies(campaign_ids: Iterable[int] | None = None) -> dict[int, dict[str, int]]:
    """Each campaign's orders counted by stage, in one query."""
    query = select(Order.campaign_id, Order.status, func.count()).where(
        Order.campaign_id.is_not(None)).group_by(Order.campaign_id, Order.status)
    if campaign_ids is not None:
        query = query.where(Order.campaign_id.in_(list(campaign_ids)))
    statuses: dict[int, list[str]] = {}
    for campaign_id, status, n in db.session.execute(query):
        statuses.setdefault(campaign_id, []).extend([status] * n)
    return {cid: camp.tally(s) for cid, s in statuses.items()}


def campaigns_overview() -> list[tuple[Campaign, dict[str, int]]]:
    rows = list(db.session.scalars(
        select(Campaign).order_by(Campaign.first.desc(), Campaign.id.desc())
        .options(selectinload(Campaign.awareness_day))))
    counts = tallies([c.id for c in rows])
    empty = camp.tally(())
    return [(c, counts.get(c.id, empty)) for c in rows]


@dataclass(frozen=True)
class CampaignView:
    campaign: Campaign
    orders: list[Order]
    tally: dict[str, int]


def campaign_view(campaign_id: int) -> CampaignView | None:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    orders = list(db.session.scalars(
        select(Order).where(Order.campaign_id == campaign.id).order_by(Order.id).options(
            selectinload(Order.topics), selectinload(Order.township),
            selectinload(Order.village), selectinload(Order.school), selectinload(Order.market),
            selectinload(Order.offers),
            selectinload(Order.lecture_session).selectinload(LectureSession.lead_member),
        )))
    return CampaignView(campaign=campaign, orders=orders,
                        tally=camp.tally(o.status for o in orders))


# --- The calendar's administration -------------------------------------------------------------

def _day_detail(row: AwarenessDay) -> dict:
    return {"name_zh": row.name_zh, "name_en": row.name_en, "month": row.month, "day": row.day,
            "days": row.days, "kind": row.kind, "topics": list(row.topics or ()),
            "active": row.active}


def _checked_day(data: camp.DayInput) -> camp.DayInput:
    cleaned, errors = camp.validate_day(data, known_topics=active_topics())
    ValidationFailed.collect(errors)
    return cleaned


def create_day(data: camp.DayInput, *, now: datetime, actor: User | None = None) -> AwarenessDay:
    d = _checked_day(data)
    row = AwarenessDay(name_zh=d.name_zh, name_en=d.name_en, month=d.month, day=d.day,
                       days=d.days, kind=d.kind, topics=list(d.topics), active=bool(d.active))
    db.session.add(row)
    db.session.flush()
    audit("awareness_day", row.id, "create", now=now, actor=actor, detail=_day_detail(row))
    return row


def update_day(row: AwarenessDay, data: camp.DayInput, *, now: datetime,
               actor: User | None = None) -> AwarenessDay:
    d = _checked_day(data)
    before = _day_detail(row)
    row.name_zh, row.name_en, row.month, row.day = d.name_zh, d.name_en, d.month, d.day
    row.days, row.kind, row.topics, row.active = d.days, d.kind, list(d.topics), bool(d.active)
    db.session.flush()
    audit("awareness_day", row.id, "update", now=now, actor=actor,
          detail={"before": before, "after": _day_detail(row)})
    return row


def delete_day(row: AwarenessDay, *, now: datetime, actor: User | None = None) -> None:
    """Campaigns planned from it keep their dates and topics; they just no longer name it."""
    detail = _day_detail(row)
    for campaign in db.session.scalars(select(Campaign).where(Campaign.awareness_day_id == row.id)):
        campaign.awareness_day_id = None
    db.session.delete(row)
    db.session.flush()
    audit("awareness_day", row.id, "delete", now=now, actor=actor, detail=detail)


def day_form_data(row: AwarenessDay) -> dict:
    return _day_detail(row)
