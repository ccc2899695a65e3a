"""Real races: the same test on SQLite (a file, WAL) and on PostgreSQL when it is available."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text

from lectureorder import create_app
from lectureorder.extensions import db
from lectureorder.models import EquipmentKit, Member, Role, Topic, Township, User, Village
from tests.helpers import postgres_uri_or_skip


@pytest.fixture(params=["sqlite", "postgres"])
def race_app(request, tmp_path):
    """An app on a real server-like database; each thread gets its own app context/session."""
    if request.param == "postgres":
        uri = postgres_uri_or_skip()
    else:
        uri = f"sqlite:///{tmp_path / 'race.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SLOT_MIN_LEAD_HOURS": 0,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20} if request.param == "postgres" else {}})
    with app.app_context():
        if request.param == "postgres":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if request.param == "postgres":
            db.drop_all()
        db.engine.dispose()


def race(app, n: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` in n threads released at the same instant; return results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = work(i)
            except Exception as exc:  # the race's losers are part of the result
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def build_team(members: int, formats=("field_class",), *, kit: bool = False, **member_fields):
    """A township with one village, a topic and ``members`` interchangeable members (in the
    current app context, committed); returns the village. With ``kit``, one film kit too."""
    from tests.conftest import FAST_HASH

    topic = Topic(code="anti_fraud", title_zh="防诈", title_en="Anti-fraud", formats=list(formats))
    town = Township(name="三合镇", lat=36.455, lon=102.045)
    db.session.add_all([topic, town])
    db.session.flush()
    village = Village(township_id=town.id, name="东庄村", lat=36.456, lon=102.046)
    db.session.add(village)
    if kit:
        db.session.add(EquipmentKit(name="放映车一号"))
    fields = {"daily_cap": 9, "weekly_cap": 99} | member_fields
    for i in range(members):
        user = User(username=f"m{i}", role=Role.MEMBER)
        user.set_password("x" * 8, method=FAST_HASH)
        db.session.add(Member(user=user, name=f"队员{i}", home_township_id=town.id,
                              formats=list(formats), specialties=[topic], **fields))
    db.session.commit()
    return village
