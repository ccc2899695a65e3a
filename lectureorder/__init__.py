"""LectureOrder (宣讲点单): the application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from .domain.errors import DomainError
from .extensions import babel, csrf, db, limiter, login_manager, migrate

DEFAULT_SECRET = "dev-only-change-me"


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
        app.config.update(test_config)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if app.config["SECRET_KEY"] == DEFAULT_SECRET and not uri.startswith("sqlite"):
        raise RuntimeError(
            "Set LECTUREORDER_SECRET_KEY (or SECRET_KEY in instance/config.py) before "
            "running against a server database."
        )
    if app.config["SECRET_KEY"] == DEFAULT_SECRET and not app.testing:
        logging.getLogger(__name__).warning(
            "Using the development SECRET_KEY; set LECTUREORDER_SECRET_KEY for real use."
        )
    # A bad dispatch mode, weight or limit stops the start, not the first order.
    from .services.settings import from_app

    try:
        from_app(app)
    except (DomainError, TypeError, ValueError) as exc:
        raise RuntimeError(f"invalid configuration: {exc}") from exc


def register_extensions(app: Flask) -> None:
    from .web.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
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


def register_errorhandlers(app: Flask) -> None:
    from .web.errors import init_app as init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    from .web.templating import init_app as init_templating

    init_templating(app)


def register_commands(app: Flask) -> None:
    from .cli import init_app as init_cli

    init_cli(app)
