"""Accounts: passwords, roles, signed-in sessions and API bearer tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, or_, select, update

from ..domain.errors import N_, DomainError
from ..extensions import db
from ..models import ApiToken, Role, User, audit_row
from ..models.user import PASSWORD_METHOD

MIN_PASSWORD = 8


@lru_cache(maxsize=8)
def _dummy_hash(method: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash("not-anyone's-password", method=method)


def _dummy_check(method: str) -> None:
    """As slow as checking a real password, so the answer time does not tell which usernames
    exist (made once per method, then checked on every unknown name)."""
    from werkzeug.security import check_password_hash

    check_password_hash(_dummy_hash(method), "not-the-password")


def authenticate(username: str, password: str, *, method: str = PASSWORD_METHOD) -> User | None:
    """The active user with this username and password, or None.

    An unknown name costs one hash check like a known one. A correct password stored with an
    older method or cost than ``method`` is hashed again (the caller commits)."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        _dummy_check(method)
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    if user.password_needs_rehash(method):
        user.set_password(password, method=method)
        db.session.flush()
    return user


def create_user(username: str, password: str, role: str, display_name: str = "", *,
                method: str = PASSWORD_METHOD) -> User:
    username = (username or "").strip()
    if not username or len(username) > 40:
        raise DomainError("username", N_("A username of 1 to 40 characters is needed."))
    if role not in {r.value for r in Role}:
        raise DomainError("role", N_("Unknown role."))
    _check_new_password(password, "password")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError("username", N_("This username is taken."))
    user = User(username=username, role=role, display_name=display_name or username)
    user.set_password(password, method=method)
    db.session.add(user)
    db.session.flush()
    return user


def _check_new_password(password: str | None, field: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(field, N_("The password needs at least 8 characters."))


def change_password(user: User, current: str, new: str, *, now: datetime,
                    method: str = PASSWORD_METHOD) -> None:
    """A new password ends every session, remember cookie and API token of the account."""
    if not user.check_password(current or ""):
        raise DomainError("current", N_("The current password is wrong."))
    _check_new_password(new, "new")
    user.set_password(new, method=method)
    _end_everything(user, now=now)
    audit_row("user", user.id, "password_changed", now=now, actor=user)
    db.session.flush()


def sign_out_everywhere(user: User, *, now: datetime, actor: User) -> int:
    """End every browser session, remember cookie and API token of ``user``; returns how many
    tokens were revoked."""
    revoked = _end_everything(user, now=now)
    audit_row("user", user.id, "signed_out_everywhere", now=now, actor=actor,
              detail={"tokens_revoked": revoked})
    db.session.flush()
    return revoked


def end_browser_sessions(user: User) -> None:
    """Logout: every copied session cookie and remember cookie stops working (API tokens stay)."""
    user.end_sessions()
    db.session.flush()


def _end_everything(user: User, *, now: datetime) -> int:
    user.end_sessions()
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False), ApiToken.expires_at > now)
        .values(revoked=True)
    )
    return result.rowcount or 0


def issue_token(user: User, *, now: datetime, days: int) -> str:
    """A new bearer token (shown once; only its SHA-256 is stored); the account's revoked and
    expired rows are dropped on the way."""
    db.session.execute(
        delete(ApiToken).where(ApiToken.user_id == user.id,
                               or_(ApiToken.revoked.is_(True), ApiToken.expires_at <= now))
    )
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, digest=ApiToken.digest_of(token), created_at=now,
                            expires_at=now + timedelta(days=days)))
    db.session.flush()
    return token


def _live_token(token: str, *, now: datetime) -> ApiToken | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.digest == ApiToken.digest_of(token)))
    if row is None or row.revoked or row.expires_at <= now or not row.user.active:
        return None
    return row


def user_for_token(token: str, *, now: datetime) -> User | None:
    row = _live_token(token, now=now)
    return row.user if row is not None else None


def revoke_token(token: str, *, now: datetime) -> bool:
    """Revoke the bearer token itself (``DELETE /auth/token``); False when it was not live."""
    row = _live_token(token, now=now)
    if row is None:
        return False
    row.revoked = True
    db.session.flush()
    return True


def revoke_token_of(user: User, token_id: int, *, now: datetime) -> bool:
    """Revoke one of ``user``'s own tokens by id (the account page); False when not theirs."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked:
        return False
    row.revoked = True
    db.session.flush()
    return True


def live_tokens(user: User, *, now: datetime) -> list[ApiToken]:
    """The account's tokens that still work, newest first."""
    return list(db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False), ApiToken.expires_at > now)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))
