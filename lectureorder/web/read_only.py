"""A request that only read ends its transaction with COMMIT, not ROLLBACK.

psycopg 3 forgets every prepared statement of a connection on ROLLBACK (its cache cannot know
what a rolled-back transaction dropped or recreated: ``psycopg/_preparing.py``), and the session
ends each request it did not commit with one. So on PostgreSQL every read-only request — a
tracked order, the menu, a calendar page — planned each of its queries afresh (1.6 ms for the
order-status query, five times its execution). A transaction that wrote nothing ends the same
either way, and COMMIT keeps the plans. A request that ran anything but a SELECT (flushed or
not, ORM or Core), that failed, or that holds unflushed changes still ends with ROLLBACK, as
before: nothing a view left uncommitted is ever written.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..extensions import db

WROTE = "lectureorder.wrote"


@event.listens_for(Engine, "begin")
def _forget_writes(conn) -> None:
    conn.info.pop(WROTE, None)


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if not statement.lstrip()[:6].upper().startswith("SELECT"):
        conn.info[WROTE] = True


def init_app(app: Flask) -> None:
    @app.teardown_request
    def _commit_read_only(exc: BaseException | None) -> None:
        session = db.session()  # the request's Session (a new one is in no transaction)
        if exc is not None or not session.in_transaction():
            return
        if session.new or session.dirty or session.deleted:
            return
        if session.connection().info.get(WROTE):
            return
        session.commit()
