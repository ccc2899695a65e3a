"""Coordinators' pages (desktop): orders, assignment, sessions, phone orders."""

from flask import Blueprint

bp = Blueprint("coord", __name__)

from . import routes  # noqa: E402,F401
