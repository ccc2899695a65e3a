"""Requesters without an account: the texted code that opens a phone's orders, the signed rating
link, the keyed phone digest and the Beijing day the per-phone text cap counts in.

Pure: the secret (the app's SECRET_KEY) and ``now`` are parameters.

The code is stateless: ``HMAC-SHA256(secret, "requester-code:" + phone + ":" + window)`` reduced
to 6 digits, where ``window`` is the index of the 5-minute slot the code was asked in. It is
accepted in that slot and the two after it, so it lives at least 10 and at most 15 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import UTC, datetime, time, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from .calendars import TZ

CODE_DIGITS = 6
WINDOW_SECONDS = 300
WINDOWS_ACCEPTED = 3  # the window it was asked in and the two after it: 10 to 15 minutes
CODE_LIFETIME_SECONDS = WINDOW_SECONDS * WINDOWS_ACCEPTED
RATE_LINK_SALT = "rate-link"
RATE_LINK_DAYS = 30


def _key(secret: str) -> bytes:
    if not secret:
        raise RuntimeError("requester codes and links need the app's SECRET_KEY")
    return secret.encode("utf-8")


def phone_digest(secret: str, phone: str) -> str:
    """A keyed digest of a normalised phone, for outbox keys and rate-limit buckets: an
    unkeyed hash of an 11-digit number is reversed by trying them all."""
    return hmac.new(_key(secret), f"requester-phone:{phone}".encode(),
                    hashlib.sha256).hexdigest()[:24]


def window_of(now: datetime) -> int:
    """The index of the 5-minute slot ``now`` falls in."""
    return int(now.timestamp()) // WINDOW_SECONDS


def code_for(secret: str, phone: str, window: int) -> str:
    """The 6-digit code of this phone in this window."""
    mac = hmac.new(_key(secret), f"requester-code:{phone}:{window}".encode(), hashlib.sha256)
    return f"{int.from_bytes(mac.digest()[:8], 'big') % 10 ** CODE_DIGITS:0{CODE_DIGITS}d}"


def accepted_windows(now: datetime) -> list[int]:
    """The windows whose codes are still good at ``now``, newest first."""
    current = window_of(now)
    return [current - back for back in range(WINDOWS_ACCEPTED)]


def is_live(window: int, now: datetime) -> bool:
    return window in accepted_windows(now)


def matching_windows(secret: str, phone: str, given: str, now: datetime) -> list[int]:
    """The live windows whose code is ``given`` (compared in constant time); usually one."""
    given = unicodedata.normalize("NFKC", given or "").strip()  # full-width digits too
    if len(given) != CODE_DIGITS or not (given.isascii() and given.isdigit()):
        return []
    return [w for w in accepted_windows(now)
            if hmac.compare_digest(code_for(secret, phone, w).encode(), given.encode())]


# --- the signed single-order rating link ------------------------------------------------------

class LinkRefused(Exception):
    """A rating link that is not ours, was changed, or is too old (``expired``)."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(secret: str, now: datetime) -> URLSafeTimedSerializer:
    """itsdangerous reads the wall clock for the stamp and the age; here it reads ``now``."""
    stamp = int(now.timestamp())

    class AtNow(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(_key(secret), salt=RATE_LINK_SALT, signer=AtNow)


def rate_link_token(secret: str, order_code: str, now: datetime) -> str:
    """A token naming one order, good for RATE_LINK_DAYS days from ``now``."""
    return _serializer(secret, now).dumps(order_code)


def order_code_in(secret: str, token: str, now: datetime) -> str:
    """The order code a rating link names; LinkRefused when forged, changed or expired."""
    try:
        code = _serializer(secret, now).loads(token, max_age=RATE_LINK_DAYS * 86_400)
    except SignatureExpired:
        raise LinkRefused(expired=True) from None
    except (BadSignature, ValueError, TypeError):
        raise LinkRefused() from None
    if not isinstance(code, str) or not code:
        raise LinkRefused()
    return code


# --- the Beijing day of the per-phone text cap --------------------------------------------------

def beijing_day_start(now: datetime) -> datetime:
    """00:00 Beijing time of ``now``'s day, in UTC (how sent times are stored)."""
    day = now.astimezone(TZ).date()
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


def next_beijing_morning(now: datetime, hour: int = 8) -> datetime:
    """``hour``:00 Beijing time on the day after ``now``'s Beijing day."""
    day = now.astimezone(TZ).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=TZ)
