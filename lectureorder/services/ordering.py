"""Ordering (群众点单): place, find, cancel and rate orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    distinct,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from ..domain.contact import last4_matches, new_order_code, normalise_order_code
from ..domain.errors import (
    N_,
    Conflict,
    DomainError,
    RepeatOrder,
    TooManyOrders,
    ValidationFailed,
)
from ..domain.feasibility import Verdict
from ..domain.formats import ALLOWED_PLACE_KINDS
from ..domain.lifecycle import CANCELLABLE, OrderStatus
from ..domain.orders import (
    REPEAT_WINDOW,
    OrderRequest,
    phone_wait,
    topic_format_errors,
    validate_order,
)
from ..extensions import db
from ..models import (
    AuditEvent,
    Feedback,
    LectureSession,
    Member,
    Notification,
    Order,
    OrderRequestKey,
    Question,
    SessionStatus,
    Topic,
    User,
    audit_values,
    insert_audit_values,
    order_topic,
)
from ..models.stamp import REFERENCE_STAMP, stamp_subquery
from . import dispatch, notify, reference, scheduling
from .clock import local_today
from .settings import DEFAULTS, Settings
from .unit import flush_or_conflict


def active_topics() -> list[Topic]:
    return list(db.session.scalars(
        select(Topic).where(Topic.active.is_(True)).order_by(Topic.position, Topic.id)
    ))


@dataclass(frozen=True)
class Asked:
    text: str


@dataclass(frozen=True)
class MemberName:
    name: str


@dataclass(frozen=True)
class Scheduled:
    status: str
    start: datetime
    end: datetime
    venue: str
    lead_member: MemberName


@dataclass(frozen=True)
class Rating:
    rating: int


@dataclass(frozen=True)
class OrderView:
    """An order as its status answer reads it (``order_status_json`` takes this or an
    :class:`Order`), without building entities: one just placed (submitted, no session, no
    rating) or one looked up by someone tracking it (:func:`order_status`)."""

    id: int
    code: str
    format: str
    earliest: date
    latest: date
    requester_phone: str | None
    topics: tuple
    questions: tuple[Asked, ...]
    status: str = OrderStatus.SUBMITTED
    lecture_session: Scheduled | None = None
    feedback: Rating | None = None

    @property
    def cancellable(self) -> bool:
        return self.status in CANCELLABLE


def place(req: OrderRequest, *, now: datetime, actor: User | None = None,
          settings: Settings = DEFAULTS, check_repeat: bool = False,
          limit_phone: bool = False) -> OrderView:
    """Validate and store an order, with its audit event and its "received" message; raises
    ValidationFailed with every problem. With ``check_repeat`` (where a person orders and has
    not confirmed yet: the form, 代下单, the API) it raises RepeatOrder when the same phone
    ordered a talk on one of these topics at the same place within 24 hours; with
    ``limit_phone`` (the public form and the API) TooManyOrders when the phone has placed as
    many orders as ``settings.order_phone_limit`` allows.

    Nothing here ranks members or touches member or kit rows: the order waits as ``submitted``
    for the next dispatch pass (``dispatch.dispatch_pending``), so concurrent placements never
    queue behind each other. What it is checked against is the process's reference snapshot;
    one statement reads the reference counter (is that snapshot still current? if not, the
    checks run again on a fresh one) with the phone's recent orders (the limit and the repeat
    rule); what it writes goes as prepared INSERTs, no entity is built. ``settings`` is for
    the rules an order is checked against."""
    db.session.flush()  # so that reference changes of this transaction are known below
    ref = reference.cached()
    fresh = ref is None or reference.changed_here()
    if fresh:
        ref = reference.current()
    pg = db.session.get_bind().dialect.name == "postgresql"
    phone_cap = settings.order_phone_limit if limit_phone else None
    for _ in range(20):
        cleaned, place, asked = _checked(req, ref, now=now, settings=settings)
        rows = _rows(cleaned, place, asked, actor=actor, now=now)
        if pg:  # the checks below and the writes in one statement, which skips the writes
            seen, order_id, code = _pg_place(  # when a check below will refuse the order
                cleaned, asked, rows, now=now, window=settings.order_phone_limit,
                expected_stamp=None if fresh else ref.stamp,
                max_placed=phone_cap[0] if phone_cap else None, allow_repeat=not check_repeat)
        else:
            seen, order_id, code = _recent(cleaned, asked, now=now,
                                           window=settings.order_phone_limit), None, None
        if not (fresh or reference.still_current(ref, seen.stamp)):
            ref, fresh = reference.current(), True  # the reference data changed: check again
            continue
        if wait := phone_wait(seen.placed, seen.oldest, phone_cap, now):
            raise TooManyOrders(wait)
        if check_repeat and seen.repeat_id is not None:
            _refuse_repeat(seen.repeat_id, place, asked)
        if not pg:
            order_id, code = _store(rows)
        if order_id is not None:
            break
        # PostgreSQL, every check passed, no row: the new code was taken; another one
    else:
        raise RuntimeError("could not store the order")  # a code taken 20 times: unreachable

    if cleaned.questions:
        # Each question under the order's first topic (a coordinator may move it when publishing).
        db.session.execute(_INSERT_QUESTIONS, [
            {"order_id": order_id, "text": q, "position": i, "origin": "order",
             "topic_id": asked[0].id, "created_at": now}
            for i, q in enumerate(cleaned.questions)])
    return OrderView(id=order_id, code=code, format=cleaned.format, earliest=cleaned.earliest,
                     latest=cleaned.latest, requester_phone=cleaned.phone, topics=asked,
                     questions=tuple(Asked(q) for q in cleaned.questions))


def place_order(req: OrderRequest, *, now: datetime, actor: User | None = None,
                settings: Settings = DEFAULTS, check_repeat: bool = False) -> Order:
    """:func:`place`, then the stored order as an entity (campaigns, tests: whatever goes on
    working with it in the same transaction)."""
    placed = place(req, now=now, actor=actor, settings=settings, check_repeat=check_repeat)
    return db.session.get(Order, placed.id)


_ORDERS = Order.__table__
_INSERT_TOPICS = insert(order_topic)
_INSERT_QUESTIONS = insert(Question.__table__)


def received_key(order_id: int) -> str:
    """The "received" message's key: one per order, so it is never queued twice."""
    return f"order:{order_id}:received"


@dataclass(frozen=True)
class Rows:
    """What placing an order writes, but its code and id: the order's columns, its topics, its
    audit event and its "received" message (the last two without the order's id)."""

    order: dict
    topic_ids: list[int]
    audit: dict
    message: dict


def _rows(cleaned: OrderRequest, place, asked: tuple[reference.TopicRef, ...], *,
          actor: User | None, now: datetime) -> Rows:
    actor_id = actor.id if actor is not None else None
    return Rows(
        order={
            "status": OrderStatus.SUBMITTED, "format": cleaned.format,
            "place_kind": cleaned.place_kind, "township_id": place.township_id,
            "village_id": None, "school_id": None, "market_id": None,
            f"{cleaned.place_kind}_id": place.id,
            "audience_type": cleaned.audience_type, "audience_size": cleaned.audience_size,
            "earliest": cleaned.earliest, "latest": cleaned.latest,
            "language": cleaned.language, "timing": cleaned.timing,
            "requester_name": cleaned.requester_name, "requester_org": cleaned.requester_org,
            "requester_phone": cleaned.phone, "channel": cleaned.channel,
            "notes": cleaned.notes, "created_at": now, "updated_at": now,
            "created_by_id": actor_id,
        },
        topic_ids=[t.id for t in asked],
        audit=audit_values("order", None, "submit", now=now, actor=actor,
                           label="" if actor else "requester", to_state=OrderStatus.SUBMITTED,
                           detail={"channel": cleaned.channel}),
        message=notify.message_values("order_received", key=None, recipient_kind="requester",
                                      now=now),
    )


def _store(rows: Rows) -> tuple[int, str]:
    """Write the order with a new code, then its topics, its audit event and its "received"
    message: four prepared INSERTs (SQLite; PostgreSQL writes them in ``_pg_place``'s one
    statement). A code already taken writes nothing (INSERT … ON CONFLICT (code) DO NOTHING)
    and another code is tried. Returns the order's id and code."""
    for _ in range(20):
        code = new_order_code()
        order_id = db.session.execute(_order_insert(), {**rows.order, "code": code}).scalar()
        if order_id is not None:
            db.session.execute(_INSERT_TOPICS, [{"order_id": order_id, "topic_id": t}
                                                for t in rows.topic_ids])
            insert_audit_values(rows.audit | {"entity_id": order_id})
            notify.enqueue(rows.message["kind"], key=received_key(order_id),
                           recipient_kind=rows.message["recipient_kind"],
                           now=rows.message["created_at"], order_id=order_id,
                           payload={"code": code})
            return order_id, code
    raise RuntimeError("could not find a free order code")  # 31^6 codes: practically unreachable


@cache
def _order_insert():
    return (sqlite_insert(_ORDERS).on_conflict_do_nothing(index_elements=["code"])
            .returning(_ORDERS.c.id))


NO_CAP = 2**31 - 1  # "no per-phone limit" for the statement's comparison


def _pg_place(cleaned: OrderRequest, asked: tuple[reference.TopicRef, ...], rows: Rows, *,
              now: datetime, window: tuple[int, int] | None, expected_stamp: int | None,
              max_placed: int | None, allow_repeat: bool) -> tuple[Recent, int | None, str]:
    """PostgreSQL: ``_recent``'s read and ``_store``'s writes as one statement. The writes
    happen only when the order will be kept: the reference counter is ``expected_stamp`` (None:
    not compared, the snapshot was read in this transaction), the phone has placed fewer than
    ``max_placed`` orders in the window, and no repeat is found unless ``allow_repeat`` — the
    same rules ``place`` then applies to what the statement read. Returns what it read, the
    new order's id (None when nothing was written) and the code it tried."""
    code = new_order_code()
    params = _recent_params(cleaned, asked, now=now, window=window)
    params |= {f"o_{k}": v for k, v in (rows.order | {"code": code}).items()}
    params |= {f"a_{k}": v for k, v in rows.audit.items() if k != "entity_id"}
    params |= {f"m_{k}": v for k, v in (rows.message | {"payload": {"code": code}}).items()
               if k not in ("key", "order_id")}
    params |= {"check_stamp": expected_stamp is not None, "expected_stamp": expected_stamp,
               "max_placed": NO_CAP if max_placed is None else max_placed,
               "allow_repeat": allow_repeat}
    statement = _pg_placement(tuple(sorted(rows.order) + ["code"]), cleaned.place_kind)
    stamp, placed, oldest, repeat_id, order_id = db.session.execute(statement, params).one()
    return Recent(stamp, placed or 0, oldest, repeat_id), order_id, code


@cache
def _pg_placement(order_columns: tuple[str, ...], kind: str):
    """WITH recent AS (the phone's recent orders and the counter: ``_recent_statement``),
    placed AS (INSERT INTO "order" … SELECT … FROM recent WHERE <the order will be kept>
    ON CONFLICT (code) DO NOTHING RETURNING id), INSERT INTO order_topic / audit_event /
    notification … SELECT … FROM placed, then what recent read with placed's id. Every part sees
    the one new row or none (nothing written). Built once per set of order columns and place
    kind; its values are bound parameters."""
    audit_table, note_table = AuditEvent.__table__, Notification.__table__

    def bound(prefix: str, column) -> object:  # typed: psycopg's dialect casts each parameter
        return bindparam(f"{prefix}_{column.name}", type_=column.type)

    recent = _recent_statement(kind, pg=True).cte("recent")
    keep = and_(
        or_(bindparam("check_stamp", type_=Boolean).is_(False),
            recent.c.stamp.is_not_distinct_from(bindparam("expected_stamp", type_=BigInteger))),
        recent.c.placed < bindparam("max_placed", type_=Integer),
        or_(bindparam("allow_repeat", type_=Boolean).is_(True), recent.c.repeat_id.is_(None)),
    )
    # Inside a CTE the columns' Python-side defaults are not filled in: they are written out.
    defaults = [c for c in _ORDERS.c
                if c.name not in order_columns and c.default is not None and c.default.is_scalar]
    placed = (pg_insert(_ORDERS)
              .from_select([*order_columns, *(c.name for c in defaults)],
                           select(*(bound("o", _ORDERS.c[name]) for name in order_columns),
                                  *(literal(c.default.arg, c.type) for c in defaults))
                           .select_from(recent).where(keep))
              .on_conflict_do_nothing(index_elements=["code"])
              .returning(_ORDERS.c.id)
              .cte("placed"))
    topics = insert(order_topic).from_select(
        ["order_id", "topic_id"],
        select(placed.c.id, func.unnest(bindparam("topic_ids", type_=ARRAY(Integer))))
    ).cte("placed_topics")
    audit_columns = [c for c in audit_table.c if c.name not in ("id", "entity_id")]
    audit = insert(audit_table).from_select(
        [c.name for c in audit_columns] + ["entity_id"],
        select(*(bound("a", c) for c in audit_columns), placed.c.id),
    ).cte("placed_audit")
    note_columns = [c for c in note_table.c if c.name in (
        "kind", "recipient_kind", "member_id", "payload", "status", "attempts", "created_at",
        "last_error", "text")]
    key = literal("order:") + cast(placed.c.id, String) + literal(":received")  # received_key
    message = insert(note_table).from_select(
        [c.name for c in note_columns] + ["order_id", "key"],
        select(*(bound("m", c) for c in note_columns), placed.c.id, key),
    ).cte("placed_message")
    return (select(recent.c.stamp, recent.c.placed, recent.c.oldest, recent.c.repeat_id,
                   placed.c.id)
            .select_from(recent.outerjoin(placed, true()))
            .add_cte(topics, audit, message))


def _checked(req: OrderRequest, ref: reference.Reference, *, now: datetime,
             settings: Settings) -> tuple[OrderRequest, reference.PlaceRef,
                                          tuple[reference.TopicRef, ...]]:
    """The order's own checks against ``ref``: the request's fields, the place, whether it can
    happen at all; the cleaned request, its place and its topics in menu order."""
    cleaned, errors = validate_order(
        req, today=local_today(now), topic_formats=ref.formats,
        allowed_place_kinds=ALLOWED_PLACE_KINDS, topic_titles=ref.titles,
    )
    place = None
    if not any(e.field == "place" for e in errors):
        try:
            place = scheduling.checked_place(cleaned.place_kind,
                                             ref.find_place(cleaned.place_kind, cleaned.place_id))
        except DomainError as exc:
            errors.append(exc)
    ValidationFailed.collect(errors)
    # Only orders that can happen: none is told "received" for a time that cannot exist.
    verdict = scheduling.can_happen(cleaned.format, cleaned.place_kind, place, cleaned.earliest,
                                    cleaned.latest, now=now, settings=settings, ref=ref)
    ValidationFailed.collect(list(verdict.errors))
    # In menu order, as the relationship loads them, so the answer reads the same either way.
    asked = tuple(sorted((ref.topics[c] for c in cleaned.topics),
                         key=lambda t: (t.position, t.id)))
    return cleaned, place, asked


@dataclass(frozen=True)
class Recent:
    """What one statement says before an order is stored: the reference counter, and of the
    phone's orders how many it placed within the limit's window (and when the first of them),
    and the newest live order that would make this one a repeat."""

    stamp: int | None
    placed: int
    oldest: datetime | None
    repeat_id: int | None


_PLACE_COLUMNS = {"village": Order.village_id, "school": Order.school_id,
                  "market": Order.market_id}


def _recent_statement(kind: str, *, pg: bool = False):
    """One aggregate row, whatever the phone's history (none: zeros and NULLs): the counter
    as a scalar subquery; the limit's count and first time; the repeat rule
    (domain/orders.REPEAT_WINDOW: a live order from the same phone at the same place sharing a
    topic, placed within the window) as the newest matching order's id. The phone's index
    bounds the rows read to its orders of the longer window. (On PostgreSQL the topics are one
    array parameter, which the placing statement also unnests.)"""
    in_limit = Order.created_at >= bindparam("limit_since")
    topics = (order_topic.c.topic_id == any_(bindparam("topic_ids", type_=ARRAY(Integer))) if pg
              else order_topic.c.topic_id.in_(bindparam("topic_ids", expanding=True)))
    repeat = and_(Order.place_kind == kind, _PLACE_COLUMNS[kind] == bindparam("place_id"),
                  topics, Order.created_at >= bindparam("repeat_since"),
                  Order.status != OrderStatus.CANCELLED)
    return (select(stamp_subquery(REFERENCE_STAMP).label("stamp"),
                   func.count(distinct(case((in_limit, Order.id)))).label("placed"),
                   func.min(case((in_limit, Order.created_at))).label("oldest"),
                   func.max(case((repeat, Order.id))).label("repeat_id"))
            .select_from(Order)
            .join(order_topic, order_topic.c.order_id == Order.id)
            .where(Order.requester_phone == bindparam("phone"),
                   Order.created_at >= bindparam("since")))


_RECENT = {kind: _recent_statement(kind) for kind in _PLACE_COLUMNS}


def _recent_params(cleaned: OrderRequest, asked: tuple[reference.TopicRef, ...], *,
                   now: datetime, window: tuple[int, int] | None) -> dict:
    limit_since = now - timedelta(seconds=window[1]) if window else now
    repeat_since = now - REPEAT_WINDOW
    return {"phone": cleaned.phone, "place_id": cleaned.place_id,
            "topic_ids": [t.id for t in asked], "limit_since": limit_since,
            "repeat_since": repeat_since, "since": min(limit_since, repeat_since)}


def _recent(cleaned: OrderRequest, asked: tuple[reference.TopicRef, ...], *, now: datetime,
            window: tuple[int, int] | None) -> Recent:
    stamp, placed, oldest, repeat_id = db.session.execute(
        _RECENT[cleaned.place_kind], _recent_params(cleaned, asked, now=now, window=window)).one()
    return Recent(stamp=stamp, placed=placed or 0, oldest=oldest, repeat_id=repeat_id)


def _refuse_repeat(repeat_id: int, place, asked: tuple[reference.TopicRef, ...]) -> None:
    """Ask before storing a second order (the rare path: one more small query for the words)."""
    code, topic_ids = db.session.execute(
        select(Order.code, func.min(order_topic.c.topic_id))
        .join(order_topic, order_topic.c.order_id == Order.id)
        .where(Order.id == repeat_id, order_topic.c.topic_id.in_([t.id for t in asked]))
        .group_by(Order.code)).one()
    talk = next(t for t in asked if t.id == topic_ids).bilingual
    raise RepeatOrder(code, talk=talk, place=place.name)


@dataclass(frozen=True)
class Once:
    """What makes a placement idempotent: ``key`` ("form:<token>", "api:<header>") and, for the
    API, the hash of the body (the same key with another body is refused)."""

    key: str
    body_hash: str = ""


def earlier_answer(once: Once) -> OrderRequestKey | None:
    """The placement this key already made, if any; a key reused for another body is a 422."""
    row = db.session.scalar(select(OrderRequestKey).where(OrderRequestKey.key == once.key))
    if row is not None and row.body_hash != once.body_hash:
        raise ValidationFailed([DomainError(
            "idempotency_key", N_("This key was already used for a different order."))])
    return row


def remember(once: Once, order: Order | OrderView, *, now: datetime,
             answer: dict | None = None) -> None:
    """Keep the key with the order it made (in the same transaction as the order), and the
    answer to replay. Two racing requests with one key: the unique key lets one commit."""
    db.session.add(OrderRequestKey(key=once.key, body_hash=once.body_hash, order_id=order.id,
                                   response=answer, created_at=now))


def possible(fmt: str, place_kind: str, place_id: int | None, topic_codes: tuple[str, ...],
             earliest: date, latest: date, *, now: datetime,
             settings: Settings = DEFAULTS) -> Verdict:
    """The order form's live answer before anything is sent: can an order with this format,
    place, topics and window happen, and if not why and on which days next. The same rules
    ``place`` refuses with, so the preview and the answer never disagree."""
    ref = reference.current()
    wanted = tuple(dict.fromkeys(c.strip() for c in topic_codes if c and c.strip()))
    mismatched = topic_format_errors(wanted, fmt, ref.formats, ref.titles)
    if mismatched:
        return Verdict(False, tuple(mismatched))
    try:  # a place of the wrong kind for the format, a market without a rule: the slot rules say
        place = scheduling.checked_place(place_kind, ref.find_place(place_kind, place_id))
        return scheduling.can_happen(fmt, place_kind, place, earliest, latest, now=now,
                                     settings=settings, ref=ref)
    except DomainError as exc:
        return Verdict(False, (exc,))


def first_possible_day(order: Order, *, now: datetime, settings: Settings = DEFAULTS) -> date | None:
    """For an order still waiting for a member: the first day its window can really hold the
    talk (for "the next possible day": the next market day, the next school day…); None once
    it is scheduled or past, or when no day is left in its window (or its place is gone)."""
    if order.status not in (OrderStatus.SUBMITTED, OrderStatus.OFFERED):
        return None
    earliest = max(order.earliest, local_today(now))
    if earliest > order.latest:
        return None
    ref = reference.current()
    place = ref.find_place(order.place_kind, order.place_id)
    if place is None:
        return None
    verdict = scheduling.can_happen(order.format, order.place_kind, place, earliest,
                                    order.latest, now=now, settings=settings, ref=ref)
    return verdict.first_day


def find_order(code: str, last4: str) -> Order | None:
    """The order for this code and phone; None for any mismatch (never says which part)."""
    code = _tracked_code(code)
    order = db.session.scalars(_TRACKED, {"code": code}).unique().first() if code else None
    return order if order is not None and _phone_matches(order.requester_phone, last4) else None


def order_status(code: str, last4: str) -> OrderView | None:
    """:func:`find_order` for the status answer alone (the API's track, asked again and again
    by someone waiting): the same checks, one statement, no entities."""
    code = _tracked_code(code)
    rows = db.session.execute(_STATUS, {"code": code}).all() if code else []
    if not rows or not _phone_matches(rows[0].requester_phone, last4):
        return None
    first = rows[0]
    topics = {r.topic_id: r for r in rows}.values()
    questions = {r.question_id: r for r in rows if r.question_id is not None}.values()
    return OrderView(
        id=first.id, code=first.code, format=first.format, earliest=first.earliest,
        latest=first.latest, requester_phone=first.requester_phone, status=first.status,
        topics=tuple(reference.TopicRef(t.topic_id, t.topic_code, t.title_zh, t.title_en,
                                        frozenset(), t.topic_position)
                     for t in sorted(topics, key=lambda t: (t.topic_position, t.topic_id))),
        questions=tuple(Asked(q.question_text) for q in
                        sorted(questions, key=lambda q: (q.question_position, q.question_id))),
        lecture_session=None if first.session_status is None else Scheduled(
            first.session_status, first.session_start, first.session_end, first.venue,
            MemberName(first.member_name)),
        feedback=None if first.rating is None else Rating(first.rating),
    )


def _tracked_code(code: str) -> str | None:
    code = normalise_order_code(code)
    return code if code and len(code) <= 12 else None


def _phone_matches(phone: str | None, last4: str) -> bool:
    return bool(phone) and last4_matches(phone, last4)


# An order with what its status answer shows (topics, session and its member, rating,
# questions) in one query: a tracked order is looked at over and over.
_TRACKED = (select(Order).where(Order.code == bindparam("code"))
            .options(joinedload(Order.topics), joinedload(Order.questions),
                     joinedload(Order.feedback),
                     joinedload(Order.lecture_session).joinedload(LectureSession.lead_member)))
# The same as rows (one per topic and question; a few): what order_status reads.
_STATUS = (
    select(Order.id, Order.code, Order.status, Order.format, Order.earliest, Order.latest,
           Order.requester_phone, Topic.id.label("topic_id"), Topic.code.label("topic_code"),
           Topic.title_zh, Topic.title_en, Topic.position.label("topic_position"),
           Question.id.label("question_id"), Question.text.label("question_text"),
           Question.position.label("question_position"),
           LectureSession.status.label("session_status"),
           LectureSession.start.label("session_start"), LectureSession.end.label("session_end"),
           LectureSession.venue, Member.name.label("member_name"), Feedback.rating)
    .join(order_topic, order_topic.c.order_id == Order.id)
    .join(Topic, Topic.id == order_topic.c.topic_id)
    .outerjoin(Question, Question.order_id == Order.id)
    .outerjoin(LectureSession, LectureSession.order_id == Order.id)
    .outerjoin(Member, Member.id == LectureSession.lead_member_id)
    .outerjoin(Feedback, Feedback.order_id == Order.id)
    .where(Order.code == bindparam("code"))
)


MAX_REASON = 200


def cancel_order(order: Order, *, now: datetime, actor: User | None = None, reason: str = "") -> Order:
    if len(reason) > MAX_REASON:  # refused, never cut: the person sees by how much
        raise ValidationFailed([DomainError("reason", N_("At most %(n)d characters."),
                                            n=MAX_REASON)])
    if not order.cancellable:
        raise Conflict(None, N_("This order can no longer be cancelled."))
    # Claim the order first, like every flow that changes its offers: a racing accept or
    # sweep then queues behind us (or we behind it) instead of failing mid-flush.
    claimed = dispatch.claim_order(order.id, now=now, statuses=CANCELLABLE)
    if claimed is None:
        raise Conflict(None, N_("This order can no longer be cancelled."))
    order = claimed
    session = order.lecture_session
    if session is not None and session.status == SessionStatus.SCHEDULED:
        session.transition("cancel", now=now, actor=actor, label="" if actor else "requester",
                           detail={"reason": reason} if reason else None)
        notify.enqueue("session_cancelled", key=f"session:{session.id}:cancelled",
                       recipient_kind="member", member_id=session.lead_member_id, order=order,
                       now=now, payload={"code": order.code})
    dispatch.withdraw_open_offers(order, now=now, actor=actor, reason="cancelled")
    order.transition("cancel", now=now, actor=actor, label="" if actor else "requester",
                     detail={"reason": reason} if reason else None)
    flush_or_conflict()
    return order


def rate_order(order: Order, rating: int | None, comment: str, *, now: datetime) -> Feedback:
    errors = []
    if rating is None or not 1 <= rating <= 5:
        errors.append(DomainError("rating", N_("Please choose 1 to 5 stars.")))
    comment = (comment or "").strip()
    if len(comment) > 500:
        errors.append(DomainError("comment", N_("At most %(n)d characters."), n=500))
    ValidationFailed.collect(errors)
    if order.feedback is not None:
        raise Conflict(None, N_("You have already rated this talk. Thank you!"))
    if order.status != OrderStatus.DELIVERED:
        raise Conflict(None, N_("You can rate the talk once it has taken place."))
    feedback = Feedback(order=order, rating=rating, comment=comment, created_at=now)
    db.session.add(feedback)
    order.transition("close", now=now, label="requester", detail={"rating": rating})
    flush_or_conflict()
    return feedback
