"""Dispatch settings come from LECTUREORDER_* environment variables like every other key."""

from datetime import UTC, datetime, timedelta

from flask import Flask

from lectureorder import create_app
from lectureorder.services import dispatch
from lectureorder.services.settings import from_app


def test_offer_settings_are_read_from_the_environment(monkeypatch, tmp_path):
    # create_app() without a test config reads instance/config.py, then the environment: keep
    # the instance folder (and its SQLite file) in tmp.
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path))
    monkeypatch.setenv("LECTUREORDER_OFFER_EXPIRY_HOURS", "2.5")
    monkeypatch.setenv("LECTUREORDER_MAX_OFFER_ROUNDS", "5")
    monkeypatch.setenv("LECTUREORDER_DISPATCH_MODE", "pool")
    app = create_app()
    assert app.instance_path == str(tmp_path)
    assert app.config["OFFER_EXPIRY_HOURS"] == 2.5
    assert app.config["MAX_OFFER_ROUNDS"] == 5
    assert app.config["DISPATCH_MODE"] == "pool"
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    settings = from_app(app)  # what every edge builds
    assert settings.offer_expiry_hours == 2.5 and settings.max_offer_rounds == 5
    assert settings.pool
    assert dispatch.offer_expiry(now, None, settings=settings) == now + timedelta(hours=2.5)
    # A session in three days does not shorten it; one in an hour does (a third, ≥ 30 min).
    assert dispatch.offer_expiry(now, now + timedelta(days=3),
                                 settings=settings) == now + timedelta(hours=2.5)
    assert dispatch.offer_expiry(now, now + timedelta(hours=1),
                                 settings=settings) == now + timedelta(minutes=30)


def test_default_offer_expiry_is_twelve_hours(app):
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert dispatch.offer_expiry(now, None) == now + timedelta(hours=12)
