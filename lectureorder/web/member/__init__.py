"""Team members' pages: offers inbox, my sessions, delivery records (phone-first)."""

from flask import Blueprint

bp = Blueprint("member", __name__)

from . import routes  # noqa: E402,F401
from . import schedule  # noqa: E402,F401
