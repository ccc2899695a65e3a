"""Member views: inbox, accept/decline, my sessions, record delivery."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ...extensions import db
from ...models import Offer, SessionStatus
from ...services import dispatch, fulfilment, privacy
from ...services.clock import local_today, now_utc
from .. import edge
from ..access import member_required
from ..errors import domain_errors
from ..templating import slot_label
from . import bp
from .forms import AcceptForm, DeclineForm, DeliveryForm


def _accept_form(offer: Offer) -> AcceptForm:
    form = AcceptForm(prefix=f"o{offer.id}")
    form.slot_start.choices = [(s.isoformat(), slot_label(s, e)) for s, e in offer.slot_times]
    return form


# The field view lists this many sessions after today's; the rest fold away (the schedule has all).
NEXT_SHOWN = 3


def map_link(place) -> str | None:
    """A geo: URI (RFC 5870) for a village, school or market with coordinates; phones open
    their map app on it, with the place's name on the pin."""
    if place is None or place.lat is None or place.lon is None:
        return None
    at = f"{round(place.lat, 6)},{round(place.lon, 6)}"
    return f"geo:{at}?q={at}({quote(place.name)})"


@bp.get("/")
@member_required
def index():
    member = current_user.member
    now = now_utc()
    offers = dispatch.open_offers_for(member, now=now)
    # Sessions up to two weeks old still show, so a missed delivery record is not forgotten;
    # the scheduled ones show their requester's phone (privacy.member_sees_phone, the API's rule).
    sessions = fulfilment.member_sessions(member, since=privacy.member_contact_since(now))
    today = local_today(now)
    scheduled = [s for s in sessions if s.status == SessionStatus.SCHEDULED]
    later = [s for s in scheduled if local_today(s.start) > today]
    return render_template(
        "member/index.html", member=member, offers=offers, now=now, map_link=map_link,
        forms={o.id: _accept_form(o) for o in offers},
        rivals={o.id: dispatch.rivals(o) for o in offers},
        # In the field: today's sessions first (a started one offers its delivery record), then
        # the next few; older ones still waiting for their record; then the new offers.
        today=[s for s in scheduled if local_today(s.start) == today],
        upcoming=later[:NEXT_SHOWN], more_upcoming=later[NEXT_SHOWN:],
        to_record=[s for s in scheduled if local_today(s.start) < today],
        delivered=[s for s in sessions if s.status == SessionStatus.DELIVERED],
    )


def own_session(session_id: int):
    """A session the current member leads or helps at; anyone else's is "not found"."""
    try:
        return fulfilment.member_session(session_id, current_user.member)
    except LookupError:
        abort(404)


def _own_offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.member_id != current_user.member.id:
        abort(404)
    return offer


@bp.post("/offers/<int:offer_id>/accept")
@member_required
def accept(offer_id: int):
    offer = _own_offer(offer_id)
    form = _accept_form(offer)
    if not form.validate_on_submit():
        for message in form.slot_start.errors:
            flash(message, "error")
        return redirect(url_for(".index"))
    with domain_errors():
        session = dispatch.accept_offer(offer.id, current_user.member,
                                        datetime.fromisoformat(form.slot_start.data), now=now_utc())
        db.session.commit()
        flash(gettext("Accepted. The session is on your schedule: %(when)s.",
                      when=slot_label(session.start, session.end)), "success")
    return redirect(url_for(".index"))


@bp.route("/offers/<int:offer_id>/decline", methods=["GET", "POST"])
@member_required
def decline(offer_id: int):
    offer = _own_offer(offer_id)
    form = DeclineForm()
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            dispatch.decline_offer(offer.id, current_user.member, form.reason_text(),
                                   now=now_utc(), settings=edge.settings())
            db.session.commit()
            flash(gettext("Declined. The order goes to the next team member."), "info")
            return redirect(url_for(".index"))
        if errors.conflict:
            return redirect(url_for(".index"))
    return render_template("member/decline.html", offer=offer, form=form), errors.status


@bp.route("/sessions/<int:session_id>/delivery", methods=["GET", "POST"])
@member_required
def delivery(session_id: int):
    session = own_session(session_id)
    if session.status == SessionStatus.DELIVERED and request.method == "GET":
        return redirect(url_for(".evidence", session_id=session.id))  # photos, sign-ins
    form = DeliveryForm()
    form.offer_questions(fulfilment.session_questions(session))
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            fulfilment.record_delivery(session, current_user.member, form.headcount.data,
                                       form.notes.data or "", now=now_utc(),
                                       signin_count=form.signin_count.data,
                                       photos=uploads(form.photos), policy=edge.photo_policy(),
                                       answered=form.answered.data or [],
                                       asked=form.asked_texts())
            db.session.commit()
            flash(gettext("Delivery recorded. Thank you!"), "success")
            return redirect(url_for(".index"))
        if errors.conflict:
            return redirect(url_for(".index"))
    return render_template("member/delivery.html", session=session, form=form), errors.status


from . import availability  # noqa: E402,F401  (its routes register on bp too)
from .evidence import uploads  # noqa: E402  (its routes register on bp too)
