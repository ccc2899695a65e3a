"""Locale and time-zone selection; Chinese unless the visitor chose English."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext

from ..domain.errors import N_

LANG_COOKIE = "lang"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in supported:
        return chosen
    if request.blueprint == "api":
        best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
        if best == "en":
            return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_lang() -> str:
    """'zh' or 'en', for models that keep both titles."""
    return "en" if select_locale() == "en" else "zh"


LOGIN_MESSAGE = N_("Please log in to see this page.")


def translate(message: str) -> str:
    """Flask-Login hands us its message; translate it in the visitor's language."""
    return gettext(message)
