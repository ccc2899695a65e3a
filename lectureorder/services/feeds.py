"""Calendar feeds: secret per-person links (stored hashed) and the sessions each link shows."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from ..extensions import db
from ..models import FeedScope, FeedToken, LectureSession, User, session_helper
from .calendar_view import session_load_options

# Cancelled and past sessions stay this long, so calendar apps see the cancellation.
PAST = timedelta(days=60)
AHEAD = timedelta(days=400)


def scope_for(user: User) -> str | None:
    """Coordinators follow every session, members their own; anyone else has no feed."""
    if user.is_coordinator:
        return FeedScope.ALL.value
    if user.is_member and user.member is not None:
        return FeedScope.MEMBER.value
    return None


def current_feed(user: User) -> FeedToken | None:
    return db.session.scalar(
        select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
        .order_by(FeedToken.id.desc()).limit(1))


def revoke_feeds(user: User, *, now: datetime) -> int:
    """Revoke every live link of the user; returns how many."""
    rows = db.session.scalars(
        select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    db.session.flush()
    return len(rows)


def issue_feed(user: User, *, now: datetime) -> tuple[str, FeedToken]:
    """A new secret link for the user, revoking the old one. Only its hash is kept, so the
    token itself can be shown this once."""
    scope = scope_for(user)
    if scope is None:
        raise PermissionError(user.id)
    revoke_feeds(user, now=now)
    token = secrets.token_urlsafe(32)
    row = FeedToken(user=user, scope=scope, digest=FeedToken.digest_of(token), created_at=now)
    db.session.add(row)
    db.session.flush()
    return token, row


def feed_for(token: str) -> FeedToken | None:
    """The live feed a token opens, or None (unknown, revoked, or its owner lost the right)."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(FeedToken).where(FeedToken.digest == FeedToken.digest_of(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = row.user
    if not user.active or scope_for(user) != row.scope:
        return None
    return row


def feed_sessions(feed: FeedToken, *, now: datetime) -> list[LectureSession]:
    """The sessions of a feed from 60 days ago to about a year ahead, cancelled ones included."""
    stmt = select(LectureSession).where(
        LectureSession.start >= now - PAST, LectureSession.start < now + AHEAD,
    )
    if feed.scope == FeedScope.MEMBER:
        member_id = feed.user.member.id
        stmt = stmt.where(or_(
            LectureSession.lead_member_id == member_id,
            LectureSession.id.in_(select(session_helper.c.session_id)
                                  .where(session_helper.c.member_id == member_id))))
    return list(db.session.scalars(
        stmt.order_by(LectureSession.start, LectureSession.id).options(*session_load_options())
    ))


def open_feed(token: str, *, now: datetime) -> tuple[FeedToken, list[LectureSession]] | None:
    """The feed a token opens and its sessions, or None for a wrong or revoked token."""
    feed = feed_for(token)
    if feed is None:
        return None
    return feed, feed_sessions(feed, now=now)
