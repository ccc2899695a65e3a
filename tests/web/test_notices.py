"""In-app notices (unread count in the header, list, mark read) and the coordinators' outbox
page with "send again"; every route refuses whoever may not use it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lectureorder.models import Notification
from lectureorder.services import notify, ordering
from lectureorder.services.senders import SendFailed
from tests.helpers import live_settings, login
from tests.services.test_loop import request_for


def failing(message):
    raise SendFailed("webhook: HTTP 503")


def test_member_sees_unread_count_lists_and_marks_read(client, db, world, make_member, now,
                                                       dispatch_pass, frozen_now):
    member = make_member()
    ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    notify.send_pending(now=now, settings=live_settings())
    db.session.commit()
    login(client, member.user.username)
    page = client.get("/member/").get_data(as_text=True)
    # The count is an image: no script draws it (the page's only scripts are its forms' own).
    assert 'src="/member/notices/unread.svg"' in page
    assert set(re.findall(r"<script[^>]*>", page)) <= {'<script src="/static/js/forms.js" defer>'}
    badge = client.get("/member/notices/unread.svg")
    assert badge.mimetype == "image/svg+xml" and "1 条新" in badge.get_data(as_text=True)  # Chinese by default
    unread = client.get("/member/notices/unread")
    assert unread.get_json()["unread"] == 1 and unread.headers["Cache-Control"] == "no-store"
    listing = client.get("/member/notices").get_data(as_text=True)
    assert "待您接单" in listing
    assert client.post("/member/notices/read", data={}).status_code == 302
    assert client.get("/member/notices/unread").get_json()["unread"] == 0
    assert "<text" not in client.get("/member/notices/unread.svg").get_data(as_text=True)


def test_pages_pay_no_query_for_the_count(client, db, make_member, count_queries):
    member = make_member()
    login(client, member.user.username)
    client.get("/member/")
    with count_queries() as n:
        client.get("/member/")
    assert "notice" not in repr(n).lower()


def test_one_cannot_mark_someone_elses_notice(client, db, world, make_member, coordinator, now):
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    notify.enqueue("order_needs_attention", key="a", recipient_kind="coordinator", now=now,
                   order=order, payload={"reason": "rounds"})
    notify.send_pending(now=now, settings=live_settings())
    db.session.commit()
    (notice,) = notify.notices_for(coordinator.id)
    member = make_member()
    login(client, member.user.username)
    client.post("/member/notices/read", data={"notice": str(notice.id)})
    assert notify.unread_count(coordinator.id) == 1


def test_coordinator_sees_failures_and_sends_again(client, db, world, coordinator, now, frozen_now):
    ordering.place_order(request_for(world), now=now, settings=live_settings())
    db.session.commit()
    settings = live_settings()
    for i in range(settings.notify.max_attempts):
        notify.send_pending(now=now + timedelta(days=i), settings=settings, sender=failing)
    db.session.commit()
    note = db.session.scalar(select(Notification))
    assert note.status == "failed"
    login(client, coordinator.username)
    page = client.get("/coord/notifications?status=failed").get_data(as_text=True)
    assert "webhook: HTTP 503" in page and "13800001234" not in page
    assert client.get("/coord/notifications?status=<script>").status_code == 200
    response = client.post(f"/coord/notifications/{note.id}/resend", data={})
    assert response.status_code == 303
    db.session.refresh(note)
    assert note.status == "pending" and note.attempts == 0
    again = client.post(f"/coord/notifications/{note.id}/resend", data={}, follow_redirects=True)
    assert again.status_code == 200 and note.status == "pending"
    assert client.post("/coord/notifications/9999/resend", data={}).status_code == 404
    assert client.get("/coord/notices").status_code == 200


@pytest.mark.parametrize("url", ["/member/notices", "/coord/notices", "/coord/notifications",
                                 "/member/notices/unread", "/coord/notices/unread",
                                 "/member/notices/unread.svg", "/coord/notices/unread.svg"])
def test_anonymous_is_sent_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize("url", ["/member/notices/read", "/coord/notices/read",
                                 "/coord/notifications/1/resend"])
def test_anonymous_posts_are_sent_to_login(client, world, url):
    response = client.post(url, data={})
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/coord/notices"), ("get", "/coord/notifications"), ("get", "/coord/notices/unread"),
    ("get", "/coord/notices/unread.svg"),
    ("post", "/coord/notices/read"), ("post", "/coord/notifications/1/resend")])
def test_members_cannot_use_coordinator_routes(client, make_member, method, url):
    member = make_member()
    login(client, member.user.username)
    assert getattr(client, method)(url, data={}).status_code == 403


@pytest.mark.parametrize(("method", "url"), [("get", "/member/notices"),
                                             ("get", "/member/notices/unread"),
                                             ("get", "/member/notices/unread.svg"),
                                             ("post", "/member/notices/read")])
def test_coordinators_have_no_member_notices(client, coordinator, world, method, url):
    login(client, coordinator.username)
    assert getattr(client, method)(url, data={}).status_code == 403


def test_visitors_pay_no_query_for_the_header(client, world, count_queries):
    client.get("/")
    with count_queries() as n:
        page = client.get("/").get_data(as_text=True)
    assert "notice" not in repr(n).lower() and "notices-link" not in page
