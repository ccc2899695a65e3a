"""Small guards for the web edge: safe redirects, no control characters in any input, and the
security headers every answer carries."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms.validators import StopValidation

from ..domain.errors import N_


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths: never redirect to another host (open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


# ------------------------------------------------------------------ control characters

# C0 controls and DEL. Tab and line breaks are text (browsers send a textarea's newlines as
# CR LF, so CR stays allowed); NUL makes PostgreSQL refuse the whole statement, the others are
# invisible in the pages and the ledger exports.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = N_("This contains an invisible character that cannot be stored. "
                     "Please delete it and type the text again.")


def has_control(value: object) -> bool:
    """True for a string (or a list of them, as WTForms keeps raw input) with a control char."""
    if isinstance(value, str):
        return CONTROL_CHARACTERS.search(value) is not None
    if isinstance(value, list | tuple):
        return any(has_control(v) for v in value)
    return False


def refuse_control_characters(form, field) -> None:
    """WTForms validator, put first on every field of every form by `forms.SafeForm`: the
    field's own validators (some read the database) never see such input, and the field shows
    only this message."""
    if has_control(field.raw_data):
        field.errors[:] = []
        raise StopValidation(_l(CONTROL_MESSAGE))


def _refuse_bad_request_text() -> Response | None:
    """Query strings and paths, which no form reads: refused before any view runs."""
    from werkzeug.exceptions import NotFound

    from .errors import error_response, wants_json

    if has_control(request.path):
        raise NotFound()
    bad = [key for key, value in request.args.items(multi=True)
           if has_control(key) or has_control(value)]
    if not bad:
        return None
    message = gettext(CONTROL_MESSAGE)
    if wants_json():
        from flask import jsonify

        names = ["_" if has_control(key) else key for key in bad]
        return jsonify({"errors": {name: [message] for name in names}}), 422
    return error_response(422, message)


# ------------------------------------------------------------------ headers

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
])
HSTS = "max-age=31536000"

# Public pages without personal data may be kept briefly by the visitor's own browser (slow
# village networks); everything else holds or may hold personal data and is never stored.
CACHEABLE_ENDPOINTS = frozenset({"public.menu", "public.topic", "api.menu", "api.places",
                                 "api.openapi"})
BRIEF_CACHE = "private, max-age=60"


def _headers(response: Response, production: bool) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    if production:
        headers["Strict-Transport-Security"] = HSTS
    if request.endpoint == "static" or "Cache-Control" in headers:
        # Static files keep Flask's validators (ETag, Last-Modified); a view that chose its own
        # policy keeps it (the staff-only photos and the feed, which holds no requester data).
        return response
    if request.endpoint in CACHEABLE_ENDPOINTS and response.status_code == 200 \
            and not _logged_in():
        headers["Cache-Control"] = BRIEF_CACHE
        # The language comes from the cookie or Accept-Language; a login changes the cookie.
        response.vary.update(("Cookie", "Accept-Language"))
    else:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def _logged_in() -> bool:
    from flask_login import current_user

    return bool(current_user and current_user.is_authenticated)


class DatabaseInteger(IntegerConverter):
    """``<int:id>`` up to the largest id a database column holds (a 32-bit INTEGER on
    PostgreSQL; SQLite refuses anything past 64 bits with OverflowError): a larger number in a
    path is "not found", never a 500 from the driver."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Call before the database extension (the engine options are read when it binds) and
    before the blueprints (their rules take the int converter when they are added)."""
    app.url_map.converters["int"] = DatabaseInteger
    # Errors never carry the statement's parameters (a requester's phone) into logs or pages.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "hide_parameters": True, **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}
    production = bool(app.config.get("PRODUCTION"))
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.before_request(_refuse_bad_request_text)
    app.after_request(lambda response: _headers(response, production))
