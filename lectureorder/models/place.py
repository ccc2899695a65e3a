"""Places: townships and their villages, schools and markets, plus their calendars."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import JSON, Date, ForeignKey, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Township(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    name_en: Mapped[str] = mapped_column(String(80), default="")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    hui: Mapped[bool] = mapped_column(default=False)  # a Hui ethnic township
    position: Mapped[int] = mapped_column(default=0)

    villages: Mapped[list[Village]] = relationship(
        back_populates="township", order_by="Village.name"
    )
    schools: Mapped[list[School]] = relationship(
        back_populates="township", order_by="School.name"
    )
    markets: Mapped[list[Market]] = relationship(
        back_populates="township", order_by="Market.name"
    )
    blackouts: Mapped[list[Blackout]] = relationship(
        back_populates="township", cascade="all, delete-orphan"
    )

    def display(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name


class Village(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    lat: Mapped[float | None]
    lon: Mapped[float | None]

    township: Mapped[Township] = relationship(back_populates="villages")


class School(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float | None]
    lon: Mapped[float | None]

    township: Mapped[Township] = relationship(back_populates="schools")
    terms: Mapped[list[SchoolTerm]] = relationship(
        back_populates="school", order_by="SchoolTerm.first",
        cascade="all, delete-orphan",
    )


class SchoolTerm(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)  # inclusive

    school: Mapped[School] = relationship(back_populates="terms")


class Market(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    # The cycle in the public contract's shape: {"calendar": "lunar", "digits": [3, 6, 9]}.
    cycle: Mapped[dict] = mapped_column(JSON)
    missing_30: Mapped[str] = mapped_column(String(8), default="skip")  # skip | next
    opens: Mapped[time] = mapped_column(Time, default=time(9, 30))
    closes: Mapped[time] = mapped_column(Time, default=time(12, 0))
    # Inclusive [first, last] ISO date pairs when the market does not meet.
    pauses: Mapped[list] = mapped_column(JSON, default=list)
    spring_festival_days_before: Mapped[int | None]
    spring_festival_days_after: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    township: Mapped[Township] = relationship(back_populates="markets")


class Blackout(db.Model):
    """A period a township does not want talks (harvest, Friday prayer, Ramadan evenings)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[list] = mapped_column(JSON, default=list)  # ISO weekdays; empty = all
    start: Mapped[time | None] = mapped_column(Time)
    end: Mapped[time | None] = mapped_column(Time)
    label: Mapped[str] = mapped_column(String(80))

    township: Mapped[Township] = relationship(back_populates="blackouts")


class HolidayOverride(db.Model):
    """An announced 调休 day (or an extra holiday) entered by an admin."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    working: Mapped[bool]
    name: Mapped[str] = mapped_column(String(60), default="")
