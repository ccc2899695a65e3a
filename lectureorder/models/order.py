"""Orders placed from the lecture menu, their offers, feedback and audit trail."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.contact import mask_phone
from ..domain.lifecycle import CANCELLABLE, OFFER, ORDER, OfferStatus, OrderStatus
from ..extensions import db
from .audit import AuditEvent, Guarded
from .base import UTCDateTime, utcnow
from .campaign import Campaign
from .place import Market, School, Township, Village
from .question import Question
from .topic import Topic
from .user import Member, User

order_topic = Table(
    "order_topic",
    db.metadata,
    Column("order_id", ForeignKey("order.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id"), primary_key=True),
)


class Order(Guarded, db.Model):
    __tablename__ = "order"
    __machine__ = ORDER
    __audit_entity__ = "order"
    __table_args__ = (
        CheckConstraint("audience_size > 0", name="audience_size_positive"),
        CheckConstraint("latest >= earliest", name="window_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.SUBMITTED, index=True)
    format: Mapped[str] = mapped_column(String(20))
    place_kind: Mapped[str] = mapped_column(String(10))  # village | school | market
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    market_id: Mapped[int | None] = mapped_column(ForeignKey("market.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    audience_type: Mapped[str] = mapped_column(String(20))
    audience_size: Mapped[int]
    earliest: Mapped[date] = mapped_column(Date)
    latest: Mapped[date] = mapped_column(Date)
    language: Mapped[str | None] = mapped_column(String(20))
    timing: Mapped[str] = mapped_column(String(8), default="any", server_default="any")
    requester_name: Mapped[str] = mapped_column(String(40))
    requester_org: Mapped[str] = mapped_column(String(80), default="")
    requester_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(10), default="qr")
    notes: Mapped[str] = mapped_column(Text, default="")
    offer_rounds: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # 代下单
    contact_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The campaign (宣传活动) this order was planned for, if any.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)

    # Concurrent changes to one order (accept vs. expiry vs. cancel) cannot both commit.
    __mapper_args__ = {"version_id_col": version}

    topics: Mapped[list[Topic]] = relationship(secondary=order_topic, order_by=Topic.position)
    #: 群众点题: up to three questions asked with the order (and those added at delivery).
    questions: Mapped[list[Question]] = relationship(
        order_by=(Question.position, Question.id), cascade="all, delete-orphan",
        passive_deletes=True)
    village: Mapped[Village | None] = relationship()
    school: Mapped[School | None] = relationship()
    market: Mapped[Market | None] = relationship()
    township: Mapped[Township] = relationship()
    created_by: Mapped[User | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    offers: Mapped[list[Offer]] = relationship(
        back_populates="order", order_by="Offer.id", cascade="all, delete-orphan"
    )
    lecture_session: Mapped[LectureSession | None] = relationship(
        back_populates="order", uselist=False
    )
    feedback: Mapped[Feedback | None] = relationship(back_populates="order", uselist=False)
    events: Mapped[list[AuditEvent]] = relationship(
        primaryjoin="and_(AuditEvent.entity == 'order', foreign(AuditEvent.entity_id) == Order.id)",
        order_by="AuditEvent.id",
        viewonly=True,
    )

    @property
    def place(self) -> Village | School | Market:
        return {"village": self.village, "school": self.school, "market": self.market}[
            self.place_kind
        ]

    @property
    def place_id(self) -> int:
        return {"village": self.village_id, "school": self.school_id, "market": self.market_id}[
            self.place_kind
        ]

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.requester_phone)

    @property
    def cancellable(self) -> bool:
        return self.status in CANCELLABLE

    @property
    def topic_codes(self) -> list[str]:
        return [t.code for t in self.topics]

    def after_transition(self, now: datetime) -> None:
        self.updated_at = now

    def __repr__(self) -> str:
        return f"<Order {self.code} {self.status}>"


class Offer(Guarded, db.Model):
    """An order offered to one member, with the slots proposed and why they were chosen."""

    __machine__ = OFFER
    __audit_entity__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=OfferStatus.OPEN, index=True)
    rank: Mapped[int] = mapped_column(default=1)
    score: Mapped[float] = mapped_column(default=0.0)
    parts: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "weight", "value", "detail"}]
    slots: Mapped[list] = mapped_column(JSON, default=list)  # [[start_iso, end_iso], ...] UTC
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    order: Mapped[Order] = relationship(back_populates="offers")
    member: Mapped[Member] = relationship()

    def after_transition(self, now: datetime) -> None:
        self.responded_at = now

    @property
    def slot_times(self) -> list[tuple[datetime, datetime]]:
        return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in self.slots]


class Feedback(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), unique=True)
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    order: Mapped[Order] = relationship(back_populates="feedback")


from .lecture_session import LectureSession  # noqa: E402  (mutual relationship)
