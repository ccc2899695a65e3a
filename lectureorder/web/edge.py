"""What a view hands down to the services besides the request's input: the settings built from
the app's config (services never read ``current_app``)."""

from __future__ import annotations

from flask import current_app

from ..services import evidence
from ..services.settings import Settings, from_app


def settings() -> Settings:
    return from_app(current_app)


def photo_policy() -> evidence.PhotoPolicy:
    return evidence.photo_policy(settings())
