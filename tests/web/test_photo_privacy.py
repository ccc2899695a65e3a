"""Delivery photos are re-encoded: no EXIF (GPS) or other metadata kept, orientation applied,
size capped, a thumbnail stored and served with the photo's own access rule, bombs refused."""

import io

import pytest
from PIL import ExifTags
from sqlalchemy import select

from lectureorder.models import SessionPhoto
from lectureorder.services import evidence
from tests import photos
from tests.helpers import login

# Photos go to the test's own folder (tests/web/conftest.py).
pytestmark = pytest.mark.usefixtures("photo_dir")


def deliver(client, session_id, files):
    data = {"headcount": "50", "notes": "",
            "photos": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/member/sessions/{session_id}/delivery?lang=en", data=data,
                       content_type="multipart/form-data")


def stored(photo_dir, row, thumb=False):
    return (photo_dir / str(row.session_id) / (row.thumb_name if thumb else row.stored_name)
            ).read_bytes()


@pytest.mark.parametrize(("name", "make", "mimetype"), [
    ("gps.jpg", photos.jpeg, "image/jpeg"),
    ("gps.png", photos.png, "image/png"),
    ("gps.webp", photos.webp, "image/webp"),
])
def test_gps_exif_and_other_metadata_are_gone(client, db, team, frozen_now, photo_dir, name,
                                              make, mimetype):
    upload = make()
    assert photos.opened(upload).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's premise
    login(client, team.lead.user.username)
    assert deliver(client, team.session.id, [(name, upload)]).status_code == 302
    row = db.session.scalars(select(SessionPhoto)).one()
    assert row.content_type == mimetype
    for data in (stored(photo_dir, row), stored(photo_dir, row, thumb=True)):
        img = photos.opened(data)
        assert img.format == mimetype.split("/")[1].upper().replace("JPG", "JPEG")
        assert len(img.getexif()) == 0 and not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"exif", "icc_profile", "comment", "Comment", "xmp"} & set(img.info)
        for trace in (b"TestPhone", b"Exif\x00\x00", b"fake icc", b"13800001234"):
            assert trace not in data


@pytest.mark.parametrize(("orientation", "size", "red_at"), [
    (None, (64, 48), (5, 24)),   # no tag: as taken, red on the left
    (1, (64, 48), (5, 24)),
    (3, (64, 48), (58, 24)),     # upside down: red on the right
    (6, (48, 64), (24, 5)),      # phone held upright: turned 90° clockwise, red on top
    (8, (48, 64), (24, 58)),
])
def test_orientation_is_applied(client, db, team, frozen_now, photo_dir, orientation, size,
                                red_at):
    login(client, team.lead.user.username)
    upload = photos.jpeg(64, 48, orientation=orientation)
    assert deliver(client, team.session.id, [("p.jpg", upload)]).status_code == 302
    row = db.session.scalars(select(SessionPhoto)).one()
    img = photos.opened(stored(photo_dir, row))
    assert img.size == size == (row.width, row.height)
    r, g, b = img.convert("RGB").getpixel(red_at)
    assert r > 200 and b < 60


def test_big_photos_are_capped_and_a_thumbnail_is_stored(client, db, team, frozen_now,
                                                          photo_dir):
    login(client, team.lead.user.username)
    upload = photos.jpeg(3000, 2000, orientation=6)
    assert deliver(client, team.session.id, [("big.jpg", upload)]).status_code == 302
    row = db.session.scalars(select(SessionPhoto)).one()
    assert (row.width, row.height) == (1365, 2048)
    assert photos.opened(stored(photo_dir, row)).size == (1365, 2048)
    assert photos.opened(stored(photo_dir, row, thumb=True)).size == (213, 320)
    assert row.size == len(stored(photo_dir, row))


def fetch(client, url):
    with client.get(url) as response:
        return response.status_code, response.data, response.headers


def test_pages_show_the_thumbnail_linked_to_the_photo(client, db, coordinator, team,
                                                      frozen_now, photo_dir):
    login(client, team.lead.user.username)
    assert deliver(client, team.session.id, [("p.jpg", photos.jpeg(1000, 800))]).status_code == 302
    row = db.session.scalars(select(SessionPhoto)).one()
    html = client.get(f"/member/sessions/{team.session.id}/evidence").get_data(as_text=True)
    assert f'href="/member/photos/{row.id}"' in html
    assert f'src="/member/photos/{row.id}?size=thumb"' in html
    status, data, headers = fetch(client, f"/member/photos/{row.id}?size=thumb")
    assert status == 200 and data == stored(photo_dir, row, thumb=True)
    assert headers["X-Content-Type-Options"] == "nosniff" and "private" in headers["Cache-Control"]
    assert photos.opened(data).size == (320, 256)
    assert fetch(client, f"/member/photos/{row.id}")[1] == stored(photo_dir, row)
    client.post("/auth/logout")

    login(client, coordinator.username)
    html = client.get(f"/coord/orders/{team.order.code}").get_data(as_text=True)
    assert f'href="/coord/photos/{row.id}"' in html
    assert f'src="/coord/photos/{row.id}?size=thumb"' in html
    assert fetch(client, f"/coord/photos/{row.id}?size=thumb")[1] == stored(photo_dir, row, True)
    client.post("/auth/logout")


@pytest.mark.parametrize("url", ["/member/photos/{id}?size=thumb", "/coord/photos/{id}?size=thumb"])
def test_the_thumbnail_has_the_photos_access_rule(client, db, team, frozen_now, url):
    login(client, team.lead.user.username)
    assert deliver(client, team.session.id, [("p.png", photos.png())]).status_code == 302
    row = db.session.scalars(select(SessionPhoto)).one()
    client.post("/auth/logout")
    url = url.format(id=row.id)
    status, _data, headers = fetch(client, url)
    assert status == 302 and "/auth/login" in headers["Location"]  # anonymous
    login(client, team.other.user.username)  # a member who was not there
    assert fetch(client, url)[0] == (404 if url.startswith("/member") else 403)


def test_a_decompression_bomb_is_refused(client, db, team, frozen_now, photo_dir):
    login(client, team.lead.user.username)
    bomb = photos.png_bomb(20_000, 20_000)  # 400 megapixels in a few hundred bytes
    assert len(bomb) < 1000
    response = deliver(client, team.session.id, [("ok.png", photos.png()), ("bomb.png", bomb)])
    assert response.status_code == 422
    assert ("Photo 2 has too many pixels to open (more than 60 megapixels)."
            in response.get_data(as_text=True))
    assert db.session.scalars(select(SessionPhoto)).all() == []
    assert not photo_dir.exists() or not any(p.is_file() for p in photo_dir.rglob("*"))


def test_pillows_own_bomb_limit_is_refused_too(app):
    """Below our own limit but above Pillow's MAX_IMAGE_PIXELS: its warning refuses it."""
    bomb = photos.png_bomb(10_000, 10_000)
    policy = evidence.PhotoPolicy(root="/nonexistent", max_bytes=1 << 20, max_per_session=9,
                                  max_pixels=10**9)
    from lectureorder.domain.evidence import sniff_image

    with pytest.raises(evidence.PhotoBomb):
        evidence.reencode(bomb, sniff_image(bomb), policy)


def test_a_damaged_picture_is_refused_with_a_message(client, db, team, frozen_now):
    login(client, team.lead.user.username)
    data = photos.jpeg(200, 100)
    response = deliver(client, team.session.id, [("cut.jpg", data[: len(data) // 2])])
    assert response.status_code == 422
    assert "Photo 1 could not be read; the file may be damaged." in response.get_data(as_text=True)
    assert db.session.scalars(select(SessionPhoto)).all() == []
