"""The iCalendar feed: a wrong or revoked token is a plain 404, with no hint why."""

from __future__ import annotations

from flask import Response, abort

from ...services import clock, feeds
from ..access import public
from . import bp
from .ical import render_feed


@bp.get("/<token>.ics")
@public
def calendar(token: str):
    now = clock.now_utc()
    opened = feeds.open_feed(token, now=now)
    if opened is None:
        abort(404)
    feed, sessions = opened
    response = Response(render_feed(feed, sessions, now=now), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="lectureorder.ics"'
    # A secret URL: keep it out of shared caches and search engines.
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
