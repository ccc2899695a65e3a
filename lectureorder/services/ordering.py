"""Ordering (群众点单): place, find, cancel and rate orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from ..domain.contact import last4_matches, new_order_code, normalise_order_code
from ..domain.errors import (
    N_,
    Bilingual,
    Conflict,
    DomainError,
    RepeatOrder,
    ValidationFailed,
)
from ..domain.feasibility import Verdict
from ..domain.formats import ALLOWED_PLACE_KINDS
from ..domain.lifecycle import CANCELLABLE, OrderStatus
from ..domain.orders import (
    MAX_TOPICS,
    REPEAT_WINDOW,
    OrderRequest,
    topic_format_errors,
    validate_order,
)
from ..extensions import db
from ..models import (
    Feedback,
    Order,
    OrderRequestKey,
    Question,
    SessionStatus,
    Topic,
    User,
    audit_row,
    order_topic,
)
from . import dispatch, notify, scheduling
from .clock import local_today
from .settings import DEFAULTS, Settings
from .unit import flush_or_conflict


def active_topics() -> list[Topic]:
    return list(db.session.scalars(
        select(Topic).where(Topic.active.is_(True)).order_by(Topic.position, Topic.id)
    ))


def place_order(req: OrderRequest, *, now: datetime, actor: User | None = None,
                settings: Settings = DEFAULTS, check_repeat: bool = False) -> Order:
    """Validate and store an order, with its audit event and its "received" message; raises
    ValidationFailed with every problem. With ``check_repeat`` (where a person orders and has
    not confirmed yet: the form, 代下单, the API) it raises RepeatOrder when the same phone
    ordered a talk on one of these topics at the same place within 24 hours.

    Nothing here ranks members or touches member or kit rows: the order waits as ``submitted``
    for the next dispatch pass (``dispatch.dispatch_pending``), so concurrent placements never
    queue behind each other. ``settings`` is for the rules an order is checked against."""
    topics = _asked_topics(req.topics)
    cleaned, errors = validate_order(
        req, today=local_today(now), topic_formats=_formats_of(topics),
        allowed_place_kinds=ALLOWED_PLACE_KINDS, topic_titles=_titles_of(topics),
    )
    place = None
    if not any(e.field == "place" for e in errors):
        try:
            place = scheduling.load_place(cleaned.place_kind, cleaned.place_id)
        except DomainError as exc:
            errors.append(exc)
    ValidationFailed.collect(errors)
    # Only orders that can happen: none is told "received" for a time that cannot exist.
    verdict = scheduling.can_happen(cleaned.format, cleaned.place_kind, place, cleaned.earliest,
                                    cleaned.latest, now=now, settings=settings)
    ValidationFailed.collect(list(verdict.errors))
    if check_repeat:
        _refuse_repeat(cleaned, place, topics, now)

    # In menu order, as the relationship loads them, so the answer reads the same either way.
    asked = sorted((topics[c] for c in cleaned.topics), key=lambda t: (t.position, t.id))
    order = Order(
        code=_unused_code(), status=OrderStatus.SUBMITTED, format=cleaned.format,
        place_kind=cleaned.place_kind, township_id=place.township_id,
        audience_type=cleaned.audience_type, audience_size=cleaned.audience_size,
        earliest=cleaned.earliest, latest=cleaned.latest, language=cleaned.language,
        timing=cleaned.timing,
        requester_name=cleaned.requester_name, requester_org=cleaned.requester_org,
        requester_phone=cleaned.phone, channel=cleaned.channel, notes=cleaned.notes,
        created_at=now, updated_at=now, created_by=actor,
        topics=asked,
        # Known empty: reading them (the API's answer) then needs no query.
        offers=[], lecture_session=None, feedback=None,
        # Each question under the order's first topic (a coordinator may move it when publishing).
        questions=[Question(text=q, position=i, origin="order", topic=asked[0], created_at=now)
                   for i, q in enumerate(cleaned.questions)],
    )
    setattr(order, f"{cleaned.place_kind}_id", place.id)
    db.session.add(order)
    db.session.flush()
    audit_row("order", order.id, "submit", now=now, actor=actor,
              label="" if actor else "requester", to_state=OrderStatus.SUBMITTED,
              detail={"channel": order.channel})
    notify.enqueue("order_received", key=f"order:{order.id}:received", recipient_kind="requester",
                   order=order, now=now, payload={"code": order.code})
    return order


def _refuse_repeat(cleaned: OrderRequest, place, topics: dict[str, Topic], now: datetime) -> None:
    """The repeat rule (domain/orders.REPEAT_WINDOW) as one small query, no entities: a live
    order from the same phone, at the same place, sharing a topic, placed within the window."""
    same_place = {"village": Order.village_id, "school": Order.school_id,
                  "market": Order.market_id}[cleaned.place_kind]
    earlier = db.session.execute(
        select(Order.code, Topic.code)
        .join(order_topic, order_topic.c.order_id == Order.id)
        .join(Topic, Topic.id == order_topic.c.topic_id)
        .where(Order.requester_phone == cleaned.phone, Order.place_kind == cleaned.place_kind,
               same_place == cleaned.place_id, Topic.code.in_(cleaned.topics),
               Order.created_at >= now - REPEAT_WINDOW, Order.status != OrderStatus.CANCELLED)
        .order_by(Order.id.desc()).limit(1)).first()
    if earlier is not None:
        code, topic = earlier
        raise RepeatOrder(code, talk=_titles_of(topics)[topic], place=place.name)


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


def remember(once: Once, order: Order, *, now: datetime, answer: dict | None = None) -> None:
    """Keep the key with the order it made (in the same transaction as the order), and the
    answer to replay. Two racing requests with one key: the unique key lets one commit."""
    db.session.add(OrderRequestKey(key=once.key, body_hash=once.body_hash, order=order,
                                   response=answer, created_at=now))


def possible(fmt: str, place_kind: str, place_id: int | None, topic_codes: tuple[str, ...],
             earliest: date, latest: date, *, now: datetime,
             settings: Settings = DEFAULTS) -> Verdict:
    """The order form's live answer before anything is sent: can an order with this format,
    place, topics and window happen, and if not why and on which days next. The same rules
    ``place_order`` refuses with, so the preview and the answer never disagree."""
    topics = _asked_topics(topic_codes)
    wanted = tuple(dict.fromkeys(c.strip() for c in topic_codes if c and c.strip()))
    mismatched = topic_format_errors(wanted, fmt, _formats_of(topics), _titles_of(topics))
    if mismatched:
        return Verdict(False, tuple(mismatched))
    try:  # a place of the wrong kind for the format, a market without a rule: the slot rules say
        return scheduling.can_happen(fmt, place_kind, scheduling.load_place(place_kind, place_id),
                                     earliest, latest, now=now, settings=settings)
    except DomainError as exc:
        return Verdict(False, (exc,))


def first_possible_day(order: Order, *, now: datetime, settings: Settings = DEFAULTS) -> date | None:
    """For an order still waiting for a member: the first day its window can really hold the
    talk (for "the next possible day": the next market day, the next school day…); None once
    it is scheduled or past, or when no day is left in its window."""
    if order.status not in (OrderStatus.SUBMITTED, OrderStatus.OFFERED):
        return None
    earliest = max(order.earliest, local_today(now))
    if earliest > order.latest:
        return None
    verdict = scheduling.can_happen(order.format, order.place_kind, order.place, earliest,
                                    order.latest, now=now, settings=settings)
    return verdict.first_day


def _formats_of(topics: dict[str, Topic]) -> dict[str, set[str]]:
    return {code: set(t.formats or ()) for code, t in topics.items()}


def _titles_of(topics: dict[str, Topic]) -> dict[str, Bilingual]:
    return {code: Bilingual(t.title_zh, t.title_en) for code, t in topics.items()}


def _asked_topics(codes) -> dict[str, Topic]:
    """The active topics among those asked for, by code: all that validation looks up."""
    wanted = {c.strip() for c in codes if c and c.strip()}
    if not wanted:
        return {}
    if len(wanted) > MAX_TOPICS:  # refused anyway; the message still names every unknown one
        return {t.code: t for t in active_topics()}
    return {t.code: t for t in db.session.scalars(
        select(Topic).where(Topic.active.is_(True), Topic.code.in_(wanted)))}


def _unused_code() -> str:
    for _ in range(20):
        code = new_order_code()
        if db.session.scalar(select(Order.id).where(Order.code == code)) is None:
            return code
    raise RuntimeError("could not find a free order code")  # 31^6 codes: practically unreachable


def find_order(code: str, last4: str) -> Order | None:
    """The order for this code and phone; None for any mismatch (never says which part)."""
    code = normalise_order_code(code)
    if not code or len(code) > 12:
        return None
    order = db.session.scalar(select(Order).where(Order.code == code))
    if order is None or not order.requester_phone:
        return None
    return order if last4_matches(order.requester_phone, last4) else None


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
