"""Coordinator views: order list and detail, assign, re-dispatch, cancel, sessions, 代下单."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta, gettext, ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import raiseload, selectinload

from ...domain import formats as fm
from ...domain.errors import Conflict, RepeatOrder
from ...domain.lifecycle import OrderStatus
from ...extensions import db
from ...models import LectureSession, Member, Offer, Order, SessionStatus, Topic, Township
from ...services import dispatch, ordering, scheduling
from ...services.clock import local_today, now_utc
from ...services.unit import CHANGED, flush_or_conflict
from .. import edge, order_form
from ..access import coordinator_required
from ..errors import domain_errors
from ..forms import StaffOrderForm
from ..templating import slot_label, status_label
from . import bp
from .forms import ActionForm, AssignForm, CancelOrderForm, MoveForm, RainForm

PER_PAGE = 30


def _order_or_404(code: str) -> Order:
    order = db.session.scalar(select(Order).where(Order.code == code.upper()))
    if order is None:
        abort(404)
    return order


@bp.get("/")
@coordinator_required
def index():
    args = request.args
    stmt = select(Order).options(
        selectinload(Order.topics), selectinload(Order.township),
        selectinload(Order.lecture_session).selectinload(LectureSession.lead_member),
        raiseload("*"),
    ).order_by(Order.created_at.desc(), Order.id.desc())
    status = args.get("status", "")
    if status in {s.value for s in OrderStatus}:
        stmt = stmt.where(Order.status == status)
    township = args.get("township", type=int)
    if township:
        stmt = stmt.where(Order.township_id == township)
    fmt = args.get("format", "")
    if fmt in {f.value for f in fm.Format}:
        stmt = stmt.where(Order.format == fmt)
    topic = args.get("topic", "")
    if topic:
        stmt = stmt.where(Order.topics.any(Topic.code == topic))
    q = (args.get("q") or "").strip().upper()
    if q:
        stmt = stmt.where(Order.code.contains(q[:12]))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    counts = dict(db.session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    # Orders placed but not yet offered by the dispatch pass: how many, and since when.
    waiting, oldest = db.session.execute(
        select(func.count(), func.min(Order.created_at)).where(Order.status == OrderStatus.SUBMITTED)
    ).one()
    waiting_for = format_timedelta(max(now_utc() - oldest, timedelta(0))) if oldest else ""
    return render_template(
        "coord/index.html", page=page, counts=counts, statuses=list(OrderStatus),
        waiting=waiting, waiting_for=waiting_for,
        townships=db.session.scalars(select(Township).order_by(Township.position)).all(),
        topics=ordering.active_topics(), formats=list(fm.Format), args=args,
        filters={k: v for k, v in args.items() if k != "page" and v},
    )


@bp.get("/orders/<code>")
@coordinator_required
def order(code: str):
    item = _order_or_404(code)
    now = now_utc()
    ranking, slots = dispatch.candidates_for(item, now=now, settings=edge.settings())
    members = {m.id: m for m in db.session.scalars(select(Member).order_by(Member.id))}
    form = AssignForm()
    form.member.choices = [(c.member_id, f"{members[c.member_id].name} ({c.score:.1f})")
                           for c in ranking.candidates] + [
        (m.id, m.name) for m in members.values()
        if m.active and m.id not in {c.member_id for c in ranking.candidates}]
    form.slot_start.choices = [(s.start.isoformat(), slot_label(s.start, s.end)) for s in slots]
    move_form = None
    session = item.lecture_session
    reassign = item.status == OrderStatus.SCHEDULED and session is not None
    if reassign:
        # 改派 starts from who gives it now: the coordinator picks someone else on purpose,
        # never the top candidate by a slip of the button.
        form.member.data = session.lead_member_id
        if session.lead_member_id not in {value for value, _ in form.member.choices}:
            form.member.choices.insert(0, (session.lead_member_id, session.lead_member.name))
        move_form = MoveForm()
        earliest, latest = scheduling.reschedule_window(session, now=now)
        move_form.slot_start.choices = [
            (s.start.isoformat(), slot_label(s.start, s.end))
            for s in scheduling.free_slots_for_session(session, earliest, latest, now=now,
                                                       settings=edge.settings())
            if s.start != session.start
        ]
    return render_template(
        "coord/order.html", order=item, ranking=ranking, members=members, slots=slots,
        assign_form=form, cancel_form=CancelOrderForm(), action_form=ActionForm(), now=now,
        move_form=move_form, reassign=reassign,
    )


# ------------------------------------------------------------------ confirm before changing
# Cancel, re-assign, move and the rain call-off are shown before they are made, without
# JavaScript: the first POST rehearses the change (the same service, then a rollback: nothing
# is stored) and renders what it would do; the second carries `confirm` and `seen`, the state
# the coordinator saw. Anything changed meanwhile makes `seen` stale and the change is refused.

def _seen(order: Order) -> str:
    """The order's state as shown: its row version and its session's."""
    session = order.lecture_session
    return (f"{order.version}.{session.id}.{session.version}" if session is not None
            else str(order.version))


def _plan_seen(plan: list) -> str:
    """A rain plan as shown: each screening's version and the evening proposed for it."""
    text = ";".join(f"{s.id}.{s.version}.{slot.start.isoformat() if slot else '-'}"
                    for s, slot in plan)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _check_seen(form, current: str) -> None:
    if form.seen.data != current:
        raise Conflict(None, CHANGED)


def _rehearse(change: Callable[[], Any]) -> Any | None:
    """Make the change to see that it can be made and what it does, then undo it. The
    service's own refusal (flashed) comes back as None; otherwise what `change` returned."""
    errors = domain_errors()
    shown = None
    with errors:
        shown = change()
        flush_or_conflict()
    db.session.rollback()
    return None if errors.failed else shown


def _confirm_page(form, *, seen: str, title: str, changes: list, notes: list[str],
                  action: str, keep: list[tuple[str, str]], button: str, back: str,
                  order: Order | None = None):
    form.confirm.data, form.seen.data = "1", seen
    return render_template("coord/confirm.html", form=form, title=title, changes=changes,
                           notes=notes, action=action, keep=keep, button=button, back=back,
                           order=order)


def _parse_start(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.post("/orders/<code>/move")
@coordinator_required
def move(code: str):
    item = _order_or_404(code)
    session = item.lecture_session
    if session is None:
        abort(404)
    form = MoveForm()
    form.slot_start.choices = [(v, v) for v in request.form.getlist("slot_start")]
    if not form.validate_on_submit():
        flash(gettext("Please choose one of the proposed times."), "error")
        return redirect(url_for(".order", code=item.code))
    start, reason = _parse_start(form.slot_start.data), form.reason.data or ""
    if not form.confirmed:
        seen = _seen(item)
        before = slot_label(session.start, session.end)
        member = session.lead_member.name

        def change() -> str:
            scheduling.reschedule_session(session, start, now=now_utc(), actor=current_user,
                                          reason=reason, settings=edge.settings())
            return slot_label(session.start, session.end)

        after = _rehearse(change)
        if after is None:
            return redirect(url_for(".order", code=item.code))
        return _confirm_page(
            form, seen=seen, order=item, title=gettext("Move the session?"),
            changes=[(gettext("Team member"), member, None), (gettext("Time"), before, after)]
            + ([(gettext("Reason"), reason, None)] if reason else []),
            notes=[gettext("The member and the requester are told about the new time.")],
            action=url_for(".move", code=item.code),
            keep=[("slot_start", form.slot_start.data), ("reason", reason)],
            button=gettext("Yes, move it"), back=url_for(".order", code=item.code))
    with domain_errors():
        _check_seen(form, _seen(item))
        scheduling.reschedule_session(session, start, now=now_utc(),
                                      actor=current_user, reason=reason,
                                      settings=edge.settings())
        flush_or_conflict()
        db.session.commit()
        flash(gettext("Moved to %(when)s. The member and the requester are told.",
                      when=slot_label(session.start, session.end)), "success")
    return redirect(url_for(".order", code=item.code))


@bp.route("/rain", methods=["GET", "POST"])
@coordinator_required
def rain():
    """Weather: call off an evening's screenings and move each to its next valid evening."""
    form = RainForm()
    errors = domain_errors(form)
    now = now_utc()
    if request.method == "GET" and not form.day.data:
        form.day.data = local_today(now)
    if request.method == "POST":
        if form.validate_on_submit() and not form.confirmed:
            # The confirmation step: the same plan, asked once more; nothing is stored.
            plan = scheduling.rain_plan(form.day.data, now=now, settings=edge.settings())
            form.confirm.data, form.seen.data = "1", _plan_seen(plan)
            return render_template("coord/rain.html", form=form, plan=plan, confirming=True)
        if form.validate_on_submit():
            with errors:
                _check_seen(form, _plan_seen(scheduling.rain_plan(form.day.data, now=now,
                                                                  settings=edge.settings())))
                moved = scheduling.rain_out(form.day.data, now=now, actor=current_user,
                                            settings=edge.settings())
                flush_or_conflict()
                db.session.commit()
                flash(gettext("%(moved)d screening(s) moved, %(left)d back to the coordinator.",
                              moved=sum(1 for _, slot in moved if slot), left=sum(1 for _, slot in moved if not slot)),
                      "success")
                return redirect(url_for(".rain", day=form.day.data.isoformat()))
        if errors.conflict:  # the evening changed since it was shown: show it again
            return redirect(url_for(".rain", day=form.day.data.isoformat()))
        return render_template("coord/rain.html", form=form, plan=[]), errors.status
    day = request.args.get("day")
    if day:
        form.day.data = _parse_day(day) or form.day.data
    plan = (scheduling.rain_plan(form.day.data, now=now, settings=edge.settings())
            if form.day.data else [])
    return render_template("coord/rain.html", form=form, plan=plan)


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@bp.post("/orders/<code>/assign")
@coordinator_required
def assign(code: str):
    item = _order_or_404(code)
    form = AssignForm()
    form.member.choices = [(m.id, m.name) for m in db.session.scalars(select(Member))]
    form.slot_start.choices = [(v, v) for v in request.form.getlist("slot_start")]
    if not form.validate_on_submit():
        flash(gettext("Please choose a team member."), "error")
        return redirect(url_for(".order", code=item.code))
    member = db.session.get(Member, form.member.data)
    start = _parse_start(form.slot_start.data)
    session = item.lecture_session
    if item.status == OrderStatus.SCHEDULED and session is not None and not form.confirmed:
        seen = _seen(item)
        before, when = session.lead_member.name, slot_label(session.start, session.end)

        def change() -> str:
            dispatch.assign(item, member, start, now=now_utc(), actor=current_user,
                            settings=edge.settings())
            return member.name

        after = _rehearse(change)
        if after is None:
            return redirect(url_for(".order", code=item.code))
        return _confirm_page(
            form, seen=seen, order=item, title=gettext("Re-assign the session?"),
            changes=[(gettext("Team member"), before, after), (gettext("Time"), when, None)],
            notes=[], action=url_for(".assign", code=item.code),
            keep=[("member", str(member.id)), ("slot_start", form.slot_start.data or "")],
            button=gettext("Yes, re-assign"), back=url_for(".order", code=item.code))
    with domain_errors():
        if form.confirmed:
            _check_seen(form, _seen(item))
        dispatch.assign(item, member, start, now=now_utc(),
                        actor=current_user, settings=edge.settings())
        db.session.commit()
        if form.confirmed:
            flash(gettext("Re-assigned to %(name)s.", name=member.name), "success")
        else:
            flash(gettext("Assigned to %(name)s.", name=member.name), "success")
    return redirect(url_for(".order", code=item.code))


@bp.post("/orders/<code>/dispatch")
@coordinator_required
def redispatch(code: str):
    item = _order_or_404(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    with domain_errors():
        offers = dispatch.reoffer(item, now=now_utc(), actor=current_user,
                                  settings=edge.settings())
        db.session.commit()
        if offers:
            flash(gettext("Offered again."), "success")
        else:
            flash(gettext("Still nobody can take it; please assign by hand."), "error")
    return redirect(url_for(".order", code=item.code))


@bp.post("/orders/<code>/cancel")
@coordinator_required
def cancel(code: str):
    item = _order_or_404(code)
    form = CancelOrderForm()
    if not form.validate_on_submit():
        flash(gettext("Please give a reason."), "error")
        return redirect(url_for(".order", code=item.code))
    reason = form.reason.data
    if not form.confirmed:
        seen = _seen(item)
        status = item.status
        session = item.lecture_session
        called_off = (slot_label(session.start, session.end), session.lead_member.name) \
            if session is not None and session.status == SessionStatus.SCHEDULED else None
        open_offers = sum(1 for o in item.offers if o.status == "open")

        def change() -> bool:
            ordering.cancel_order(item, now=now_utc(), actor=current_user, reason=reason)
            return True

        if _rehearse(change) is None:
            return redirect(url_for(".order", code=item.code))
        changes = [(gettext("Status"), status_label(status), status_label("cancelled"))]
        notes = []
        if called_off:
            changes.append((gettext("Session called off"),
                            f"{called_off[0]} · {called_off[1]}", None))
            notes.append(gettext("The team member is told that the session is called off."))
        if open_offers:
            notes.append(ngettext("%(num)d open offer is withdrawn.",
                                  "%(num)d open offers are withdrawn.", open_offers))
        changes.append((gettext("Reason"), reason, None))
        return _confirm_page(
            form, seen=seen, order=item, title=gettext("Cancel order %(code)s?", code=item.code),
            changes=changes, notes=notes, action=url_for(".cancel", code=item.code),
            keep=[("reason", reason)], button=gettext("Yes, cancel the order"),
            back=url_for(".order", code=item.code))
    with domain_errors():
        _check_seen(form, _seen(item))
        ordering.cancel_order(item, now=now_utc(), actor=current_user, reason=reason)
        db.session.commit()
        flash(gettext("The order has been cancelled."), "success")
    return redirect(url_for(".order", code=item.code))


@bp.get("/sessions")
@coordinator_required
def sessions():
    now = now_utc()
    days = min(max(request.args.get("days", 14, type=int), 1), 92)
    rows = db.session.scalars(
        select(LectureSession).where(
            LectureSession.start >= now - timedelta(hours=12),
            LectureSession.start < now + timedelta(days=days),
            LectureSession.status != SessionStatus.CANCELLED,
        ).order_by(LectureSession.start).options(
            selectinload(LectureSession.lead_member), selectinload(LectureSession.township),
            selectinload(LectureSession.kit),
            selectinload(LectureSession.order).selectinload(Order.topics),
            raiseload("*"),
        )
    ).all()
    return render_template("coord/sessions.html", sessions=rows, days=days)


@bp.route("/orders/new", methods=["GET", "POST"])
@coordinator_required
def new_order():
    form = StaffOrderForm()
    topics = ordering.active_topics()
    form.fill_choices(topics)
    errors = domain_errors(form)
    form.issue_once()
    if form.validate_on_submit():
        code = order_form.submit(form, errors, channel=form.channel.data, staff=True)
        if code is not None:
            flash(gettext("Order %(code)s placed. Read the code to the caller.", code=code),
                  "success")
            return redirect(url_for(".order", code=code))
    return render_template("coord/new_order.html", form=form,
                           repeat=isinstance(errors.error, RepeatOrder)), errors.status


@bp.get("/offers")
@coordinator_required
def offers():
    rows = db.session.scalars(
        select(Offer).where(Offer.status == "open").order_by(Offer.expires_at)
        .options(selectinload(Offer.order), selectinload(Offer.member), raiseload("*"))
    ).all()
    return render_template("coord/offers.html", offers=rows, now=now_utc())
