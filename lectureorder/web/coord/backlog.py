"""Coordinator views for batch assignment: preview the backlog's best offers, then send them."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from ...extensions import db
from ...services import batch
from ...services.clock import now_utc
from .. import edge
from ..access import coordinator_required
from ..errors import domain_errors
from ..i18n import error_message
from . import bp
from .forms import BacklogForm

# The flash area is not a report: past this many, the rest are summed up.
SKIPPED_SHOWN = 10


def _preview(form: BacklogForm, status: int = 200):
    plan = batch.plan_backlog(now_utc(), settings=edge.settings())
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
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            report = batch.apply_backlog(form.proposals, now=now_utc(), actor=current_user,
                                         settings=edge.settings())
            db.session.commit()
            _flash_report(report)
            return redirect(url_for(".backlog"))
    return _preview(form, errors.status)


def _flash_report(report) -> None:
    flash(ngettext("Sent %(num)d offer.", "Sent %(num)d offers.", len(report.sent)), "success")
    for item in report.skipped[:SKIPPED_SHOWN]:
        flash(gettext("Not sent for %(code)s: %(why)s", code=item.code,
                      why=error_message(item)), "error")
    if len(report.skipped) > SKIPPED_SHOWN:
        flash(gettext("%(n)d more were not sent; they are still in the backlog below.",
                      n=len(report.skipped) - SKIPPED_SHOWN), "error")
