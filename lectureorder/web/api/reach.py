"""JSON API v1: coverage of places (coordinators), the same figures as /coord/coverage."""

from __future__ import annotations

from flask import jsonify, request

from ...services import reach
from ...services.clock import now_utc
from ..access import api_coordinator
from ..i18n import current_lang
from . import bp


@bp.get("/coverage")
@api_coordinator
def coverage():
    # strict: a bad filter is 422 {"errors": {...}} (the blueprint's ValidationFailed handler)
    page = reach.build_coverage(request.args, now=now_utc(), lang=current_lang(), strict=True)
    return jsonify(reach.coverage_json(page))
