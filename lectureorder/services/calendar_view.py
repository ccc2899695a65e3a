"""The session calendar: month, week and agenda pages with market days, holidays and clashes.

The database does the heavy part: one statement buckets sessions by Beijing day, counts them,
flags clashes (window functions) and picks the first few per day of a month; only those are
loaded as objects. Every page runs the same number of queries whatever the number of sessions
(bench/month_view.py measures a month of 5,000).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, case, func, literal_column, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload, load_only, raiseload, subqueryload
from sqlalchemy.sql.functions import FunctionElement

from ..domain import calendars as cal
from ..domain import formats as fm
from ..domain.errors import N_, DomainError, ValidationFailed
from ..domain.lifecycle import OrderStatus
from ..extensions import db
from ..models import (
    HolidayOverride,
    LectureSession,
    Market,
    Member,
    Order,
    SessionStatus,
    Topic,
    Township,
    order_topic,
    session_helper,
)
from .scheduling import market_rule

VIEWS = ("month", "week", "agenda")
AGENDA_DAYS = 14
# A month cell shows this many sessions and a "+N more" link to the day's agenda.
MONTH_CELL_LIMIT = 4
# Status filter: empty means every session that is not cancelled.
ANY_STATUS = "any"
STATUS_CHOICES = (SessionStatus.SCHEDULED.value, SessionStatus.DELIVERED.value,
                  SessionStatus.CANCELLED.value, ANY_STATUS)
# Calendars outside these years make no sense here (and the lunar tables end in 2099).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2098, 12, 31)
MAX_FEED_DAYS = 366
# Orders waiting for the coordinator listed on one page (more would hide the calendar).
WAITING_LIMIT = 200
# A clash with a session just outside the page still counts: look a day further either side.
_CLASH_MARGIN = timedelta(days=1)
# No session lasts longer than this (they are a few hours); bounding `start` on both sides lets
# the database read one index range instead of all history.
_LONGEST_SESSION = timedelta(days=1)
# Asia/Shanghai has had no daylight saving since 1991, so the database can bucket days by a
# fixed offset.
_UTC_OFFSET_HOURS = 8


# ------------------------------------------------------------------------- the Beijing day in SQL

class local_date(FunctionElement):  # noqa: N801  (reads like the SQL function it stands for)
    """The Asia/Shanghai calendar day of a stored (naive UTC) timestamp, as a DATE."""

    type = Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{_UTC_OFFSET_HOURS} hours')"


@compiles(local_date)
def _local_date_default(element, compiler, **kw):  # PostgreSQL and other SQL-standard databases
    return (f"CAST(({compiler.process(element.clauses, **kw)} "
            f"+ INTERVAL '{_UTC_OFFSET_HOURS} hours') AS DATE)")


def utc_midnight(d: date) -> datetime:
    return datetime.combine(d, time.min, cal.TZ).astimezone(UTC)


# ------------------------------------------------------------------------------ the page's query

@dataclass(frozen=True)
class CalendarQuery:
    """What the visitor asked for: a view, a day in it, and optional filters."""

    view: str
    anchor: date
    township_id: int | None = None
    format: str | None = None
    topic: str | None = None
    member_id: int | None = None
    status: str | None = None

    def filter_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links that keep them)."""
        pairs = {"township": self.township_id, "format": self.format, "topic": self.topic,
                 "member": self.member_id, "status": self.status}
        return {k: str(v) for k, v in pairs.items() if v not in (None, "")}

    @property
    def filtered(self) -> bool:
        return bool(self.filter_args())


def _int_arg(args: Mapping[str, str], key: str, problems: list[DomainError], message: str) -> int | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    if raw.isdigit() and len(raw) < 10:
        return int(raw)
    problems.append(DomainError(key, message))
    return None


def parse_query(
    args: Mapping[str, str], *, today: date, views: tuple[str, ...] = VIEWS,
) -> tuple[CalendarQuery, list[DomainError]]:
    """Query-string arguments → a query; anything unusable is dropped with a message."""
    problems: list[DomainError] = []
    view = (args.get("view") or views[0]).strip()
    if view not in views:
        problems.append(DomainError("view", N_("Unknown calendar view.")))
        view = views[0]
    anchor = today
    raw_date = (args.get("date") or "").strip()
    if raw_date:
        try:
            anchor = date.fromisoformat(raw_date) if len(raw_date) == 10 else None
        except ValueError:
            anchor = None
        if anchor is None:
            problems.append(DomainError(
                "date", N_("“%(value)s” is not a date like 2026-12-05; showing today."),
                value=raw_date[:20]))
            anchor = today
        elif not FIRST_DAY <= anchor <= LAST_DAY:
            problems.append(DomainError(
                "date", N_("Please choose a date between %(first)s and %(last)s; showing today."),
                first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))
            anchor = today
    township = _int_arg(args, "township", problems, N_("Unknown township; that filter was ignored."))
    member = _int_arg(args, "member", problems, N_("Unknown team member; that filter was ignored."))
    fmt = (args.get("format") or "").strip() or None
    if fmt is not None and fmt not in {f.value for f in fm.Format}:
        problems.append(DomainError("format", N_("Unknown format; that filter was ignored.")))
        fmt = None
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in STATUS_CHOICES:
        problems.append(DomainError("status", N_("Unknown status; that filter was ignored.")))
        status = None
    topic = (args.get("topic") or "").strip() or None
    if topic is not None and len(topic) > 40:
        problems.append(DomainError("topic", N_("Unknown talk; that filter was ignored.")))
        topic = None
    return CalendarQuery(view=view, anchor=anchor, township_id=township, format=fmt, topic=topic,
                         member_id=member, status=status), problems


def period_of(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first, last) days shown, and the anchors of the previous and next pages."""
    if view == "month":
        first_of_month = anchor.replace(day=1)
        next_month = (first_of_month + timedelta(days=32)).replace(day=1)
        prev_month = (first_of_month - timedelta(days=1)).replace(day=1)
        last_of_month = next_month - timedelta(days=1)
        # Whole weeks, Monday first, as Chinese wall calendars print them.
        first = first_of_month - timedelta(days=first_of_month.weekday())
        last = last_of_month + timedelta(days=6 - last_of_month.weekday())
        return first, last, prev_month, next_month
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=6), first - timedelta(days=7), first + timedelta(days=7)
    step = timedelta(days=AGENDA_DAYS)
    return anchor, anchor + step - timedelta(days=1), anchor - step, anchor + step


# ---------------------------------------------------------------------------- what a page holds

@dataclass
class CalendarItem:
    """One session on the page, with the clashes it is part of ("member", "kit")."""

    lecture: LectureSession
    clashes: frozenset[str] = frozenset()


@dataclass
class Day:
    day: date
    in_period: bool
    is_today: bool
    lunar: cal.LunarDate | None
    lunar_zh: str
    status: cal.DayStatus | None
    markets: tuple[str, ...]
    items: list[CalendarItem] = field(default_factory=list)
    total: int = 0            # sessions that day (the month cell may show fewer)
    clash_count: int = 0      # of those, how many clash
    waiting: int = 0          # orders needing attention that want this day

    @property
    def more(self) -> int:
        return self.total - len(self.items)

    @property
    def holiday(self) -> bool:
        """A rest day that is not an ordinary weekend (a named holiday)."""
        return self.status is not None and not self.status.working and bool(
            self.status.holiday_name)

    @property
    def makeup_workday(self) -> bool:
        """A weekend day that is a working day (调休)."""
        return self.status is not None and self.status.working and self.day.isoweekday() >= 6

    @property
    def unconfirmed(self) -> bool:
        """A day off computed from the statutory rules: the official arrangement is not out yet."""
        return self.status is not None and not self.status.confirmed and not self.status.working

    @property
    def quiet(self) -> bool:
        return not (self.total or self.waiting or self.holiday or self.makeup_workday)


@dataclass
class CalendarPage:
    query: CalendarQuery
    first: date
    last: date
    prev_anchor: date
    next_anchor: date
    today: date
    days: list[Day]
    waiting: list[Order]
    townships: list[Township] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    ignored: list[DomainError] = field(default_factory=list)

    @property
    def weeks(self) -> list[list[Day]]:
        return [self.days[i:i + 7] for i in range(0, len(self.days), 7)]

    @property
    def period_days(self) -> list[Day]:
        """The period's own days: a month page runs Monday to Sunday, so it also shows days of
        the months either side (dimmed, and hidden on a phone); the counts leave them out, so
        "4 场" never promises a session the month does not show."""
        return [d for d in self.days if d.in_period]

    @property
    def total(self) -> int:
        return sum(d.total for d in self.period_days)

    @property
    def clash_count(self) -> int:
        return sum(d.clash_count for d in self.period_days)

    def said_once(self) -> CalendarPage:
        """This page for the month grid: the orders waiting are said once above the month, not
        again on nearly every day their wanted windows cover."""
        return replace(self, days=[replace(d, waiting=0) for d in self.days])


# ----------------------------------------------------------------------------------- building it

def calendar_page(
    query: CalendarQuery, *, now: datetime, member: Member | None = None,
) -> CalendarPage:
    """Everything one calendar page shows. With `member`, only that member's own sessions."""
    first, last, prev_anchor, next_anchor = period_of(query.view, query.anchor)
    townships: list[Township] = []
    topics: list[Topic] = []
    members: list[Member] = []
    ignored: list[DomainError] = []
    if member is not None:
        # One's own schedule: no filters, whatever the query string says.
        query = CalendarQuery(view=query.view, anchor=query.anchor)
        conditions = _filters(replace(query, member_id=member.id))
    else:
        townships, topics, members = _filter_options()
        query, ignored = _known_filters(query, townships, topics, members)
        conditions = _filters(query)
    today = now.astimezone(cal.TZ).date()
    limit = MONTH_CELL_LIMIT if query.view == "month" else None
    rows, summary = _session_rows(conditions, first, last, limit)
    loaded = _load_sessions([r.id for r in rows])
    by_day: dict[date, list[CalendarItem]] = {}
    for r in rows:
        kinds = frozenset(k for k, flag in (("member", r.member_clash), ("kit", r.kit_clash)) if flag)
        by_day.setdefault(r.day, []).append(CalendarItem(loaded[r.id], kinds))
    waiting = _waiting_orders(query, first, last) if member is None else []
    overrides = _overrides(first, last)
    markets = _market_rules(query.township_id)
    days = []
    d = first
    while d <= last:
        total, clashes = summary.get(d, (0, 0))
        lunar, lunar_zh = _lunar(d)
        days.append(Day(
            day=d, in_period=query.view != "month" or d.month == query.anchor.month,
            is_today=d == today, lunar=lunar, lunar_zh=lunar_zh, status=_status(d, overrides),
            markets=_markets_on(d, markets), items=by_day.get(d, []), total=total,
            clash_count=clashes,
            waiting=sum(1 for o in waiting if o.earliest <= d <= o.latest),
        ))
        d += timedelta(days=1)
    return CalendarPage(
        query=query, first=first, last=last, prev_anchor=prev_anchor, next_anchor=next_anchor,
        today=today, days=days, waiting=waiting, townships=townships, topics=topics,
        members=members, ignored=ignored,
    )


def _filter_options() -> tuple[list[Township], list[Topic], list[Member]]:
    townships = db.session.scalars(
        select(Township).order_by(Township.position, Township.id).options(raiseload("*"))).all()
    topics = db.session.scalars(
        select(Topic).order_by(Topic.position, Topic.id).options(raiseload("*"))).all()
    members = db.session.scalars(
        select(Member).order_by(Member.active.desc(), Member.id)
        .options(load_only(Member.id, Member.name, Member.active), raiseload("*"))).all()
    return list(townships), list(topics), list(members)


def _known_filters(query: CalendarQuery, townships, topics, members):
    """Drop filters naming things that do not exist, saying so (never an empty page by typo)."""
    ignored = []
    if query.township_id is not None and query.township_id not in {t.id for t in townships}:
        ignored.append(DomainError("township", N_("Unknown township; that filter was ignored.")))
        query = replace(query, township_id=None)
    if query.topic is not None and query.topic not in {t.code for t in topics}:
        ignored.append(DomainError("topic", N_("Unknown talk; that filter was ignored.")))
        query = replace(query, topic=None)
    if query.member_id is not None and query.member_id not in {m.id for m in members}:
        ignored.append(DomainError("member", N_("Unknown team member; that filter was ignored.")))
        query = replace(query, member_id=None)
    return query, ignored


def _filters(query: CalendarQuery) -> list:
    conditions = []
    if query.township_id is not None:
        conditions.append(LectureSession.township_id == query.township_id)
    if query.format is not None:
        conditions.append(LectureSession.format == query.format)
    if query.topic is not None:
        conditions.append(LectureSession.order_id.in_(
            select(order_topic.c.order_id).join(Topic, Topic.id == order_topic.c.topic_id)
            .where(Topic.code == query.topic)))
    if query.member_id is not None:
        conditions.append(or_(
            LectureSession.lead_member_id == query.member_id,
            LectureSession.id.in_(select(session_helper.c.session_id)
                                  .where(session_helper.c.member_id == query.member_id))))
    if query.status is None:
        conditions.append(LectureSession.status != SessionStatus.CANCELLED)
    elif query.status != ANY_STATUS:
        conditions.append(LectureSession.status == query.status)
    return conditions


def clash_subquery(start: datetime, end: datetime):
    """(sid, kind) of every live session that overlaps another of one member or of one kit.

    Sorted per member (or kit) by start, a session overlaps an earlier one exactly when the
    latest end before it is after its start, and a later one exactly when the next start is
    before its end: two window functions, no self-join. (PostgreSQL's exclusion constraints
    already refuse overlapping lead members and kits; helpers, SQLite data and rows from
    before those constraints can still clash, so the calendar checks for itself.)
    """
    lo, hi = start - _CLASH_MARGIN, end + _CLASH_MARGIN
    live = (LectureSession.status != SessionStatus.CANCELLED,
            LectureSession.start >= lo - _LONGEST_SESSION, LectureSession.start < hi,
            LectureSession.end > lo)
    leads = select(LectureSession.id.label("sid"), LectureSession.lead_member_id.label("who"),
                   LectureSession.start.label("s"), LectureSession.end.label("e")).where(*live)
    helpers = (
        select(LectureSession.id, session_helper.c.member_id, LectureSession.start,
               LectureSession.end)
        .join(session_helper, session_helper.c.session_id == LectureSession.id)
        .where(*live, session_helper.c.member_id != LectureSession.lead_member_id)
    )
    people = union_all(leads, helpers).subquery("people")
    kits = select(LectureSession.id.label("sid"), LectureSession.kit_id.label("who"),
                  LectureSession.start.label("s"), LectureSession.end.label("e")).where(
        *live, LectureSession.kit_id.is_not(None)).subquery("kits")

    def overlapping(rows, kind: str):
        order = (rows.c.s, rows.c.sid)
        marked = select(
            rows.c.sid, rows.c.s, rows.c.e,
            func.max(rows.c.e).over(partition_by=rows.c.who, order_by=order,
                                    rows=(None, -1)).label("prev_end"),
            func.min(rows.c.s).over(partition_by=rows.c.who, order_by=order,
                                    rows=(1, None)).label("next_start"),
        ).subquery()
        return select(marked.c.sid, literal_column(f"'{kind}'").label("kind")).where(
            or_(marked.c.prev_end > marked.c.s, marked.c.next_start < marked.c.e))

    return union_all(overlapping(people, "member"), overlapping(kits, "kit")).subquery("clash")


@dataclass(frozen=True)
class _Row:
    id: int
    day: date
    member_clash: bool
    kit_clash: bool


def _session_rows(conditions: list, first: date, last: date, limit: int | None):
    """One statement: per day, the sessions to show (all, or the first `limit`), each day's
    total and clash count, and each shown session's clash kinds."""
    start, end = utc_midnight(first), utc_midnight(last + timedelta(days=1))
    clash = clash_subquery(start, end)
    # Constants are written into the SQL, not bound: PostgreSQL cannot type a bare parameter.
    one, zero = literal_column("1"), literal_column("0")
    flags = select(
        clash.c.sid,
        func.max(case((clash.c.kind == literal_column("'member'"), one), else_=zero)).label("member"),
        func.max(case((clash.c.kind == literal_column("'kit'"), one), else_=zero)).label("kit"),
    ).group_by(clash.c.sid).subquery("flags")
    day = local_date(LectureSession.start)
    inner = (
        select(
            LectureSession.id, day.label("day"),
            func.coalesce(flags.c.member, zero).label("member"),
            func.coalesce(flags.c.kit, zero).label("kit"),
            func.row_number().over(partition_by=day, order_by=(LectureSession.start,
                                                               LectureSession.id)).label("rn"),
            func.count().over(partition_by=day).label("total"),
            func.sum(case((flags.c.sid.is_not(None), one), else_=zero)).over(
                partition_by=day).label("clashes"),
        )
        .outerjoin(flags, flags.c.sid == LectureSession.id)
        .where(LectureSession.start >= start, LectureSession.start < end, *conditions)
        .subquery("shown")
    )
    stmt = select(inner).order_by(inner.c.day, inner.c.rn)
    if limit is not None:
        stmt = stmt.where(inner.c.rn <= limit)
    rows, summary = [], {}
    for r in db.session.execute(stmt):
        rows.append(_Row(r.id, r.day, bool(r.member), bool(r.kit)))
        summary[r.day] = (r.total, r.clashes or 0)
    return rows, summary


def session_load_options():
    """What the calendar, the feeds and the JSON feed show, in a fixed number of queries:
    many-to-one rows joined in; topics by one subquery load (a joined load of a many-to-many
    makes SQLite materialise the whole order_topic table, and selectin loads go in batches of
    500, so neither stays constant or cheap with thousands of sessions)."""
    return (
        joinedload(LectureSession.order).subqueryload(Order.topics),
        joinedload(LectureSession.lead_member),
        joinedload(LectureSession.kit),
        joinedload(LectureSession.township),
        raiseload("*"),
    )


def _load_sessions(ids: list[int]) -> dict[int, LectureSession]:
    # Always run, even for no ids, so a page costs the same number of queries every time.
    found = db.session.scalars(
        select(LectureSession).where(LectureSession.id.in_(ids))
        .options(*session_load_options())
    ).all()
    return {s.id: s for s in found}


def _waiting_orders(query: CalendarQuery, first: date, last: date) -> list[Order]:
    """Orders waiting for the coordinator whose wanted window touches the page."""
    if query.member_id is not None or query.status is not None:
        return []  # such orders have no member and no session status yet
    stmt = select(Order).where(
        Order.status == OrderStatus.NEEDS_ATTENTION, Order.earliest <= last, Order.latest >= first,
    )
    if query.township_id is not None:
        stmt = stmt.where(Order.township_id == query.township_id)
    if query.format is not None:
        stmt = stmt.where(Order.format == query.format)
    if query.topic is not None:
        stmt = stmt.where(Order.topics.any(Topic.code == query.topic))
    stmt = stmt.order_by(Order.earliest, Order.id).limit(WAITING_LIMIT).options(
        joinedload(Order.township), subqueryload(Order.topics), raiseload("*"))
    return list(db.session.scalars(stmt))


def _overrides(first: date, last: date) -> tuple[cal.HolidayOverride, ...]:
    rows = db.session.scalars(select(HolidayOverride).where(
        HolidayOverride.day >= first, HolidayOverride.day <= last).order_by(HolidayOverride.id))
    return tuple(cal.HolidayOverride(day=o.day, working=o.working, name=o.name) for o in rows)


def _status(d: date, overrides) -> cal.DayStatus | None:
    try:
        return cal.day_status(d, overrides)
    except DomainError:
        return None


def _lunar(d: date) -> tuple[cal.LunarDate | None, str]:
    try:
        return cal.lunar_of(d), cal.lunar_label(d).removeprefix("农历")
    except DomainError:
        return None, ""


def _market_rules(township_id: int | None) -> list[tuple[str, cal.MarketRule]]:
    stmt = select(Market).where(Market.active.is_(True)).order_by(Market.township_id, Market.name)
    if township_id is not None:
        stmt = stmt.where(Market.township_id == township_id)
    rules = []
    for market in db.session.scalars(stmt.options(raiseload("*"))):
        try:
            rules.append((market.name, market_rule(market)))
        except DomainError:  # a broken cycle must not take the calendar down
            continue
    return rules


def _markets_on(d: date, rules) -> tuple[str, ...]:
    names = []
    for name, rule in rules:
        try:
            if cal.is_market_day(rule, d):
                names.append(name)
        except DomainError:
            continue
    return tuple(names)


# ------------------------------------------------------------------------ the JSON calendar feed

def check_span(first: date | None, last: date | None) -> tuple[date, date]:
    """A date range for the JSON feed: both given, in order, at most a year long."""
    errors = []
    if first is None:
        errors.append(DomainError("from", N_("Please give the first date, like 2026-12-01.")))
    if last is None:
        errors.append(DomainError("to", N_("Please give the last date, like 2026-12-31.")))
    for key, value in (("from", first), ("to", last)):
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            errors.append(DomainError(
                key, N_("Please choose a date between %(first)s and %(last)s."),
                first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))
    ValidationFailed.collect(errors)
    if last < first:
        raise DomainError("to", N_("The last date must not be before the first."))
    if (last - first).days + 1 > MAX_FEED_DAYS:
        raise DomainError("to", N_("At most %(n)d days at once."), n=MAX_FEED_DAYS)
    return first, last


def sessions_between(first: date | None, last: date | None) -> list[LectureSession]:
    """Every session starting on the Beijing days first..last (cancelled ones too), in time
    order, with what the feed shows loaded: one query whatever the number of sessions."""
    first, last = check_span(first, last)
    return list(db.session.scalars(
        select(LectureSession).where(
            LectureSession.start >= utc_midnight(first),
            LectureSession.start < utc_midnight(last + timedelta(days=1)),
        ).order_by(LectureSession.start, LectureSession.id).options(*session_load_options())
    ))
