"""Delivery evidence: photos members attach to a delivered session (files live under instance/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .user import Member


class SessionPhoto(db.Model):
    """One stored photo. The file is `<PHOTO_DIR>/<session_id>/<stored_name>`, its thumbnail
    `<thumb_name>` beside it; both names are random. The file is re-encoded from the upload
    (upright, without EXIF/GPS or any other metadata, its long side capped)."""

    __tablename__ = "session_photo"
    # The same picture sent twice (a double tap on a slow phone) is stored once.
    __table_args__ = (UniqueConstraint("session_id", "digest", name="uq_session_photo_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("lecture_session.id", ondelete="CASCADE"), index=True
    )
    uploader_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    # None for photos stored before thumbnails were made: the pages show the photo itself.
    thumb_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int]  # of the stored file
    width: Mapped[int]  # of the stored file (upright)
    height: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the upload as sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[LectureSession] = relationship(back_populates="photos")
    uploader: Mapped[Member] = relationship()

    def __repr__(self) -> str:
        return f"<SessionPhoto {self.id} session={self.session_id}>"


from .lecture_session import LectureSession  # noqa: E402  (mutual relationship)
