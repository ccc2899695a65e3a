"""Public views: menu, order form, confirmation, tracking, language switch, health."""

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
from flask_babel import gettext
from sqlalchemy import select, text

from ...domain.errors import RepeatOrder
from ...extensions import db
from ...models import Order, Topic
from ...services import ordering
from ...services.clock import local_today, now_utc
from .. import order_form
from ..access import public
from ..errors import domain_errors
from ..i18n import LANG_COOKIE
from ..limits import track_limits
from ..safety import safe_next
from . import bp
from .forms import CancelForm, PublicOrderForm, RateForm, TrackForm

TRACK_KEY = "tracked_order"
PLACED_KEY = "placed_order"


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
    return render_template("public/topic.html", topic=item)


@bp.route("/orders/new", methods=["GET", "POST"])
@public
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
        order = order_form.submit(form, errors, channel=form.public_channel())
        if order is not None:
            session[PLACED_KEY] = order.code
            session[TRACK_KEY] = order.code
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
    return render_template("public/placed.html", order=order)


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
                           rate_form=RateForm())


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
