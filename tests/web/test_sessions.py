"""Sessions that end: logout, a password change and "sign out everywhere" make every copied
session cookie, remember cookie and (for the last two) API token useless; login starts a fresh
session; API tokens are stored hashed, expire and can be revoked."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from lectureorder.models import ApiToken, AuditEvent, User
from lectureorder.services import clock
from tests.helpers import PASSWORD, login

SESSION = "session"
REMEMBER = "remember_token"


@pytest.fixture(autouse=True)
def _user_per_request(app):
    """The kit's app fixture holds one app context for the whole test, so ``g`` (where
    Flask-Login keeps the request's user) would carry one request's user into the next, even
    into another client's. In production every request has its own ``g``: here too."""
    from flask import g

    @app.before_request
    def forget_the_last_user() -> None:
        g.pop("_login_user", None)


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found is not None else None


def replay(app, **cookies):
    """A second browser holding copies of the first one's cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def opens_inbox(client) -> bool:
    response = client.get("/member/")
    if response.status_code == 302:
        assert "/auth/login" in response.location
        return False
    assert response.status_code == 200
    return True


def token_for(client, username: str) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------ browser sessions


def test_a_copied_session_cookie_is_anonymous_after_logout(app, client, make_member):
    member = make_member()
    login(client, member.user.username)
    copied = cookie(client, SESSION)
    assert opens_inbox(replay(app, session=copied))  # the copy works while the session lives
    client.post("/auth/logout")
    assert not opens_inbox(client)
    assert not opens_inbox(replay(app, session=copied))


def test_the_remember_cookie_is_short_httponly_lax_and_refused_after_logout(app, client,
                                                                           make_member):
    member = make_member()
    response = client.post("/auth/login", data={"username": member.user.username,
                                                "password": PASSWORD, "remember": "y"})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    remembered = cookie(client, REMEMBER)
    assert opens_inbox(replay(app, remember_token=remembered))  # a new browser, only the cookie
    client.post("/auth/logout")
    assert not opens_inbox(replay(app, remember_token=remembered))


def test_a_stale_remember_cookie_is_deleted(app, client, make_member):
    member = make_member()
    client.post("/auth/login", data={"username": member.user.username, "password": PASSWORD,
                                     "remember": "y"})
    other = replay(app, remember_token=cookie(client, REMEMBER))
    client.post("/auth/logout")
    response = other.get("/member/")
    assert response.status_code == 302
    assert any(h.startswith(f"{REMEMBER}=;") for h in response.headers.getlist("Set-Cookie"))


def test_a_password_change_ends_every_other_session(app, client, make_member, db):
    member = make_member()
    login(client, member.user.username)
    copied = cookie(client, SESSION)
    laptop = app.test_client()
    login(laptop, member.user.username)
    response = client.post("/auth/account/password", data={
        "current": PASSWORD, "new": "a-new-pass-2", "confirm": "a-new-pass-2"})
    assert response.status_code == 302
    assert opens_inbox(client)  # the browser that changed it stays in, with a new session
    assert not opens_inbox(laptop)
    assert not opens_inbox(replay(app, session=copied))
    client.post("/auth/logout")
    assert login(client, member.user.username).status_code == 401
    assert login(client, member.user.username, "a-new-pass-2").status_code == 302


def test_a_wrong_current_password_changes_nothing(app, client, make_member, db):
    member = make_member()
    login(client, member.user.username)
    copied = cookie(client, SESSION)
    response = client.post("/auth/account/password", data={
        "current": "not-it-at-all", "new": "a-new-pass-2", "confirm": "a-new-pass-2"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="current-error-1"' in page
    assert opens_inbox(replay(app, session=copied))


@pytest.mark.parametrize(("new", "confirm", "field"), [
    ("short", "short", "new"),
    ("a-new-pass-2", "a-new-pass-3", "confirm"),
])
def test_a_bad_new_password_is_422_at_its_field(client, make_member, new, confirm, field):
    member = make_member()
    login(client, member.user.username)
    response = client.post("/auth/account/password", data={
        "current": PASSWORD, "new": new, "confirm": confirm})
    assert response.status_code == 422
    assert f'id="{field}-error-1"' in response.get_data(as_text=True)


def test_sign_out_everywhere_from_my_account(app, client, make_member, db):
    member = make_member()
    token = token_for(client, member.user.username)
    login(client, member.user.username)
    copied = cookie(client, SESSION)
    page = client.get("/auth/account").get_data(as_text=True)
    assert "/auth/account/sign-out-everywhere" in page
    response = client.post("/auth/account/sign-out-everywhere")
    assert response.status_code == 302 and "/auth/login" in response.location
    assert not opens_inbox(client)
    assert not opens_inbox(replay(app, session=copied))
    assert client.get("/api/v1/member/offers", headers=bearer(token)).status_code == 401


def test_a_coordinator_signs_a_member_out_everywhere(app, client, make_member, coordinator, db):
    member = make_member()
    phone = app.test_client()
    phone.post("/auth/login", data={"username": member.user.username, "password": PASSWORD,
                                    "remember": "y"})
    remembered = cookie(phone, REMEMBER)
    token = token_for(phone, member.user.username)
    login(client, coordinator.username)
    page = client.get(f"/coord/members/{member.id}").get_data(as_text=True)
    assert f"/coord/members/{member.id}/sign-out" in page
    response = client.post(f"/coord/members/{member.id}/sign-out")
    assert response.status_code == 302
    assert not opens_inbox(phone)
    assert not opens_inbox(replay(app, remember_token=remembered))
    assert phone.get("/api/v1/member/offers", headers=bearer(token)).status_code == 401
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "signed_out_everywhere"))
    assert event.entity_id == member.user.id and event.actor_id == coordinator.id
    # the member can sign in again with the same password
    assert login(phone, member.user.username).status_code == 302


def test_only_coordinators_sign_members_out(client, make_member):
    member, other = make_member(), make_member(name="李四")
    response = client.post(f"/coord/members/{other.id}/sign-out")
    assert response.status_code == 302 and "/auth/login" in response.location
    login(client, member.user.username)
    assert client.post(f"/coord/members/{other.id}/sign-out").status_code == 403


def test_a_session_from_before_the_version_is_anonymous(client, make_member):
    member = make_member()
    with client.session_transaction() as sess:  # a cookie made before ids carried a version
        sess["_user_id"] = str(member.user.id)
        sess["_fresh"] = True
    assert not opens_inbox(client)


def test_login_starts_a_fresh_session(client, make_member):
    member = make_member()
    with client.session_transaction() as sess:
        sess["csrf_token"] = "planted-by-someone-else"
        sess["track"] = "ABCDEF"
        sess["placed"] = "ABCDEF"
    login(client, member.user.username)
    with client.session_transaction() as sess:
        assert set(sess) & {"csrf_token", "track", "placed"} == set()
        assert sess["_user_id"] == member.user.get_id()


def test_the_account_page_is_for_every_signed_in_person(client, make_member, coordinator):
    response = client.get("/auth/account")
    assert response.status_code == 302 and "/auth/login" in response.location
    login(client, coordinator.username)
    assert client.get("/auth/account").status_code == 200
    client.post("/auth/logout")
    member = make_member()
    login(client, member.user.username)
    assert client.get("/auth/account").status_code == 200


# ------------------------------------------------------------------ API tokens


def test_tokens_are_stored_only_as_their_sha256(client, make_member, db):
    member = make_member()
    token = token_for(client, member.user.username)
    rows = db.session.scalars(select(ApiToken)).all()
    assert len(rows) == 1
    assert rows[0].digest == hashlib.sha256(token.encode()).hexdigest()
    for value in (rows[0].digest, str(rows[0].id)):
        assert token not in value


def test_delete_revokes_the_token_used(client, make_member, db):
    member = make_member()
    kept, revoked = token_for(client, member.user.username), token_for(client, member.user.username)
    assert client.get("/api/v1/member/offers", headers=bearer(revoked)).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=bearer(revoked)).status_code == 204
    response = client.get("/api/v1/member/offers", headers=bearer(revoked))
    assert response.status_code == 401 and response.get_json()["error"]
    assert client.delete("/api/v1/auth/token", headers=bearer(revoked)).status_code == 401
    assert client.get("/api/v1/member/offers", headers=bearer(kept)).status_code == 200


def test_delete_needs_a_token(client, world):
    assert client.delete("/api/v1/auth/token").status_code == 401
    assert client.delete("/api/v1/auth/token", headers=bearer("nope")).status_code == 401


def test_a_coordinator_revokes_their_own_token_too(client, coordinator):
    token = token_for(client, coordinator.username)
    assert client.delete("/api/v1/auth/token", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/members", headers=bearer(token)).status_code == 401


def test_an_expired_token_is_refused(app, client, make_member, frozen_now):
    member = make_member()
    token = token_for(client, member.user.username)
    clock.freeze(frozen_now + timedelta(days=app.config["API_TOKEN_DAYS"]) - timedelta(minutes=1))
    assert client.get("/api/v1/member/offers", headers=bearer(token)).status_code == 200
    clock.freeze(frozen_now + timedelta(days=app.config["API_TOKEN_DAYS"]))
    assert client.get("/api/v1/member/offers", headers=bearer(token)).status_code == 401


def test_my_tokens_are_listed_and_can_be_revoked(client, make_member, db, frozen_now):
    member, other = make_member(), make_member(name="李四")
    token = token_for(client, member.user.username)
    token_for(client, other.user.username)
    mine = db.session.scalar(select(ApiToken).where(ApiToken.user_id == member.user.id))
    theirs = db.session.scalar(select(ApiToken).where(ApiToken.user_id == other.user.id))
    login(client, member.user.username)
    page = client.get("/auth/account").get_data(as_text=True)
    assert f"/auth/account/tokens/{mine.id}/revoke" in page
    assert f"/auth/account/tokens/{theirs.id}/revoke" not in page
    assert client.post(f"/auth/account/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post(f"/auth/account/tokens/{mine.id}/revoke").status_code == 302
    assert client.get("/api/v1/member/offers", headers=bearer(token)).status_code == 401
    page = client.get("/auth/account").get_data(as_text=True)
    assert f"/auth/account/tokens/{mine.id}/revoke" not in page
    db.session.expire_all()
    assert db.session.get(ApiToken, theirs.id).revoked is False


def test_a_new_token_drops_the_dead_ones(client, make_member, db, frozen_now):
    member = make_member()
    dead = token_for(client, member.user.username)
    client.delete("/api/v1/auth/token", headers=bearer(dead))
    token_for(client, member.user.username)
    rows = db.session.scalars(select(ApiToken).where(ApiToken.user_id == member.user.id)).all()
    assert [r.revoked for r in rows] == [False]


def test_the_session_version_is_part_of_the_login_id(make_user, db):
    user = make_user()
    first = user.get_id()
    user.end_sessions()
    assert first == f"{user.id}:1" and user.get_id() == f"{user.id}:2"
    assert isinstance(db.session.get(User, user.id).session_version, int)
