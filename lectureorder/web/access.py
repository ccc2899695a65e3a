"""Who may use each route. Every view declares it; a test checks none is left undeclared."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, g, request
from flask_login import current_user

from ..models import Role

PUBLIC = "public"
MEMBER = "member"
COORDINATOR = "coordinator"
SIGNED_IN = "signed_in"  # any active account, whatever its role (its own account page, tokens)


def _mark(view: Callable, who: str, api: bool) -> Callable:
    view.access = who  # type: ignore[attr-defined]
    view.api = api  # type: ignore[attr-defined]
    return view


def public(view: Callable) -> Callable:
    """Anyone, no login (villagers and schools order without an account)."""
    return _mark(view, PUBLIC, api=False)


def _allowed(user, who: str) -> bool:
    if who == SIGNED_IN:
        return True
    if who == MEMBER:
        return user.role == Role.MEMBER and user.member is not None
    if who == COORDINATOR:
        return user.role in (Role.COORDINATOR, Role.ADMIN)
    return False


def login_as(who: str) -> Callable[[Callable], Callable]:
    """HTML views: anonymous → login page; logged in with the wrong role → 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not _allowed(current_user, who):
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapped, who, api=False)

    return decorate


member_required = login_as(MEMBER)
coordinator_required = login_as(COORDINATOR)
signed_in_required = login_as(SIGNED_IN)


def api_public(view: Callable) -> Callable:
    return _mark(view, PUBLIC, api=True)


def api_as(who: str) -> Callable[[Callable], Callable]:
    """API views: a bearer token only (never the session cookie, so no CSRF exposure)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            from ..services.accounts import user_for_token
            from ..services.clock import now_utc

            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            user = None
            if scheme.lower() == "bearer" and token.strip():
                user = user_for_token(token.strip(), now=now_utc())
            if user is None:
                abort(401)
            if not _allowed(user, who):
                abort(403)
            g.api_user = user
            return view(*args, **kwargs)

        return _mark(wrapped, who, api=True)

    return decorate


api_member = api_as(MEMBER)
api_coordinator = api_as(COORDINATOR)
api_signed_in = api_as(SIGNED_IN)
