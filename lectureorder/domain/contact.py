"""People's contact data: phone normalisation, masking, order codes."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable

from .errors import N_, DomainError

# Unambiguous when read aloud or copied by hand: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0972(\d{7})")


def normalise_phone(raw: str) -> str:
    """Mainland mobile as 11 digits, a 0972 landline as `0972-NNNNNNN`; DomainError otherwise.

    Accepts spaces, hyphens, brackets, full-width digits and +86/0086/86 prefixes. A mobile
    prefix a strict validator may not know yet (1[3-9]) is accepted on purpose.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise DomainError("phone", N_("Please enter a phone number."))
    digits = re.sub(r"[\s\-()（）.]", "", text)
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("86"):  # "+1 415…" must not pass as a 141… mobile
            raise DomainError("phone", N_("Please enter a mainland China phone number."))
    if not digits.isdigit():
        raise DomainError("phone", N_("A phone number may contain only digits."))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if _MOBILE.fullmatch(digits):
        return digits
    landline = _LANDLINE.fullmatch(digits)
    if landline:
        return f"0972-{landline.group(1)}"
    raise DomainError(
        "phone",
        N_("Please enter an 11-digit mobile number or a 0972 landline (0972-1234567)."),
    )


def mask_phone(phone: str | None) -> str:
    """`138****1234` / `0972-***4567`: enough to recognise, not enough to call."""
    if not phone:
        return ""
    if phone.startswith("0972-"):
        return "0972-***" + phone[-4:]
    if len(phone) == 11:
        return phone[:3] + "****" + phone[-4:]
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


def phone_last4(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-4:]


def last4_matches(phone: str, candidate: str) -> bool:
    """Constant-time comparison of the last four digits."""
    given = unicodedata.normalize("NFKC", candidate or "").strip()
    return hmac.compare_digest(phone_last4(phone).encode(), given.encode())


def new_order_code(choice: Callable[[str], str] = secrets.choice) -> str:
    return "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_order_code(raw: str) -> str:
    """Upper-case, drop spaces and hyphens; people copy codes from screenshots by hand."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-]", "", text).upper()
