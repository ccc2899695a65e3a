"""Coordinator views for batch assignment: preview the backlog's best offers, then send them."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from ...domain.errors import DomainError
from ...extensions import db
from ...services import batch
from ...services.clock import now_utc
from ..access import coordinator_required
from ..forms import apply_errors
from . import bp
from .forms import BacklogForm

# The flash area is not a report: past this many, the rest are summed up.
SKIPPED_SHOWN = 10


def _preview(form: BacklogForm, status: int = 200):
    plan = batch.plan_backlog(now_utc())
    form.plan.data = plan.token
    return render_template("coord/backlog.html", plan=plan, form=form), status


@bp.get("/backlog")
@coordinator_required
def backlog():
    return _preview(BacklogForm(formdata=None))


@bp.post("/backlog")
@coordinator_required
def send_backlog():
    form = BacklogForm()
    if not form.validate_on_submit():
        return _preview(form, 422)
    try:
        report = batch.apply_backlog(form.proposals, now=now_utc(), actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        apply_errors(form, exc)
        return _preview(form, 422)
    db.session.commit()
    flash(ngettext("Sent %(num)d offer.", "Sent %(num)d offers.", len(report.sent)), "success")
    for item in report.skipped[:SKIPPED_SHOWN]:
        flash(gettext("Not sent for %(code)s: %(why)s", code=item.code,
                      why=gettext(item.reason, **item.params)), "error")
    if len(report.skipped) > SKIPPED_SHOWN:
        flash(gettext("%(n)d more were not sent; they are still in the backlog below.",
                      n=len(report.skipped) - SKIPPED_SHOWN), "error")
    return redirect(url_for(".backlog"))
