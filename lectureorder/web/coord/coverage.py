"""Coordinator coverage: every village, school and market with its last talk, on a map and in a
table; and any member's record (the page a member sees of their own)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext

from ...services import reach
from ...services.clock import now_utc
from ..access import coordinator_required
from ..i18n import current_lang
from . import bp


@bp.get("/coverage")
@coordinator_required
def coverage():
    page = reach.build_coverage(request.args, now=now_utc(), lang=current_lang())
    return render_template(
        "coord/coverage.html", page=page,
        messages=[gettext(e.reason, **e.params) for e in page.errors],
    )


@bp.get("/team/<int:member_id>/record")
@coordinator_required
def member_record(member_id: int):
    member = reach.member_or_none(member_id)
    if member is None:
        abort(404)
    page = reach.build_record(member, now=now_utc(), lang=current_lang())
    return render_template("member/record.html", page=page, own=False)
