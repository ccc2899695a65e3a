"""Team members' pages: offers inbox, my sessions, schedule, delivery records (phone-first)."""

from flask import Blueprint

bp = Blueprint("member", __name__)

from . import notices, record, routes, schedule  # noqa: E402,F401
