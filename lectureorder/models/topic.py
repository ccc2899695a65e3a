"""The lecture menu: topics people can order."""

from __future__ import annotations

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Topic(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_zh: Mapped[str] = mapped_column(String(80))
    title_en: Mapped[str] = mapped_column(String(120))
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    # Who it suits, e.g. ["villagers", "pupils", "elderly"]; formats it can be given in.
    audiences: Mapped[list] = mapped_column(JSON, default=list)
    formats: Mapped[list] = mapped_column(JSON, default=list)
    typical_minutes: Mapped[int] = mapped_column(default=60)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    def title(self, lang: str) -> str:
        return self.title_en if lang.startswith("en") else self.title_zh

    def summary(self, lang: str) -> str:
        return self.summary_en if lang.startswith("en") else self.summary_zh

    def __repr__(self) -> str:
        return f"<Topic {self.code}>"
