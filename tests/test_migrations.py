"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from lectureorder import create_app
from lectureorder.extensions import db


def upgraded_diff(uri: str) -> list:
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    db.metadata)
            constraints = set()
            if conn.dialect.name == "postgresql":
                constraints = set(conn.scalars(text(
                    "SELECT conname FROM pg_constraint WHERE contype = 'x'")))
        downgrade(revision="base")  # and every migration can be undone
        db.engine.dispose()
    return diff, constraints


def test_upgrade_from_empty_matches_the_models(tmp_path):
    diff, _ = upgraded_diff(f"sqlite:///{tmp_path / 'm.sqlite'}")
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_postgres_upgrade_matches_and_has_the_overlap_constraints():
    uri = os.environ.get("LECTUREORDER_TEST_POSTGRES")
    if not uri:
        pytest.skip("set LECTUREORDER_TEST_POSTGRES to check the migrations on PostgreSQL")
    admin = create_engine(uri.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS lectureorder_migrations"))
        conn.execute(text("CREATE DATABASE lectureorder_migrations"))
    try:
        diff, constraints = upgraded_diff(uri.rsplit("/", 1)[0] + "/lectureorder_migrations")
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS lectureorder_migrations WITH (FORCE)"))
        admin.dispose()
    assert diff == []
    assert constraints == {"no_member_overlap", "no_kit_overlap"}
