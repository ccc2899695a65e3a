"""Coverage of places and a member's record: load the reports' facts, let domain/reach count.

The talks are loaded by the reports' own loaders (`reports.delivered_sessions`,
`reports.participations`) and turned into facts by `reports.session_fact`, so a figure here is
the reports' figure for the same period; only the place of each talk's order is added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import raiseload, selectinload

from ..domain import formats as fm
from ..domain import reach
from ..domain import reports as rp
from ..domain.errors import DomainError, ValidationFailed
from ..extensions import db
from ..models import (
    LectureSession,
    Market,
    Member,
    Order,
    School,
    SessionStatus,
    Topic,
    Township,
    Village,
    session_helper,
    vice_principal,
)
from . import reports as report_service
from .clock import local_today
from .reports import Choice

_FORMATS = tuple(f.value for f in fm.Format)
#: The query parameters coverage reads (the reports' period and narrowing, and N months).
PARAMS = ("from", "to", "township", "topic", "months")


def place_of(order: Order | None) -> reach.PlaceKey | None:
    """The place a talk counts for: its order's village, school or market."""
    if order is None or order.place_id is None:
        return None
    return order.place_kind, order.place_id


def talk_of(s: LectureSession) -> reach.Talk:
    # Photos are not counted here; every other field is the reports' fact unchanged.
    return reach.Talk(fact=report_service.session_fact(s, 0), place=place_of(s.order))


def _talks_between(first: date, last: date) -> list[reach.Talk]:
    start, end = report_service.utc_bounds(first, last)
    return [talk_of(s) for s in report_service.delivered_sessions(start, end)]


def _places() -> list[reach.PlaceInfo]:
    out: list[reach.PlaceInfo] = []
    for kind, model, where in (("village", Village, None), ("school", School, None),
                               ("market", Market, Market.active.is_(True))):
        query = select(model).order_by(model.township_id, model.name, model.id)
        if where is not None:
            query = query.where(where)
        out.extend(reach.PlaceInfo(kind=kind, id=p.id, name=p.name, township=p.township_id,
                                   lat=p.lat, lon=p.lon)
                   for p in db.session.scalars(query.options(raiseload("*"))))
    return out


# --- Coverage ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoveragePage:
    coverage: reach.Coverage
    errors: list[DomainError]
    townships: Mapping[int, str]
    topics: Mapping[str, str]
    choices: Mapping[str, list[Choice]]
    projection: reach.Projection
    labels: list[tuple[str, float, float, str]] = field(default_factory=list)  # name, x, y, anchor
    presets: Mapping[str, tuple[date, date]] = field(default_factory=dict)

    @property
    def filter(self) -> rp.ReportFilter:
        return self.coverage.filter

    @property
    def query(self) -> dict[str, str]:
        return {**self.filter.query(), "months": str(self.coverage.months)}

    @property
    def mapped(self) -> list[tuple[reach.PlaceReach, float, float]]:
        points = self.projection.points
        return [(p, *points[p.place.key]) for p in self.coverage.places
                if p.place.key in points]

    @property
    def unmapped(self) -> int:
        return sum(1 for p in self.coverage.places if p.place.key not in self.projection.points)


def build_coverage(
    args: Mapping[str, str], *, now: datetime, lang: str = "zh", strict: bool = False,
) -> CoveragePage:
    """Coverage for the query parameters `args`: bad ones are dropped and explained, or, when
    `strict` (the API), refused with ValidationFailed before anything is counted.

    Queries: townships, topics (2), places (3), delivered sessions with orders, topics,
    feedback, members and townships (1 + 6): 12 whatever the data.
    """
    townships = db.session.scalars(select(Township).order_by(Township.position, Township.id)).all()
    topics = db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)).all()
    today = local_today(now)
    wanted = {k: args[k] for k in ("from", "to", "township", "topic") if args.get(k) is not None}
    flt, errors = rp.parse_filter(wanted, today=today, townships=[t.id for t in townships],
                                  topics=[t.code for t in topics])
    months, problem = reach.parse_months(args.get("months"))
    if problem is not None:
        errors.append(problem)
    if strict:
        ValidationFailed.collect(errors)

    places = _places()
    # Every talk up to the later of today and the period's end: the period counts its own,
    # "last talk" and "months since" look at the whole history.
    talks = _talks_between(date(rp.FIRST_YEAR, 1, 1), max(flt.last, today))
    coverage = reach.build_coverage(flt, places, talks, today=today, months=months,
                                    topic_order=[t.code for t in topics])

    shown = [p.place for p in coverage.places]
    towns = [t for t in townships if flt.township is None or t.id == flt.township]
    coords: dict[object, tuple[float | None, float | None]] = {
        p.key: (p.lat, p.lon) for p in shown}
    projection = reach.project(coords)
    labels = []
    for t in towns:
        mine = [projection.points[p.key] for p in shown
                if p.township == t.id and p.key in projection.points]
        if mine:  # under the township's places (its own coordinates may lie off the map)
            x = round(sum(x for x, _ in mine) / len(mine), 1)
            y = round(min(max(y for _, y in mine) + 30, projection.height - 8), 1)
            # near an edge the label runs inwards, so it is never cut off
            anchor = ("start" if x < projection.width * 0.2 else
                      "end" if x > projection.width * 0.8 else "middle")
            labels.append((t.display(lang), x, y, anchor))
    names = {t.id: t.display(lang) for t in townships}
    titles = {t.code: t.title(lang) for t in topics}
    return CoveragePage(
        coverage=coverage, errors=errors, townships=names, topics=titles,
        choices={"township": [Choice(t.id, names[t.id]) for t in townships],
                 "topic": [Choice(t.code, titles[t.code]) for t in topics]},
        projection=projection, labels=labels, presets=report_service.presets(today),
    )


def coverage_json(page: CoveragePage) -> dict:
    """The API's answer: the page's figures, nothing more (no phones, no requesters)."""
    cov = page.coverage
    flt = cov.filter
    unplaced_talks, unplaced_audience = cov.unplaced
    not_reached = {p.place.key for p in cov.not_reached}

    def day(d: date | None) -> str | None:
        return d.isoformat() if d is not None else None

    return {
        "from": flt.first.isoformat(), "to": flt.last.isoformat(), "today": cov.today.isoformat(),
        "township": flt.township, "topic": flt.topic, "months": cov.months,
        "totals": {"talks": cov.total.sessions, "audience": cov.total.audience,
                   "placed_talks": cov.placed.sessions, "placed_audience": cov.placed.audience,
                   "unplaced_talks": unplaced_talks, "unplaced_audience": unplaced_audience},
        "buckets": cov.counts(),
        "places": [
            {"kind": p.place.kind, "id": p.place.id, "name": p.place.name,
             "township": {"id": p.place.township, "name": page.townships.get(p.place.township, "")},
             "lat": p.place.lat, "lon": p.place.lon, "talks": p.talks, "audience": p.audience,
             "last_talk": day(p.last), "months_since": p.months, "bucket": p.bucket,
             "not_reached": p.place.key in not_reached,
             "topics": [{"code": t.topic, "talks": t.talks, "audience": t.audience,
                         "last_talk": day(t.last)} for t in p.topics]}
            for p in cov.places
        ],
        "not_reached": [{"kind": p.place.kind, "id": p.place.id} for p in cov.not_reached],
    }


# --- A member's record -------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordPage:
    member: Member
    record: reach.Record
    today: date
    topics: Mapping[str, str]
    formats: Mapping[str, str]
    places: Mapping[str, Mapping[int, str]]   # kind → id → name
    since: date = rp.SINCE


def _sessions_of(member_id: int) -> list[LectureSession]:
    """Every delivered session the member led or helped at, loaded as the reports load them."""
    helped = select(session_helper.c.session_id).where(session_helper.c.member_id == member_id)
    return list(db.session.scalars(
        select(LectureSession).where(
            LectureSession.status == SessionStatus.DELIVERED,
            or_(LectureSession.lead_member_id == member_id, LectureSession.id.in_(helped)),
        ).order_by(LectureSession.start, LectureSession.id).options(
            selectinload(LectureSession.order).options(
                selectinload(Order.topics), selectinload(Order.feedback), raiseload("*")),
            # lazyload: the members are the ones pages show later (a raiseload would stick)
            selectinload(LectureSession.helpers).lazyload("*"),
            raiseload("*"),
        )
    ))


def _school_sessions(school_ids: list[int]) -> list[LectureSession]:
    if not school_ids:
        return []
    return list(db.session.scalars(
        select(LectureSession).join(Order, LectureSession.order_id == Order.id).where(
            LectureSession.status == SessionStatus.DELIVERED,
            Order.place_kind == "school", Order.school_id.in_(school_ids),
        ).order_by(LectureSession.start, LectureSession.id).options(
            selectinload(LectureSession.order).options(
                selectinload(Order.topics), selectinload(Order.feedback), raiseload("*")),
            # lazyload: the members are the ones pages show later (a raiseload would stick)
            selectinload(LectureSession.helpers).lazyload("*"),
            raiseload("*"),
        )
    ))


def member_or_none(member_id: int) -> Member | None:
    return db.session.get(Member, member_id)


def build_record(member: Member, *, now: datetime, lang: str = "zh") -> RecordPage:
    """The member's record: talks as the reports count them (career counts from the reports'
    participations, figures from the reports' facts), places reached, vice-principal schools."""
    today = local_today(now)
    topics = db.session.scalars(select(Topic).order_by(Topic.position, Topic.id)).all()
    schools = _vice_principal_schools(member.id)
    talks = [talk_of(s) for s in _sessions_of(member.id)]
    school_talks = [talk_of(s) for s in _school_sessions([s.id for s in schools])]
    record = reach.build_record(
        member.id, talks, report_service.participations(), today=today,
        vice_principal_of=[s.id for s in schools], school_talks=school_talks,
        topic_order=[t.code for t in topics], format_order=_FORMATS,
    )
    names: dict[str, dict[int, str]] = {kind: {} for kind in reach.PLACE_KINDS}
    for kind, model in (("village", Village), ("school", School), ("market", Market)):
        ids = [pid for pid, _, _ in record.places[kind]]
        if kind == "school":
            ids += [s.id for s in schools]
        if ids:
            names[kind] = dict(db.session.execute(
                select(model.id, model.name).where(model.id.in_(ids))).all())
    return RecordPage(
        member=member, record=record, today=today,
        topics={t.code: t.title(lang) for t in topics},
        formats={f: fm.format_label(f, lang) for f in _FORMATS}, places=names,
    )


def _vice_principal_schools(member_id: int) -> list[School]:
    return list(db.session.scalars(
        select(School).join(vice_principal, vice_principal.c.school_id == School.id)
        .where(vice_principal.c.member_id == member_id)
        .order_by(School.name, School.id).options(raiseload("*"))
    ))
