"""LectureOrder (宣讲点单): the application factory."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask

from .domain.errors import DomainError
from .extensions import babel, csrf, db, login_manager, migrate

DEFAULT_SECRET = "dev-only-change-me"
# Keys that have been seen in examples, tests and tutorials: never good enough for real use.
KNOWN_SECRETS = frozenset({
    "", DEFAULT_SECRET, "test", "testing", "x", "secret", "secret-key", "secret_key", "secretkey",
    "changeme", "change-me", "change_me", "please-change-me", "dev", "development", "devkey",
    "password", "default", "key", "flask", "lectureorder", "bench-only-secret",
})
MIN_SECRET_LENGTH = 32
# Cheap hashing for the test profile only (TestConfig); real use hashes at scrypt N=2^17.
TEST_PASSWORD_METHOD = "pbkdf2:sha256:1000"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. No side effects: no tables, no migrations, no scheduler, no network."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    load_config(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """DefaultConfig → instance/config.py → LECTUREORDER_* env → test_config."""
    app.config.from_object("config.DefaultConfig")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("LECTUREORDER")
    else:
        app.config.from_object("config.TestConfig")
        app.config["PASSWORD_HASH_METHOD"] = TEST_PASSWORD_METHOD
        app.config.update(test_config)
    from .models.user import PASSWORD_METHOD

    app.config.setdefault("PASSWORD_HASH_METHOD", PASSWORD_METHOD)
    # Flask-Login's defaults are a 365-day remember cookie readable by scripts; ours is short.
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=14))
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    check_production(app)
    # A bad dispatch mode, weight or limit stops the start, not the first order.
    from .services.settings import from_app

    try:
        from_app(app)
    except (DomainError, TypeError, ValueError) as exc:
        raise RuntimeError(f"invalid configuration: {exc}") from exc


def weak_secret(key: str | bytes | None) -> bool:
    """Too short, a known default, or too few different characters to be random."""
    if isinstance(key, bytes):
        return len(key) < MIN_SECRET_LENGTH or len(set(key)) < 8
    key = key if isinstance(key, str) else ""
    plain = key.strip().lower()
    return (len(key) < MIN_SECRET_LENGTH or len(set(key)) < 8 or plain in KNOWN_SECRETS
            or any(part in plain for part in ("change-me", "changeme", "change_me", DEFAULT_SECRET)))


def check_production(app: Flask) -> None:
    """With PRODUCTION on, or a server database outside the test kit, refuse to start with a
    weak SECRET_KEY (anyone could forge a coordinator's session) or with the debugger on."""
    server_db = not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
    production = bool(app.config.get("PRODUCTION")) or (server_db and not app.testing)
    if production:
        if weak_secret(app.config.get("SECRET_KEY")):
            raise RuntimeError(
                f"Set LECTUREORDER_SECRET_KEY (or SECRET_KEY in instance/config.py) to at least "
                f"{MIN_SECRET_LENGTH} random characters, e.g. python -c 'import secrets; "
                f"print(secrets.token_urlsafe(48))'; the development and example keys are refused "
                f"in production and with a server database."
            )
        if app.debug:
            raise RuntimeError("DEBUG is on: the debugger runs code for anyone; turn it off in "
                               "production and with a server database.")
    elif weak_secret(app.config.get("SECRET_KEY")) and not app.testing:
        logging.getLogger(__name__).warning(
            "Using a weak SECRET_KEY; set LECTUREORDER_SECRET_KEY for real use."
        )


def register_extensions(app: Flask) -> None:
    from .web.i18n import select_locale, select_timezone
    from .web.safety import init_app as init_safety

    init_safety(app)  # first: it sets the engine options db.init_app builds the engine with
    db.init_app(app)
    from .web.read_only import init_app as init_read_only

    init_read_only(app)  # a request that only read ends with COMMIT (keeps prepared plans)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    from .web import i18n

    i18n.init_app(app)  # ?lang= is remembered in a cookie
    from .web.limits import init_app as init_limits

    init_limits(app)  # TRUSTED_PROXIES, the storage check, then the limiter
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from .web.auth.routes import load_user

    login_manager.user_loader(load_user)

    from .web.i18n import LOGIN_MESSAGE, translate

    login_manager.login_message = LOGIN_MESSAGE
    login_manager.localize_callback = translate


def register_blueprints(app: Flask) -> None:
    from .web.api import bp as api_bp
    from .web.auth import bp as auth_bp
    from .web.coord import bp as coord_bp
    from .web.feeds import bp as feeds_bp
    from .web.member import bp as member_bp
    from .web.public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(member_bp, url_prefix="/member")
    app.register_blueprint(coord_bp, url_prefix="/coord")
    app.register_blueprint(feeds_bp, url_prefix="/feeds")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # bearer tokens only: the API never reads the session cookie
    from .web import init_app as init_web

    init_web(app)  # /favicon.ico


def register_errorhandlers(app: Flask) -> None:
    from .web.errors import init_app as init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    from .web.templating import init_app as init_templating

    init_templating(app)


def register_commands(app: Flask) -> None:
    from .cli import init_app as init_cli

    init_cli(app)
