"""Delivery evidence (送单 records): photos of a delivered session and its sign-in count."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..domain.errors import N_, Conflict, DomainError, ValidationFailed
from ..domain.evidence import ImageInfo, signin_errors, sniff_image
from ..extensions import db
from ..models import LectureSession, Member, SessionPhoto, SessionStatus
from .settings import Settings
from .unit import flush_or_conflict

# Files follow the database: a written file is removed again if its rows are rolled back, and
# a removed photo's file goes only once the deletion is committed.
_WRITTEN = "lectureorder.evidence.written"
_DOOMED = "lectureorder.evidence.doomed"


def _unlink(paths: Iterable[str]) -> None:
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _unlink(session.info.pop(_DOOMED, ()))


@event.listens_for(Session, "after_rollback")
def _files_after_rollback(session: Session) -> None:
    session.info.pop(_DOOMED, None)
    _unlink(session.info.pop(_WRITTEN, ()))


@dataclass(frozen=True)
class PhotoPolicy:
    root: str            # absolute directory holding one sub-directory per session
    max_bytes: int
    max_per_session: int

    @property
    def max_mb(self) -> str:
        """The size limit for messages: "8", or "0.01" for the tiny limits tests use."""
        return f"{self.max_bytes / (1024 * 1024):.2f}".rstrip("0").rstrip(".")


def photo_policy(settings: Settings) -> PhotoPolicy:
    return PhotoPolicy(root=settings.photo_root, max_bytes=settings.photo_max_bytes,
                       max_per_session=settings.photo_max_per_session)


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    info: ImageInfo
    digest: str


def check_photos(
    uploads: Iterable[BinaryIO], session: LectureSession, *, policy: PhotoPolicy,
) -> tuple[list[CheckedPhoto], list[DomainError]]:
    """Read each upload (never past the limit) and keep the real JPEG/PNG/WebP images.

    A picture the session already has, or one sent twice, is kept once (a double submit on a
    slow phone is no error).
    """
    checked: list[CheckedPhoto] = []
    errors: list[DomainError] = []
    digests: set[str] = {p.digest for p in session.photos}
    already = len(digests)
    for n, stream in enumerate(uploads, start=1):
        data = stream.read(policy.max_bytes + 1)
        if len(data) > policy.max_bytes:
            errors.append(DomainError("photos", N_("Photo %(n)d is larger than %(mb)s MB."),
                                      n=n, mb=policy.max_mb))
            continue
        info = sniff_image(data)
        if info is None:
            errors.append(DomainError(
                "photos", N_("Photo %(n)d is not a JPEG, PNG or WebP picture."), n=n))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest not in digests:
            digests.add(digest)
            checked.append(CheckedPhoto(data, info, digest))
    if already + len(checked) > policy.max_per_session:
        errors.append(DomainError(
            "photos", N_("A session can have at most %(max)d photos; it has %(have)d already."),
            max=policy.max_per_session, have=already))
    return checked, errors


def session_dir(policy: PhotoPolicy, session_id: int) -> str:
    return os.path.join(policy.root, str(int(session_id)))


def store_photos(
    session: LectureSession, member: Member, photos: Sequence[CheckedPhoto], *, now: datetime,
    policy: PhotoPolicy,
) -> list[SessionPhoto]:
    """Write the files under random names and add their rows (the caller flushes)."""
    folder = session_dir(policy, session.id)
    rows = []
    for photo in photos:
        os.makedirs(folder, exist_ok=True)
        name = secrets.token_hex(16) + photo.info.extension
        path = os.path.join(folder, name)
        with open(path, "xb") as fh:  # "x": never overwrite a file
            fh.write(photo.data)
        db.session.info.setdefault(_WRITTEN, []).append(path)
        row = SessionPhoto(
            uploader_id=member.id, stored_name=name, content_type=photo.info.content_type,
            size=len(photo.data), width=photo.info.width, height=photo.info.height,
            digest=photo.digest, created_at=now,
        )
        session.photos.append(row)
        rows.append(row)
    return rows


def record_evidence(
    session: LectureSession, member: Member, signin_count: int | None,
    uploads: Sequence[BinaryIO], *, now: datetime, policy: PhotoPolicy,
) -> list[SessionPhoto]:
    """Set the sign-in count and add photos to a delivered session; returns the new photos."""
    errors = signin_errors(signin_count)
    checked, photo_errors = check_photos(uploads, session, policy=policy)
    ValidationFailed.collect(errors + photo_errors)
    if session.status != SessionStatus.DELIVERED:
        raise Conflict(None, N_("Record the delivery first; then photos can be added."))
    session.signin_count = signin_count
    rows = store_photos(session, member, checked, now=now, policy=policy)
    flush_or_conflict()
    return rows


def member_photo(photo_id: int, member: Member) -> SessionPhoto:
    """A photo of a session the member gave (as lead or helper); LookupError otherwise."""
    photo = db.session.get(SessionPhoto, photo_id)
    if photo is None:
        raise LookupError(photo_id)
    session = photo.session
    if session.lead_member_id != member.id and member not in session.helpers:
        raise LookupError(photo_id)
    return photo


def staff_photo(photo_id: int) -> SessionPhoto:
    photo = db.session.get(SessionPhoto, photo_id)
    if photo is None:
        raise LookupError(photo_id)
    return photo


def remove_photo(photo: SessionPhoto, member: Member, *, policy: PhotoPolicy) -> None:
    """The uploader or the session's lead may take a photo off again."""
    if member.id not in (photo.uploader_id, photo.session.lead_member_id):
        raise Conflict(None, N_("Only the member who added a photo or the lead can remove it."))
    folder, name = photo_location(photo, policy)
    photo.session.photos.remove(photo)  # delete-orphan: the row goes at the flush
    flush_or_conflict()
    db.session.info.setdefault(_DOOMED, []).append(os.path.join(folder, name))


def photo_location(photo: SessionPhoto, policy: PhotoPolicy) -> tuple[str, str]:
    """(directory, file name) for send_from_directory; both come from the database only."""
    return session_dir(policy, photo.session_id), photo.stored_name
