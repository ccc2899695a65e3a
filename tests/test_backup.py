"""Backups: an archive taken while orders pour in restores every order acknowledged before it
started, each one whole, with the photos; restore refuses a database in use without --force."""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text

from lectureorder import create_app
from lectureorder.domain.orders import OrderRequest
from lectureorder.extensions import db
from lectureorder.models import AuditEvent, Notification, Order
from lectureorder.services import backup as backups
from lectureorder.services import ordering
from tests.concurrency.conftest import build_team
from tests.helpers import postgres_uri_or_skip

WRITERS = 3
MAX_ORDERS = 300  # per writer: the load stops by itself
MAX_SECONDS = 60


@pytest.fixture
def pg_server():
    """Make and later drop PostgreSQL databases of this test's own."""
    uri = postgres_uri_or_skip()
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (postgresql-client)")
    server = uri.rsplit("/", 1)[0]
    admin = create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make(name: str) -> str:
        name = f"lectureorder_{name}_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return f"{server}/{name}"

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def instance(tmp_path, name: str, uri: str | None = None):
    """An app of its own: its database (a new SQLite file unless ``uri``) and photos folder."""
    folder = tmp_path / name
    folder.mkdir()
    return create_app({
        "SQLALCHEMY_DATABASE_URI": uri or f"sqlite:///{folder / 'lectureorder.sqlite'}",
        "PHOTO_DIR": str(folder / "photos"), "SLOT_MIN_LEAD_HOURS": 0,
    })


def order_request(village_id: int, i: int) -> OrderRequest:
    return OrderRequest(
        topics=("anti_fraud",), format="field_class", place_kind="village", place_id=village_id,
        audience_type="villagers", audience_size=50, earliest=date(2026, 12, 7),
        latest=date(2026, 12, 11), requester_name=f"村民{i}", phone="13800001234")


def place_orders(app, village_id, now, acked: list[str], lock, stop: threading.Event) -> None:
    """One writer: place and commit orders until told to stop; a code is 'acknowledged' once
    its commit has returned, as the API answers 201 only then."""
    with app.app_context():
        for i in range(MAX_ORDERS):
            if stop.is_set():
                break
            order = ordering.place_order(order_request(village_id, i), now=now)
            db.session.commit()
            with lock:
                acked.append(order.code)
        db.session.remove()


def codes_and_wholeness(app) -> tuple[set[str], list[str]]:
    """The orders in a database, and those missing a part written with them (their audit row,
    their 'received' message, their topic)."""
    with app.app_context():
        codes = set(db.session.scalars(select(Order.code)))
        broken = []
        for order in db.session.scalars(select(Order)):
            audits = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.entity == "order", AuditEvent.entity_id == order.id))
            messages = db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.order_id == order.id))
            link = db.metadata.tables["order_topic"]
            topics = db.session.scalar(select(func.count()).select_from(link).where(
                link.c.order_id == order.id))
            if audits != 1 or messages != 1 or topics != 1:
                broken.append(order.code)
        db.session.remove()
        db.engine.dispose()
    return codes, broken


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_backup_under_write_load_restores_every_acknowledged_order(
        database, tmp_path, now, request):
    source_uri = target_uri = None
    if database == "postgres":
        make = request.getfixturevalue("pg_server")
        source_uri, target_uri = make("backup_source"), make("backup_target")
    source = instance(tmp_path, "source", source_uri)
    with source.app_context():
        db.create_all()
        village_id = build_team(3).id
    photo = tmp_path / "source" / "photos" / "1" / "a1b2.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff photo")

    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    writers = [threading.Thread(target=place_orders, args=(source, village_id, now, acked, lock, stop))
               for _ in range(WRITERS)]
    for w in writers:
        w.start()
    try:
        deadline = time.monotonic() + MAX_SECONDS
        while len(acked) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        with lock:
            before = set(acked)
        archive = tmp_path / "backups" / "lectureorder.tar.gz"
        result = source.test_cli_runner().invoke(args=["backup", str(archive)])
        assert result.exit_code == 0, result.output
        with lock:
            at_end = len(acked)
        # The writers were busy throughout: they go on acknowledging after the backup.
        while len(acked) <= at_end and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(acked) > at_end, "the writers stopped before the backup ended"
    finally:
        stop.set()
        for w in writers:
            w.join(timeout=60)
    with source.app_context():
        db.session.remove()
        db.engine.dispose()
    assert len(before) >= 20 and archive.is_file()

    target = instance(tmp_path, "target", target_uri)
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    restored, broken = codes_and_wholeness(target)
    assert before <= restored, f"lost acknowledged orders: {sorted(before - restored)}"
    assert restored <= set(acked)  # nothing that was never committed
    assert broken == []
    assert (tmp_path / "target" / "photos" / "1" / "a1b2.jpg").read_bytes() == photo.read_bytes()
    # The restored instance works: it takes new orders, with fresh ids.
    with target.app_context():
        ordering.place_order(order_request(village_id, 999), now=now)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_in_use_unless_forced(tmp_path, now):
    source = instance(tmp_path, "source")
    with source.app_context():
        db.create_all()
        village_id = build_team(1).id
        first = ordering.place_order(order_request(village_id, 1), now=now).code
        db.session.commit()
    folder = tmp_path / "backup-dir"  # not .tar.gz: a directory
    assert source.test_cli_runner().invoke(args=["backup", str(folder)]).exit_code == 0
    assert (folder / "manifest.json").is_file() and (folder / "database.sqlite").is_file()
    again = source.test_cli_runner().invoke(args=["backup", str(folder)])
    assert again.exit_code != 0 and "already exists" in again.output  # never overwritten

    with source.app_context():  # the source goes on: a second order after the backup
        second = ordering.place_order(order_request(village_id, 2), now=now).code
        db.session.commit()
    refused = source.test_cli_runner().invoke(args=["restore", str(folder)])
    assert refused.exit_code != 0 and "--force" in refused.output
    with source.app_context():
        assert set(db.session.scalars(select(Order.code))) == {first, second}  # untouched
    forced = source.test_cli_runner().invoke(args=["restore", str(folder), "--force"])
    assert forced.exit_code == 0, forced.output
    with source.app_context():
        db.session.remove()
        assert set(db.session.scalars(select(Order.code))) == {first}
        db.engine.dispose()


def test_restore_refuses_what_is_not_a_backup_or_of_another_database(tmp_path):
    app = instance(tmp_path, "app")
    bogus = tmp_path / "bogus"
    bogus.mkdir()
    result = app.test_cli_runner().invoke(args=["restore", str(bogus)])
    assert result.exit_code != 0 and "not a LectureOrder backup" in result.output
    (bogus / "manifest.json").write_text('{"format": 1, "engine": "postgresql"}')
    result = app.test_cli_runner().invoke(args=["restore", str(bogus)])
    assert result.exit_code != 0 and "postgresql" in result.output


def test_pg_commands_keep_the_password_out_of_argv():
    uri = "postgresql+psycopg://lo:s3cret@db.internal:5432/lectureorder"
    dump = backups.pg_dump_command(uri, "/b/database.dump")
    restore = backups.pg_restore_command(uri, "/b/database.dump")
    assert dump[0] == "pg_dump" and restore[0] == "pg_restore"
    assert not any("s3cret" in part for part in dump + restore)
    assert "--dbname=postgresql://lo@db.internal:5432/lectureorder" in dump
    assert backups.libpq_target(uri)[1] == {"PGPASSWORD": "s3cret"}
