"""Coordinator calendar (month / week / agenda) and the coordinator's calendar-feed link."""

from __future__ import annotations

from flask import flash, render_template, request
from flask_login import current_user
from markupsafe import Markup

from ...services import calendar_view, clock
from .. import page_cache
from ..access import coordinator_required
from ..feeds.manage import manage_feed
from ..i18n import current_lang, error_message
from . import bp


@bp.get("/calendar")
@coordinator_required
def calendar():
    now = clock.now_utc()
    today = clock.local_today(now)
    query, problems = calendar_view.parse_query(request.args, today=today)

    def render() -> tuple[Markup, Markup, list]:
        page = calendar_view.calendar_page(query, now=now)
        return (Markup(render_template("coord/_calendar_title.html", page=page)),
                Markup(render_template("coord/_calendar_content.html", page=page)), page.ignored)

    # Same data (stamp), same question, same day and language: the same page.
    title, content, ignored = page_cache.cached(("coord.calendar", query, today, current_lang()),
                                                render)
    for problem in problems + ignored:
        flash(error_message(problem), "error")
    return render_template("coord/calendar.html", title=title, content=content)


@bp.route("/feed", methods=["GET", "POST"])
@coordinator_required
def feed():
    return manage_feed(current_user, endpoint="coord.feed")
