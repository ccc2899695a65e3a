"""JSON API v1 views: thin, the same services as the HTML pages."""

from __future__ import annotations

import hashlib
import json

from flask import abort, current_app, g, jsonify, request, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ...domain import formats as fm
from ...domain.availability import Unavailable
from ...domain.calendars import TZ, long_date_label
from ...domain.errors import N_, Conflict, DomainError, RepeatOrder, ValidationFailed
from ...extensions import db
from ...models import Member, Order, Township
from ...services import dispatch, fulfilment, ordering, privacy, requester_access, scheduling
from ...services.accounts import authenticate, issue_token, revoke_token
from ...services.clock import now_utc
from .. import edge
from ..access import api_coordinator, api_member, api_public, api_signed_in
from ..forms import error_dict
from ..i18n import current_lang, error_message, message
from ..limits import (
    AccountGate,
    CodeTries,
    login_address_limit,
    placement_limits,
    requester_code_limits,
    requester_orders_limit,
    track_limits,
    wait_message,
)
from . import bp
from .openapi import openapi_document
from .schema import (
    a_date,
    a_datetime,
    body,
    integer,
    iso,
    offer_json,
    order_request,
    order_status_json,
    part_json,
    session_json,
    slot_json,
    text,
)


def unprocessable(exc: ValidationFailed | DomainError):
    return jsonify({"errors": error_dict(exc)}), 422


def conflict(exc: Conflict):
    body = {"error": error_message(exc), "status": 409}
    if isinstance(exc, Unavailable):  # every reason the member is not free, by code and in words
        body["reasons"] = [{"code": r.code, "message": message(r.message, r.params)}
                           for r in exc.reasons]
    if isinstance(exc, RepeatOrder):  # send again with "confirm_repeat": true to order another
        body["earlier_code"] = exc.earlier_code
    return jsonify(body), 409


@bp.errorhandler(ValidationFailed)
def _validation_failed(exc):
    db.session.rollback()
    return unprocessable(exc)


@bp.errorhandler(Conflict)
def _conflict(exc):
    db.session.rollback()
    return conflict(exc)


@bp.errorhandler(DomainError)
def _domain_error(exc):
    db.session.rollback()
    return unprocessable(exc)


@bp.get("/openapi.json")
@api_public
def openapi():
    return jsonify(openapi_document(scheduling.slot_settings(edge.settings()),
                                    max_limit=MAX_SLOT_LIMIT))


@bp.get("/menu")
@api_public
def menu():
    lang = current_lang()
    return jsonify([
        {"code": t.code, "title": t.title(lang), "summary": t.summary(lang),
         "formats": list(t.formats or ()), "typical_minutes": t.typical_minutes}
        for t in ordering.active_topics()
    ])


@bp.get("/places")
@api_public
def places():
    towns = db.session.scalars(select(Township).order_by(Township.position, Township.id).options(
        selectinload(Township.villages), selectinload(Township.schools),
        selectinload(Township.markets))).all()
    lang = current_lang()

    def point(p) -> dict:
        return {"id": p.id, "name": p.name, "lat": p.lat, "lon": p.lon}

    return jsonify({"townships": [
        {"id": t.id, "name": t.display(lang), "lat": t.lat, "lon": t.lon,
         "villages": [point(v) for v in t.villages],
         "schools": [point(s) for s in t.schools],
         "markets": [point(m) | {"cycle": m.cycle, "opens": m.opens.strftime("%H:%M"),
                                 "closes": m.closes.strftime("%H:%M")} | market_policy_json(m, lang)
                     for m in t.markets if m.active]}
        for t in towns
    ]})


def market_policy_json(market, lang: str) -> dict:
    """The whole market rule beside its cycle, read through the rule the scheduler uses."""
    try:
        rule = scheduling.market_rule(market)
    except DomainError:
        # A stored rule the domain refuses proposes no slot; still show what is stored.
        before, after = market.spring_festival_days_before, market.spring_festival_days_after
        return {"missing_30": market.missing_30 or "skip",
                "pauses": [{"first": a, "last": b} for a, b in market.pauses or ()],
                "spring_festival_pause": None if before is None and not after else
                {"days_before": before or 0, "days_after": after or 0},
                "description": None}
    return rule.policy_to_contract() | {"description": rule.describe(lang)}


# The most slots one answer of GET /slots carries; the default is the slot rules' own cut.
MAX_SLOT_LIMIT = 60


def _slot_question(args, errors: list) -> tuple:
    """A format, a place and a date window from the query (GET /slots, /orders/possible)."""
    fmt = args.get("format", "")
    place_id = integer(args.get("place_id"), "place_id", errors)
    earliest = a_date(args.get("from"), "from", errors)
    latest = a_date(args.get("to"), "to", errors)
    if fmt not in {f.value for f in fm.Format}:
        errors.append(DomainError("format", N_("Please choose how the talk should be given.")))
    if place_id is None:
        errors.append(DomainError("place_id", N_("Please choose the place from the list.")))
    if earliest is None or latest is None:
        errors.append(DomainError("from", N_("Please give a date window (from, to).")))
    return fmt, args.get("place_kind", ""), place_id, earliest, latest


@bp.get("/slots")
@api_public
def slots():
    args, errors = request.args, []
    fmt, kind, place_id, earliest, latest = _slot_question(args, errors)
    after = a_datetime(args["after"], "after", errors) if "after" in args else None
    limit = _slot_limit(args.get("limit"), errors)
    ValidationFailed.collect(errors)
    found, cut = _slot_page(fmt, kind, place_id, earliest, latest, after, limit, now_utc())
    response = jsonify([slot_json(s.start, s.end, s.provisional)
                        | {"notes": [gettext(n) for n in s.notes]} for s in found])
    if cut:
        last = found[-1].start
        query = {"format": fmt, "place_kind": kind, "place_id": place_id,
                 "from": last.astimezone(TZ).date().isoformat(), "to": latest.isoformat(),
                 "after": iso(last)}
        if limit is not None:
            query["limit"] = limit
        response.headers["Link"] = f'<{url_for("api.slots", **query)}>; rel="next"'
    return response


@bp.get("/orders/possible")
@api_public
def order_possible():
    """Whether an order with this format, place, topics and window can happen, and if not why
    and the next days that can (the order form's live check; ``POST /orders`` refuses the
    same orders with the same words)."""
    args, errors = request.args, []
    fmt, kind, place_id, earliest, latest = _slot_question(args, errors)
    topics = tuple(code for raw in args.getlist("topics") for code in raw.split(",") if code)
    if earliest is not None and latest is not None and latest < earliest:
        errors.append(DomainError("to", N_("The latest date must not be before the earliest date.")))
    ValidationFailed.collect(errors)
    verdict = ordering.possible(fmt, kind, place_id, topics, earliest, latest, now=now_utc(),
                                settings=edge.settings())
    lang = current_lang()
    return jsonify({
        "possible": verdict.possible,
        "reasons": [error_message(e) for e in verdict.errors],
        "next_days": [{"date": d.isoformat(), "label": long_date_label(d, lang)}
                      for d in verdict.next_days],
    })


def _slot_limit(value: str | None, errors: list) -> int | None:
    if value is None:
        return None
    limit = integer(value, "limit", errors)
    if limit is not None and not 1 <= limit <= MAX_SLOT_LIMIT:
        errors.append(DomainError("limit", N_("Choose a limit from 1 to %(max)s."),
                                  max=MAX_SLOT_LIMIT))
    return limit


def _slot_page(fmt, kind, place_id, earliest, latest, after, limit, now):
    """Up to ``limit`` slots starting after ``after``, and whether more were left out.

    The slot rules stop at their own cut (``max_slots``), so when a batch comes back full the
    next one is asked from the day of its last slot; one slot beyond the page tells a cut list
    from one that happens to end there.
    """
    settings = edge.settings()
    per_call = scheduling.slot_settings(settings).max_slots
    limit = limit or per_call
    day = earliest
    if after is not None and after.astimezone(TZ).date() <= latest:
        day = max(earliest, after.astimezone(TZ).date())
    found: list = []
    while True:
        batch = scheduling.propose_slots(fmt, kind, place_id, day, latest, now=now,
                                         settings=settings)
        fresh = [s for s in batch if after is None or s.start > after]
        found.extend(fresh)
        if len(found) > limit:
            return found[:limit], True
        if len(batch) < per_call or not fresh:
            return found, False
        after = batch[-1].start
        day = after.astimezone(TZ).date()


@bp.post("/orders")
@api_public
@placement_limits()  # per address, with the order form (per phone: ordering.place)
def place_order():
    data = body()
    once = _idempotency(data)
    if once is not None and (earlier := ordering.earlier_answer(once)) is not None:
        return jsonify(earlier.response), 201
    now = now_utc()
    order = ordering.place(order_request(data), now=now, settings=edge.settings(),
                           check_repeat=data.get("confirm_repeat") is not True, limit_phone=True)
    # From what was just stored (a new order has no session, offers or feedback): no query.
    answer = order_status_json(order)
    if once is None:
        db.session.commit()
        return jsonify(answer), 201
    ordering.remember(once, order, now=now, answer=answer)
    try:
        db.session.commit()
    except IntegrityError:  # the same key raced us and won: answer with its order
        db.session.rollback()
        earlier = ordering.earlier_answer(once)
        if earlier is None:
            raise
        return jsonify(earlier.response), 201
    return jsonify(answer), 201


IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 128


def _idempotency(data: dict) -> ordering.Once | None:
    """The ``Idempotency-Key`` header with the body's hash (canonical JSON), or None."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ValidationFailed([DomainError("idempotency_key", N_(
            "The Idempotency-Key header must be 1 to %(n)d printable characters."),
            n=MAX_IDEMPOTENCY_KEY)])
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return ordering.Once(key=f"api:{key}",
                         body_hash=hashlib.sha256(canonical.encode()).hexdigest())


def _code_and_last4(data: dict) -> tuple[str, str]:
    errors: list = []
    code = text(data, "code", errors, required=True)
    last4 = text(data, "phone_last4", errors, required=True)
    ValidationFailed.collect(errors)
    return code, last4


def _tracked(data: dict) -> Order:
    order = ordering.find_order(*_code_and_last4(data))
    if order is None:
        abort(404)
    return order


@bp.post("/orders/track")
@api_public
@track_limits()
def track():
    # The status alone (no entities): the route someone waiting asks again and again.
    order = ordering.order_status(*_code_and_last4(body()))
    if order is None:
        abort(404)
    return jsonify(order_status_json(order))


@bp.post("/orders/cancel")
@api_public
@track_limits()
def cancel():
    data = body()
    order = _tracked(data)
    ordering.cancel_order(order, now=now_utc(), reason=text(data, "reason", []))
    db.session.commit()
    return jsonify(order_status_json(order))


@bp.post("/orders/rate")
@api_public
@track_limits()
def rate():
    data = body()
    order = _tracked(data)
    errors: list = []
    rating = integer(data.get("rating"), "rating", errors)
    comment = text(data, "comment", errors)
    ValidationFailed.collect(errors)
    ordering.rate_order(order, rating, comment, now=now_utc())
    db.session.commit()
    return jsonify(order_status_json(order))


@bp.post("/requester/code")
@api_public
@requester_code_limits()  # per phone and per address, with the /track page
def requester_code():
    """Text a code that opens the phone's orders. Always 202: the answer never tells whether
    the phone has orders (only those that have get a text)."""
    data = body()
    errors: list = []
    phone = text(data, "phone", errors, required=True)
    ValidationFailed.collect(errors)
    requester_access.request_code(phone, now=now_utc(), settings=edge.settings())
    db.session.commit()
    return jsonify({"status": 202, "message": gettext(
        "If this phone has placed orders, a text with a 6-digit code is on its way. The code "
        "is valid for 10 minutes.")}), 202


@bp.post("/requester/orders")
@api_public
@requester_orders_limit()  # per address, with the /track page; tries per phone below
def requester_orders():
    """The phone's orders (newest first) for its texted code; 422 for a wrong or expired code,
    429 after too many tries."""
    data = body()
    errors: list = []
    phone = text(data, "phone", errors, required=True)
    code = text(data, "code", errors, required=True)
    ValidationFailed.collect(errors)
    tries = CodeTries.of_request()
    wait = tries.admit()
    if wait:
        minutes = max(1, -(-wait // 60))
        message = " ".join((gettext("Too many wrong codes for this phone. Please wait, then ask "
                                    "for a new code."),
                            ngettext("You can try again in %(num)s minute.",
                                     "You can try again in %(num)s minutes.", minutes)))
        response = jsonify({"error": message, "status": 429})
        response.headers["Retry-After"] = str(wait)
        return response, 429
    orders = requester_access.orders_for(phone, code, now=now_utc(), settings=edge.settings())
    tries.succeeded()
    return jsonify([order_status_json(o) for o in orders])


@bp.post("/auth/token")
@api_public
@login_address_limit()
def token():
    data = body()
    errors: list = []
    username = text(data, "username", errors, required=True)
    password = text(data, "password", errors, required=True)
    ValidationFailed.collect(errors)
    gate = AccountGate(username)  # the same per-account delay as the login page
    wait = gate.admit()
    if wait:
        return _account_wait(wait)
    user = authenticate(username, password, method=current_app.config["PASSWORD_HASH_METHOD"])
    if user is None:
        wait = gate.failed()
        message = gettext("Wrong username or password.")
        if wait:
            message = f"{message} {wait_message(wait)}"
        return jsonify({"error": message, "status": 401}), 401
    gate.succeeded()
    value = issue_token(user, now=now_utc(), days=current_app.config["API_TOKEN_DAYS"])
    db.session.commit()
    return jsonify({"token": value, "role": user.role})


def _account_wait(seconds: int):
    response = jsonify({"error": wait_message(seconds), "status": 429})
    response.headers["Retry-After"] = str(seconds)
    return response, 429


@bp.delete("/auth/token")
@api_signed_in
def revoke():
    """Sign the app out: the bearer token of this request stops working (any role)."""
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    revoke_token(token, now=now_utc())
    db.session.commit()
    return "", 204


@bp.get("/member/offers")
@api_member
def member_offers():
    offers = dispatch.open_offers_for(g.api_user.member, now=now_utc())
    return jsonify([offer_json(o) for o in offers])


@bp.post("/member/offers/<int:offer_id>/accept")
@api_member
def accept(offer_id: int):
    data = body()
    errors: list = []
    start = a_datetime(data.get("slot_start"), "slot_start", errors)
    ValidationFailed.collect(errors)
    now = now_utc()
    try:
        session = dispatch.accept_offer(offer_id, g.api_user.member, start, now=now)
    except LookupError:
        abort(404)
    db.session.commit()
    # The one phone rule the member pages follow (privacy.member_sees_phone), not "always".
    return jsonify({"session": session_json(session,
                                            full_phone=privacy.member_sees_phone(session, now))})


@bp.post("/member/offers/<int:offer_id>/decline")
@api_member
def decline(offer_id: int):
    data = body()
    try:
        offer = dispatch.decline_offer(offer_id, g.api_user.member, text(data, "reason", []),
                                       now=now_utc(), settings=edge.settings())
    except LookupError:
        abort(404)
    db.session.commit()
    return jsonify({"id": offer.id, "status": offer.status})


@bp.get("/member/sessions")
@api_member
def member_sessions():
    """Every session of mine; the requester's phone in full only where my pages show it."""
    now = now_utc()
    rows = fulfilment.member_sessions(g.api_user.member)
    return jsonify([session_json(s, full_phone=privacy.member_sees_phone(s, now)) for s in rows])


@bp.post("/member/sessions/<int:session_id>/delivery")
@api_member
def delivery(session_id: int):
    data = body()
    errors: list = []
    headcount = integer(data.get("headcount"), "headcount", errors)
    signin_count = integer(data.get("signin_count"), "signin_count", errors)
    notes = text(data, "notes", errors)
    # 群众点题: "answered" names the session's questions by their 0-based position in its
    # "questions" (or as {"id": n}); "asked" holds up to three raised on the spot.
    answered = data.get("answered", [])
    if not isinstance(answered, list) or not all(
            (isinstance(a, int) and not isinstance(a, bool))
            or (isinstance(a, dict) and set(a) == {"id"} and isinstance(a["id"], int)
                and not isinstance(a["id"], bool)) for a in answered):
        errors.append(DomainError("answered", N_(
            "Please list the answered questions by their position in “questions”.")))
        answered = []
    asked = data.get("asked", [])
    if not isinstance(asked, list) or not all(isinstance(q, str) for q in asked):
        errors.append(DomainError("asked", N_("Questions must be a list of short texts.")))
        asked = []
    ValidationFailed.collect(errors)
    try:
        session = fulfilment.member_session(session_id, g.api_user.member)
    except LookupError:
        abort(404)
    questions = fulfilment.session_questions(session)
    answered_ids = []
    for a in answered:
        if isinstance(a, dict):
            answered_ids.append(a["id"])
        elif 0 <= a < len(questions):
            answered_ids.append(questions[a].id)
        else:
            answered_ids.append(None)  # refused by the service as not one of the session's
    now = now_utc()
    fulfilment.record_delivery(session, g.api_user.member, headcount, notes, now=now,
                               signin_count=signin_count, answered=answered_ids, asked=asked)
    db.session.commit()
    # Delivered: the requester's phone is no longer the member's to see (privacy rule).
    return jsonify(session_json(session, full_phone=privacy.member_sees_phone(session, now)))


@bp.get("/members")
@api_coordinator
def members():
    rows = db.session.scalars(select(Member).order_by(Member.id).options(
        selectinload(Member.specialties), selectinload(Member.vice_principal_of),
        selectinload(Member.home_township), selectinload(Member.leaves))).all()
    return jsonify([
        {"id": m.id, "name": m.name, "unit": m.unit, "police_type": m.police_type,
         "active": m.active, "specialties": [t.code for t in m.specialties],
         "formats": list(m.formats or ()), "languages": list(m.languages or ()),
         "kit_qualified": m.kit_qualified,
         "home_township": None if m.home_township is None else
         {"id": m.home_township.id, "name": m.home_township.name},
         "vice_principal_of": [{"id": s.id, "name": s.name} for s in m.vice_principal_of],
         "caps": {"daily": m.daily_cap, "weekly": m.weekly_cap},
         "leave": [{"start": lv.start.isoformat(), "end": lv.end.isoformat(), "reason": lv.reason}
                   for lv in m.leaves]}
        for m in rows
    ])


@bp.get("/orders/<code>/candidates")
@api_coordinator
def candidates(code: str):
    from ...domain.matching import REASONS

    order = db.session.scalar(select(Order).where(Order.code == code.upper()))
    if order is None:
        abort(404)
    ranking, slots = dispatch.candidates_for(order, now=now_utc(), settings=edge.settings())
    names = dict(db.session.execute(select(Member.id, Member.name)).all())
    return jsonify({
        "code": order.code,
        "slots": [slot_json(s.start, s.end) for s in slots],
        "candidates": [
            {"member_id": c.member_id, "name": names.get(c.member_id), "score": round(c.score, 3),
             "parts": [part_json(p) for p in c.parts],
             "free_slots": [slot_json(s, e) for s, e in c.free_slots],
             "helpers": list(c.helpers)}
            for c in ranking.candidates
        ],
        "excluded": [
            {"member_id": x.member_id, "name": names.get(x.member_id), "reasons": list(x.reasons),
             "messages": [gettext(REASONS[r]) for r in x.reasons if r in REASONS]}
            for x in ranking.excluded
        ],
    })


# ------------------------------------------------------------------ calendar feed (coordinators)

from ...services import calendar_view  # noqa: E402


def calendar_session_json(s) -> dict:
    """One session of the JSON calendar feed (no requester data: a calendar needs none)."""
    return {
        "id": s.id, "start": iso(s.start), "end": iso(s.end), "status": s.status,
        "format": s.format, "venue": s.venue,
        "township": None if s.township is None else {"id": s.township.id, "name": s.township.name},
        "member": {"id": s.lead_member.id, "name": s.lead_member.name},
        "kit": None if s.kit is None else {"id": s.kit.id, "name": s.kit.name},
        "order_code": None if s.order is None else s.order.code,
        "topics": [] if s.order is None else [t.code for t in s.order.topics],
    }


@bp.get("/sessions")
@api_coordinator
def sessions():
    errors: list = []
    first = a_date(request.args.get("from"), "from", errors)
    last = a_date(request.args.get("to"), "to", errors)
    ValidationFailed.collect(errors)
    rows = calendar_view.sessions_between(first, last)
    return jsonify([calendar_session_json(s) for s in rows])
