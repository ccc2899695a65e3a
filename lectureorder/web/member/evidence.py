"""Member views for delivery evidence: photos and the sign-in count of a delivered session."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from ...extensions import db
from ...models import SessionStatus
from ...services import evidence as evidence_service
from ...services.clock import now_utc
from .. import edge
from ..access import member_required
from ..errors import domain_errors
from ..photos import send_photo
from . import bp
from .forms import EvidenceForm, RemovePhotoForm


def uploads(field) -> list:
    """The chosen files' streams; an empty file input sends one part without a name: skip it."""
    return [f.stream for f in (field.data or []) if f and getattr(f, "filename", "")]


@bp.route("/sessions/<int:session_id>/evidence", methods=["GET", "POST"])
@member_required
def evidence(session_id: int):
    from .routes import own_session  # routes imports this module at its end

    session = own_session(session_id)
    if session.status != SessionStatus.DELIVERED:
        flash(gettext("Record the delivery first; then photos can be added."), "info")
        return redirect(url_for(".delivery", session_id=session.id))
    form = EvidenceForm()
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            added = evidence_service.record_evidence(
                session, current_user.member, form.signin_count.data, uploads(form.photos),
                now=now_utc(), policy=edge.photo_policy())
            db.session.commit()
            flash(ngettext("Saved; %(num)d photo added.", "Saved; %(num)d photos added.",
                           len(added)) if added else gettext("Saved."), "success")
            return redirect(url_for(".evidence", session_id=session.id))
    elif not form.is_submitted():
        form.signin_count.data = session.signin_count
    return render_template("member/evidence.html", session=session, form=form,
                           remove_form=RemovePhotoForm(), member=current_user.member), errors.status


@bp.get("/photos/<int:photo_id>")
@member_required
def photo(photo_id: int):
    try:
        item = evidence_service.member_photo(photo_id, current_user.member)
    except LookupError:
        abort(404)
    return send_photo(item)


@bp.post("/photos/<int:photo_id>/remove")
@member_required
def remove_photo(photo_id: int):
    try:
        item = evidence_service.member_photo(photo_id, current_user.member)
    except LookupError:
        abort(404)
    session_id = item.session_id
    if not RemovePhotoForm().validate_on_submit():
        abort(400)
    with domain_errors():
        evidence_service.remove_photo(item, current_user.member, policy=edge.photo_policy())
        db.session.commit()
        flash(gettext("The photo has been removed."), "success")
    return redirect(url_for(".evidence", session_id=session_id))
