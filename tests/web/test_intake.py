"""Intake through every edge: the form, 代下单 and the API acknowledge at once (the order waits
as "received"), the confirmation page and /track say a member is being found, /coord/ shows
what waits, `flask dispatch-pending` offers it, and the bench endpoint is off by default."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lectureorder.models import Offer, Order
from lectureorder.services import clock
from tests.helpers import login, order_body
from tests.web.test_public import form_for

WAITING = "Received: we are finding a team member for you."


def english(client) -> None:
    client.get("/lang/en?next=/")


def offers(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Offer))


def test_the_form_acknowledges_first_and_the_pass_offers_after(client, world, make_member,
                                                               frozen_now, db, dispatch_pass):
    make_member()
    english(client)
    assert client.post("/orders/new", data=form_for(world)).status_code == 302
    assert offers(db) == 0 and db.session.scalar(select(Order.status)) == "submitted"
    placed = client.get("/orders/placed").get_data(as_text=True)
    assert WAITING in placed and 'data-testid="order-waiting"' in placed
    assert WAITING in client.get("/track").get_data(as_text=True)

    assert dispatch_pass() == 1
    assert offers(db) == 1
    assert WAITING not in client.get("/track").get_data(as_text=True)
    assert WAITING not in client.get("/orders/placed").get_data(as_text=True)


def test_the_api_and_the_phone_order_acknowledge_first(client, world, make_member, coordinator,
                                                       frozen_now, db, dispatch_pass):
    make_member()
    response = client.post("/api/v1/orders", json=order_body(world))
    assert response.status_code == 201 and response.get_json()["status"] == "submitted"
    login(client, coordinator.username)
    data = dict(form_for(world), channel="phone", phone="139 0000 5678")  # another caller
    assert client.post("/coord/orders/new", data=data).status_code == 302
    assert offers(db) == 0
    assert dispatch_pass() == 2
    assert set(db.session.scalars(select(Order.status))) == {"offered"}


def test_coord_shows_how_many_wait_and_since_when(client, world, make_member, coordinator,
                                                  frozen_now, db, dispatch_pass):
    make_member()
    login(client, coordinator.username)
    english(client)
    page = client.get("/coord/").get_data(as_text=True)
    assert "No order is waiting for dispatch." in page
    for phone in ("13800001234", "13900005678"):
        body = order_body(world, requester={"name": "张三", "phone": phone})
        assert client.post("/api/v1/orders", json=body).status_code == 201
    clock.freeze(frozen_now + timedelta(minutes=3))
    page = client.get("/coord/").get_data(as_text=True)
    assert "2 orders waiting for dispatch, the oldest for 3 minutes." in page
    dispatch_pass()
    assert "No order is waiting for dispatch." in client.get("/coord/").get_data(as_text=True)


def test_the_dispatch_pending_command_runs_one_pass(runner, world, make_member, client, db,
                                                    frozen_now):
    make_member()
    assert client.post("/api/v1/orders", json=order_body(world)).status_code == 201
    result = runner.invoke(args=["dispatch-pending"])
    assert result.exit_code == 0 and "dispatched 1 order(s)" in result.output, result.output
    db.session.expire_all()
    assert db.session.scalar(select(Order.status)) == "offered"
    again = runner.invoke(args=["dispatch-pending", "--limit", "5"])
    assert again.exit_code == 0 and "dispatched 0 order(s)" in again.output


def test_the_bench_endpoint_is_off_by_default(client, app):
    assert app.config["BENCH_ENDPOINTS"] is False
    assert "bench" not in app.blueprints
    assert client.post("/bench/insert", json={}).status_code == 404


def test_the_bench_endpoint_when_the_bench_asks_for_it(tmp_path, monkeypatch):
    from lectureorder.extensions import db
    from lectureorder.models import AuditEvent
    from lectureorder.web import bench

    uri = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    monkeypatch.setenv("LECTUREORDER_SQLALCHEMY_DATABASE_URI", uri)
    with pytest.raises(RuntimeError, match="BENCH_ENDPOINTS"):
        bench.create_bench_app()
    monkeypatch.setenv("LECTUREORDER_BENCH_ENDPOINTS", "1")
    app = bench.create_bench_app()
    assert app.view_functions["bench.insert"].access == "public"
    with app.app_context():
        db.create_all()
        response = app.test_client().post("/bench/insert", json={"a": 1})
        assert response.status_code == 201
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1
        db.session.remove()
        db.engine.dispose()
