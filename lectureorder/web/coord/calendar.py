"""Coordinator calendar (month / week / agenda) and the coordinator's calendar-feed link."""

from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext
from flask_login import current_user

from ...services import calendar_view, clock
from ..access import coordinator_required
from ..feeds.manage import manage_feed
from . import bp


@bp.get("/calendar")
@coordinator_required
def calendar():
    now = clock.now_utc()
    query, problems = calendar_view.parse_query(request.args, today=clock.local_today(now))
    page = calendar_view.calendar_page(query, now=now)
    for problem in problems + page.ignored:
        flash(gettext(problem.reason, **problem.params), "error")
    return render_template("coord/calendar.html", page=page)


@bp.route("/feed", methods=["GET", "POST"])
@coordinator_required
def feed():
    return manage_feed(current_user, endpoint="coord.feed")
