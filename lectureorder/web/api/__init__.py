"""JSON API v1 (/api/v1), described by /api/v1/openapi.json."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import reach, routes  # noqa: E402,F401
