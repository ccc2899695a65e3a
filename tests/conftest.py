"""The test kit: app, db, client, builders (callable fixtures), login helpers, query counter."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import flask_babel
import pytest
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.exc import ProgrammingError

from lectureorder import create_app
from lectureorder.domain.calendars import TZ
from lectureorder.extensions import db as _db
from lectureorder.models import (
    EquipmentKit,
    Market,
    Member,
    Role,
    School,
    SchoolTerm,
    Topic,
    Township,
    User,
    Village,
)
from lectureorder.services import clock
from tests.helpers import PASSWORD

TOPIC_ROWS = [
    ("anti_fraud", "防范电信网络诈骗", "Anti-fraud", ["field_class", "market_talk", "mobile_film", "school_talk"]),
    ("two_cards", "“两卡”违法犯罪", "Two cards", ["field_class", "market_talk", "mobile_film", "school_talk"]),
    ("traffic_safety", "交通安全", "Traffic safety", ["field_class", "market_talk", "mobile_film", "school_talk"]),
    ("campus_bullying", "校园安全与防欺凌", "Campus bullying", ["school_talk"]),
    ("drug_awareness", "防毒识毒", "Drug awareness", ["field_class", "market_talk", "mobile_film", "school_talk"]),
]


# Password hashing is deliberately slow; tests do not need that.
FAST_HASH = "pbkdf2:sha256:1000"


def _forget_login() -> None:
    from flask import g

    g.pop("_login_user", None)


# The whole suite runs on SQLite by default and on PostgreSQL when this names a database URI
# (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/lectureorder_test): that database is
# created fresh for the run, its tables built once, emptied before every test, dropped at the end.
TEST_DATABASE_ENV = "LECTUREORDER_TEST_DATABASE"


def _empty_tables(engine) -> None:
    """Every table emptied and every id sequence restarted (ids start at 1 again, as on a new
    SQLite file). DELETE, children first, takes 1.5 ms on the suite's few rows; TRUNCATE ...
    RESTART IDENTITY CASCADE took 39 ms and drop_all/create_all 82 ms (27 tables)."""
    deletes = "; ".join(f'DELETE FROM "{table.name}"'
                        for table in reversed(_db.metadata.sorted_tables))
    try:
        with engine.begin() as conn:
            # A test that leaked an open transaction would make this wait for ever: say so.
            conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
            conn.exec_driver_sql(deletes)
            conn.exec_driver_sql(
                "SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'")
    except ProgrammingError:  # a test dropped a table (a database that was never upgraded)
        _db.metadata.create_all(engine, checkfirst=True)
        _empty_tables(engine)


@pytest.fixture(scope="session")
def server_database() -> Iterator[str | None]:
    """The run's own PostgreSQL database (None on SQLite): created, tables built once, dropped."""
    uri = os.environ.get(TEST_DATABASE_ENV)
    if not uri:
        yield None
        return
    url = make_url(uri)
    if not url.drivername.startswith("postgresql") or not url.database:
        raise pytest.UsageError(f"{TEST_DATABASE_ENV} must name a PostgreSQL database: {uri}")
    # The name carries the process id, so two runs on one server never share a database.
    url = url.set(database=f"{url.database}_{os.getpid()}")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    uri = url.render_as_string(hide_password=False)
    try:
        builder = create_app({"SQLALCHEMY_DATABASE_URI": uri})
        with builder.app_context():
            _db.create_all()
            _db.engine.dispose()
        yield uri
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def app(tmp_path, server_database):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": server_database or f"sqlite:///{tmp_path / 'test.sqlite'}",
        "SLOT_MIN_LEAD_HOURS": 0,
    })
    # Requests in a test share the fixture's app context, where Flask-Babel caches the locale;
    # in production each request has its own. Forget it per request, as production does.
    app.before_request(flask_babel.refresh)
    # Flask-Login caches the user on g, which that shared context would carry from one request
    # (or one test client) into the next: forget it per request too.
    app.before_request(_forget_login)
    with app.app_context():
        if server_database:
            _empty_tables(_db.engine)
        else:
            _db.create_all()
        # The reference counter, as the migrations make it: the whole suite places and checks
        # orders through the cached reference snapshot (services/reference.py), as deployed.
        with _db.engine.begin() as conn:
            conn.execute(text("INSERT INTO change_stamp (id, value) VALUES (2, 0)"))
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' in the middle of a school term: Tuesday 2026-12-01 09:00 Beijing time."""
    return datetime(2026, 12, 1, 9, 0, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def world(db):
    """Topics, two townships with a village, a school (with its term) and a market, a kit."""
    topics = {}
    for pos, (code, zh, en, formats) in enumerate(TOPIC_ROWS):
        topics[code] = Topic(code=code, title_zh=zh, title_en=en, summary_zh=zh, summary_en=en,
                             formats=formats, position=pos)
        db.session.add(topics[code])
    town = Township(name="三合镇", name_en="Sanhe", lat=36.455, lon=102.045, position=0)
    far = Township(name="洪水泉回族乡", name_en="Hongshuiquan", lat=36.43, lon=102.25, hui=True, position=1)
    db.session.add_all([town, far])
    db.session.flush()
    village = Village(township_id=town.id, name="东庄村（示例）", lat=36.456, lon=102.046)
    far_village = Village(township_id=far.id, name="西沟村（示例）", lat=36.431, lon=102.251)
    school = School(township_id=town.id, name="三合镇中心学校（示例）", lat=36.457, lon=102.044)
    school.terms = [SchoolTerm(first=date(2026, 9, 1), last=date(2027, 1, 15)),
                    SchoolTerm(first=date(2027, 3, 1), last=date(2027, 7, 10))]
    market = Market(township_id=town.id, name="三合集市（示例）", lat=36.455, lon=102.045,
                    cycle={"calendar": "lunar", "digits": [3, 6, 9]})
    kit = EquipmentKit(name="放映车一号")
    db.session.add_all([village, far_village, school, market, kit])
    db.session.commit()
    return type("World", (), {
        "topics": topics, "town": town, "far": far, "village": village,
        "far_village": far_village, "school": school, "market": market, "kit": kit,
    })


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(role: str = Role.MEMBER, username: str | None = None, **overrides) -> User:
        user = User(username=username or f"user{next(counter)}", role=role, **overrides)
        user.set_password(PASSWORD, method=FAST_HASH)
        db.session.add(user)
        db.session.flush()
        return user

    return make


@pytest.fixture
def make_member(db, world, make_user) -> Callable[..., Member]:
    def make(name: str = "马建国", topics=("anti_fraud",), formats=("field_class", "market_talk",
             "school_talk", "mobile_film"), township=None, **overrides) -> Member:
        user = make_user(Role.MEMBER)
        member = Member(
            user=user, name=name, home_township_id=(township or world.town).id,
            formats=list(formats), specialties=[world.topics[t] for t in topics],
            phone="13972000001", **overrides,
        )
        db.session.add(member)
        db.session.commit()
        return member

    return make


@pytest.fixture
def coordinator(make_user, db) -> User:
    user = make_user(Role.COORDINATOR, username="coord")
    db.session.commit()
    return user


@pytest.fixture(autouse=True)
def _running_clock():
    """Every test ends with the clock running again, whoever froze it."""
    yield
    clock.freeze(None)


@pytest.fixture
def frozen_now(now):
    """Freeze the one clock every edge reads (views, jobs, CLI) at `now`; move it on with
    `clock.freeze(later)` (from lectureorder.services import clock)."""
    clock.freeze(now)
    return now


def run_dispatch_pass(at: datetime | None = None) -> int:
    """One dispatch pass, as the scheduler runs it every few seconds after orders are placed:
    at ``at``, else the frozen clock (``now_utc()``), with the settings the current app's config
    gives now; commits; returns how many orders it dispatched. For helpers that cannot take
    the ``dispatch_pass`` fixture (which also defaults to the fixed ``now``). Never sleep."""
    from lectureorder.services import dispatch
    from tests.helpers import live_settings

    count = dispatch.dispatch_pending(now=at or clock.now_utc(), settings=live_settings())
    _db.session.commit()
    return count


@pytest.fixture
def dispatch_pass(db, now):
    """Run one dispatch pass after placing orders: ``dispatch_pass()`` offers every waiting
    order (at the frozen clock when a test froze it, else at the fixed ``now``;
    ``dispatch_pass(at)`` for another time), commits, and returns how many it dispatched."""

    def run(at: datetime | None = None) -> int:
        return run_dispatch_pass(at or (clock.now_utc() if clock._frozen is not None else now))

    return run


@pytest.fixture
def count_queries(db):
    """Count SQL statements run inside the block: `with count_queries() as n: ...; n()`."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        class Count:
            def __call__(self) -> int:
                return len(statements)

            def __repr__(self) -> str:  # shows the statements when an assertion fails
                return f"{len(statements)} queries:\n" + "\n".join(statements)

            @property
            def statements(self) -> list[str]:
                return list(statements)

        try:
            yield Count()
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counter
