"""The reference snapshot (services/reference.py): placing an order reads topics, places,
blackouts, holiday overrides and the film season from a per-process snapshot keyed by a
counter, so it must never answer from data that has changed — committed here, committed by
another worker, or changed but not yet committed in the same transaction."""

from __future__ import annotations

from datetime import date

import flask_babel
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import close_all_sessions

from lectureorder import create_app
from lectureorder.domain.errors import ValidationFailed
from lectureorder.extensions import db as _db
from lectureorder.models import Blackout, FilmSeason, HolidayOverride, Order, SchoolTerm
from lectureorder.models.stamp import REFERENCE_STAMP, stamp_value
from lectureorder.services import ordering, reference
from tests.services.test_loop import request_for

DAY = {"earliest": date(2026, 12, 7), "latest": date(2026, 12, 7)}  # a Monday


def fields(exc: ValidationFailed) -> set[str | None]:
    return {e.field for e in exc.errors}


def test_the_snapshot_is_read_once_while_nothing_changes(db, world, count_queries):
    first = reference.current()
    with count_queries() as queries:
        again = reference.current()
    assert again is first and queries() == 1, queries  # the counter, nothing else
    assert first.find_place("village", world.village.id).township_id == world.town.id
    assert set(first.topics) == set(world.topics)


def test_a_committed_blackout_refuses_the_very_next_order(db, world, now):
    ordering.place(request_for(world, **DAY), now=now)  # the snapshot is warm, the day is free
    db.session.commit()
    before = stamp_value(REFERENCE_STAMP)
    db.session.add(Blackout(township_id=world.town.id, first=DAY["earliest"],
                            last=DAY["latest"], label="青稞收割"))
    db.session.commit()
    assert stamp_value(REFERENCE_STAMP) == before + 1  # an order placed bumps nothing
    with pytest.raises(ValidationFailed) as refused:
        ordering.place(request_for(world, **DAY, phone="13800009999"), now=now)
    assert "青稞收割" in str(refused.value.errors[0].params)


def test_a_change_not_yet_committed_counts_in_its_own_transaction(db, world, now):
    reference.current()
    db.session.add(Blackout(township_id=world.town.id, first=DAY["earliest"],
                            last=DAY["latest"], label="乡里开会"))
    db.session.flush()  # not committed: the counter has not moved
    with pytest.raises(ValidationFailed):
        ordering.place(request_for(world, **DAY), now=now)


@pytest.mark.parametrize("change", ["topic", "market", "term", "season", "holiday"])
def test_every_kind_of_reference_change_is_seen(db, world, now, change):
    from tests.services.test_loop import request_for as base

    requests = {
        "topic": base(world, **DAY),
        "market": base(world, format="market_talk", place_kind="market",
                       place_id=world.market.id, earliest=date(2026, 12, 1),
                       latest=date(2027, 1, 31)),
        "term": base(world, format="school_talk", place_kind="school", place_id=world.school.id,
                     audience_type="pupils", **DAY),
        "season": base(world, format="mobile_film", earliest=date(2027, 6, 1),
                       latest=date(2027, 6, 30)),
        "holiday": base(world, format="school_talk", place_kind="school",
                        place_id=world.school.id, audience_type="pupils", **DAY),
    }
    req = requests[change]
    ordering.place(req, now=now)  # possible before the change (and the snapshot is warm)
    db.session.commit()
    if change == "topic":
        world.topics["anti_fraud"].active = False
    elif change == "market":
        world.market.active = False
    elif change == "term":
        term = db.session.get(SchoolTerm, world.school.terms[0].id)
        term.last = date(2026, 12, 4)  # the term now ends before the wanted Monday
    elif change == "season":
        db.session.add(FilmSeason(id=1, all_year=False, start_month=7, start_day=1,
                                  end_month=9, end_day=30))
    elif change == "holiday":
        db.session.add(HolidayOverride(day=DAY["earliest"], working=False, name="调休"))
    db.session.commit()
    with pytest.raises(ValidationFailed):
        ordering.place(replace_phone(req), now=now)


def replace_phone(req):
    from dataclasses import replace

    return replace(req, phone="13800005678")  # not a repeat of the first order


def test_without_the_counter_nothing_is_cached(db, world, now):
    db.session.execute(text("DELETE FROM change_stamp WHERE id = 2"))
    db.session.commit()
    assert reference.current() is not reference.current()  # read afresh each time
    ordering.place(request_for(world, **DAY), now=now)
    db.session.add(Blackout(township_id=world.town.id, first=DAY["earliest"],
                            last=DAY["latest"], label="乡里开会"))
    db.session.commit()
    with pytest.raises(ValidationFailed):
        ordering.place(request_for(world, **DAY, phone="13800009999"), now=now)


@pytest.fixture
def other_worker(app):
    """A second app on the same database: another process with its own snapshot."""
    contexts = []

    def make():
        other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
        other.before_request(flask_babel.refresh)
        contexts.append(other)
        return other

    yield make
    close_all_sessions()
    for other in contexts:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_a_change_another_worker_commits_is_seen_here(db, world, now, other_worker, app):
    ordering.place(request_for(world, **DAY), now=now)
    db.session.commit()
    mine = reference.cached()
    assert mine is not None
    other = other_worker()
    with other.app_context():
        _db.session.add(Blackout(township_id=world.town.id, first=DAY["earliest"],
                                 last=DAY["latest"], label="乡里开会"))
        _db.session.commit()
        _db.session.remove()
    assert reference.cached() is mine  # this process has not looked yet
    with pytest.raises(ValidationFailed):
        ordering.place(request_for(world, **DAY, phone="13800009999"), now=now)
    assert reference.cached() is not mine  # the placement noticed and read the new data
    # … before writing anything (on PostgreSQL the read and the writes are one statement).
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
