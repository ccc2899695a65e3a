"""Delivery evidence rules (pure): what a photo upload really is, and sign-in counts."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import N_, DomainError

MAX_SIGNINS = 5000
#: A side longer than this is no phone photo (and a hint of a crafted file).
MAX_SIDE = 30_000
#: More pixels than this is refused before decoding (a decompression bomb, or no phone photo:
#: a 50-megapixel phone camera stays under it).
MAX_PIXELS = 60_000_000
#: The stored photo's long side: enough to read a banner in a delivery photo.
STORED_SIDE = 2048
#: The thumbnail's long side, shown on the pages (a link leads to the full photo).
THUMB_SIDE = 320


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    extension: str
    width: int
    height: int


JPEG = ("image/jpeg", ".jpg")
PNG = ("image/png", ".png")
WEBP = ("image/webp", ".webp")

# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})


def _be(data: bytes, start: int, size: int) -> int:
    return int.from_bytes(data[start:start + size], "big")


def _le(data: bytes, start: int, size: int) -> int:
    return int.from_bytes(data[start:start + size], "little")


def _png(data: bytes) -> tuple[int, int] | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return _be(data, 16, 4), _be(data, 20, 4)


def _jpeg(data: bytes) -> tuple[int, int] | None:
    """Walk the marker segments up to the first start-of-frame, which holds the size."""
    if not data.startswith(b"\xff\xd8\xff"):
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= len(data):
            return None
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE:
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        length = _be(data, pos, 2)
        if length < 2 or pos + length > len(data):
            return None
        if marker in _SOF:
            if length < 7:
                return None
            return _be(data, pos + 5, 2), _be(data, pos + 3, 2)  # width, height
        pos += length
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        return _le(data, 26, 2) & 0x3FFF, _le(data, 28, 2) & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = _le(data, 21, 4)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return _le(data, 24, 3) + 1, _le(data, 27, 3) + 1
    return None


def sniff_image(data: bytes) -> ImageInfo | None:
    """What the bytes are (JPEG, PNG or WebP, by their own header, never by a file name).

    None for anything else, a truncated header or an impossible size.
    """
    for (content_type, extension), reader in ((JPEG, _jpeg), (PNG, _png), (WEBP, _webp)):
        size = reader(data)
        if size is None:
            continue
        width, height = size
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            return None
        return ImageInfo(content_type, extension, width, height)
    return None


def signin_errors(value: int | None) -> list[DomainError]:
    """A sign-in sheet count is optional; when given it is 0 to MAX_SIGNINS."""
    if value is None or 0 <= value <= MAX_SIGNINS:
        return []
    return [DomainError("signin_count", N_("Please enter a number from 0 to %(n)d."),
                        n=MAX_SIGNINS)]
