"""A member's own week and month (same calendar as the coordinators', only their sessions),
and their calendar-feed link."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Leave
from ...services import calendar_view, clock
from ..access import member_required
from ..feeds.manage import manage_feed
from ..i18n import error_message
from . import bp

VIEWS = ("week", "month")


@bp.get("/schedule")
@member_required
def schedule():
    now = clock.now_utc()
    query, problems = calendar_view.parse_query(request.args, today=clock.local_today(now),
                                                views=VIEWS)
    page = calendar_view.calendar_page(query, now=now, member=current_user.member)
    for problem in problems:
        if problem.field in ("view", "date"):  # other filters do not apply to one's own schedule
            flash(error_message(problem), "error")
    member = current_user.member
    start, end = calendar_view.utc_midnight(page.first), calendar_view.utc_midnight(
        page.last + timedelta(days=1))
    # Queried, not member.leaves: the calendar loads members with raiseload.
    leaves = db.session.scalars(select(Leave).where(
        Leave.member_id == member.id, Leave.start < end, Leave.end > start,
    ).order_by(Leave.start, Leave.id)).all()
    return render_template("member/schedule.html", page=page, member=member, now=now,
                           total=page.total, clash_count=page.clash_count, leaves=leaves)


@bp.route("/feed", methods=["GET", "POST"])
@member_required
def feed():
    return manage_feed(current_user, endpoint="member.feed")
