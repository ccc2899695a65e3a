"""A member at the daily cap tries to accept another talk that day on a phone: refused, told
why in their language, and nothing is booked."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lectureorder import create_app
from lectureorder.domain.calendars import TZ
from lectureorder.extensions import db
from lectureorder.models import LectureSession, Member, Offer, User
from tests.browser.conftest import CHROMIUM  # noqa: F401  (the browser fixture lives there)

SHOTS = os.environ.get("LECTUREORDER_SHOTS")  # a folder to keep the screenshots in


@pytest.fixture
def capped(tmp_path):
    """The demo, with member01 capped at one session a day and already busy on the day of
    one of their open offers; yields (url, app, offer id)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite'}",
                      "WTF_CSRF_ENABLED": True})
    with app.app_context():
        db.create_all()
        from lectureorder.services.clock import now_utc
        from lectureorder.services.demo import seed

        seed(now=now_utc())
        member = db.session.scalar(select(Member).join(User).where(User.username == "member01"))
        offer = db.session.scalars(select(Offer).where(
            Offer.member_id == member.id, Offer.status == "open",
            Offer.expires_at > now_utc()).order_by(Offer.id)).first()
        start = offer.slot_times[0][0].astimezone(TZ)
        early = start.replace(hour=7, minute=0) if start.hour >= 10 else start.replace(
            hour=20, minute=0)
        member.daily_cap = 1
        db.session.add(LectureSession(
            format="field_class", start=early, end=early + timedelta(hours=1), venue="别处（示例）",
            township_id=None, lead_member=member, created_at=now_utc()))
        db.session.commit()
        offer_id = offer.id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app, offer_id
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.mark.parametrize(("lang", "expected"), [("zh", "当天已有 1 场，达到每日上限"),
                                                 ("en", "already has 1 session(s) that day")])
def test_a_member_at_the_daily_cap_is_told_why(browser, capped, tmp_path, lang, expected):
    url, app, offer_id = capped
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2,
                                  locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    page.goto(f"{url}/" + ("?lang=en" if lang == "en" else ""))  # the header's language link
    page.goto(f"{url}/auth/login")
    page.fill("input[name=username]", "member01")
    page.fill("input[name=password]", "demo1234")
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/member/**")
    card = page.get_by_test_id(f"offer-{offer_id}")
    card.locator("summary").first.click()  # offers are folded cards on the phone: open it
    card.locator("input[type=radio]").first.check()
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.screenshot(path=str(tmp_path / f"cap-{lang}.png"))
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"daily-cap-{lang}-390.png"))
    message = page.get_by_text(expected)
    message.wait_for(timeout=10_000)
    box = message.bounding_box()
    assert box is not None and box["y"] < 844, box  # seen without scrolling
    with app.app_context():
        assert db.session.get(Offer, offer_id).status == "open"
        booked = db.session.scalar(select(func.count()).select_from(LectureSession).where(
            LectureSession.order_id == db.session.get(Offer, offer_id).order_id))
        assert booked == 0
    context.close()
