"""What the member's and the coordinator's leave pages share: the delete button, the flashes."""

from __future__ import annotations

from flask import abort, flash
from flask_babel import gettext, ngettext
from flask_login import current_user

from ..extensions import db
from ..services import team
from ..services.clock import now_utc
from .errors import domain_errors
from .forms import SafeForm
from .templating import period_label


class RemoveLeaveForm(SafeForm):
    """Only a button; the form carries the CSRF token."""


def leave_saved(result) -> None:
    """Flash what adding leave did: the period stored, merges, sessions inside it."""
    flash(gettext("Leave saved: %(when)s.",
                  when=period_label(result.leave.start, result.leave.end)), "success")
    if result.merged:
        flash(ngettext("It was joined with %(num)d overlapping leave period.",
                       "It was joined with %(num)d overlapping leave periods.", result.merged),
              "info")
    if result.clashes:
        flash(ngettext("%(num)d session falls in this leave and stays booked: the coordinator "
                       "must arrange it.",
                       "%(num)d sessions fall in this leave and stay booked: the coordinator "
                       "must arrange them.", len(result.clashes)), "error")


def delete_leave(member, leave_id: int) -> None:
    """The delete-leave view body for both pages: 404 for leave not of this member, one commit."""
    try:
        team.member_leave(member, leave_id)  # someone else's leave is "not found"
    except LookupError:
        abort(404)
    if not RemoveLeaveForm().validate_on_submit():
        abort(400)
    with domain_errors():
        team.delete_leave(member, leave_id, now=now_utc(), actor=current_user)
        db.session.commit()
        flash(gettext("The leave has been deleted."), "success")
