"""Rendered calendar pages are reused until a commit changes what they show."""

from datetime import date

import pytest
from sqlalchemy import text

from lectureorder.extensions import db as _db
from lectureorder.models import ChangeStamp, current_stamp
from tests.calendar_builders import add_session
from tests.helpers import local_dt, login

URL = "/coord/calendar?view=month&date=2026-12-08"


@pytest.fixture
def stamped(db):
    """The stamp row the migration creates (create_all in tests does not)."""
    db.session.add(ChangeStamp(id=1, value=0))
    db.session.commit()


def fetch(client, db, url=URL) -> str:
    db.session.expire_all()  # the test shares the request's session: start each request cold
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_second_look_reuses_the_page_with_fewer_queries(
        client, db, world, make_member, coordinator, frozen_now, stamped, count_queries):
    add_session(db, world, make_member(name="甲队员"), local_dt(date(2026, 12, 8), 10))
    login(client, coordinator.username)
    with count_queries() as cold:
        first = fetch(client, db)
    with count_queries() as warm:
        second = fetch(client, db)
    assert "甲队员" in first
    assert second == first
    assert warm() < cold()


def test_a_commit_that_changes_sessions_shows_at_once(
        client, db, world, make_member, coordinator, frozen_now, stamped):
    login(client, coordinator.username)
    assert "乙队员" not in fetch(client, db)
    before = current_stamp()
    add_session(db, world, make_member(name="乙队员"), local_dt(date(2026, 12, 9), 10))
    assert current_stamp() > before
    assert "乙队员" in fetch(client, db)


def test_a_rolled_back_change_does_not_bump_the_stamp(db, world, make_member, stamped):
    member = make_member()
    before = current_stamp()
    member.name = "改名"
    _db.session.flush()
    _db.session.rollback()
    _db.session.commit()
    assert current_stamp() == before


def test_pages_in_different_languages_are_kept_apart(
        client, db, world, coordinator, frozen_now, stamped, app):
    login(client, coordinator.username)
    chinese = fetch(client, db)
    english_client = app.test_client()
    login(english_client, coordinator.username)
    english_client.set_cookie("lang", "en")
    english = english_client.get(URL).get_data(as_text=True)
    assert "日历" in chinese
    assert "Calendar" in english and english != chinese


def test_without_the_stamp_row_nothing_is_cached(
        client, db, world, make_member, coordinator, frozen_now, count_queries):
    login(client, coordinator.username)
    with count_queries() as first:
        fetch(client, db)
    with count_queries() as second:
        fetch(client, db)
    assert first() == second()


def test_a_database_without_the_stamp_table_still_commits(db, world, make_member):
    member = make_member()
    db.session.execute(text("DROP TABLE change_stamp"))
    db.session.commit()
    member.name = "新名字"
    db.session.commit()  # the bump fails quietly after the commit; the change is kept
    db.session.expire_all()
    assert member.name == "新名字"
