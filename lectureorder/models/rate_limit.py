"""Rate-limit counters kept in the database, for multi-process deployments without Redis."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class RateLimitCounter(db.Model):
    """One fixed-window counter of the `database://` limiter storage (web/limits.py).

    ``expires_at`` is wall-clock epoch seconds, as the `limits` package counts windows; a row
    past it counts as absent and is overwritten by the next hit (expired rows are swept now
    and then)."""

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
