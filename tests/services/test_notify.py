"""The outbox delivers real texts once: claims, retries with backoff, drops what stopped being
true, writes in-app notices, queues reminders (never for cancelled sessions, never at night),
and never logs a phone number."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lectureorder.domain.errors import InvalidTransition
from lectureorder.models import Notification
from lectureorder.models.notification import Notice
from lectureorder.services import dispatch, fulfilment, notify, ordering, scheduling
from lectureorder.services.senders import SendFailed
from lectureorder.services.settings import Settings
from tests.helpers import live_settings
from tests.services.test_loop import request_for


class FakeSms:
    """Records what would go out; fails the first ``fail`` calls."""

    def __init__(self, fail: int = 0, permanent: bool = False):
        self.sent, self.fail, self.permanent = [], fail, permanent

    def __call__(self, message):
        if self.fail:
            self.fail -= 1
            raise SendFailed("webhook: HTTP 500", permanent=self.permanent)
        self.sent.append(message)


def settings(**notify_changes) -> Settings:
    base = live_settings()
    return replace(base, notify=replace(base.notify, **notify_changes))


def rows(db, **where):
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(db.session.scalars(query))


def scheduled(db, world, make_member, now, dispatch_pass):
    member = make_member()
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    offer = order.offers[0]
    session = dispatch.accept_offer(offer.id, member, offer.slot_times[0][0], now=now)
    db.session.commit()
    return order, member, session


def test_enqueue_is_one_insert_and_idempotent(db, world, now, count_queries):
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    db.session.flush()
    with count_queries() as n:
        first = notify.enqueue("please_rate", key="k:1", recipient_kind="requester", now=now,
                               order=order, payload={"code": order.code})
        again = notify.enqueue("please_rate", key="k:1", recipient_kind="requester", now=now,
                               order=order)
    assert n() == 2 and first is not None and again is None
    assert len(rows(db, key="k:1")) == 1


def test_a_villager_gets_words_and_the_member_an_offer(db, world, make_member, now, dispatch_pass):
    make_member()
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    sms = FakeSms()
    assert notify.send_pending(now=now, settings=settings(), sender=sms) == 2
    db.session.commit()
    texts = {m.kind: m for m in sms.sent}
    assert texts["order_received"].to == "13800001234"
    assert order.code in texts["order_received"].text and "单号" in texts["order_received"].text
    assert texts["offer_new"].to == "13972000001" and "前在“我的任务”" in texts["offer_new"].text
    assert all(m.key == n.key for m, n in zip(sms.sent, rows(db), strict=True))
    assert {n.status for n in rows(db)} == {"sent"}
    # Nothing is sent twice.
    assert notify.send_pending(now=now + timedelta(hours=1), settings=settings(), sender=sms) == 0
    assert len(sms.sent) == 2
    # The member also has an in-app notice with the same words.
    (notice,) = db.session.scalars(select(Notice)).all()
    assert notice.text == texts["offer_new"].text and notice.read_at is None


def test_scheduled_text_names_time_place_member_and_station(db, world, make_member, now,
                                                            dispatch_pass):
    order, member, session = scheduled(db, world, make_member, now, dispatch_pass)
    sms = FakeSms()
    notify.send_pending(now=now, settings=settings(), sender=sms)
    (text,) = [m.text for m in sms.sent if m.kind == "order_scheduled"]
    assert member.name in text and "0972-8612110" in text and "东庄村" in text
    assert session.start.astimezone(scheduling.cal.TZ).strftime("%H:%M") in text
    assert member.phone not in text


def test_failures_back_off_then_fail_and_can_be_sent_again(db, world, now):
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    db.session.commit()
    sms = FakeSms(fail=99)
    s = settings(retry_base_seconds=60, max_attempts=3)
    notify.send_pending(now=now, settings=s, sender=sms)
    (note,) = rows(db)
    assert (note.status, note.attempts, note.next_attempt_at) == ("pending", 1, now + timedelta(seconds=60))
    assert note.last_error == "webhook: HTTP 500"
    # Not due yet: nothing happens.
    assert notify.send_pending(now=now + timedelta(seconds=59), settings=s, sender=sms) == 0
    notify.send_pending(now=now + timedelta(seconds=60), settings=s, sender=sms)
    assert (note.status, note.attempts) == ("pending", 2)
    assert note.next_attempt_at == now + timedelta(seconds=60 + 120)
    notify.send_pending(now=now + timedelta(seconds=180), settings=s, sender=sms)
    assert (note.status, note.attempts) == ("failed", 3)
    assert notify.send_pending(now=now + timedelta(days=1), settings=s, sender=sms) == 0
    notify.resend(note.id, now=now + timedelta(days=1))
    ok = FakeSms()
    notify.send_pending(now=now + timedelta(days=1), settings=s, sender=ok)
    assert note.status == "sent" and [m.kind for m in ok.sent] == ["order_received"]
    with pytest.raises(InvalidTransition):
        notify.resend(note.id, now=now)
    assert order.code in note.text


def test_a_permanent_refusal_fails_at_once(db, world, now):
    ordering.place_order(request_for(world), now=now, settings=live_settings())
    notify.send_pending(now=now, settings=settings(), sender=FakeSms(fail=1, permanent=True))
    assert rows(db)[0].status == "failed"


def test_a_sender_that_died_after_the_provider_accepted_is_retried_with_the_same_key(db, world, now):
    ordering.place_order(request_for(world), now=now, settings=live_settings())
    db.session.commit()
    accepted = []

    def crash(message):
        accepted.append(message.key)
        raise KeyboardInterrupt  # the process dies before it can record the outcome

    with pytest.raises(KeyboardInterrupt):
        notify.send_pending(now=now, settings=settings(), sender=crash,
                            checkpoint=db.session.commit)
    db.session.rollback()
    (note,) = rows(db)
    assert note.status == "sending"  # the claim was committed before the call
    # Another sender leaves it alone while the claim is fresh, then takes it over.
    sms = FakeSms()
    assert notify.send_pending(now=now + timedelta(seconds=60), settings=settings(), sender=sms) == 0
    notify.send_pending(now=now + timedelta(minutes=11), settings=settings(), sender=sms)
    assert [m.key for m in sms.sent] == accepted and note.status == "sent"


def test_reminders_day_before_and_two_hours(db, world, make_member, now, dispatch_pass):
    order, member, session = scheduled(db, world, make_member, now, dispatch_pass)
    notify.send_pending(now=now, settings=settings(), sender=FakeSms())
    db.session.commit()
    start = session.start
    s = settings()
    # Too early: nothing.
    assert notify.queue_reminders(now=start - timedelta(hours=30), settings=s) == 0
    day = start - timedelta(hours=24)
    if notify.is_quiet(day):
        day = notify.after_quiet(day)
    assert notify.queue_reminders(now=day, settings=s) == 2
    assert notify.queue_reminders(now=day + timedelta(minutes=10), settings=s) == 0  # idempotent
    sms = FakeSms()
    notify.send_pending(now=day, settings=s, sender=sms)
    assert sorted(m.to for m in sms.sent) == ["13800001234", "13972000001"]
    assert all("提醒" in m.text for m in sms.sent)
    two = start - timedelta(hours=2)
    if notify.is_quiet(two):
        two = notify.after_quiet(two)
    assert notify.queue_reminders(now=two, settings=s) == 1
    sms = FakeSms()
    notify.send_pending(now=two, settings=s, sender=sms)
    assert [(m.kind, m.to) for m in sms.sent] == [("reminder_2h", "13972000001")]


def test_no_reminder_for_a_cancelled_or_moved_session(db, world, make_member, now, dispatch_pass):
    order, member, session = scheduled(db, world, make_member, now, dispatch_pass)
    day = notify.after_quiet(session.start - timedelta(hours=24))
    assert notify.queue_reminders(now=day, settings=settings()) == 2
    ordering.cancel_order(order, now=day)
    db.session.commit()
    sms = FakeSms()
    notify.send_pending(now=day, settings=settings(), sender=sms)
    assert "reminder_day" not in {m.kind for m in sms.sent}
    assert {n.status for n in rows(db, kind="reminder_day")} == {"dropped"}
    assert notify.queue_reminders(now=day, settings=settings()) == 0
    # The member is told who cancelled.
    (cancelled,) = [m for m in sms.sent if m.kind == "session_cancelled"]
    assert "点单人" in cancelled.text


def test_no_reminder_at_night(db, world, make_member, now, dispatch_pass):
    order, member, session = scheduled(db, world, make_member, now, dispatch_pass)
    night = session.start.astimezone(scheduling.cal.TZ).replace(hour=22, minute=0) - timedelta(days=1)
    assert notify.queue_reminders(now=night, settings=settings()) == 0
    # A reminder queued in the evening but due to be sent at night waits until 08:00.
    evening = night - timedelta(hours=2)
    queued = notify.queue_reminders(now=evening, settings=settings())
    sms = FakeSms()
    notify.send_pending(now=night, settings=settings(), sender=sms)
    reminders = rows(db, kind="reminder_day")
    assert queued == 2 and len(reminders) == 2
    assert all(n.status == "pending" and n.attempts == 0 for n in reminders)
    assert all(n.next_attempt_at.astimezone(scheduling.cal.TZ).hour == 8 for n in reminders)
    assert not [m for m in sms.sent if m.kind.startswith("reminder")]


def test_moved_text_says_old_and_new_time(db, world, make_member, now, dispatch_pass):
    order, member, session = scheduled(db, world, make_member, now, dispatch_pass)
    notify.send_pending(now=now, settings=settings(), sender=FakeSms())
    before = session.start
    later = [s for s in scheduling.free_slots_for_session(
        session, before.date() + timedelta(days=1), before.date() + timedelta(days=5), now=now,
        settings=live_settings())][0]
    scheduling.reschedule_session(session, later.start, now=now, reason="road closed",
                                  settings=live_settings())
    db.session.commit()
    sms = FakeSms()
    notify.send_pending(now=now, settings=settings(), sender=sms)
    assert {m.kind for m in sms.sent} == {"session_moved"}
    for m in sms.sent:
        assert "改为" in m.text
        assert before.astimezone(scheduling.cal.TZ).strftime("%-m月%-d日") in m.text


def test_rating_link_after_delivery_and_coordinator_notice(db, world, make_member, coordinator,
                                                           now, dispatch_pass):
    order, member, session = scheduled(db, world, make_member, now, dispatch_pass)
    after = session.end + timedelta(minutes=5)
    fulfilment.record_delivery(session, member, headcount=40, notes="", now=after)
    db.session.commit()
    sms = FakeSms()
    notify.send_pending(now=after, settings=settings(public_base_url="https://xj.example.cn"),
                        sender=sms)
    (rate,) = [m for m in sms.sent if m.kind == "please_rate"]
    # A signed single-order link (/r/<token>) opens the rating form without the code.
    assert "https://xj.example.cn/r/" in rate.text and order.code in rate.text
    notify.enqueue("order_needs_attention", key="attn", recipient_kind="coordinator", now=after,
                   order=order, payload={"reason": "no_candidate"})
    notify.send_pending(now=after, settings=settings(), sender=sms)
    assert notify.unread_count(coordinator.id) == 1
    (notice,) = notify.notices_for(coordinator.id)
    assert "没有符合条件的队员" in notice.text
    assert notify.mark_read(coordinator.id, now=after) == 1
    assert notify.unread_count(coordinator.id) == 0


def test_coordinators_get_mail_when_smtp_is_set(db, world, coordinator, now):
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    notify.enqueue("order_needs_attention", key="attn", recipient_kind="coordinator", now=now,
                   order=order, payload={"reason": "rounds"})
    mail = FakeSms()
    notify.send_pending(now=now, settings=settings(coordinator_emails=("d@example.cn",)),
                        sender=FakeSms(), mailer=mail)
    assert [(m.to, m.key) for m in mail.sent] == [("d@example.cn", "attn")]


def test_a_log_scan_finds_no_phone_number(db, world, make_member, now, dispatch_pass, caplog):
    make_member()
    with caplog.at_level(logging.DEBUG):
        ordering.place_order(request_for(world), now=now, settings=live_settings())
        dispatch_pass()
        notify.send_pending(now=now, settings=settings())  # the log backend
        notify.send_pending(now=now + timedelta(hours=1), settings=settings(),
                            sender=FakeSms(fail=5))
    logged = caplog.text
    assert "sms (log backend)" in logged
    assert not re.search(r"1[3-9]\d{9}", logged)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2
