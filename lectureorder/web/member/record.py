"""A member's own record: talks given, audience reached, ratings, places, schools."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ...services import reach
from ...services.clock import now_utc
from ..access import member_required
from ..i18n import current_lang
from . import bp


@bp.get("/record")
@member_required
def record():
    page = reach.build_record(current_user.member, now=now_utc(), lang=current_lang())
    return render_template("member/record.html", page=page, own=True)
