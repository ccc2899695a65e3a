"""Public views: menu, order form, confirmation, tracking (by code, by phone, by the rating
link), language switch, health."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from sqlalchemy import select, text

from ...domain.contact import mask_phone, normalise_phone
from ...domain.errors import DomainError, RepeatOrder
from ...domain.requester_code import LinkRefused
from ...extensions import db
from ...models import Order, SessionStatus, Topic
from ...services import ordering, requester_access
from ...services.clock import local_today, now_utc
from .. import edge, order_form
from ..access import public
from ..errors import domain_errors, error_response
from ..feeds import ical
from ..i18n import LANG_COOKIE
from ..limits import (
    CodeTries,
    placement_limits,
    requester_code_limits,
    requester_orders_limit,
    track_limits,
)
from ..safety import safe_next
from . import bp
from .forms import CancelForm, PublicOrderForm, RateForm, TrackForm
from .phone_forms import OpenOrderForm, PhoneCodeForm, PhoneForm

TRACK_KEY = "tracked_order"
PLACED_KEY = "placed_order"
MINE_KEY = "my_orders"  # the order codes a texted code opened in this session (never the phone)


@bp.get("/")
@public
def menu():
    return render_template("public/menu.html", topics=ordering.active_topics())


@bp.get("/menu/<topic_code>")
@public
def topic(topic_code: str):
    item = db.session.scalar(select(Topic).where(Topic.code == topic_code, Topic.active.is_(True)))
    if item is None:
        abort(404)
    from ...services.questions import published_for_topic

    # 大家常问: only what a coordinator approved, as text and answer (never who, where, when).
    return render_template("public/topic.html", topic=item, questions=published_for_topic(item))


@bp.route("/orders/new", methods=["GET", "POST"])
@public
@placement_limits(methods=["POST"])  # per address, with the API (per phone: ordering.place)
def new_order():
    form = PublicOrderForm()
    topics = ordering.active_topics()
    form.fill_choices(topics)
    errors = domain_errors(form)
    if request.method == "GET":
        wanted = request.args.get("topic")
        if wanted in {t.code for t in topics}:
            form.topics.data = [wanted]
        form.preset(request.args)  # ?place=village:12&channel=qr (a QR poster's link)
        today = local_today(now_utc())
        form.earliest.data = form.earliest.data or today
    form.issue_once()
    if form.validate_on_submit():
        code = order_form.submit(form, errors, channel=form.public_channel())
        if code is not None:
            session[PLACED_KEY] = code
            session[TRACK_KEY] = code
            return redirect(url_for(".placed"))
    return render_template("public/new_order.html", form=form, topics=topics,
                           repeat=isinstance(errors.error, RepeatOrder)), errors.status


@bp.get("/orders/placed")
@public
def placed():
    code = session.get(PLACED_KEY)
    order = db.session.scalar(select(Order).where(Order.code == code)) if code else None
    if order is None:
        return redirect(url_for(".menu"))
    return render_template("public/placed.html", order=order, first_day=_first_day(order))


def _first_day(order: Order):
    return ordering.first_possible_day(order, now=now_utc(), settings=edge.settings())


def _tracked_order() -> Order | None:
    code = session.get(TRACK_KEY)
    return db.session.scalar(select(Order).where(Order.code == code)) if code else None


@bp.route("/track", methods=["GET", "POST"])
@public
@track_limits(methods=["POST"])  # one bucket per code and per address with the API
def track():
    form = TrackForm()
    if form.validate_on_submit():
        order = ordering.find_order(form.code.data, form.phone_last4.data)
        if order is None:
            form.form_errors.append(gettext("Not found. Please check the order code and the last 4 digits."))
            return render_template("public/track.html", form=form), 404
        session[TRACK_KEY] = order.code
        return redirect(url_for(".track"))
    if request.method == "POST":
        return render_template("public/track.html", form=form), 422
    order = _tracked_order()
    if order is None or request.args.get("other"):
        session.pop(TRACK_KEY, None)
        return render_template("public/track.html", form=form)
    return render_template("public/track_status.html", order=order, cancel_form=CancelForm(),
                           rate_form=RateForm(), first_day=_first_day(order))


@bp.get("/track/calendar.ics")
@public
def track_calendar():
    """The tracked order's talk for the requester's own calendar app, once it is scheduled."""
    order = _tracked_order()
    session_ = order.lecture_session if order is not None else None
    if session_ is None or session_.status != SessionStatus.SCHEDULED:
        abort(404)
    body = ical.render_sessions(gettext("Police lecture team"), [session_],
                                scope=ical.REQUESTER, now=now_utc())
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="talk-{order.code}.ics"'
    return response


@bp.post("/track/cancel")
@public
def cancel():
    order = _tracked_order()
    if order is None:
        return redirect(url_for(".track"))
    form = CancelForm()
    if form.validate_on_submit():
        with domain_errors():
            ordering.cancel_order(order, now=now_utc(), reason=form.reason.data or "")
            db.session.commit()
            flash(gettext("Your order has been cancelled."), "success")
    return redirect(url_for(".track"))


@bp.post("/track/rate")
@public
def rate():
    order = _tracked_order()
    if order is None:
        return redirect(url_for(".track"))
    form = RateForm()
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            ordering.rate_order(order, form.rating.data, form.comment.data or "", now=now_utc())
            db.session.commit()
            flash(gettext("Thank you for your rating!"), "success")
            return redirect(url_for(".track"))
        if errors.conflict:
            return redirect(url_for(".track"))
    return render_template("public/track_status.html", order=order, cancel_form=CancelForm(),
                           rate_form=form), errors.status


# --- my orders by phone: a texted code opens every order of the phone ------------------------

@bp.route("/track/phone", methods=["GET", "POST"])
@public
@requester_code_limits(methods=["POST"])  # one bucket per phone and per address with the API
def phone_code():
    """Ask for a code by text. The answer is the same whether or not the phone has orders."""
    form = PhoneForm()
    if request.method == "GET":
        return render_template("public/phone.html", form=form)
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            phone = requester_access.request_code(form.phone.data, now=now_utc(),
                                                  settings=edge.settings())
            db.session.commit()
            code_form = PhoneCodeForm(formdata=None, phone=phone)
            return render_template("public/phone_code.html", form=code_form,
                                   masked=mask_phone(phone))
    return render_template("public/phone.html", form=form), 422


@bp.post("/track/phone/code")
@public
@requester_orders_limit(methods=["POST"])  # per address, with the API; tries per phone below
def phone_orders():
    """Check the texted code; the phone's order codes go into the session, then the list."""
    form = PhoneCodeForm()
    if not form.validate_on_submit():
        return _code_page(form), 422
    tries = CodeTries.of_request()
    wait = tries.admit()
    if wait:
        return _too_many_tries(wait)
    errors = domain_errors(form)
    with errors:
        orders = requester_access.orders_for(form.phone.data, form.code.data, now=now_utc(),
                                             settings=edge.settings())
        tries.succeeded()
        session[MINE_KEY] = [o.code for o in orders]
        return redirect(url_for(".mine"))
    return _code_page(form), 422


def _code_page(form: PhoneCodeForm) -> str:
    try:
        masked = mask_phone(normalise_phone(form.phone.data or ""))
    except DomainError:  # a changed hidden field: show nothing of it
        masked = ""
    return render_template("public/phone_code.html", form=form, masked=masked)


def _too_many_tries(seconds: int):
    minutes = max(1, -(-seconds // 60))
    wait = ngettext("You can try again in %(num)s minute.",
                    "You can try again in %(num)s minutes.", minutes)
    body = render_template("errors/429.html", code=429, wait=wait, message=gettext(
        "Too many wrong codes for this phone. Please wait, then ask for a new code."))
    return body, 429, {"Retry-After": str(seconds)}


@bp.get("/track/mine")
@public
def mine():
    """The orders a texted code opened in this session: status, time, and a button to open
    each on /track (cancel and rate there)."""
    codes = session.get(MINE_KEY)
    if codes is None:
        return redirect(url_for(".phone_code"))
    return render_template("public/mine.html", orders=requester_access.orders_by_code(codes))


@bp.post("/track/mine/open")
@public
def open_mine():
    """Open one of the listed orders on /track: only a code verified in this session."""
    form = OpenOrderForm()
    code = form.code.data if form.validate_on_submit() else None
    if not code or code not in (session.get(MINE_KEY) or ()):
        return error_response(404)
    session[TRACK_KEY] = code
    return redirect(url_for(".track"))


@bp.get("/r/<token>")
@public
def rate_link(token: str):
    """The rating text's signed single-order link (30 days): opens that order on /track."""
    try:
        order = requester_access.order_for_link(token, now=now_utc(), settings=edge.settings())
    except LinkRefused as exc:
        if exc.expired:
            return error_response(410, gettext(
                "This link has expired. Please look up your order with its code and the last "
                "4 digits of your phone."))
        return error_response(400, gettext(
            "This link is not valid. Please look up your order with its code and the last 4 "
            "digits of your phone."))
    session[TRACK_KEY] = order.code
    return redirect(url_for(".track"))


@bp.get("/lang/<code>")
@public
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = make_response(redirect(safe_next(request.args.get("next"), url_for(".menu"))))
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
