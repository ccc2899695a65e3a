"""A member's own leave: list, add (overlapping leave is merged) and delete."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from ...domain.errors import DomainError, ValidationFailed
from ...extensions import db
from ...services import team
from ...services.clock import now_utc
from ..access import member_required
from ..forms import LeaveForm, apply_errors
from ..leave import RemoveLeaveForm, leave_saved
from ..leave import delete_leave as remove_leave
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
    remove_leave(current_user.member, leave_id)
    return redirect(url_for(".availability"))
