"""Coordinators' pages (desktop): orders, assignment, sessions, calendar, reports, admin."""

from flask import Blueprint

bp = Blueprint("coord", __name__)

from . import (  # noqa: E402,F401
    admin,
    awareness_admin,
    backlog,
    calendar,
    campaigns,
    coverage,
    notifications,
    posters,
    privacy,
    questions,
    reports,
    routes,
    team,
)
