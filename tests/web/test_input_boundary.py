"""Control characters are refused at the boundary (every form, the API bodies, query strings),
on SQLite and on PostgreSQL, with a field message and 422; nothing is stored; and a crash's log
line never carries request data."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import flask_babel
import pytest
from flask_wtf import FlaskForm
from sqlalchemy import create_engine, func, select, text

import lectureorder.web
from lectureorder import create_app
from lectureorder.extensions import db as _db
from lectureorder.models import Order
from lectureorder.web.forms import SafeForm
from lectureorder.web.safety import CONTROL_MESSAGE, has_control
from tests.helpers import PASSWORD, login, order_body, postgres_uri_or_skip

PG_DATABASE = "lectureorder_boundary"
# A part of the message in each language (the Chinese one once the catalogue has it).
MESSAGE_PARTS = ("invisible character", "隐藏字符")
PHONE = "13800001234"


@pytest.fixture(scope="module")
def postgres_uri():
    """A database of this module's own on the PostgreSQL server, dropped afterwards."""
    uri = postgres_uri_or_skip()
    server = uri.rsplit("/", 1)[0]
    admin = create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
    try:
        yield f"{server}/{PG_DATABASE}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def app(request, tmp_path):
    """The test kit's app, on each database (PostgreSQL: the text type refuses NUL)."""
    if request.param == "postgres":
        uri = request.getfixturevalue("postgres_uri")
    else:
        uri = f"sqlite:///{tmp_path / 'test.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SLOT_MIN_LEAD_HOURS": 0})
    app.before_request(flask_babel.refresh)
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def orders(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Order))


def says_retype(message: str) -> bool:
    return any(part in message for part in MESSAGE_PARTS)


def refused_here(response) -> bool:
    return response.status_code == 422 and says_retype(response.get_data(as_text=True))


# ------------------------------------------------------------------ every form


def all_form_classes() -> list[type]:
    for info in pkgutil.walk_packages(lectureorder.web.__path__, "lectureorder.web."):
        importlib.import_module(info.name)
    found, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("lectureorder."):
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: (c.__module__, c.__name__))


@pytest.fixture(scope="module")
def form_app():
    """Forms need a request context, not a database."""
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_every_form_of_the_app_is_a_safe_form():
    forms = all_form_classes()
    assert len(forms) >= 20, forms  # the walk really found the app's forms
    assert [f for f in forms if not issubclass(f, SafeForm)] == []


@pytest.mark.parametrize("form_class", all_form_classes(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x08"])
def test_every_field_of_every_form_refuses_control_characters(form_app, form_class, char):
    from werkzeug.datastructures import MultiDict

    with form_app.test_request_context(method="POST"):
        probe = form_class(formdata=None, meta={"csrf": False})
        names = [f.name for f in probe if f.type not in ("CSRFTokenField", "MultipleFileField",
                                                         "FileField")]
        form = form_class(formdata=MultiDict({n: f"ab{char}c" for n in names}),
                          meta={"csrf": False})
        for field in form:
            if getattr(field, "choices", ()) is None:
                field.choices = []  # filled by the view; "not a valid choice" is replaced
        assert not names or form.validate() is False
        for name in names:
            assert [str(e) for e in form[name].errors] == [
                flask_babel.gettext(CONTROL_MESSAGE)], name


def test_tab_and_line_breaks_are_text():
    assert not has_control("第一行\r\n第二行\tand more")
    assert all(has_control(c) for c in ["\x00", "\x01", "\x0b", "\x0c", "\x1f", "\x7f"])


# ------------------------------------------------------------------ the six endpoints, both databases


def order_form(world, **changes) -> dict:
    data = {"topics": ["anti_fraud"], "format": "field_class", "place": f"village:{world.village.id}",
            "audience_type": "villagers", "audience_size": "60", "earliest": "2026-12-07",
            "latest": "2026-12-20", "requester_name": "张三", "requester_org": "东庄村委会",
            "phone": PHONE, "notes": ""}
    data.update(changes)
    return data


@pytest.mark.parametrize("field", ["requester_name", "requester_org", "phone", "notes"])
def test_public_order_form_refuses_nul_and_stores_nothing(client, world, frozen_now, db, field):
    response = client.post("/orders/new", data=order_form(world, **{field: "张\x00三"}))
    assert refused_here(response)
    assert orders(db) == 0


def test_public_order_form_takes_line_breaks_and_tabs(client, world, frozen_now, db):
    response = client.post("/orders/new", data=order_form(world, notes="第一行\r\n第二行\t好"))
    assert response.status_code == 302
    assert orders(db) == 1


@pytest.mark.parametrize("changes, field", [
    ({"requester": {"name": "张三", "organisation": "", "phone": "138\x000001234"}}, "phone"),
    ({"requester": {"name": "张\x00三", "organisation": "", "phone": PHONE}}, "requester_name"),
    ({"notes": "bad\x7f"}, "notes"),
    ({"topics": ["anti_fraud\x00"]}, "topics"),
    ({"channel": "qr\x1b"}, "channel"),
    ({"place": {"kind": "village\x00", "id": 1}}, "place"),
    ({"extra\x00": 1}, "_"),
])
def test_api_order_refuses_control_characters_by_field(client, world, frozen_now, db, changes,
                                                        field):
    response = client.post("/api/v1/orders", json=order_body(world, **changes))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == [field] and says_retype(errors[field][0])
    assert orders(db) == 0


def test_api_order_with_line_breaks_is_placed(client, world, frozen_now, db):
    response = client.post("/api/v1/orders", json=order_body(world, notes="一\n二\r\n\t三"))
    assert response.status_code == 201
    assert orders(db) == 1


def test_track_form_and_api_refuse_nul(client, world, frozen_now, db):
    assert refused_here(client.post("/track", data={"code": "AB\x00CDE", "phone_last4": "1234"}))
    response = client.post("/api/v1/orders/track", json={"code": "AB\x00CDE", "phone_last4": "1234"})
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["code"]
    for path in ("/api/v1/orders/cancel", "/api/v1/orders/rate"):
        response = client.post(path, json={"code": "ABCDEF", "phone_last4": "12\x0034"})
        assert response.status_code == 422, path
        assert list(response.get_json()["errors"]) == ["phone_last4"]


def test_login_and_token_refuse_nul(client, make_user, db):
    user = make_user(username="member01")
    db.session.commit()
    response = client.post("/auth/login", data={"username": "member\x0001", "password": PASSWORD})
    assert refused_here(response)
    response = client.post("/auth/login", data={"username": user.username,
                                                "password": PASSWORD + "\x00"})
    assert refused_here(response)
    assert client.get("/member/").status_code == 302  # not logged in
    response = client.post("/api/v1/auth/token", json={"username": "member\x0001",
                                                       "password": PASSWORD})
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["username"]


def test_query_strings_and_paths_are_refused(client, world, coordinator, frozen_now):
    response = client.get(f"/api/v1/slots?format=field_class%00&place_kind=village"
                          f"&place_id={world.village.id}&from=2026-12-07&to=2026-12-09")
    assert response.status_code == 422
    assert says_retype(response.get_json()["errors"]["format"][0])
    assert client.get("/api/v1/sessions?from=2026-12-01%00&to=2026-12-31").status_code in (401, 422)
    assert client.get("/menu/anti_fraud%00").status_code == 404
    assert client.get("/orders/new?topic=anti%00fraud").status_code == 422
    login(client, coordinator.username)
    assert refused_here(client.get("/coord/calendar?view=month&date=2026-12-01%00"))
    assert refused_here(client.get("/coord/?q=%1b"))
    assert client.get("/coord/calendar?view=month&date=2026-12-01").status_code == 200


def test_member_and_coordinator_forms_refuse_nul(client, world, make_member, coordinator, db,
                                                 frozen_now):
    member = make_member()
    login(client, member.user.username)
    response = client.post("/member/availability", data={
        "start": "2026-12-10", "end": "2026-12-11", "reason": "病\x00假"})
    assert refused_here(response)
    db.session.rollback()
    assert member.leaves == []


# ------------------------------------------------------------------ logs


def test_engine_hides_parameters_even_when_the_options_are_replaced(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"echo": False}})
    with app.app_context():
        assert _db.engine.hide_parameters is True
        _db.engine.dispose()


def test_a_database_error_logs_type_and_endpoint_never_the_phone(app, client, world, frozen_now,
                                                                   db, caplog):
    app.config["PROPAGATE_TEST_ERRORS"] = False
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text('CREATE TRIGGER refuse BEFORE INSERT ON "order" '
                                "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    else:
        db.session.execute(text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                                "RAISE EXCEPTION 'refused %', NEW.requester_phone; END $$ "
                                "LANGUAGE plpgsql"))
        db.session.execute(text('CREATE TRIGGER refuse BEFORE INSERT ON "order" '
                                "FOR EACH ROW EXECUTE FUNCTION refuse()"))
    db.session.commit()
    with caplog.at_level(logging.DEBUG):
        api = client.post("/api/v1/orders", json=order_body(
            world, requester={"name": "张三", "organisation": "", "phone": PHONE}))
        form = client.post("/orders/new", data=order_form(world))
    assert api.status_code == 500 and form.status_code == 500
    assert PHONE not in api.get_data(as_text=True) + form.get_data(as_text=True)
    logged = caplog.text
    assert "api.place_order" in logged and "public.new_order" in logged
    assert "sqlalchemy.exc." in logged  # the type is there, so the log still says what failed
    for digits in (PHONE, "0001234", "张三"):
        assert digits not in logged
