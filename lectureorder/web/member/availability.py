"""A member's own leave: list, add (overlapping leave is merged) and delete."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...services import team
from ...services.clock import now_utc
from ..access import member_required
from ..errors import domain_errors
from ..forms import LeaveForm
from ..leave import RemoveLeaveForm, leave_saved
from ..leave import delete_leave as remove_leave
from . import bp


@bp.route("/availability", methods=["GET", "POST"])
@member_required
def availability():
    member = current_user.member
    now = now_utc()
    form = LeaveForm()
    errors = domain_errors(form)
    if form.validate_on_submit():
        start, end = form.period()
        with errors:
            result = team.add_leave(member, start, end, form.reason.data or "", now=now,
                                    actor=current_user)
            db.session.commit()
            leave_saved(result)
            return redirect(url_for(".availability"))
    return render_template("member/availability.html", member=member, form=form,
                           leaves=team.current_leave(member, now=now),
                           remove_form=RemoveLeaveForm()), errors.status


@bp.post("/availability/<int:leave_id>/delete")
@member_required
def delete_leave(leave_id: int):
    remove_leave(current_user.member, leave_id)
    return redirect(url_for(".availability"))
