"""Delivery evidence (送单 records): photos of a delivered session and its sign-in count."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from struct import error as struct_error
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..domain.errors import N_, Conflict, DomainError, ValidationFailed
from ..domain.evidence import (
    JPEG,
    MAX_PIXELS,
    PNG,
    STORED_SIDE,
    THUMB_SIDE,
    WEBP,
    ImageInfo,
    signin_errors,
    sniff_image,
)
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
    max_pixels: int = MAX_PIXELS
    stored_side: int = STORED_SIDE
    thumb_side: int = THUMB_SIDE

    @property
    def max_mb(self) -> str:
        """The size limit for messages: "8", or "0.01" for the tiny limits tests use."""
        return f"{self.max_bytes / (1024 * 1024):.2f}".rstrip("0").rstrip(".")


def photo_policy(settings: Settings) -> PhotoPolicy:
    return PhotoPolicy(root=settings.photo_root, max_bytes=settings.photo_max_bytes,
                       max_per_session=settings.photo_max_per_session)


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes          # re-encoded: upright, no metadata, at most stored_side
    thumb: bytes         # the same picture at most thumb_side, for the pages
    info: ImageInfo      # of the stored file
    digest: str          # SHA-256 of the upload as sent (a second send of it is a double tap)


class PhotoBomb(Exception):
    """More pixels than a photo has: refused before it is decoded."""


class UnreadablePhoto(Exception):
    """A picture by its header that the decoder cannot read (damaged or crafted)."""


_PIL_FORMAT = {JPEG[0]: "JPEG", PNG[0]: "PNG", WEBP[0]: "WEBP"}
_SAVE_OPTIONS = {"JPEG": {"quality": 85}, "PNG": {}, "WEBP": {"quality": 85}}


def _upright_pixels(data: bytes, sniffed: ImageInfo, policy: PhotoPolicy) -> Image.Image:
    """The decoded first frame, turned as its EXIF orientation says, in a mode every output
    format takes (RGB, L or RGBA), with nothing of the file's metadata left on it."""
    if sniffed.width * sniffed.height > policy.max_pixels:
        raise PhotoBomb
    with warnings.catch_warnings():
        # Pillow warns above Image.MAX_IMAGE_PIXELS and raises at twice that: both refuse.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[sniffed.content_type]]) as img:
                if img.width * img.height > policy.max_pixels:
                    raise PhotoBomb
                upright = ImageOps.exif_transpose(img)  # loads the pixels; a copy
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoBomb from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
                IndexError, KeyError, struct_error) as exc:
            raise UnreadablePhoto from exc
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info)
    if upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGBA" if has_alpha else "RGB")
    upright.info = {}  # EXIF (GPS), XMP, ICC, comments, text chunks: none is written again
    return upright


def _encode(img: Image.Image, fmt: str) -> bytes:
    if fmt == "JPEG" and img.mode == "RGBA":
        img = img.convert("RGB")
    out = io.BytesIO()
    img.save(out, format=fmt, **_SAVE_OPTIONS[fmt])
    return out.getvalue()


def reencode(data: bytes, sniffed: ImageInfo, policy: PhotoPolicy) -> tuple[bytes, bytes, ImageInfo]:
    """(stored bytes, thumbnail bytes, stored file's info) in the upload's own format.

    Raises PhotoBomb or UnreadablePhoto.
    """
    fmt = _PIL_FORMAT[sniffed.content_type]
    img = _upright_pixels(data, sniffed, policy)
    if max(img.size) > policy.stored_side:
        img.thumbnail((policy.stored_side, policy.stored_side), Image.Resampling.LANCZOS)
    thumb = img.copy()
    thumb.thumbnail((policy.thumb_side, policy.thumb_side), Image.Resampling.LANCZOS)
    info = ImageInfo(sniffed.content_type, sniffed.extension, img.width, img.height)
    return _encode(img, fmt), _encode(thumb, fmt), info


def check_photos(
    uploads: Iterable[BinaryIO], session: LectureSession, *, policy: PhotoPolicy,
) -> tuple[list[CheckedPhoto], list[DomainError]]:
    """Read each upload (never past the limit) and keep the real JPEG/PNG/WebP images,
    re-encoded: EXIF orientation applied, every bit of metadata (GPS included) dropped, the
    size capped, a thumbnail made.

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
        if digest in digests:
            continue
        try:
            stored, thumb, stored_info = reencode(data, info, policy)
        except PhotoBomb:
            errors.append(DomainError(
                "photos", N_("Photo %(n)d has too many pixels to open (more than %(mp)d "
                             "megapixels)."), n=n, mp=policy.max_pixels // 1_000_000))
            continue
        except UnreadablePhoto:
            errors.append(DomainError(
                "photos", N_("Photo %(n)d could not be read; the file may be damaged."), n=n))
            continue
        digests.add(digest)
        checked.append(CheckedPhoto(stored, thumb, stored_info, digest))
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
    """Write the photo and its thumbnail under random names and add their rows (the caller
    flushes)."""
    folder = session_dir(policy, session.id)
    rows = []
    for photo in photos:
        os.makedirs(folder, exist_ok=True)
        name = secrets.token_hex(16) + photo.info.extension
        thumb_name = secrets.token_hex(16) + photo.info.extension
        for file_name, content in ((name, photo.data), (thumb_name, photo.thumb)):
            path = os.path.join(folder, file_name)
            with open(path, "xb") as fh:  # "x": never overwrite a file
                fh.write(content)
            db.session.info.setdefault(_WRITTEN, []).append(path)
        row = SessionPhoto(
            uploader_id=member.id, stored_name=name, thumb_name=thumb_name,
            content_type=photo.info.content_type,
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
    folder = session_dir(policy, photo.session_id)
    names = [n for n in (photo.stored_name, photo.thumb_name) if n]
    photo.session.photos.remove(photo)  # delete-orphan: the row goes at the flush
    flush_or_conflict()
    db.session.info.setdefault(_DOOMED, []).extend(os.path.join(folder, n) for n in names)


def photo_location(photo: SessionPhoto, policy: PhotoPolicy, *,
                   thumb: bool = False) -> tuple[str, str]:
    """(directory, file name) for send_from_directory; both come from the database only.

    A photo stored before thumbnails existed answers its thumbnail with the photo itself."""
    name = (photo.thumb_name if thumb else None) or photo.stored_name
    return session_dir(policy, photo.session_id), name
