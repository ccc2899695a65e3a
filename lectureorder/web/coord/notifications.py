"""Coordinators: their in-app notices, and the outbox (status, attempts, last error, send again)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ...domain.errors import InvalidTransition
from ...domain.outbox import NotificationStatus
from ...extensions import db
from ...services import notify
from ...services.clock import now_utc
from ..access import coordinator_required
from ..auth.forms import ActionForm
from ..notices import register
from . import bp

register(bp, coordinator_required, "coord.notices")

STATUSES = tuple(s.value for s in NotificationStatus)


@bp.get("/notifications")
@coordinator_required
def notifications():
    status = request.args.get("status", "")
    if status not in STATUSES:
        status = ""
    return render_template("coord/notifications.html", notes=notify.outbox_page(status=status or None),
                           counts=notify.status_counts(), status=status, statuses=STATUSES,
                           form=ActionForm())


@bp.post("/notifications/<int:note_id>/resend")
@coordinator_required
def resend_notification(note_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        notify.resend(note_id, now=now_utc(), actor=current_user)
    except LookupError:
        abort(404)
    except InvalidTransition:  # only failed messages can be sent again
        db.session.rollback()
        flash(gettext("Only failed messages can be sent again."), "error")
        return redirect(url_for("coord.notifications"), 303)
    db.session.commit()
    flash(gettext("The message will be sent again within a minute."), "success")
    return redirect(url_for("coord.notifications", status="failed"), 303)
