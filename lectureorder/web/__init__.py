"""The web edge: blueprints by audience; thin views that call one service and commit."""

from __future__ import annotations

from flask import Flask, current_app, send_from_directory

from .access import public


@public
def favicon():
    """/favicon.ico, which browsers ask for on their own (the pages link static/favicon.svg)."""
    response = send_from_directory(current_app.static_folder, "favicon.ico",
                                   mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def init_app(app: Flask) -> None:
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)
