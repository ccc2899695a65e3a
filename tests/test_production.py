"""The production profile: no start with a weak SECRET_KEY or the debugger; login answers
take as long for unknown usernames; passwords hashed at scrypt N=2^17, older hashes upgraded."""

from __future__ import annotations

import pytest
from werkzeug import security

from lectureorder import create_app
from lectureorder.models import User
from lectureorder.models.user import PASSWORD_METHOD
from lectureorder.services import accounts
from tests.helpers import PASSWORD, login

STRONG = "kq3V9x-pL2mZ8rT4wN6yB1cF5hJ7dS0aGeUiOo"  # 38 characters, many different ones
SERVER_DB = "postgresql+psycopg://nobody@127.0.0.1:1/never"  # create_app does not connect

WEAK = ["", "x", "test", "secret", "changeme", "dev-only-change-me", "bench-only-secret",
        "short-but-random-9fK2", "a" * 40, "please-change-me-please-change-me-now",
        "dev-only-change-me" * 2]


@pytest.mark.parametrize("key", WEAK)
def test_production_refuses_a_weak_secret_key(tmp_path, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
                    "PRODUCTION": True, "SECRET_KEY": key})


@pytest.mark.parametrize("key", ["", "x", "test", "dev-only-change-me"])
def test_a_server_database_refuses_a_weak_secret_key(key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": SERVER_DB, "TESTING": False, "SECRET_KEY": key})


@pytest.mark.parametrize("config", [
    {"PRODUCTION": True, "DEBUG": True},
    {"SQLALCHEMY_DATABASE_URI": SERVER_DB, "TESTING": False, "DEBUG": True},
])
def test_production_refuses_debug(tmp_path, config):
    with pytest.raises(RuntimeError, match="DEBUG"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
                    "SECRET_KEY": STRONG, **config})


def test_production_starts_with_a_strong_key(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
                      "PRODUCTION": True, "SECRET_KEY": STRONG})
    assert app.config["PRODUCTION"] is True
    app = create_app({"SQLALCHEMY_DATABASE_URI": SERVER_DB, "TESTING": False,
                      "SECRET_KEY": STRONG.encode()})  # bytes keys (os.urandom) too
    assert not app.debug


def test_new_passwords_are_scrypt_at_two_to_the_seventeen(app, db):
    assert PASSWORD_METHOD == "scrypt:131072:8:1"
    user = accounts.create_user("newcomer", PASSWORD, "member")  # the CLI's path
    assert user.password_hash.startswith("scrypt:131072:8:1$")


class Spy:
    def __init__(self, monkeypatch):
        self.hashes: list[str] = []
        real = security.check_password_hash

        def spy(pwhash: str, password: str) -> bool:
            self.hashes.append(pwhash)
            return real(pwhash, password)

        monkeypatch.setattr(security, "check_password_hash", spy)
        monkeypatch.setattr("lectureorder.models.user.check_password_hash", spy)


def test_an_unknown_username_costs_one_hash_check_like_a_known_one(app, client, make_member,
                                                                   monkeypatch):
    member = make_member()
    spy = Spy(monkeypatch)
    assert login(client, "nobody-by-this-name").status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "nobody-either",
                                                   "password": PASSWORD}).status_code == 401
    method = app.config["PASSWORD_HASH_METHOD"]
    assert len(spy.hashes) == 2 and all(h.startswith(method + "$") for h in spy.hashes)
    spy.hashes.clear()
    assert login(client, member.user.username, "wrong-password").status_code == 401
    assert spy.hashes == [member.user.password_hash]


def test_an_inactive_account_is_checked_like_an_active_one(client, make_member, db, monkeypatch):
    member = make_member()
    member.user.active = False
    db.session.commit()
    spy = Spy(monkeypatch)
    assert login(client, member.user.username).status_code == 401
    assert len(spy.hashes) == 1


@pytest.mark.parametrize("old_method", ["pbkdf2:sha256:1000", "scrypt"])  # scrypt = N=2^15
def test_an_old_hash_is_upgraded_on_login(app, client, make_user, db, old_method):
    app.config["PASSWORD_HASH_METHOD"] = PASSWORD_METHOD  # the real cost, for this test only
    user = make_user()
    user.set_password(PASSWORD, method=old_method)
    db.session.commit()
    old = user.password_hash
    assert login(client, user.username, "wrong-password").status_code == 401
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old  # a wrong guess changes nothing
    assert login(client, user.username).status_code == 302
    db.session.expire_all()
    upgraded = db.session.get(User, user.id)
    assert upgraded.password_hash.startswith("scrypt:131072:8:1$")
    assert upgraded.check_password(PASSWORD)


def test_the_test_kit_hashes_cheaply(app):
    assert app.config["PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:1000"
