"""Fixtures for the web tests: the photo folder and a team with a session to deliver (used by the
evidence and photo-privacy tests)."""

from datetime import date

import pytest

from tests.report_data import at, make_order, make_session


@pytest.fixture
def photo_dir(app, tmp_path):
    """Photos go to the test's own folder, never to the real instance folder."""
    folder = tmp_path / "photos"
    app.config["PHOTO_DIR"] = str(folder)
    return folder


@pytest.fixture
def team(db, world, make_member):
    lead = make_member("马建国")
    helper = make_member("李海龙")
    other = make_member("王晓燕")
    order = make_order(db, world, created=at(date(2026, 11, 20), 9), status="scheduled")
    session = make_session(db, world, lead, order=order, start=at(date(2026, 11, 30), 10),
                           status="scheduled", helpers=[helper])
    db.session.commit()
    return type("Team", (), {"lead": lead, "helper": helper, "other": other, "session": session,
                             "order": order})
