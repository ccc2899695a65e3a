"""Coordinator safety: 改派 starts from the current member; cancel, re-assign, move and the rain
call-off show what will change and store nothing until confirmed; a stale confirmation is
refused; the month calendar says "orders waiting" once; the history names people, not accounts."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from lectureorder.domain.calendars import TZ
from lectureorder.models import AuditEvent, LectureSession, Notification, Order
from lectureorder.services import dispatch, ordering, scheduling
from tests.calendar_builders import add_waiting_order
from tests.conftest import run_dispatch_pass
from tests.helpers import login, order_body

CONFIRM_STEP = 'data-testid="confirm-step"'


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of the confirmation step's form: what the second POST sends back."""
    step = page[page.index(CONFIRM_STEP):]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", step):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]*)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        fields[name] = html.unescape(value.group(1)) if value else ""
    return fields


def ask(client, url: str, data: dict):
    """The first POST: the confirmation step, and what confirming it would send."""
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and CONFIRM_STEP in page, (response.status_code, page[:300])
    return page, hidden_fields(page)


def post_confirmed(client, url: str, data: dict, **kwargs):
    """Post a change the way a coordinator does: see what will change, then confirm it."""
    _page, fields = ask(client, url, data)
    assert fields["confirm"] == "1" and fields["seen"]
    return client.post(url, data=fields, **kwargs)


def flashes(page: str) -> str:
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', page, re.S))


def scheduled_order(db, world, make_member, coordinator, now, *, fmt="field_class", day=None):
    """An order scheduled with 甲 by a coordinator; 乙 is free too."""
    holder = make_member(name="甲建国")
    other = make_member(name="乙海龙")
    window = {"earliest": (day or date(2026, 12, 7)).isoformat(),
              "latest": (day or date(2026, 12, 20)).isoformat()}
    order = ordering.place_order(_request(world, fmt, window), now=now)
    db.session.commit()
    slot = dispatch.order_slots(order, now=now)[0]
    dispatch.assign(order, holder, slot.start, now=now, actor=coordinator)
    db.session.commit()
    return order, holder, other


def _request(world, fmt, window):
    from lectureorder.web.api.schema import order_request

    return order_request(order_body(world, format=fmt, window=window))


def lead_of(db, order_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Order, order_id).lecture_session.lead_member_id


def test_reassign_defaults_to_the_current_member_and_says_reassign(client, db, world, make_member,
                                                                   coordinator, frozen_now):
    order, holder, other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    login(client, coordinator.username)
    page = client.get(f"/coord/orders/{order.code}").get_data(as_text=True)
    form = page[page.index('data-testid="assign-form"'):]
    form = form[:form.index("</form>")]
    assert re.search(rf'<option selected value="{holder.id}">', form)
    assert not re.search(rf'<option selected value="{other.id}">', form)
    assert '<button class="button" type="submit">改派</button>' in form
    assert "甲建国" in form
    # A first assignment is still 派单, with its top candidate first.
    fresh = ordering.place_order(_request(world, "field_class", {"earliest": "2026-12-07",
                                                                 "latest": "2026-12-20"}),
                                 now=frozen_now)
    db.session.commit()
    page = client.get(f"/coord/orders/{fresh.code}").get_data(as_text=True)
    form = page[page.index('data-testid="assign-form"'):]
    assert '<button class="button" type="submit">派单</button>' in form[:form.index("</form>")]
    english = client.get(f"/coord/orders/{order.code}?lang=en").get_data(as_text=True)
    assert '<button class="button" type="submit">Re-assign</button>' in english


def test_reassign_shows_who_to_who_then_does_it_on_confirm(client, db, world, make_member,
                                                           coordinator, frozen_now):
    order, holder, other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    login(client, coordinator.username)
    url = f"/coord/orders/{order.code}/assign"
    page, fields = ask(client, url, {"member": other.id, "slot_start": ""})
    assert "甲建国" in page and "乙海龙" in page and "→" in page
    assert lead_of(db, order.id) == holder.id  # nothing stored
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    response = client.post(url, data=fields)
    assert response.status_code == 302
    assert lead_of(db, order.id) == other.id
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reassign"))


def test_reassign_to_the_same_member_is_refused_before_any_confirmation(
        client, db, world, make_member, coordinator, frozen_now):
    order, holder, _other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    login(client, coordinator.username)
    response = client.post(f"/coord/orders/{order.code}/assign?lang=en",
                           data={"member": holder.id}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert CONFIRM_STEP not in page and "already gives this session" in page


def test_cancel_shows_what_is_called_off_then_cancels_on_confirm(client, db, world, make_member,
                                                                coordinator, frozen_now):
    order, _holder, _other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    outbox = db.session.scalar(select(func.count()).select_from(Notification))
    login(client, coordinator.username)
    url = f"/coord/orders/{order.code}/cancel"
    page, fields = ask(client, url + "?lang=en", {"reason": "村里改期"})
    assert "Session called off" in page and "甲建国" in page and "村里改期" in page
    assert "Cancelled" in page  # the status it will have
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "scheduled"
    assert db.session.get(Order, order.id).lecture_session.status == "scheduled"
    assert db.session.scalar(select(func.count()).select_from(Notification)) == outbox
    assert client.post(url, data=fields).status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "cancelled"
    assert db.session.get(Order, order.id).lecture_session.status == "cancelled"


def test_cancel_without_a_reason_asks_for_one_and_shows_no_confirmation(
        client, db, world, make_member, coordinator, frozen_now):
    order, _holder, _other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    login(client, coordinator.username)
    response = client.post(f"/coord/orders/{order.code}/cancel", data={"reason": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "scheduled"


def move_target(session, now):
    earliest, latest = scheduling.reschedule_window(session, now=now)
    return [s for s in scheduling.free_slots_for_session(session, earliest, latest, now=now)
            if s.start != session.start][1]


def test_move_shows_old_and_new_time_then_moves_on_confirm(client, db, world, make_member,
                                                          coordinator, frozen_now):
    from lectureorder.web.templating import slot_label

    order, _holder, _other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    session = order.lecture_session
    before = session.start
    target = move_target(session, frozen_now)
    login(client, coordinator.username)
    url = f"/coord/orders/{order.code}/move"
    page, fields = ask(client, url, {"slot_start": target.start.isoformat(), "reason": "村里有事"})
    with client.application.test_request_context():
        old, new = slot_label(session.start, session.end), slot_label(target.start, target.end)
    assert html.escape(old, quote=False) in page and html.escape(new, quote=False) in page
    db.session.expire_all()
    assert db.session.get(LectureSession, session.id).start == before
    assert client.post(url, data=fields).status_code == 302
    db.session.expire_all()
    assert db.session.get(LectureSession, session.id).start == target.start


def film_evening(client, db, world, make_member, coordinator, app, now):
    app.config["FILM_SEASON_ALL_YEAR"] = True
    member = make_member(kit_qualified=True)
    client.post("/api/v1/orders", json=order_body(world, format="mobile_film", window={
        "earliest": "2026-12-07", "latest": "2026-12-07"}))
    run_dispatch_pass(now)
    order = db.session.scalar(select(Order))
    dispatch.accept_offer(order.offers[0].id, member, order.offers[0].slot_times[0][0], now=now)
    db.session.commit()
    return order, member


def test_rain_asks_which_screenings_are_called_off_then_moves_them(
        client, db, world, make_member, coordinator, frozen_now, app):
    order, _member = film_evening(client, db, world, make_member, coordinator, app, frozen_now)
    before = order.lecture_session.start
    login(client, coordinator.username)
    page, fields = ask(client, "/coord/rain?lang=en", {"day": "2026-12-07"})
    assert order.code in page and "1 screening on this evening will be called off." in page
    db.session.expire_all()
    assert db.session.scalar(select(LectureSession)).start == before
    assert client.post("/coord/rain", data=fields).status_code == 302
    db.session.expire_all()
    moved = db.session.scalar(select(LectureSession))
    assert moved.start.astimezone(TZ).date() == date(2026, 12, 8)


def test_a_stale_reassign_is_refused(client, db, world, make_member, coordinator, frozen_now):
    order, holder, other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    third = make_member(name="丙晓燕")
    login(client, coordinator.username)
    url = f"/coord/orders/{order.code}/assign"
    _page, fields = ask(client, url, {"member": other.id})
    # Meanwhile another coordinator gives it to someone else.
    dispatch.assign(db.session.get(Order, order.id), third, None, now=frozen_now,
                    actor=coordinator)
    db.session.commit()
    response = client.post(url + "?lang=en", data=fields, follow_redirects=True)
    assert "Someone else changed this just now" in response.get_data(as_text=True)
    assert lead_of(db, order.id) == third.id


def test_a_stale_cancel_is_refused(client, db, world, make_member, coordinator, frozen_now):
    order, _holder, other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    login(client, coordinator.username)
    url = f"/coord/orders/{order.code}/cancel"
    _page, fields = ask(client, url, {"reason": "下雪"})
    dispatch.assign(db.session.get(Order, order.id), other, None, now=frozen_now,
                    actor=coordinator)  # the session changed hands: the confirmation is stale
    db.session.commit()
    response = client.post(url + "?lang=en", data=fields, follow_redirects=True)
    assert "Someone else changed this just now" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "scheduled"


def test_a_stale_move_is_refused(client, db, world, make_member, coordinator, frozen_now):
    order, _holder, _other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    session = order.lecture_session
    first, second = move_target(session, frozen_now), None
    login(client, coordinator.username)
    url = f"/coord/orders/{order.code}/move"
    _page, fields = ask(client, url, {"slot_start": first.start.isoformat()})
    session = db.session.get(LectureSession, session.id)
    earliest, latest = scheduling.reschedule_window(session, now=frozen_now)
    second = [s for s in scheduling.free_slots_for_session(session, earliest, latest, now=frozen_now)
              if s.start not in (session.start, first.start)][3]
    scheduling.reschedule_session(session, second.start, now=frozen_now, actor=coordinator)
    db.session.commit()
    response = client.post(url + "?lang=en", data=fields, follow_redirects=True)
    assert "Someone else changed this just now" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(LectureSession, session.id).start == second.start


def test_a_stale_rain_call_off_is_refused(client, db, world, make_member, coordinator, frozen_now,
                                          app):
    order, _member = film_evening(client, db, world, make_member, coordinator, app, frozen_now)
    login(client, coordinator.username)
    _page, fields = ask(client, "/coord/rain", {"day": "2026-12-07"})
    ordering.cancel_order(db.session.get(Order, order.id), now=frozen_now, actor=coordinator,
                          reason="取消")  # the evening's plan is no longer what was shown
    db.session.commit()
    response = client.post("/coord/rain?lang=en", data=fields)
    assert response.status_code == 302 and "day=2026-12-07" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "Someone else changed this just now" in page
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rain_out"))


def test_a_confirmation_without_what_was_seen_is_refused(client, db, world, make_member,
                                                         coordinator, frozen_now):
    order, _holder, _other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    login(client, coordinator.username)
    client.post(f"/coord/orders/{order.code}/cancel", data={"reason": "x", "confirm": "1"})
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "scheduled"


def test_the_month_says_orders_waiting_once(client, db, world, coordinator, frozen_now):
    add_waiting_order(db, world, date(2026, 12, 3), date(2026, 12, 16))
    login(client, coordinator.username)
    page = client.get("/coord/calendar?view=month&date=2026-12-03").get_data(as_text=True)
    assert page.count("1 个订单待安排") == 1
    assert page.index('data-testid="waiting-notice"') < page.index('class="cal-month"')
    english = client.get("/coord/calendar?view=month&date=2026-12-03&lang=en").get_data(as_text=True)
    assert english.count("1 order waiting") == 1


def test_history_names_people_not_accounts(client, db, world, make_member, make_user, coordinator,
                                           frozen_now):
    member = make_member(name="马建国")
    coordinator.display_name = "李调度"
    nameless = make_user("coordinator", username="coord2")
    db.session.commit()
    response = client.post("/api/v1/orders", json=order_body(world))
    code = response.get_json()["code"]
    run_dispatch_pass(frozen_now)  # the system offers it to 马建国
    order = db.session.scalar(select(Order))
    dispatch.accept_offer(order.offers[0].id, member, order.offers[0].slot_times[0][0],
                          now=frozen_now)
    db.session.commit()
    other = make_member(name="王晓燕")
    dispatch.assign(db.session.get(Order, order.id), other, None, now=frozen_now,
                    actor=coordinator)
    db.session.commit()
    ordering.cancel_order(db.session.get(Order, order.id), now=frozen_now + timedelta(hours=1),
                          actor=nameless, reason="改期")
    db.session.commit()
    login(client, coordinator.username)
    page = client.get(f"/coord/orders/{code}").get_data(as_text=True)
    history = page[page.index('class="history"'):]
    history = history[:history.index("</ol>")]
    for word in ("点单人", "系统", "马建国", "李调度", "调度员", "已改派"):
        assert word in history, word
    for code_or_login in ("coord", "coord2", member.user.username, "requester", "system",
                          "reassign", "schedule"):
        assert code_or_login not in history, code_or_login


def test_coordinator_tables_keep_names_and_statuses_whole(client, db, world, make_member,
                                                         coordinator, frozen_now):
    order, _holder, _other = scheduled_order(db, world, make_member, coordinator, frozen_now)
    login(client, coordinator.username)
    for url in ("/coord/", f"/coord/orders/{order.code}", "/coord/sessions", "/coord/questions"):
        db.session.expunge_all()  # requests share the test's session; production's do not
        page = client.get(url).get_data(as_text=True)
        assert "css/coord.css" in page, url
    with client.get("/static/css/coord.css") as response:
        css = response.get_data(as_text=True)
    assert "word-break: keep-all" in css and "white-space: nowrap" in css
