"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from lectureorder import create_app
from lectureorder.extensions import db
from tests.helpers import require_browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (a launch costs about a second; each test opens its own
    context, so no cookie or storage crosses from one test to the next)."""
    if not os.path.exists(CHROMIUM):
        if require_browser():
            pytest.fail("LECTUREORDER_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


@contextmanager
def serve_demo(folder):
    """Give (url, app): the real app on a free port with the demo data, in a thread of this
    process, on a SQLite file in ``folder``."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite'}",
        "WTF_CSRF_ENABLED": True,  # the browser goes through CSRF like a person does
    })
    with app.app_context():
        db.create_all()
        from lectureorder.services.clock import now_utc
        from lectureorder.services.demo import seed

        seed(now=now_utc())
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_server(tmp_path):
    """The real app on a free port with the demo data, fresh for each test."""
    with serve_demo(tmp_path) as (url, _app):
        yield url


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """(url, app): one live demo server for a whole module (its tests share the data, so each
    works on orders and members of its own)."""
    with serve_demo(tmp_path_factory.mktemp("live")) as served:
        yield served
