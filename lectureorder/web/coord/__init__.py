"""Coordinators' pages (desktop): orders, assignment, sessions, phone orders."""

from flask import Blueprint

bp = Blueprint("coord", __name__)

from . import routes  # noqa: E402,F401
from . import calendar  # noqa: E402,F401
from . import reports  # noqa: E402,F401
from . import admin  # noqa: E402,F401
from . import backlog  # noqa: E402,F401
