"""The notification outbox: queue idempotently, deliver each message exactly once.

Delivery (``send_pending``), run by the scheduler's job and ``flask send-notifications``:

1. **Claim** due rows in one conditional UPDATE (pending → sending, with a fresh claim token;
   on PostgreSQL the candidates are picked ``FOR UPDATE SKIP LOCKED``), then the edge's
   ``checkpoint`` commits, so a second sender running at the same time never sees them as due.
2. **Send** each claimed row: render its text now (domain/messages.py) from the records it
   names, write the in-app notices, call the SMS / e-mail sender with the row's idempotency key.
3. **Record** the outcome (sent, retry after backoff, failed, dropped) only while the row still
   carries our claim token, and commit it (``checkpoint``) row by row.

A sender that dies between the provider's acceptance and step 3 leaves the row "sending"; after
``NOTIFY_CLAIM_STALE_SECONDS`` another sender reclaims it and sends it again with the same key,
which the provider (or the webhook's receiver) recognises as the same message.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from ..domain import messages
from ..domain import requester_code as rc
from ..domain.lifecycle import OfferStatus, SessionStatus
from ..domain.outbox import (
    NOTIFICATION,
    NotificationAction,
    NotificationStatus,
    after_quiet,
    backoff,
    is_quiet,
)
from ..extensions import db
from ..models import AuditEvent, LectureSession, Member, Notification, Offer, Order, Role, User
from ..models.notification import Notice
from .senders import Outgoing, Sender, SendFailed, mail_sender_for, sms_sender_for
from .settings import DEFAULTS, Settings

log = logging.getLogger(__name__)

NS = NotificationStatus
CLAIMED = NOTIFICATION.next(NS.PENDING, NotificationAction.CLAIM).value
QUIET_KINDS = frozenset({"reminder_day", "reminder_2h"})
REMINDERS = (  # (kind, recipient, how long before the start it is due)
    ("reminder_day", "requester", timedelta(hours=24)),
    ("reminder_day", "member", timedelta(hours=24)),
    ("reminder_2h", "member", timedelta(hours=2)),
)


class Drop(Exception):
    """The message is no longer true or has nobody to go to."""


class Defer(Exception):
    """Not now: the message waits until ``until`` without counting an attempt."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until
        self.reason = reason


def enqueue(
    kind: str, *, key: str, recipient_kind: str, now: datetime, order: Order | None = None,
    order_id: int | None = None, member_id: int | None = None, payload: dict | None = None,
) -> int | None:
    """Queue one message unless one with the same key is queued already: a single
    INSERT … ON CONFLICT (key) DO NOTHING. The order is ``order`` or, where it was stored
    without an entity (placing one), ``order_id``. Returns the new row's id (None when it
    existed)."""
    values = message_values(kind, key=key, recipient_kind=recipient_kind, now=now,
                            order_id=order.id if order is not None else order_id,
                            member_id=member_id, payload=payload)
    return db.session.execute(_enqueue_statement(db.session.get_bind().dialect.name),
                              values).scalar()


def message_values(kind: str, *, key: str | None, recipient_kind: str, now: datetime,
                   order_id: int | None = None, member_id: int | None = None,
                   payload: dict | None = None) -> dict:
    """A queued message's columns, the one place they are worked out (``enqueue``; placing an
    order on PostgreSQL writes its "received" message in the order's own statement)."""
    return {
        "key": key, "kind": kind, "recipient_kind": recipient_kind, "member_id": member_id,
        "order_id": order_id, "payload": payload or {}, "status": NS.PENDING.value,
        "attempts": 0, "created_at": now, "last_error": "", "text": "",
    }


@cache
def _enqueue_statement(dialect: str):
    # On the table, not the entity: a Core statement skips the ORM's bulk-insert machinery
    # (the row is never used as an object here); built once, so each message only binds values.
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Notification.__table__
    return (insert(table).on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.id))


def _flush() -> None:
    db.session.flush()


def send_pending(
    *, now: datetime, settings: Settings = DEFAULTS, sender: Sender | None = None,
    mailer: Sender | None = None, limit: int = 200, checkpoint: Callable[[], None] = _flush,
) -> int:
    """Claim and deliver the due notifications; returns how many were claimed.

    ``checkpoint`` is the edge's commit (the job's and the CLI's pass ``db.session.commit``):
    the claim must be visible to other senders before any provider is called. ``sender`` /
    ``mailer`` replace the configured SMS and e-mail senders (tests).
    """
    ns = settings.notify
    sms = sender or sms_sender_for(ns)
    mail = mailer or mail_sender_for(ns)
    token = secrets.token_hex(16)
    try:
        ids = claim(now=now, settings=settings, token=token, limit=limit)
        checkpoint()
    except OperationalError:  # SQLite: another writer won the lock; the next run tries again
        db.session.rollback()
        log.warning("notifications: could not claim now (database busy); next run retries")
        return 0
    for note_id in ids:
        _deliver_claimed(note_id, token, now=now, settings=settings, sms=sms, mail=mail)
        checkpoint()
    return len(ids)


def claim(*, now: datetime, settings: Settings, token: str, limit: int) -> list[int]:
    """Take up to ``limit`` due rows for this sender (one conditional UPDATE): pending and due,
    or "sending" under a claim older than the stale limit (its sender died)."""
    stale = now - timedelta(seconds=settings.notify.claim_stale_seconds)
    due = or_(
        and_(Notification.status == NS.PENDING,
             or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)),
        and_(Notification.status == NS.SENDING, Notification.claimed_at < stale),
    )
    candidates = select(Notification.id).where(due).order_by(Notification.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        picked = list(db.session.scalars(candidates.with_for_update(skip_locked=True)))
        if not picked:
            return []
        target = Notification.id.in_(picked)
    else:
        target = Notification.id.in_(candidates.scalar_subquery())
    claimed = db.session.execute(
        update(Notification).where(target, due)
        .values(status=CLAIMED, claim_token=token, claimed_at=now,
                attempts=Notification.attempts + 1)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    return sorted(claimed)


def _deliver_claimed(note_id: int, token: str, *, now: datetime, settings: Settings,
                     sms: Sender, mail: Sender | None) -> None:
    ns = settings.notify
    query = select(Notification).where(Notification.id == note_id,
                                       Notification.claim_token == token,
                                       Notification.status == NS.SENDING)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    note = db.session.execute(query.execution_options(populate_existing=True)).scalar()
    if note is None:  # reclaimed by another sender after our claim went stale
        return
    if note.kind in QUIET_KINDS and is_quiet(now, ns.quiet_start_hour, ns.quiet_end_hour):
        note.transition(NotificationAction.DEFER, now=now)
        note.attempts = max(0, note.attempts - 1)
        note.next_attempt_at = after_quiet(now, ns.quiet_start_hour, ns.quiet_end_hour)
        note.claim_token = None
        return
    try:
        deliver(note, now=now, settings=settings, sms=sms, mail=mail)
    except Defer as exc:
        note.transition(NotificationAction.DEFER, now=now, detail={"reason": exc.reason})
        note.attempts = max(0, note.attempts - 1)
        note.next_attempt_at = exc.until
        log.info("notification %s deferred: %s", note.id, exc.reason)
    except Drop as exc:
        note.last_error = str(exc)[:200]
        note.transition(NotificationAction.DROP, now=now, detail={"reason": note.last_error})
    except SendFailed as exc:
        note.last_error = exc.reason
        if exc.permanent or note.attempts >= ns.max_attempts:
            note.transition(NotificationAction.FAIL, now=now, detail={"error": exc.reason})
        else:
            note.next_attempt_at = now + backoff(note.attempts, ns.retry_base_seconds)
            note.transition(NotificationAction.RETRY, now=now, detail={"error": exc.reason})
        log.warning("notification %s attempt %s failed: %s", note.id, note.attempts, exc.reason)
    except Exception as exc:  # a bug in one message must not stop the others
        log.exception("notification %s could not be delivered", note.id)
        note.last_error = f"error: {type(exc).__name__}"
        if note.attempts >= ns.max_attempts:
            note.transition(NotificationAction.FAIL, now=now, detail={"error": note.last_error})
        else:
            note.next_attempt_at = now + backoff(note.attempts, ns.retry_base_seconds)
            note.transition(NotificationAction.RETRY, now=now, detail={"error": note.last_error})
    else:
        note.sent_at = now
        note.last_error = ""
        note.transition(NotificationAction.DELIVER, now=now)
    note.claim_token = None


# --- one delivery ------------------------------------------------------------------------------

def deliver(note: Notification, *, now: datetime, settings: Settings, sms: Sender,
            mail: Sender | None) -> None:
    """Render the text now and hand it to every channel of its recipient."""
    ns = settings.notify
    order = db.session.get(Order, note.order_id) if note.order_id else None
    if note.recipient_kind == "requester":
        if order is None or not order.requester_phone:
            raise Drop("no phone (purged or never given)")
        _check_daily_cap(note, order, now=now, settings=settings)
        facts = _facts(note, order, lang=messages.language_for(order.language), now=now,
                       settings=settings)
        text = messages.render(facts)
        # The outbox keeps what was said, but never a live "my orders" code.
        note.text = (messages.render(replace(facts, code="******"))
                     if facts.kind == "requester_code" else text)
        # ``code`` is the order code, or the texted code for a provider template's ${code}.
        sms(Outgoing(key=note.key, to=order.requester_phone, text=text, kind=facts.kind,
                     code=facts.code))
    elif note.recipient_kind == "member":
        member = db.session.get(Member, note.member_id) if note.member_id else None
        if member is None:
            raise Drop("no member")
        choice = (member.languages or ["zh"])[0]
        facts = _facts(note, order, lang=messages.language_for(choice), now=now, settings=settings)
        note.text = messages.render(facts)
        if member.user_id:
            _notices(note, [member.user_id], order)
        if member.phone:
            sms(Outgoing(key=note.key, to=member.phone, text=note.text, kind=facts.kind,
                         code=order.code if order else ""))
    elif note.recipient_kind == "coordinator":
        facts = _facts(note, order, lang="zh", now=now, settings=settings)
        note.text = messages.render(facts)
        users = db.session.scalars(select(User.id).where(
            User.role.in_((Role.COORDINATOR, Role.ADMIN)), User.active.is_(True))).all()
        _notices(note, users, order)
        if mail is not None:
            for address in ns.coordinator_emails:
                mail(Outgoing(key=note.key, to=address, text=note.text, kind=facts.kind,
                              code=order.code if order else ""))
    else:
        raise Drop(f"unknown recipient {note.recipient_kind[:20]}")


def texts_today(phone: str, *, now: datetime) -> int:
    """Texts sent to this requester phone since 00:00 Beijing time: the requester messages of
    every order with that phone (the outbox never holds the number itself)."""
    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .join(Order, Notification.order_id == Order.id)
        .where(Order.requester_phone == phone, Notification.recipient_kind == "requester",
               Notification.status == NS.SENT,
               Notification.sent_at >= rc.beijing_day_start(now))) or 0


def _check_daily_cap(note: Notification, order: Order, *, now: datetime,
                     settings: Settings) -> None:
    """At most SMS_DAILY_LIMIT_PER_PHONE texts a Beijing day to one requester phone, so nobody
    can flood a stranger's phone through the order form. A requester has no in-app channel:
    the rest wait for the next morning; a "my orders" code is dropped (stale by then)."""
    ns = settings.notify
    if texts_today(order.requester_phone, now=now) < ns.sms_daily_limit_per_phone:
        return
    if note.kind == "requester_code":
        raise Drop("daily text limit for this phone reached")
    raise Defer(rc.next_beijing_morning(now, ns.quiet_end_hour),
                "daily text limit for this phone reached")


def queue_requester_code(order: Order, *, phone_key: str, window: int,
                         now: datetime) -> int | None:
    """Queue the "my orders" code for the phone of ``order`` (its latest order), once per
    phone and 5-minute window. The row holds the window only: the sender derives the code
    and reads the phone from the order when it sends."""
    return enqueue("requester_code", key=requester_code_key(phone_key, window),
                   recipient_kind="requester", now=now, order=order, payload={"window": window})


def requester_code_key(phone_key: str, window: int) -> str:
    """The outbox key of one phone's code in one window (its digest, never the number)."""
    return f"requester-code:{phone_key}:{window}"


def _notices(note: Notification, user_ids: Iterable[int], order: Order | None) -> None:
    """One in-app notice per user; a retried delivery does not repeat them."""
    have = set(db.session.scalars(select(Notice.user_id).where(Notice.notification_id == note.id)))
    for user_id in user_ids:
        if user_id not in have:
            db.session.add(Notice(user_id=user_id, notification_id=note.id, kind=note.kind,
                                  text=note.text, order_code=order.code if order else "",
                                  created_at=note.claimed_at or note.created_at))


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _place(session: LectureSession | None, order: Order | None) -> str:
    if session is not None and session.venue:
        return session.venue
    return order.place.name if order is not None and order.place is not None else ""


def _facts(note: Notification, order: Order | None, *, lang: str, now: datetime,
           settings: Settings) -> messages.Facts:
    """What the text may say, read from the records now. Raises Drop when it stopped being
    true (a moved or cancelled session, an offer already answered)."""
    payload = note.payload or {}
    session = order.lecture_session if order is not None else None
    if "session_id" in payload:
        session = db.session.get(LectureSession, payload["session_id"])
    kind = note.kind
    base = dict(recipient=note.recipient_kind, lang=lang, code=order.code if order else "",
                station_phone=settings.notify.station_phone)
    if kind == "offer_new":
        offer = db.session.get(Offer, payload.get("offer_id"))
        if offer is None or offer.status != OfferStatus.OPEN:
            raise Drop("offer no longer open")
        return messages.Facts(kind=kind, deadline=offer.expires_at, **base)
    if kind in ("order_scheduled", "session_assigned"):
        if session is None or session.status != SessionStatus.SCHEDULED:
            raise Drop("session no longer scheduled")
        return messages.Facts(kind=kind, start=session.start, end=session.end,
                              place=_place(session, order), member=session.lead_member.name,
                              **base)
    if kind == "session_moved":
        return _moved(note, order, session, base)
    if kind == "session_cancelled":
        if session is None:
            raise Drop("no session")
        return messages.Facts(kind=kind, start=session.start, end=session.end,
                              by=_cancelled_by(order), **base)
    if kind in ("reminder_day", "reminder_2h"):
        start = _at(payload.get("start"))
        if (session is None or session.status != SessionStatus.SCHEDULED or start is None
                or session.start != start or session.start <= now):
            raise Drop("session cancelled, moved or begun")
        return messages.Facts(kind=kind, start=session.start, end=session.end,
                              place=_place(session, order), **base)
    if kind == "please_rate":
        # A signed link to this one order's rating form (GET /r/<token>, 30 days); without a
        # secret (a service called with the bare defaults) the plain tracking page.
        path = "/track"
        if order is not None and settings.secret_key:
            path = f"/r/{rc.rate_link_token(settings.secret_key, order.code, now)}"
        return messages.Facts(kind=kind, link=f"{settings.notify.public_base_url}{path}", **base)
    if kind == "order_needs_attention":
        return messages.Facts(kind=kind, reason=str(payload.get("reason", "")), **base)
    if kind == "requester_code":
        window = payload.get("window")
        if (order is None or not isinstance(window, int) or isinstance(window, bool)
                or not settings.secret_key or not rc.is_live(window, now)):
            raise Drop("code expired before it could be sent")
        code = rc.code_for(settings.secret_key, order.requester_phone, window)
        return messages.Facts(kind=kind, **{**base, "code": code})
    if messages.has_template(kind, note.recipient_kind):
        return messages.Facts(kind=kind, **base)
    raise Drop(f"no text for {kind[:30]}")


def _moved(note, order, session, base) -> messages.Facts:
    start = _at((note.payload or {}).get("start"))
    if session is None or start is None or order is None:
        raise Drop("no session")
    if session.status == SessionStatus.CANCELLED:  # rain called it off, no other evening
        return messages.Facts(kind="rain_called_off", old_start=session.start,
                              old_end=session.end, **base)
    if session.start != start:
        raise Drop("moved again since")  # the newer move has its own message
    old_start, reason = None, ""
    for event in reversed(order.events):
        detail = event.detail or {}
        if event.action == "reschedule" and _at(detail.get("to")) == start:
            old_start, reason = _at(detail.get("from")), str(detail.get("reason", ""))
            break
    length = session.end - session.start
    return messages.Facts(
        kind="rain_moved" if reason == "weather" else "session_moved",
        start=session.start, end=session.end, place=_place(session, order),
        old_start=old_start, old_end=old_start + length if old_start else None, **base)


def _cancelled_by(order: Order | None) -> str:
    if order is None:
        return "system"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "order", AuditEvent.entity_id == order.id,
                                 AuditEvent.action == "cancel").order_by(AuditEvent.id.desc()))
    if event is None:
        return "system"
    if event.actor_label == "requester":
        return "requester"
    return "coordinator" if event.actor_id is not None else "system"


# --- reminders ---------------------------------------------------------------------------------

def queue_reminders(*, now: datetime, settings: Settings = DEFAULTS) -> int:
    """Queue the reminders that are due (the day before: requester and member; 2 hours before:
    member) for scheduled sessions. Idempotent per (session, kind, start, recipient): the key
    holds the start, so a moved session gets new reminders and the old ones are dropped when
    their turn comes. Nothing is queued at night; the 08:00 run catches up."""
    ns = settings.notify
    if is_quiet(now, ns.quiet_start_hour, ns.quiet_end_hour):
        return 0
    horizon = now + max(lead for _, _, lead in REMINDERS)
    sessions = db.session.scalars(select(LectureSession).where(
        LectureSession.status == SessionStatus.SCHEDULED,
        LectureSession.start > now, LectureSession.start <= horizon)).all()
    queued = 0
    for session in sessions:
        stamp = session.start.isoformat()
        for kind, recipient, lead in REMINDERS:
            if now < session.start - lead:
                continue  # not due yet
            if kind == "reminder_day" and now >= session.start - timedelta(hours=2):
                continue  # the 2-hour reminder covers it
            if recipient == "requester" and session.order is None:
                continue
            key = f"session:{session.id}:remind:{kind}:{stamp}:{recipient}"
            if enqueue(kind, key=key, recipient_kind=recipient, now=now, order=session.order,
                       member_id=session.lead_member_id if recipient == "member" else None,
                       payload={"session_id": session.id, "start": stamp}) is not None:
                queued += 1
    return queued


# --- coordinators and in-app notices ----------------------------------------------------------

def resend(note_id: int, *, now: datetime, actor: User | None = None) -> Notification:
    """"Send again" a failed message: back to pending, due now, attempts counted afresh."""
    note = db.session.get(Notification, note_id)
    if note is None:
        raise LookupError(note_id)
    note.transition(NotificationAction.RESEND, now=now, actor=actor)
    note.attempts = 0
    note.next_attempt_at = None
    return note


def outbox_page(*, status: str | None = None, limit: int = 200) -> list[Notification]:
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status:
        query = query.where(Notification.status == status)
    return list(db.session.scalars(query))


def status_counts() -> dict[str, int]:
    return dict(db.session.execute(
        select(Notification.status, func.count()).group_by(Notification.status)).all())


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notice).where(
        Notice.user_id == user_id, Notice.read_at.is_(None))) or 0


def notices_for(user_id: int, *, limit: int = 100) -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user_id)
                                   .order_by(Notice.id.desc()).limit(limit)))


def mark_read(user_id: int, *, now: datetime, notice_id: int | None = None) -> int:
    """Mark one notice (or all of them) read; only the user's own."""
    statement = update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    if notice_id is not None:
        statement = statement.where(Notice.id == notice_id)
    return db.session.execute(statement.values(read_at=now)
                              .execution_options(synchronize_session=False)).rowcount
