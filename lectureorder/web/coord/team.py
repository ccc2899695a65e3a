"""Coordinator views of the lecture team: everyone's limits, status, formats, topics and leave."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from ...extensions import db
from ...models import Member
from ...services import accounts, team
from ...services.clock import now_utc
from ..access import coordinator_required
from ..auth.forms import ActionForm
from ..errors import domain_errors
from ..forms import LeaveForm
from ..leave import RemoveLeaveForm, delete_leave, leave_saved
from . import bp
from .team_forms import MemberForm


def _member_or_404(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404)
    return member


@bp.get("/members")
@coordinator_required
def members():
    now = now_utc()
    return render_template("coord/team/members.html", members=team.team(now=now), now=now)


def _page(member: Member, form: MemberForm, leave_form: LeaveForm, status: int):
    return render_template(
        "coord/team/member.html", member=member, form=form, new_leave=leave_form,
        leaves=team.current_leave(member, now=now_utc()), remove_form=RemoveLeaveForm(),
        sign_out_form=ActionForm(),
    ), status


def _member_form(member: Member, *, submitted: bool) -> MemberForm:
    form = MemberForm() if submitted else MemberForm(formdata=None)
    form.fill_choices(team.topic_choices())
    if not submitted:
        form.fill_from(member)
    return form


@bp.route("/members/<int:member_id>", methods=["GET", "POST"])
@coordinator_required
def member(member_id: int):
    item = _member_or_404(member_id)
    form = _member_form(item, submitted=request.method == "POST")
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            team.update_member(item, form.changes(), now=now_utc(), actor=current_user)
            db.session.commit()
            flash(gettext("Saved."), "success")
            return redirect(url_for(".member", member_id=item.id))
    return _page(item, form, LeaveForm(formdata=None), errors.status)


@bp.post("/members/<int:member_id>/leave")
@coordinator_required
def member_leave(member_id: int):
    item = _member_or_404(member_id)
    leave_form = LeaveForm()
    errors = domain_errors(leave_form)
    if leave_form.validate_on_submit():
        start, end = leave_form.period()
        with errors:
            result = team.add_leave(item, start, end, leave_form.reason.data or "",
                                    now=now_utc(), actor=current_user)
            db.session.commit()
            leave_saved(result)
            return redirect(url_for(".member", member_id=item.id))
    return _page(item, _member_form(item, submitted=False), leave_form, errors.status)


@bp.post("/members/<int:member_id>/leave/<int:leave_id>/delete")
@coordinator_required
def member_delete_leave(member_id: int, leave_id: int):
    item = _member_or_404(member_id)
    delete_leave(item, leave_id)
    return redirect(url_for(".member", member_id=item.id))


@bp.post("/members/<int:member_id>/sign-out")
@coordinator_required
def member_sign_out(member_id: int):
    """A lost phone or a member leaving the team: every session, remember cookie and app token
    of the member's account ends now."""
    item = _member_or_404(member_id)
    if item.user is None:
        abort(404)
    accounts.sign_out_everywhere(item.user, now=now_utc(), actor=current_user)
    db.session.commit()
    flash(gettext("%(name)s is signed out on every browser and app.", name=item.name), "success")
    return redirect(url_for(".member", member_id=item.id))
