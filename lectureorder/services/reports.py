"""Reports and the session ledger: load facts in a fixed number of queries, let the domain count."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import raiseload, selectinload

from ..domain import formats as fm
from ..domain import reports as rp
from ..domain.calendars import TZ
from ..domain.errors import DomainError
from ..extensions import db
from ..models import (
    AuditEvent,
    Campaign,
    LectureSession,
    Member,
    Order,
    SessionPhoto,
    SessionStatus,
    Topic,
    Township,
    session_helper,
)
from .clock import local_today

_FORMATS = tuple(f.value for f in fm.Format)


@dataclass(frozen=True)
class Choice:
    value: Hashable
    label: str


@dataclass(frozen=True)
class ReportRow:
    key: Hashable          # None for "not set" (a session without an order has no topic)
    label: str | None
    figures: rp.Figures
    career: tuple[int, int] | None = None  # members only: talks given (all time, since 2023)


@dataclass(frozen=True)
class LedgerRow:
    """One delivered session as the ledger (台账) lists it; no phone numbers, ever."""

    day: date
    start: time
    end: time
    township: str
    venue: str
    format: str
    topics: str
    members: str
    headcount: int | None
    signins: int | None
    photos: int
    rating: int | None
    notes: str
    order_code: str


@dataclass(frozen=True)
class ReportPage:
    filter: rp.ReportFilter
    errors: list[DomainError]
    total: rp.Figures
    rows: Mapping[str, list[ReportRow]]
    choices: Mapping[str, list[Choice]]
    ledger: list[LedgerRow] = field(default_factory=list)
    presets: Mapping[str, tuple[date, date]] = field(default_factory=dict)
    since: date = rp.SINCE

    @property
    def query(self) -> dict[str, str]:
        return self.filter.query()


def presets(today: date) -> dict[str, tuple[date, date]]:
    """Ranges a coordinator asks for most: this month, last month, this year, twelve months."""
    this_month = date(today.year, today.month, 1)
    last_month = rp.add_months(today, -1)
    return {
        "this_month": (this_month, rp.month_end(today)),
        "last_month": (last_month, rp.month_end(last_month)),
        "this_year": (date(today.year, 1, 1), date(today.year, 12, 31)),
        "last_12_months": rp.default_range(today),
    }


def utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, last+1 00:00) Beijing time, in UTC: month and day boundaries are local."""
    start = datetime.combine(first, time.min, TZ).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, TZ).astimezone(UTC)
    return start, end


def local_day(at: datetime) -> date:
    return at.astimezone(TZ).date()


def delivered_sessions(start: datetime, end: datetime) -> list[LectureSession]:
    return list(db.session.scalars(
        select(LectureSession).where(
            LectureSession.status == SessionStatus.DELIVERED,
            LectureSession.start >= start, LectureSession.start < end,
        ).order_by(LectureSession.start, LectureSession.id).options(
            selectinload(LectureSession.order).options(
                selectinload(Order.topics), selectinload(Order.feedback), raiseload("*")),
            selectinload(LectureSession.lead_member).raiseload("*"),
            selectinload(LectureSession.helpers).raiseload("*"),
            selectinload(LectureSession.township).raiseload("*"),
            raiseload("*"),
        )
    ))


def _photo_counts(start: datetime, end: datetime) -> dict[int, int]:
    in_range = select(LectureSession.id).where(
        LectureSession.status == SessionStatus.DELIVERED,
        LectureSession.start >= start, LectureSession.start < end,
    )
    return dict(db.session.execute(
        select(SessionPhoto.session_id, func.count()).where(SessionPhoto.session_id.in_(in_range))
        .group_by(SessionPhoto.session_id)
    ).all())


def _orders(start: datetime, end: datetime) -> list[Order]:
    return list(db.session.scalars(
        select(Order).where(Order.created_at >= start, Order.created_at < end)
        .order_by(Order.created_at, Order.id).options(
            selectinload(Order.topics),
            selectinload(Order.lecture_session).options(
                selectinload(LectureSession.helpers).raiseload("*"), raiseload("*")),
            raiseload("*"),
        )
    ))


def _acceptances(start: datetime, end: datetime) -> dict[int, datetime]:
    """Each order's first "schedule" event: when a member accepted or a coordinator assigned."""
    in_range = select(Order.id).where(Order.created_at >= start, Order.created_at < end)
    return dict(db.session.execute(
        select(AuditEvent.entity_id, func.min(AuditEvent.at)).where(
            AuditEvent.entity == "order", AuditEvent.action == "schedule",
            AuditEvent.entity_id.in_(in_range),
        ).group_by(AuditEvent.entity_id)
    ).all())


def participations() -> list[tuple[int, int, date]]:
    """(session, member, local day) for every delivered talk ever, leads and helpers."""
    delivered = LectureSession.status == SessionStatus.DELIVERED
    leads = db.session.execute(
        select(LectureSession.id, LectureSession.lead_member_id, LectureSession.start)
        .where(delivered)
    ).all()
    helpers = db.session.execute(
        select(session_helper.c.session_id, session_helper.c.member_id, LectureSession.start)
        .join(LectureSession, LectureSession.id == session_helper.c.session_id).where(delivered)
    ).all()
    return [(sid, mid, local_day(at)) for sid, mid, at in [*leads, *helpers]]


def _members_of(session: LectureSession | None) -> tuple[int, ...]:
    if session is None:
        return ()
    return (session.lead_member_id, *(m.id for m in session.helpers))


def session_fact(s: LectureSession, photos: int) -> rp.SessionFact:
    order = s.order
    feedback = order.feedback if order is not None else None
    return rp.SessionFact(
        day=local_day(s.start), township=s.township_id,
        topics=tuple(t.code for t in order.topics) if order is not None else (),
        format=s.format, members=_members_of(s), headcount=s.headcount, signins=s.signin_count,
        photos=photos, rating=feedback.rating if feedback is not None else None,
        campaign=order.campaign_id if order is not None else None,
    )


def order_fact(o: Order, accepted_at: datetime | None) -> rp.OrderFact:
    session = o.lecture_session
    to_delivery = None
    if session is not None and session.status == SessionStatus.DELIVERED:
        to_delivery = max(session.start - o.created_at, timedelta(0))
    return rp.OrderFact(
        day=local_day(o.created_at), township=o.township_id,
        topics=tuple(t.code for t in o.topics), format=o.format, members=_members_of(session),
        status=o.status,
        to_acceptance=max(accepted_at - o.created_at, timedelta(0)) if accepted_at else None,
        to_delivery=to_delivery, campaign=o.campaign_id,
    )


def _ledger_row(s: LectureSession, fact: rp.SessionFact, lang: str) -> LedgerRow:
    order = s.order
    names = [s.lead_member.name, *(m.name for m in s.helpers)]
    return LedgerRow(
        day=fact.day, start=s.start.astimezone(TZ).time().replace(tzinfo=None),
        end=s.end.astimezone(TZ).time().replace(tzinfo=None),
        township=s.township.display(lang) if s.township is not None else "",
        venue=s.venue, format=fm.format_label(s.format, lang) if s.format in _FORMATS else s.format,
        topics="、".join(t.title(lang) for t in order.topics) if order is not None else "",
        members="、".join(dict.fromkeys(names)), headcount=s.headcount, signins=s.signin_count,
        photos=fact.photos, rating=fact.rating, notes=s.delivery_notes or "",
        order_code=order.code if order is not None else "",
    )


def build(
    args: Mapping[str, str], *, now: datetime, lang: str = "zh", ledger: bool = False,
) -> ReportPage:
    """The report for the query parameters `args` (bad ones are dropped and explained).

    A fixed number of queries whatever the data: choices (4), sessions with their orders,
    topics, feedback, members and townships (1 + 6), photo counts (1), orders with topics,
    sessions and helpers (1 + 3), acceptance times (1), career counts (2): 19 in all.
    """
    townships = db.session.scalars(select(Township).order_by(Township.position, Township.id)).all()
    topics = db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)).all()
    members = db.session.scalars(select(Member).order_by(Member.name, Member.id)).all()
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.name).order_by(Campaign.first.desc(), Campaign.id.desc())
    ).all()
    today = local_today(now)
    flt, errors = rp.parse_filter(
        args, today=today, townships=[t.id for t in townships],
        topics=[t.code for t in topics], formats=_FORMATS, members=[m.id for m in members],
        campaigns=[c.id for c in campaigns],
    )
    start, end = utc_bounds(flt.first, flt.last)

    sessions = delivered_sessions(start, end)
    photos = _photo_counts(start, end)
    pairs = [(s, session_fact(s, photos.get(s.id, 0))) for s in sessions]
    accepted = _acceptances(start, end)
    order_facts = [order_fact(o, accepted.get(o.id)) for o in _orders(start, end)]

    keys: dict[str, list[Hashable]] = {
        "township": [t.id for t in townships], "topic": [t.code for t in topics],
        "format": list(_FORMATS), "member": [m.id for m in members if m.active],
    }
    for dim in keys:  # narrowed to one value: list only that one
        chosen = getattr(flt, dim)
        if chosen is not None:
            keys[dim] = [chosen]
    report = rp.build_report(flt, [f for _, f in pairs], order_facts, keys)
    career = rp.career_counts(participations())

    labels: dict[str, dict[Hashable, str]] = {
        "township": {t.id: t.display(lang) for t in townships},
        "topic": {t.code: t.title(lang) for t in topics},
        "format": {f: fm.format_label(f, lang) for f in _FORMATS},
        "member": {m.id: m.name for m in members},
    }
    rows = {
        dim: [
            ReportRow(
                key=key,
                label=key if dim == "month" else labels[dim].get(key),
                figures=figs,
                career=career.get(key, (0, 0)) if dim == "member" and key is not None else None,
            )
            for key, figs in report.rows[dim]
        ]
        for dim in rp.DIMENSIONS
    }
    # Members read best as a ranking: most talks in the period first, then the longest record.
    rows["member"].sort(key=lambda r: (r.key is None, -r.figures.sessions,
                                       -(r.career or (0, 0))[0], r.label or ""))
    choices = {
        "township": [Choice(t.id, labels["township"][t.id]) for t in townships],
        "topic": [Choice(t.code, labels["topic"][t.code]) for t in topics],
        "format": [Choice(f, labels["format"][f]) for f in _FORMATS],
        "member": [Choice(m.id, m.name) for m in members],
        "campaign": [Choice(c.id, c.name) for c in campaigns],
    }
    ledger_rows = (
        [_ledger_row(s, fact, lang) for s, fact in pairs if rp.matches(fact, flt)] if ledger else []
    )
    return ReportPage(filter=flt, errors=errors, total=report.total, rows=rows, choices=choices,
                      ledger=ledger_rows, presets=presets(today))
