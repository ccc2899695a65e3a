"""A request that only read ends with COMMIT (web/read_only.py): on PostgreSQL psycopg then keeps
the connection's prepared statements, which a ROLLBACK clears. Anything that wrote and was not
committed by its view is still rolled back: nothing uncommitted is ever written."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import close_all_sessions

from lectureorder import create_app
from lectureorder.extensions import db as _db
from lectureorder.models import AuditEvent, Township


@pytest.fixture
def own_app(app):
    """A second app on the test database whose requests each get their own app context (and so
    their own session, removed at the end), as in production; the suite's app shares one."""
    made = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})

    @made.get("/_test/read")
    def read():
        return {"n": _db.session.scalar(select(func.count()).select_from(Township))}

    @made.get("/_test/core-write")
    def core_write():  # a Core INSERT, never committed by its view
        _db.session.execute(insert(AuditEvent.__table__), {
            "entity": "test", "entity_id": 1, "action": "uncommitted", "actor_label": "t",
            "detail": {}})
        return {"ok": True}

    @made.get("/_test/flushed")
    def flushed():  # an ORM change flushed, never committed
        _db.session.add(Township(name="未提交乡", name_en="Uncommitted"))
        _db.session.flush()
        return {"ok": True}

    @made.get("/_test/pending")
    def pending():  # an ORM change not even flushed
        _db.session.add(Township(name="未写入乡", name_en="Pending"))
        return {"ok": True}

    yield made
    close_all_sessions()
    with made.app_context():
        _db.engine.dispose()


def endings(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "commit", lambda conn: seen.append("commit"))
    event.listen(engine, "rollback", lambda conn: seen.append("rollback"))
    return seen


def test_a_read_only_request_commits_and_a_writing_one_never_does(own_app, db):
    with own_app.app_context():
        engine = _db.engine
    seen = endings(engine)
    client = own_app.test_client()
    assert client.get("/_test/read").status_code == 200
    assert seen == ["commit"]
    for path in ("/_test/core-write", "/_test/flushed", "/_test/pending"):
        seen.clear()
        assert client.get(path).status_code == 200
        assert "commit" not in seen, path
    db.session.rollback()  # the suite's own session: read what is stored now
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert db.session.scalar(select(func.count()).select_from(Township)
                             .where(Township.name.in_(["未提交乡", "未写入乡"]))) == 0


def test_postgresql_keeps_the_plans_of_read_only_requests(own_app, db):
    with own_app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are psycopg's (PostgreSQL)")
    client = own_app.test_client()
    for _ in range(8):  # psycopg prepares a statement after its fifth run on a connection
        assert client.get("/_test/read").status_code == 200
    with own_app.app_context():
        prepared = _db.session.scalar(text(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%township%'"))
        _db.session.commit()
    assert prepared >= 1
