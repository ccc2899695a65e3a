"""Delivery evidence: photos checked by their header, re-encoded, stored under random names with
a thumbnail, shown to staff."""

import io
import os
import re

import pytest
from flask import current_app
from sqlalchemy import select

from lectureorder.models import LectureSession, SessionPhoto
from lectureorder.services import evidence, reports
from lectureorder.services.settings import from_app
from tests import images, photos
from tests.helpers import login

# Photos go to the test's own folder (tests/web/conftest.py).
pytestmark = pytest.mark.usefixtures("photo_dir")

STORED = re.compile(r"[0-9a-f]{32}\.(png|jpg|webp)")


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def deliver(client, session_id, photos=(), **fields):
    data = {"headcount": "50", "notes": "", **fields,
            "photos": [(io.BytesIO(content), name) for name, content in photos]}
    return client.post(f"/member/sessions/{session_id}/delivery?lang=en", data=data,
                       content_type="multipart/form-data")


def add_evidence(client, session_id, photos=(), **fields):
    data = {**fields, "photos": [(io.BytesIO(content), name) for name, content in photos]}
    return client.post(f"/member/sessions/{session_id}/evidence?lang=en", data=data,
                       content_type="multipart/form-data")


def test_delivery_with_photos_and_sign_ins(client, db, team, frozen_now, photo_dir):
    login(client, team.lead.user.username)
    png, jpg = images.png(4, 3), photos.jpeg(800, 600)
    response = deliver(client, team.session.id, signin_count="42",
                       photos=[("../../../etc/passwd.png", png), ("现场.exe", jpg)])
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    session = db.session.get(LectureSession, team.session.id)
    assert (session.status, session.headcount, session.signin_count) == ("delivered", 50, 42)
    rows = db.session.scalars(select(SessionPhoto).order_by(SessionPhoto.id)).all()
    assert [(r.content_type, r.width, r.height, r.uploader_id) for r in rows] == [
        ("image/png", 4, 3, team.lead.id), ("image/jpeg", 800, 600, team.lead.id)]
    # stored as <session id>/<random hex>.<type>, with a thumbnail beside each: nothing of the
    # sender's file name survives
    stored = files_under(photo_dir)
    assert len(stored) == 4
    assert stored == sorted(os.path.join(str(session.id), name) for r in rows
                            for name in (r.stored_name, r.thumb_name))
    for path in stored:
        folder, name = path.split(os.sep)
        assert folder == str(session.id) and STORED.fullmatch(name)
        assert "passwd" not in name and "exe" not in name
    for row in rows:  # re-encoded: the row describes the stored file
        data = (photo_dir / str(session.id) / row.stored_name).read_bytes()
        assert row.size == len(data)
        assert photos.opened(data).size == (row.width, row.height)
    assert not (photo_dir.parent / "etc").exists()


@pytest.mark.parametrize(("name", "content"), [
    ("photo.jpg", images.GIF),
    ("photo.png", images.HTML),
    ("photo.webp", b""),
    ("scan.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
])
def test_a_file_that_is_not_a_picture_is_refused(client, db, team, frozen_now, photo_dir,
                                                 name, content):
    login(client, team.lead.user.username)
    response = deliver(client, team.session.id, photos=[("ok.png", images.png()), (name, content)])
    assert response.status_code == 422
    assert "Photo 2 is not a JPEG, PNG or WebP picture." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(LectureSession, team.session.id).status == "scheduled"  # nothing saved
    assert db.session.scalars(select(SessionPhoto)).all() == []
    assert not photo_dir.exists() or files_under(photo_dir) == []


def test_an_oversized_photo_is_refused(client, app, db, team, frozen_now, photo_dir):
    app.config["PHOTO_MAX_BYTES"] = 1000
    login(client, team.lead.user.username)
    big = images.png(padding=2000)
    response = deliver(client, team.session.id, photos=[("big.png", big)])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Photo 1 is larger than" in html
    assert db.session.scalars(select(SessionPhoto)).all() == []
    assert not photo_dir.exists() or files_under(photo_dir) == []


def test_at_most_n_photos_per_session(client, app, db, team, frozen_now):
    app.config["PHOTO_MAX_PER_SESSION"] = 2
    login(client, team.lead.user.username)
    three = [(f"{i}.png", images.png(i + 1, 1)) for i in range(3)]
    response = deliver(client, team.session.id, photos=three)
    assert response.status_code == 422
    assert "at most 2 photos" in response.get_data(as_text=True)
    assert deliver(client, team.session.id, photos=three[:2]).status_code == 302
    response = add_evidence(client, team.session.id, photos=three[2:])
    assert response.status_code == 422
    assert "it has 2 already" in response.get_data(as_text=True)


def test_the_same_picture_twice_is_stored_once(client, db, team, frozen_now, photo_dir):
    login(client, team.lead.user.username)
    png = images.png()
    assert deliver(client, team.session.id, photos=[("a.png", png), ("b.png", png)]).status_code == 302
    assert add_evidence(client, team.session.id, photos=[("c.png", png)]).status_code == 302
    assert len(db.session.scalars(select(SessionPhoto)).all()) == 1
    assert len(files_under(photo_dir)) == 2  # the photo and its thumbnail


@pytest.mark.parametrize("value", ["-1", "5001", "many"])
def test_sign_in_count_is_checked(client, db, team, frozen_now, value):
    login(client, team.lead.user.username)
    response = deliver(client, team.session.id, signin_count=value)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(LectureSession, team.session.id).status == "scheduled"


def test_delivery_form_offers_photo_upload(client, team, frozen_now):
    login(client, team.lead.user.username)
    html = client.get(f"/member/sessions/{team.session.id}/delivery").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and 'accept="image/jpeg,image/png,image/webp"' in html
    assert 'name="signin_count"' in html


def test_evidence_page_for_a_delivered_session(client, db, team, frozen_now, photo_dir):
    login(client, team.lead.user.username)
    assert deliver(client, team.session.id).status_code == 302
    # the delivery page of a delivered session leads to its evidence page
    response = client.get(f"/member/sessions/{team.session.id}/delivery")
    assert response.status_code == 302
    assert response.location.endswith(f"/member/sessions/{team.session.id}/evidence")
    response = add_evidence(client, team.session.id, signin_count="38",
                            photos=[("p.webp", photos.webp())])
    assert response.status_code == 302
    db.session.expire_all()
    session = db.session.get(LectureSession, team.session.id)
    assert session.signin_count == 38 and len(session.photos) == 1
    html = client.get(f"/member/sessions/{team.session.id}/evidence").get_data(as_text=True)
    assert f"/member/photos/{session.photos[0].id}" in html
    assert 'value="38"' in html
    # a helper may add photos too
    client.post("/auth/logout")
    login(client, team.helper.user.username)
    response = add_evidence(client, team.session.id, signin_count="38",
                            photos=[("q.jpg", photos.jpeg())])
    assert response.status_code == 302
    db.session.expire_all()
    assert {p.uploader_id for p in db.session.get(LectureSession, team.session.id).photos} == {
        team.lead.id, team.helper.id}
    # the report counts them
    page = reports.build({"from": "2026-11-01", "to": "2026-11-30"}, now=frozen_now)
    assert (page.total.photos, page.total.signins) == (2, 38)


def test_evidence_page_before_delivery_sends_to_the_delivery_form(client, team, frozen_now):
    login(client, team.lead.user.username)
    response = client.get(f"/member/sessions/{team.session.id}/evidence")
    assert response.status_code == 302 and response.location.endswith("/delivery")
    response = add_evidence(client, team.session.id, photos=[("a.png", images.png())])
    assert response.status_code == 302


@pytest.fixture
def photo(client, db, team, frozen_now):
    login(client, team.lead.user.username)
    assert deliver(client, team.session.id, photos=[("a.png", images.png())]).status_code == 302
    client.post("/auth/logout")
    return db.session.scalars(select(SessionPhoto)).one()


def fetch(client, url):
    """GET a file and close the response (a streamed file stays open until then)."""
    with client.get(url) as response:
        return response.status_code, response.mimetype, response.data, response.headers


def test_the_sessions_members_see_the_photo(client, team, photo):
    for member in (team.lead, team.helper):
        login(client, member.user.username)
        status, mimetype, data, headers = fetch(client, f"/member/photos/{photo.id}")
        assert status == 200
        assert mimetype == "image/png" and photos.opened(data).size == (2, 1)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "private" in headers["Cache-Control"]
        client.post("/auth/logout")


def test_a_coordinator_sees_the_photo_and_the_order_page_shows_it(client, coordinator, team,
                                                                   photo):
    login(client, coordinator.username)
    status, _mimetype, data, _headers = fetch(client, f"/coord/photos/{photo.id}")
    assert status == 200 and photos.opened(data).size == (2, 1)
    html = client.get(f"/coord/orders/{team.order.code}").get_data(as_text=True)
    assert f"/coord/photos/{photo.id}" in html
    assert client.get(f"/coord/photos/{photo.id + 99}").status_code == 404
    assert client.get(f"/member/photos/{photo.id}").status_code == 403  # not a member's route


def test_others_cannot_fetch_the_photo(client, team, photo):
    response = client.get(f"/member/photos/{photo.id}")
    assert response.status_code == 302 and "/auth/login" in response.location
    response = client.get(f"/coord/photos/{photo.id}")
    assert response.status_code == 302 and "/auth/login" in response.location
    login(client, team.other.user.username)
    assert client.get(f"/member/photos/{photo.id}").status_code == 404
    assert client.get(f"/coord/photos/{photo.id}").status_code == 403
    assert client.get(f"/member/sessions/{team.session.id}/evidence").status_code == 404


def test_removing_a_photo(client, db, team, photo, photo_dir):
    path = photo_dir / str(photo.session_id) / photo.stored_name
    thumb = photo_dir / str(photo.session_id) / photo.thumb_name
    assert path.exists() and thumb.exists()
    login(client, team.other.user.username)
    assert client.post(f"/member/photos/{photo.id}/remove").status_code == 404
    client.post("/auth/logout")
    login(client, team.helper.user.username)  # neither its uploader nor the lead
    client.post(f"/member/photos/{photo.id}/remove")
    assert db.session.get(SessionPhoto, photo.id) is not None and path.exists()
    client.post("/auth/logout")
    login(client, team.lead.user.username)
    response = client.post(f"/member/photos/{photo.id}/remove")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SessionPhoto, photo.id) is None
    assert not path.exists() and not thumb.exists()


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/member/sessions/1/evidence"), ("post", "/member/sessions/1/evidence"),
    ("get", "/member/photos/1"), ("post", "/member/photos/1/remove"),
])
def test_member_evidence_routes_refuse_others(client, coordinator, world, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and "/auth/login" in response.location
    login(client, coordinator.username)
    assert getattr(client, method)(url).status_code == 403


def test_files_follow_the_transaction(db, team, frozen_now, photo_dir):
    """A rolled-back upload leaves no file; a removal deletes the file only once committed."""
    session = db.session.get(LectureSession, team.session.id)
    session.status = "delivered"
    db.session.commit()
    policy = evidence.photo_policy(from_app(current_app))
    evidence.record_evidence(session, team.lead, 10, [io.BytesIO(images.png())], now=frozen_now,
                             policy=policy)
    assert len(files_under(photo_dir)) == 2  # the photo and its thumbnail
    db.session.rollback()
    assert files_under(photo_dir) == []

    evidence.record_evidence(session, team.lead, 10, [io.BytesIO(photos.jpeg())], now=frozen_now,
                             policy=policy)
    db.session.commit()
    photo = db.session.scalars(select(SessionPhoto)).one()
    evidence.remove_photo(photo, team.lead, policy=policy)
    db.session.rollback()
    assert len(files_under(photo_dir)) == 2  # the removal was rolled back: the files stay
    photo = db.session.scalars(select(SessionPhoto)).one()
    evidence.remove_photo(photo, team.lead, policy=policy)
    db.session.commit()
    assert files_under(photo_dir) == []
