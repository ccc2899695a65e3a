"""Locale and time-zone selection; Chinese unless the visitor chose English."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from flask import current_app, request
from flask_babel import gettext

from ..domain import calendars as cal
from ..domain.errors import N_, Bilingual, DomainError

LANG_COOKIE = "lang"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    api = request.blueprint == "api"
    # The API is stateless: its language comes with each call, never from a page's cookie.
    chosen = request.args.get("lang") or (None if api else request.cookies.get(LANG_COOKIE))
    if chosen in supported:
        return chosen
    if api:
        best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
        if best == "en":
            return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_choice(response):
    """``?lang=en`` (the header's language link) is kept in a cookie, so the choice holds for
    the next pages, the forms' answers and redirects, not for one request only."""
    chosen = request.args.get("lang")
    if request.blueprint == "api":
        return response
    if chosen in current_app.config["LANGUAGES"] and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    return response


def init_app(app) -> None:
    app.after_request(remember_choice)


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_lang() -> str:
    """'zh' or 'en', for models that keep both titles."""
    return "en" if select_locale() == "en" else "zh"


def _param(value: object, lang: str) -> object:
    if isinstance(value, Bilingual):
        return value.en if lang == "en" else value.zh
    if isinstance(value, cal.MonthDay):
        return cal.month_day_label(value.month, value.day, lang)
    if isinstance(value, date) and not isinstance(value, datetime):
        return cal.long_date_label(value, lang)
    return value


def message(reason: str, params: Mapping[str, object] | None = None) -> str:
    """A domain message in the reader's language, its parameters too (a topic's title, a day
    of the year, a date with its lunar date): the one place domain words are translated."""
    if not params:
        return gettext(reason)
    lang = current_lang()
    return gettext(reason, **{k: _param(v, lang) for k, v in params.items()})


def error_message(err: DomainError) -> str:
    return message(err.reason, err.params)


LOGIN_MESSAGE = N_("Please log in to see this page.")


def translate(message: str) -> str:
    """Flask-Login hands us its message; translate it in the visitor's language."""
    return gettext(message)
