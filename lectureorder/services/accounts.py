"""Accounts: passwords, roles and API bearer tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from ..domain.errors import N_, DomainError
from ..extensions import db
from ..models import ApiToken, Role, User


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def create_user(username: str, password: str, role: str, display_name: str = "") -> User:
    username = (username or "").strip()
    if not username or len(username) > 40:
        raise DomainError("username", N_("A username of 1 to 40 characters is needed."))
    if role not in {r.value for r in Role}:
        raise DomainError("role", N_("Unknown role."))
    if len(password or "") < 8:
        raise DomainError("password", N_("The password needs at least 8 characters."))
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError("username", N_("This username is taken."))
    user = User(username=username, role=role, display_name=display_name or username)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def issue_token(user: User, *, now: datetime, days: int) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, digest=ApiToken.digest_of(token), created_at=now,
                            expires_at=now + timedelta(days=days)))
    db.session.flush()
    return token


def user_for_token(token: str, *, now: datetime) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.digest == ApiToken.digest_of(token)))
    if row is None or row.revoked or row.expires_at <= now or not row.user.active:
        return None
    return row.user
