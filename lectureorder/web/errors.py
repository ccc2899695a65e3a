"""Error pages and JSON errors: never a bare 500 for bad input, always a translated message."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from ..extensions import db

log = logging.getLogger(__name__)


def _messages() -> dict[int, str]:
    return {
        400: gettext("The request could not be understood."),
        401: gettext("Please log in first."),
        403: gettext("You are not allowed to see this page."),
        404: gettext("Not found."),
        405: gettext("This action is not allowed here."),
        409: gettext("Someone else changed this just now. Please reload and try again."),
        413: gettext("The upload is too large."),
        415: gettext("Please send JSON."),
        429: gettext("Too many attempts. Please wait a few minutes and try again."),
        500: gettext("Something went wrong on our side. Nothing you entered is your fault; please try again."),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/feeds/")


def error_response(code: int, message: str | None = None):
    message = message or _messages().get(code, gettext("Error"))
    if wants_json():
        return jsonify({"error": message, "status": code}), code
    return render_template("errors/error.html", code=code, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code >= 500:
            db.session.rollback()
        message = None
        if exc.code == 400 and getattr(exc, "description", None) and wants_json():
            message = _messages()[400]
        return error_response(exc.code or 500, message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400, gettext("The form was stale. Please go back, reload the page and submit again.")
        )

    @app.errorhandler(StaleDataError)
    def stale(exc: StaleDataError):
        db.session.rollback()
        return error_response(409)

    @app.errorhandler(Exception)
    def crash(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        return error_response(500)
