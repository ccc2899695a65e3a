"""In-app notices (members and coordinators): the header's unread count, the list, mark read.
The member and coordinator blueprints each register these routes for their own audience."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from markupsafe import escape

from ..extensions import db
from ..services import notify
from ..services.clock import now_utc
from .auth.forms import ActionForm


def _unread():
    count = notify.unread_count(current_user.id)
    response = jsonify({"unread": count, "label": _label(count)})
    response.headers["Cache-Control"] = "no-store"
    return response


def _label(count: int) -> str:
    return ngettext("%(num)d new", "%(num)d new", count) if count else ""


def _badge():
    """The header's count as a small image: the browser fetches it after the page, so no page
    pays a query for it (pages keep their fixed query budgets) and no script is needed."""
    label = escape(_label(notify.unread_count(current_user.id)))
    if not label:
        svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="24"/>'
    else:
        width = 16 + sum(18 if ord(ch) > 0x2E80 else 10 for ch in str(label))
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="24" '
               f'role="img" aria-label="{label}"><rect width="{width}" height="24" rx="12" '
               f'fill="#a1001f"/><text x="{width // 2}" y="17" text-anchor="middle" '
               f'font-family="sans-serif" font-size="15" fill="#ffffff">{label}</text></svg>')
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


def _list(endpoint: str):
    notices = notify.notices_for(current_user.id)
    return render_template("notices.html", notices=notices, form=ActionForm(),
                           read_endpoint=endpoint, now=now_utc())


def _read(endpoint: str):
    form = ActionForm()
    if form.validate_on_submit():
        raw = request.form.get("notice", "")
        notify.mark_read(current_user.id, now=now_utc(),
                         notice_id=int(raw) if raw.isdigit() else None)
        db.session.commit()
        flash(gettext("Marked as read."), "success")
    return redirect(url_for(endpoint))


def register(bp: Blueprint, guard, list_endpoint: str) -> None:
    """``/notices`` (GET), ``/notices/read`` (POST: one notice or all) and ``/notices/unread``
    (GET, JSON) and ``/notices/unread.svg`` (the header's badge) on ``bp``."""

    @bp.get("/notices", endpoint="notices")
    @guard
    def notices():
        return _list(f"{bp.name}.read_notices")

    @bp.post("/notices/read", endpoint="read_notices")
    @guard
    def read_notices():
        return _read(list_endpoint)

    @bp.get("/notices/unread", endpoint="unread_notices")
    @guard
    def unread_notices():
        return _unread()

    @bp.get("/notices/unread.svg", endpoint="unread_badge")
    @guard
    def unread_badge():
        return _badge()
