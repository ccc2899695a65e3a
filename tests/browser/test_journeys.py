"""Every journey in a real browser, on a phone (390×844) or a desktop (1440×900), in Chinese and
English: villagers order (market talk, film, school), are refused an impossible order with its
reason, track, cancel and rate; a cadre's order is taken by phone; a member accepts, declines and
records a talk with a photo; the coordinator assigns, re-assigns, moves, calls off a rainy evening,
reads the calendar, exports the ledger and prints a poster whose QR code opens the order form."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lectureorder.domain.calendars import TZ
from lectureorder.extensions import db
from lectureorder.models import LectureSession, Member, Offer, Order, User, Village
from lectureorder.services.clock import now_utc
from tests.browser import kit
from tests.conftest import run_dispatch_pass
from tests.photos import jpeg

pytestmark = pytest.mark.browser


def today():
    return now_utc().astimezone(TZ).date()


def place_value(page, kind: str, index: int = 0) -> str:
    return page.locator(f"select[name=place] option[value^='{kind}:']").nth(index).get_attribute(
        "value")


def fill_order(page, *, topic: str, fmt: str, kind: str, audience: str, name: str, phone: str,
               days: tuple[int, int] = (3, 25), index: int = 0) -> None:
    page.locator(f"input[name=topics][value={topic}]").check()
    page.locator(f"input[name=format][value={fmt}]").check()
    page.locator("select[name=place]").select_option(place_value(page, kind, index))
    page.locator("select[name=audience_type]").select_option(audience)
    page.fill("input[name=audience_size]", "50")
    page.fill("input[name=earliest]", (today() + timedelta(days=days[0])).isoformat())
    page.fill("input[name=latest]", (today() + timedelta(days=days[1])).isoformat())
    page.fill("input[name=requester_name]", name)
    page.fill("input[name=phone]", phone)


def submit(page) -> None:
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def look_up(page) -> None:
    page.locator("form[action$='/track'] button[type=submit]").click()
    page.wait_for_load_state()


def dispatch(app) -> None:
    with app.app_context():
        run_dispatch_pass()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_villager_orders_a_market_talk_a_school_talk_and_is_refused_a_winter_film(
        browser, live_app, lang):
    url, app = live_app
    context = kit.context(browser, phone=True, lang=lang)
    page = context.new_page()
    page.goto(f"{url}/")
    if lang == "en":  # the header's language link sets the cookie
        page.locator("header a[lang=en]").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
    kit.shoot(page, f"journey-menu-{lang}-390")
    codes = []
    for n, (topic, fmt, kind, audience) in enumerate((
            ("anti_fraud", "market_talk", "market", "villagers"),
            ("campus_bullying", "school_talk", "school", "pupils"))):
        page.goto(f"{url}/orders/new")
        fill_order(page, topic=topic, fmt=fmt, kind=kind, audience=audience,
                   name="马大爷" if lang == "zh" else "Mr Ma",
                   phone=f"1390000{'12' if lang == 'zh' else '34'}{n}{n}", index=n)
        page.locator("#slot-preview li").first.wait_for(timeout=10_000)
        kit.shoot(page, f"journey-order-{fmt}-{lang}-390")
        submit(page)
        page.wait_for_url("**/orders/placed")
        codes.append(page.get_by_test_id("order-code").inner_text().strip())
    assert all(len(code) == 6 for code in codes)
    kit.shoot(page, f"journey-placed-{lang}-390")

    # A film screening in December cannot happen: the live box says why and offers the next
    # possible days; sending anyway is refused with the same reason, and nothing is stored.
    page.goto(f"{url}/orders/new")
    fill_order(page, topic="traffic_safety", fmt="mobile_film", kind="village", audience="villagers",
               name="马大爷", phone="13900009999", days=(1, 20))
    reason = ("流动电影每年5月1日至10月10日傍晚放映。" if lang == "zh" else "May")
    warning = page.locator("#slot-preview.slot-warning")
    warning.wait_for(timeout=10_000)
    assert reason in warning.inner_text()
    assert page.locator("#slot-preview .day-choices button").count() >= 1
    kit.shoot(page, f"journey-film-refused-{lang}-390")
    with app.app_context():
        before = db.session.query(Order).count()
    submit(page)
    assert "/orders/placed" not in page.url
    assert reason in page.locator("main").inner_text()
    with app.app_context():
        assert db.session.query(Order).count() == before
    # one tap on a proposed day fills the form with that day
    page.locator("#slot-preview .day-choices button").first.click()
    assert page.locator("input[name=timing][value=date]").is_checked()

    # The next dispatch pass offers the orders; the villager tracks one and cancels it.
    dispatch(app)
    page.goto(f"{url}/track?other=1")
    page.fill("input[name=code]", codes[0])
    page.fill("input[name=phone_last4]", f"{'12' if lang == 'zh' else '34'}00")
    look_up(page)
    status = page.get_by_test_id("order-status")
    status.wait_for()
    kit.shoot(page, f"journey-track-{lang}-390")
    page.locator("details summary", has_text="取消" if lang == "zh" else "Cancel").click()
    page.locator("form[action$='/track/cancel'] button[type=submit]").click()
    page.wait_for_load_state()
    with app.app_context():
        assert db.session.scalar(select(Order.status).where(Order.code == codes[0])) == "cancelled"
    context.close()


def test_villager_rates_a_delivered_talk(browser, live_app):
    url, app = live_app
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.status == "delivered")
                                   .order_by(Order.id)).first()
        code, last4 = order.code, order.requester_phone[-4:]
    context = kit.context(browser, phone=True, lang="zh")
    page = context.new_page()
    page.goto(f"{url}/track?other=1")
    page.fill("input[name=code]", code)
    page.fill("input[name=phone_last4]", last4)
    look_up(page)
    page.locator("input[name=rating][value='5']").check()
    page.fill("textarea[name=comment]", "讲得好")
    page.locator("form[action$='/track/rate'] button[type=submit]").click()
    page.wait_for_load_state()
    with app.app_context():
        assert db.session.scalar(select(Order.status).where(Order.code == code)) == "closed"
    context.close()


def login_page(browser, url, username, *, phone, lang):
    context = kit.context(browser, phone=phone, lang=lang)
    page = context.new_page()
    kit.choose_language(page, url, lang)
    kit.login(page, url, username)
    return context, page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cadre_order_taken_by_phone(browser, live_app, lang):
    """A village cadre calls; the coordinator takes the order on the caller's behalf (代下单)."""
    url, app = live_app
    context, page = login_page(browser, url, "coordinator", phone=False, lang=lang)
    page.goto(f"{url}/coord/orders/new")
    fill_order(page, topic="drug_awareness", fmt="field_class", kind="village",
               audience="villagers", name="祁书记", phone=f"1370000{'5' if lang == 'zh' else '6'}678",
               index=3 if lang == "zh" else 4)
    page.locator("select[name=channel]").select_option("cadre")
    kit.shoot(page, f"journey-phone-order-{lang}-1440")
    submit(page)
    page.wait_for_url("**/coord/orders/*")
    code = page.url.rsplit("/", 1)[1]
    with app.app_context():
        assert db.session.scalar(select(Order.channel).where(Order.code == code)) == "cadre"
    context.close()


def member01(app):
    return db.session.scalar(select(Member).join(User).where(User.username == "member01"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_member_accepts_declines_and_records_with_a_photo(browser, live_app, lang):
    url, app = live_app
    username = "member01" if lang == "zh" else None
    with app.app_context():
        member = member01(app)
        if username is None:  # English: another member with open offers of their own
            row = db.session.execute(select(User.username, Member.id).join(Member).join(
                Offer, Offer.member_id == Member.id).where(
                Offer.status == "open", Offer.expires_at > now_utc(),
                User.username != "member01").order_by(Offer.id)).first()
            username, member_id = row
        else:
            member_id = member.id
        offers = db.session.scalars(select(Offer.id).where(
            Offer.member_id == member_id, Offer.status == "open",
            Offer.expires_at > now_utc()).order_by(Offer.id)).all()
        due = db.session.scalars(select(LectureSession.id).where(
            LectureSession.lead_member_id == member_id, LectureSession.status == "scheduled",
            LectureSession.start < now_utc())).first()
    assert offers, "the demo gives the member open offers"
    context, page = login_page(browser, url, username, phone=True, lang=lang)
    page.goto(f"{url}/member/")
    kit.shoot(page, f"journey-member-{lang}-390")
    card = page.get_by_test_id(f"offer-{offers[0]}")
    card.locator("summary").first.click()  # offers are folded cards: open one first
    card.locator("input[type=radio]").first.check()
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()
    with app.app_context():
        assert db.session.get(Offer, offers[0]).status == "accepted"

    if len(offers) > 1:
        card = page.get_by_test_id(f"offer-{offers[1]}")
        card.locator("summary").first.click()
        card.locator("a.button.secondary").click()  # "I cannot take it"
        page.wait_for_url("**/decline")
        page.locator("input[name=quick]").first.check()
        kit.shoot(page, f"journey-decline-{lang}-390")
        submit(page)
        with app.app_context():
            offer = db.session.get(Offer, offers[1])
            assert offer.status == "declined" and offer.decline_reason

    if due is not None:
        page.goto(f"{url}/member/sessions/{due}/delivery")
        page.fill("input[name=headcount]", "57")
        page.locator("input[name=photos]").set_input_files(
            files=[{"name": "talk.jpg", "mimeType": "image/jpeg", "buffer": jpeg(320, 240)}])
        kit.shoot(page, f"journey-delivery-{lang}-390")
        submit(page)
        with app.app_context():
            session = db.session.get(LectureSession, due)
            assert session.status == "delivered" and session.headcount == 57
            assert len(session.photos) == 1
    context.close()


def test_coordinator_assigns_reassigns_and_moves(browser, live_app):
    url, app = live_app
    with app.app_context():
        waiting = db.session.scalars(select(Order.code).where(
            Order.status == "needs_attention").order_by(Order.id)).first()
    context, page = login_page(browser, url, "coordinator", phone=False, lang="en")
    page.goto(f"{url}/coord/")
    kit.shoot(page, "journey-coord-orders-en-1440")
    page.goto(f"{url}/coord/orders/{waiting}")
    form = page.get_by_test_id("assign-form")
    form.locator("select[name=member]").select_option(index=1)
    form.locator("select[name=slot_start]").select_option(index=1)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    if page.locator(".confirm-actions").count():
        page.locator(".confirm-actions button[type=submit]").click()
        page.wait_for_load_state()
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.code == waiting))
        assert order.status in ("scheduled", "offered"), order.status
        first = order.lecture_session.lead_member_id if order.lecture_session else None

    # Re-assigning a scheduled talk shows what will change first, then "Yes, …" does it.
    page.goto(f"{url}/coord/orders/{waiting}")
    if first is not None:
        form = page.get_by_test_id("assign-form")
        options = form.locator("select[name=member] option")
        chosen = next(options.nth(i).get_attribute("value") for i in range(options.count())
                      if options.nth(i).get_attribute("value") not in ("", str(first)))
        form.locator("select[name=member]").select_option(chosen)
        form.locator("button[type=submit]").click()
        page.locator(".confirm-step").wait_for()
        kit.shoot(page, "journey-reassign-confirm-en-1440")
        page.locator(".confirm-actions button[type=submit]").click()
        page.wait_for_load_state()
        with app.app_context():
            order = db.session.scalar(select(Order).where(Order.code == waiting))
            assert order.lecture_session.lead_member_id == int(chosen)
            start = order.lecture_session.start

        # Move it to another valid time of that member.
        page.goto(f"{url}/coord/orders/{waiting}")
        page.locator("details summary", has_text="Move the session").click()
        move = page.locator("form[action$='/move']")
        if move.count():
            move.locator("select[name=slot_start]").select_option(index=1)
            move.locator("[name=reason]").fill("road works")
            move.locator("button[type=submit]").click()
            page.wait_for_load_state()
            if page.locator(".confirm-actions").count():
                page.locator(".confirm-actions button[type=submit]").click()
                page.wait_for_load_state()
            with app.app_context():
                order = db.session.scalar(select(Order).where(Order.code == waiting))
                assert order.lecture_session.start != start
    context.close()


def test_coordinator_calls_off_a_rainy_evening(browser, live_app):
    """An evening's screening is called off (with a confirmation) and moved or handed back."""
    url, app = live_app
    from datetime import datetime, time

    with app.app_context():
        session = db.session.scalars(select(LectureSession).join(Order).where(
            LectureSession.status == "scheduled", LectureSession.start > now_utc(),
            Order.status == "scheduled", Order.place_kind == "village")
            .order_by(LectureSession.start)).first()
        # Test set-up: that talk becomes an evening screening (statuses are left alone).
        evening = session.start.astimezone(TZ).date()
        session.format = session.order.format = "mobile_film"
        session.start = datetime.combine(evening, time(19, 0), TZ)
        session.end = session.start + timedelta(hours=2)
        db.session.commit()
        session_id, start = session.id, session.start
    context, page = login_page(browser, url, "coordinator", phone=False, lang="zh")
    page.goto(f"{url}/coord/rain?day={evening.isoformat()}")
    kit.shoot(page, "journey-rain-zh-1440")
    assert page.locator("main form[method=post] button.danger").count(), page.locator("main").inner_text()
    page.locator("main form[method=post] button.danger").first.click()
    page.wait_for_load_state()
    if page.locator("main form[method=post] button.danger").count():  # "Yes, call them off…"
        page.locator("main form[method=post] button.danger").first.click()
        page.wait_for_load_state()
    with app.app_context():
        session = db.session.get(LectureSession, session_id)
        assert session.status == "cancelled" or session.start != start
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_coordinator_reads_the_calendar_and_exports_the_ledger(browser, live_app, lang):
    url, app = live_app
    context, page = login_page(browser, url, "coordinator", phone=False, lang=lang)
    page.goto(f"{url}/coord/calendar?view=month")
    assert page.locator(".cal-month .cal-day").count() >= 28
    assert page.locator(".cal-month .cal-item").count() >= 1
    kit.shoot(page, f"journey-calendar-{lang}-1440")
    page.goto(f"{url}/coord/calendar?view=week")
    assert page.locator(".cal-week .cal-day").count() == 7
    page.goto(f"{url}/coord/reports")
    kit.shoot(page, f"journey-reports-{lang}-1440")
    for suffix, magic in (("xlsx", b"PK"), ("csv", None)):
        with page.expect_download() as info:
            page.locator(f"a[href*='export.{suffix}']").click()
        download = info.value
        body = Path(download.path()).read_bytes()
        assert download.suggested_filename.endswith(suffix)
        assert body.startswith(magic) if magic else len(body.splitlines()) >= 2
    context.close()


def test_poster_qr_code_opens_the_prefilled_order_form(browser, live_app):
    import zxingcpp
    from PIL import Image

    url, app = live_app
    with app.app_context():
        village = db.session.scalars(select(Village).order_by(Village.id)).first()
        village_id, name = village.id, village.name
    context, page = login_page(browser, url, "coordinator", phone=False, lang="zh")
    page.goto(f"{url}/coord/posters/village/{village_id}")
    kit.shoot(page, "journey-poster-zh-1440")
    image = Image.open(io.BytesIO(page.locator(".poster-qr").screenshot()))
    results = zxingcpp.read_barcodes(image)
    assert results, "the QR code on the poster decodes"
    target = results[0].text
    assert "/orders/new" in target, target
    # the villager's phone opens it: the order form with the place chosen
    phone = kit.context(browser, phone=True, lang="zh").new_page()
    phone.goto(url + target[target.index("/orders/new"):])
    assert phone.locator("select[name=place]").input_value() == f"village:{village_id}"
    assert name in phone.locator("select[name=place] option:checked").inner_text()
    phone.context.close()
    context.close()
