"""Error pages, JSON errors and the HTML views' one domain-error idiom (`domain_errors`):
never a bare 500 for bad input, always a translated message."""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

from flask import Flask, flash, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from ..domain.errors import N_, Conflict, DomainError, RepeatOrder, TooManyOrders, ValidationFailed
from ..extensions import db
from .forms import apply_errors
from .i18n import error_message

log = logging.getLogger(__name__)


#: The person's words for each HTTP error (translated when one is shown, not all at once).
MESSAGES: dict[int, str] = {
    400: N_("The request could not be understood."),
    401: N_("Please log in first."),
    403: N_("You are not allowed to see this page."),
    404: N_("Not found."),
    405: N_("This action is not allowed here."),
    409: N_("Someone else changed this just now. Please reload and try again."),
    413: N_("The upload is too large."),
    415: N_("Please send JSON."),
    429: N_("Too many attempts. Please wait a few minutes and try again."),
    500: N_("Something went wrong on our side. Nothing you entered is your fault; please try again."),
}


FALLBACK_MESSAGE = N_("Error")  # on its own line: Babel does not extract N_() inside gettext()


def http_message(code: int) -> str:
    return gettext(MESSAGES.get(code, FALLBACK_MESSAGE))


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/feeds/")


def error_response(code: int, message: str | None = None):
    message = message or http_message(code)
    if wants_json():
        return jsonify({"error": message, "status": code}), code
    return render_template("errors/error.html", code=code, message=message), code


def _each(exc: DomainError | ValidationFailed) -> list[DomainError]:
    return exc.errors if isinstance(exc, ValidationFailed) else [exc]


def translated(exc: DomainError | ValidationFailed) -> list[str]:
    """The person's messages for a domain error, in the request's language."""
    return [error_message(err) for err in _each(exc)]


class DomainErrors:
    """The HTML views' one error idiom: a block around the unit of work (service call, commit,
    success flash) that turns a `ValidationFailed`/`Conflict`/`DomainError` into a rollback and a
    translated message, then lets the view carry on to its redirect or re-render.

    A `Conflict` (someone took or changed the thing first) is flashed: no input is at fault.
    Any other domain error goes onto the form's fields when a form is given, else is flashed.
    `status` is what a re-rendered page answers: 409 after a conflict, 422 when the form (or
    the block) failed, 200 otherwise. Redirecting views ignore it (a flash after POST)::

        errors = domain_errors(form)
        if form.validate_on_submit():
            with errors:
                thing = service.change(..., now=now_utc())
                db.session.commit()
                flash(gettext("Saved."), "success")
                return redirect(url_for(".thing", id=thing.id))
            if errors.conflict:
                return redirect(url_for(".index"))
        return render_template("bp/page.html", form=form), errors.status
    """

    def __init__(self, form: FlaskForm | None = None) -> None:
        self.form = form
        self.error: DomainError | ValidationFailed | None = None

    def __enter__(self) -> DomainErrors:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if not isinstance(exc, DomainError | ValidationFailed):
            return False  # success, or a real failure for the app's handlers
        db.session.rollback()  # nothing of the failed change is written; pages show stored values
        self.error = exc
        # "You ordered this just now" belongs to the form: it is answered there (confirm).
        if self.form is not None and (not isinstance(exc, Conflict) or isinstance(exc, RepeatOrder)):
            apply_errors(self.form, exc)
        else:
            for message in translated(exc):
                flash(message, "error")
        return True

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def conflict(self) -> bool:
        return isinstance(self.error, Conflict)

    @property
    def status(self) -> int:
        if self.conflict:
            return 409
        form = self.form
        if self.failed or (form is not None and (form.errors or form.form_errors)):
            return 422
        return 200


def domain_errors(form: FlaskForm | None = None) -> DomainErrors:
    """`with domain_errors(form):` around a view's unit of work; see `DomainErrors`."""
    return DomainErrors(form)


# The crash log names what failed and where, never with what: an exception's message can
# carry request data (a database error's statement values, a DETAIL line with a phone), and the
# path can carry a secret (a feed token), so neither is logged; the URL rule and endpoint are.
def exception_names(exc: BaseException) -> str:
    """`sqlalchemy.exc.DataError <- psycopg.errors.DataError`: the type and its causes."""
    names, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(names) < 5:
        seen.add(id(current))
        names.append(f"{type(current).__module__}.{type(current).__qualname__}")
        current = current.__cause__ or current.__context__
    return " <- ".join(names)


def frames(exc: BaseException) -> str:
    """The traceback's file, line, function and source line; no message, no local values."""
    return "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__))).rstrip()


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code >= 500:
            db.session.rollback()
        message = None
        if exc.code == 400 and getattr(exc, "description", None) and wants_json():
            message = http_message(400)
        body, code = error_response(exc.code or 500, message)
        # A 405 names the methods the URL takes (RFC 9110), as werkzeug's own answer does.
        allowed = getattr(exc, "valid_methods", None)
        return body, code, ({"Allow": ", ".join(allowed)} if code == 405 and allowed else {})

    # A rate limit (web/limits.py) was hit: say how long to wait, on a page or in JSON, with
    # Retry-After; the station phone stays on the page for whoever cannot wait.
    @app.errorhandler(429)
    def too_many(exc: HTTPException):
        from .limits import retry_after

        return _wait_response(retry_after(exc))

    # The per-phone placement limit, counted from the orders placed (services/ordering.py).
    @app.errorhandler(TooManyOrders)
    def too_many_orders(exc: TooManyOrders):
        db.session.rollback()
        return _wait_response(exc.retry_after)

    def _wait_response(seconds: int):
        from flask_babel import ngettext

        minutes = max(1, -(-(seconds - 1) // 60))  # Retry-After rounds the window end up
        message = http_message(429)
        wait = ngettext("You can try again in %(num)s minute.",
                        "You can try again in %(num)s minutes.", minutes)
        if wants_json():
            response = jsonify({"error": f"{message} {wait}", "status": 429})
        else:
            response = render_template("errors/429.html", code=429, message=message, wait=wait)
        return response, 429, {"Retry-After": str(seconds)}

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400, gettext("The form was stale. Please go back, reload the page and submit again.")
        )

    # A backstop for a domain error that escaped a view's `domain_errors` block (the API
    # blueprint's own handlers come first): still a rollback and a message, never a 500.
    @app.errorhandler(ValidationFailed)
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError | ValidationFailed):
        db.session.rollback()
        return error_response(409 if isinstance(exc, Conflict) else 422, " ".join(translated(exc)))

    @app.errorhandler(StaleDataError)
    def stale(exc: StaleDataError):
        db.session.rollback()
        return error_response(409)

    @app.errorhandler(Exception)
    def crash(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        db.session.rollback()
        log.error("unhandled %s on %s %s (endpoint %s)\n%s", exception_names(exc),
                  request.method, request.url_rule.rule if request.url_rule else "-",
                  request.endpoint or "-", frames(exc))
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        return error_response(500)
