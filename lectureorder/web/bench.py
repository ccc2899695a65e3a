"""Bench-only endpoints for bench/intake.py: a bare one-row insert to compare order intake with.

Registered only when ``BENCH_ENDPOINTS`` is set (``LECTUREORDER_BENCH_ENDPOINTS=1``), which the
benchmark does for the server it starts on its own scratch database; never on by default.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from ..extensions import csrf, db
from ..models import insert_audit
from ..services.clock import now_utc
from .access import api_public

bp = Blueprint("bench", __name__)


@bp.post("/insert")
@api_public
def insert():
    """The floor under any write: read a JSON body, insert one row, commit, answer 201."""
    data = request.get_json(silent=True)
    # One prepared INSERT … RETURNING id, the way placing an order writes each of its rows.
    event_id = insert_audit("bench", 0, "insert", now=now_utc(), label="bench",
                            detail={"keys": len(data) if isinstance(data, dict) else 0})
    db.session.commit()
    return jsonify({"id": event_id}), 201


def init_app(app: Flask) -> None:
    """Register the bench endpoints when, and only when, the config asks for them."""
    if app.config.get("BENCH_ENDPOINTS"):
        app.register_blueprint(bp, url_prefix="/bench")
        csrf.exempt(bp)


def create_bench_app() -> Flask:
    """The app as ``wsgi.py`` builds it, plus the bench endpoints (waitress ``--call`` /
    gunicorn ``'lectureorder.web.bench:create_bench_app()'``); refuses without the flag."""
    from .. import create_app

    app = create_app()
    if not app.config.get("BENCH_ENDPOINTS"):
        raise RuntimeError("set LECTUREORDER_BENCH_ENDPOINTS=1 to serve the bench endpoints")
    init_app(app)
    return app
