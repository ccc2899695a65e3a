"""Real pictures made with Pillow for the photo tests: GPS in EXIF, orientation, metadata."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, PngImagePlugin

# Somewhere in Ping'an (平安区): 36°30'N 102°06'E.
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (36.0, 30.0, 0.0),
    ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (102.0, 6.0, 0.0),
}


def picture(width: int, height: int) -> Image.Image:
    """Left half red, right half blue: a turn or a flip shows where the red went."""
    img = Image.new("RGB", (width, height), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, width // 2, height))
    return img


def exif(orientation: int | None = None, gps: bool = True) -> Image.Exif:
    data = Image.Exif()
    data[ExifTags.Base.Make] = "TestPhone"
    data[ExifTags.Base.Model] = "Model X"
    if orientation is not None:
        data[ExifTags.Base.Orientation] = orientation
    if gps:
        data[ExifTags.IFD.GPSInfo] = GPS
    return data


def jpeg(width: int = 64, height: int = 48, *, orientation: int | None = None,
         gps: bool = True, comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    picture(width, height).save(out, "JPEG", exif=exif(orientation, gps), quality=90,
                                comment=comment, icc_profile=b"fake icc")
    return out.getvalue()


def png(width: int = 40, height: int = 30, *, gps: bool = True) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "东庄村 张三 13800001234")
    out = io.BytesIO()
    picture(width, height).save(out, "PNG", pnginfo=info, exif=exif(gps=gps))
    return out.getvalue()


def webp(width: int = 40, height: int = 30, *, gps: bool = True) -> bytes:
    out = io.BytesIO()
    picture(width, height).save(out, "WEBP", exif=exif(gps=gps), quality=90)
    return out.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header claims width × height pixels; a few bytes of data (never decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img
