"""Accounts, lecture-team member profiles, leave and API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import UTCDateTime, utcnow
from .place import School, Township
from .topic import Topic

# scrypt at N=2^17 (werkzeug's default is 2^15): the method new passwords get, and that a
# successful login upgrades an older hash to.
PASSWORD_METHOD = "scrypt:131072:8:1"


class Role(StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class PoliceType(StrEnum):
    POLICE = "police"              # 民警
    AUXILIARY = "auxiliary"        # 辅警
    VILLAGE = "village"            # 村警
    VOLUNTEER_POLICE = "volunteer_police"  # 志愿警察
    INDUSTRY = "industry"          # 行业人员
    VOLUNTEER = "volunteer"        # 志愿者


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of the id Flask-Login keeps in the session and the remember cookie ("<id>:<version>"):
    # raising it ends every signed-in browser at once (logout, password change, sign out everywhere).
    session_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    member: Mapped[Member | None] = relationship(back_populates="user")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Every session and remember cookie issued so far stops working."""
        self.session_version = (self.session_version or 1) + 1

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def password_needs_rehash(self, method: str) -> bool:
        """True when the stored hash was made with another method or cost than ``method``."""
        return self.password_hash.split("$", 1)[0] != method

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.ADMIN)

    @property
    def is_member(self) -> bool:
        return self.role == Role.MEMBER

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


member_topic = Table(
    "member_topic",
    db.metadata,
    Column("member_id", ForeignKey("member.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True),
)

vice_principal = Table(
    "vice_principal",
    db.metadata,
    Column("member_id", ForeignKey("member.id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ForeignKey("school.id", ondelete="CASCADE"), primary_key=True),
)


class Member(db.Model):
    """A lecture-team member's profile (宣讲队员)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(80), default="")
    police_type: Mapped[str] = mapped_column(String(20), default=PoliceType.POLICE)
    phone: Mapped[str | None] = mapped_column(String(20))
    home_township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    formats: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["zh"])
    kit_qualified: Mapped[bool] = mapped_column(default=False)
    daily_cap: Mapped[int] = mapped_column(default=2)
    weekly_cap: Mapped[int] = mapped_column(default=5)
    active: Mapped[bool] = mapped_column(default=True)
    # Every booking writes last_booked_at, which bumps schedule_version: two concurrent
    # bookings of one member cannot both commit (optimistic lock; works on SQLite too).
    last_booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    schedule_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": schedule_version}

    user: Mapped[User | None] = relationship(back_populates="member")
    home_township: Mapped[Township | None] = relationship()
    specialties: Mapped[list[Topic]] = relationship(secondary=member_topic, order_by=Topic.position)
    vice_principal_of: Mapped[list[School]] = relationship(secondary=vice_principal)
    leaves: Mapped[list[Leave]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="Leave.start"
    )

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.name}>"


class Leave(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)  # exclusive
    reason: Mapped[str] = mapped_column(String(120), default="")

    member: Mapped[Member] = relationship(back_populates="leaves")


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
