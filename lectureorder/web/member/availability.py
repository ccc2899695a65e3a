"""A member's own leave: list, add (overlapping leave is merged) and delete."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from ...domain.errors import Conflict, DomainError, ValidationFailed
from ...extensions import db
from ...services import team
from ...services.clock import now_utc
from ..access import member_required
from ..forms import LeaveForm, apply_errors
from ..leave import RemoveLeaveForm, leave_saved
from . import bp


@bp.route("/availability", methods=["GET", "POST"])
@member_required
def availability():
    member = current_user.member
    now = now_utc()
    form = LeaveForm()
    if form.validate_on_submit():
        start, end = form.period()
        try:
            result = team.add_leave(member, start, end, form.reason.data or "", now=now,
                                    actor=current_user)
        except (DomainError, ValidationFailed) as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            leave_saved(result)
            return redirect(url_for(".availability"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("member/availability.html", member=member, form=form,
                           leaves=team.current_leave(member, now=now),
                           remove_form=RemoveLeaveForm()), status


@bp.post("/availability/<int:leave_id>/delete")
@member_required
def delete_leave(leave_id: int):
    member = current_user.member
    try:
        team.member_leave(member, leave_id)  # someone else's leave is "not found"
    except LookupError:
        abort(404)
    if not RemoveLeaveForm().validate_on_submit():
        abort(400)
    try:
        team.delete_leave(member, leave_id, now=now_utc(), actor=current_user)
    except Conflict as exc:
        db.session.rollback()
        flash(gettext(exc.reason, **exc.params), "error")
    else:
        db.session.commit()
        flash(gettext("The leave has been deleted."), "success")
    return redirect(url_for(".availability"))
