"""What an upload really is is read from its own header, never from its name."""

import pytest

from lectureorder.domain.evidence import MAX_SIDE, signin_errors, sniff_image
from tests import images


@pytest.mark.parametrize(("data", "content_type", "size"), [
    (images.png(2, 1), "image/png", (2, 1)),
    (images.png(5, 7, padding=100), "image/png", (5, 7)),
    (images.jpeg(640, 480), "image/jpeg", (640, 480)),
    (images.jpeg(10, 20, progressive=True), "image/jpeg", (10, 20)),
    (images.webp_lossless(3, 2), "image/webp", (3, 2)),
    (images.webp_lossy(320, 240), "image/webp", (320, 240)),
    (images.webp_extended(1000, 750), "image/webp", (1000, 750)),
])
def test_real_pictures_are_recognised_with_their_size(data, content_type, size):
    info = sniff_image(data)
    assert info is not None
    assert (info.content_type, (info.width, info.height)) == (content_type, size)
    assert info.extension in (".png", ".jpg", ".webp")


@pytest.mark.parametrize("data", [
    b"", images.GIF, images.HTML, b"\x89PNG\r\n\x1a\n", images.png()[:20], images.jpeg()[:12],
    b"\xff\xd8\xff\xd9", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"%PDF-1.4\n",
    b"\x00\x00\x01\x00\x03\x00",  # an .ico that says it is a .png
    images.jpeg(0, 10), images.png(MAX_SIDE + 1, 1),
])
def test_anything_else_is_refused(data):
    assert sniff_image(data) is None


def test_a_jpeg_without_a_frame_header_is_refused():
    data = images.jpeg()
    sof = data.index(b"\xff\xc0")
    assert sniff_image(data[:sof] + b"\xff\xd9") is None


@pytest.mark.parametrize(("value", "ok"), [(None, True), (0, True), (5000, True), (-1, False),
                                           (5001, False)])
def test_signin_count_range(value, ok):
    errors = signin_errors(value)
    assert (errors == []) is ok
    if not ok:
        assert errors[0].field == "signin_count"
