"""Coordinators' pages (desktop): orders, assignment, sessions, calendar, reports, admin."""

from flask import Blueprint

bp = Blueprint("coord", __name__)

from . import admin, backlog, calendar, notifications, privacy, reports, routes, team  # noqa: E402,F401
