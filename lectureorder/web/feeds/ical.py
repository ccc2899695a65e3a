"""Sessions as an RFC 5545 calendar. No phone numbers and no requester data: a feed URL ends up
in third-party calendar apps, so it carries only what a team member needs to turn up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flask import url_for
from flask_babel import gettext
from icalendar import Calendar, Event, Timezone

from ...domain import calendars as cal
from ...domain import formats as fm
from ...models import FeedScope, FeedToken, LectureSession, SessionStatus
from ..i18n import current_lang

PRODID = "-//Ping'an police lecture team//LectureOrder//ZH"
# The VTIMEZONE only needs to cover the dates a feed can hold; from 2000 on Asia/Shanghai is
# a single fixed offset.
_TZ_FIRST = date(2000, 1, 1)
_TZ_LAST = date(2100, 1, 1)


def uid_of(lecture: LectureSession) -> str:
    """Stable for the life of the session, so calendar apps update instead of duplicating."""
    return f"lecture-session-{lecture.id}@lectureorder"


def _topics(lecture: LectureSession, lang: str) -> str:
    if lecture.order is None:
        return ""
    return "、".join(t.title(lang) for t in lecture.order.topics)


#: The requester's own calendar entry (tracking page): no link, no staff data beyond the name.
REQUESTER = "requester"


def _link(lecture: LectureSession, scope: str) -> str | None:
    if scope == REQUESTER:
        return url_for("public.track", _external=True)
    if scope == FeedScope.ALL and lecture.order is not None:
        return url_for("coord.order", code=lecture.order.code, _external=True)
    if scope == FeedScope.MEMBER:
        day = lecture.start.astimezone(cal.TZ).date().isoformat()
        return url_for("member.schedule", view="week", date=day, _external=True)
    return None


def session_event(lecture: LectureSession, *, scope: str, now: datetime, lang: str) -> Event:
    fmt = fm.format_label(lecture.format, lang)
    topics = _topics(lecture, lang)
    summary = f"{topics} · {fmt}" if topics else fmt
    cancelled = lecture.status == SessionStatus.CANCELLED
    if cancelled:
        summary = gettext("Cancelled: %(what)s", what=summary)
    link = _link(lecture, scope)
    lines = [gettext("Format: %(format)s", format=fmt)]
    if topics:
        lines.append(gettext("Talk: %(topics)s", topics=topics))
    lines.append(gettext("Team member: %(name)s", name=lecture.lead_member.name))
    if lecture.kit is not None:
        lines.append(gettext("Film kit: %(name)s", name=lecture.kit.name))
    if lecture.format == fm.Format.MOBILE_FILM:
        lines.append(gettext(fm.SAFE_TRAVEL_NOTE))
    if link:
        lines.append(link)

    event = Event()
    event.add("uid", uid_of(lecture))
    event.add("dtstamp", now)
    event.add("dtstart", lecture.start.astimezone(cal.TZ))
    event.add("dtend", lecture.end.astimezone(cal.TZ))
    event.add("summary", summary)
    if lecture.venue:
        event.add("location", lecture.venue)
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # The row version goes up with every change, which is what SEQUENCE means.
    event.add("sequence", max(lecture.version - 1, 0))
    if link:
        event.add("url", link)
    return event


def render_feed(feed: FeedToken, sessions: Iterable[LectureSession], *, now: datetime) -> bytes:
    name = gettext("Lecture sessions") if feed.scope == FeedScope.ALL else gettext("My lecture sessions")
    return render_sessions(name, sessions, scope=feed.scope, now=now)


def render_sessions(name: str, sessions: Iterable[LectureSession], *, scope: str,
                    now: datetime) -> bytes:
    """A calendar named ``name`` holding ``sessions`` as events for ``scope`` (a feed's scope,
    or REQUESTER for the one .ics a requester adds from the tracking page)."""
    lang = current_lang()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", cal.TZ.key)
    # The zone comes first and always, even in an empty feed, so every client agrees on it.
    calendar.add_component(Timezone.from_tzid(cal.TZ.key, first_date=_TZ_FIRST, last_date=_TZ_LAST))
    for lecture in sessions:
        calendar.add_component(session_event(lecture, scope=scope, now=now, lang=lang))
    return calendar.to_ical()
