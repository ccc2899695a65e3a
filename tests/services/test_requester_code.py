"""The "my orders" code: six digits, texted only to a phone with orders, valid 10 to 15 minutes,
accepted only when it was really texted; the outbox holds neither the phone nor the code; the
rating text carries a signed single-order link that expires after 30 days."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lectureorder.domain import requester_code as rc
from lectureorder.domain.errors import DomainError, ValidationFailed
from lectureorder.models import Notification
from lectureorder.services import notify, requester_access
from lectureorder.services.senders import Outgoing
from lectureorder.services.settings import DEFAULTS, Settings
from tests.helpers import live_settings
from tests.report_data import make_order

PHONE = "13800001234"
OTHER = "13911112222"
MOBILE = re.compile(r"1[3-9]\d{9}")


class Capture:
    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def __call__(self, message: Outgoing) -> None:
        self.sent.append(message)


def codes(db) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.kind == "requester_code").order_by(Notification.id)))


@pytest.fixture
def orders(db, world, now):
    mine = [make_order(db, world, created=now - timedelta(days=d), phone=PHONE) for d in (3, 1)]
    theirs = make_order(db, world, created=now - timedelta(days=2), phone=OTHER)
    db.session.commit()
    return type("Orders", (), {"mine": mine, "theirs": theirs})


def ask_and_send(db, now, phone=PHONE) -> Capture:
    requester_access.request_code(phone, now=now, settings=live_settings())
    db.session.commit()
    sms = Capture()
    notify.send_pending(now=now, settings=live_settings(), sender=sms)
    db.session.commit()
    return sms


def texted_code(sms: Capture) -> str:
    (message,) = [m for m in sms.sent if m.kind == "requester_code"]
    return re.search(r"\d{6}", message.text).group(0)


# --- the pure rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [0, 1, 150, 299])  # seconds into the 5-minute window
def test_a_code_lives_at_least_10_and_at_most_15_minutes(offset):
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # a window boundary (epoch multiple of 300)
    asked = start + timedelta(seconds=offset)
    window = rc.window_of(asked)
    code = rc.code_for("s3cret", PHONE, window)
    assert re.fullmatch(r"\d{6}", code)
    lives = [s for s in range(0, 20 * 60)
             if rc.matching_windows("s3cret", PHONE, code, asked + timedelta(seconds=s))]
    assert lives == list(range(len(lives)))  # from the moment it is asked, without a gap
    assert 10 * 60 <= len(lives) <= 15 * 60


def test_the_code_depends_on_phone_window_and_secret():
    window = rc.window_of(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    code = rc.code_for("s3cret", PHONE, window)
    assert code != rc.code_for("s3cret", OTHER, window)
    assert code != rc.code_for("other", PHONE, window)
    assert code != rc.code_for("s3cret", PHONE, window + 1)
    with pytest.raises(RuntimeError):
        rc.code_for("", PHONE, window)  # never an HMAC without a key


def test_full_width_digits_are_the_same_code():
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    code = rc.code_for("s3cret", PHONE, rc.window_of(now))
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert rc.matching_windows("s3cret", PHONE, f" {wide} ", now)
    assert not rc.matching_windows("s3cret", PHONE, code[:5], now)


def test_the_secret_is_the_apps_and_never_shown(app):
    settings = live_settings()
    assert settings.secret_key == app.config["SECRET_KEY"]
    assert app.config["SECRET_KEY"] not in repr(settings)
    assert Settings.from_config({"SECRET_KEY": "abc"}) == DEFAULTS  # not part of equality


# --- asking for a code --------------------------------------------------------------------------

def test_an_unknown_phone_queues_nothing(db, orders, now):
    assert requester_access.request_code("139 0000 0000", now=now,
                                         settings=live_settings()) == "13900000000"
    assert codes(db) == []


def test_a_malformed_phone_is_a_domain_error(db, orders, now):
    with pytest.raises(DomainError):
        requester_access.request_code("12345", now=now, settings=live_settings())


def test_a_code_is_queued_once_per_window_on_the_latest_order_without_phone_or_code(
        db, orders, now):
    for later in (0, 60, 299):
        requester_access.request_code("+86 138-0000-1234", now=now + timedelta(seconds=later),
                                      settings=live_settings())
    db.session.commit()
    (note,) = codes(db)
    assert note.order_id == orders.mine[1].id  # the newest order of that phone
    assert note.payload == {"window": rc.window_of(now)}
    assert PHONE not in note.key and not MOBILE.search(note.key)
    assert rc.phone_digest(live_settings().secret_key, PHONE) in note.key
    # The next window queues a new one.
    requester_access.request_code(PHONE, now=now + timedelta(minutes=5),
                                  settings=live_settings())
    assert len(codes(db)) == 2


def test_the_sender_derives_the_code_sends_it_to_the_phone_and_keeps_it_masked(db, orders, now):
    sms = ask_and_send(db, now)
    (message,) = [m for m in sms.sent if m.kind == "requester_code"]
    expected = rc.code_for(live_settings().secret_key, PHONE, rc.window_of(now))
    assert message.to == PHONE and expected in message.text and "10分钟" in message.text
    assert message.code == expected  # a provider template's ${code}
    (note,) = codes(db)
    assert note.status == "sent"
    assert expected not in note.text and "******" in note.text
    assert not MOBILE.search(note.text) and "13800001234" not in str(note.payload)


def test_a_code_that_could_not_go_out_in_time_is_dropped(db, orders, now):
    requester_access.request_code(PHONE, now=now, settings=live_settings())
    db.session.commit()
    sms = Capture()
    notify.send_pending(now=now + timedelta(minutes=16), settings=live_settings(), sender=sms)
    assert sms.sent == [] and codes(db)[0].status == "dropped"


# --- entering it ---------------------------------------------------------------------------------

def test_the_right_code_opens_only_that_phones_orders(db, orders, now):
    code = texted_code(ask_and_send(db, now))
    found = requester_access.orders_for("138 0000 1234", code, now=now + timedelta(minutes=9),
                                        settings=live_settings())
    assert [o.code for o in found] == [orders.mine[1].code, orders.mine[0].code]
    assert orders.theirs not in found


def test_a_wrong_code_is_refused(db, orders, now):
    code = texted_code(ask_and_send(db, now))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationFailed) as refused:
        requester_access.orders_for(PHONE, wrong, now=now, settings=live_settings())
    assert [e.field for e in refused.value.errors] == ["code"]


def test_the_code_of_another_phone_is_refused(db, orders, now):
    code = texted_code(ask_and_send(db, now, phone=OTHER))
    with pytest.raises(ValidationFailed):
        requester_access.orders_for(PHONE, code, now=now, settings=live_settings())


def test_an_expired_code_is_refused(db, orders, now):
    code = texted_code(ask_and_send(db, now))
    with pytest.raises(ValidationFailed):
        requester_access.orders_for(PHONE, code, now=now + timedelta(minutes=15, seconds=1),
                                    settings=live_settings())


def test_a_code_never_texted_is_refused_even_when_it_is_the_right_hmac(db, orders, now):
    settings = live_settings()
    code = rc.code_for(settings.secret_key, PHONE, rc.window_of(now))
    with pytest.raises(ValidationFailed):  # nothing asked
        requester_access.orders_for(PHONE, code, now=now, settings=settings)
    requester_access.request_code(PHONE, now=now, settings=settings)
    db.session.commit()
    with pytest.raises(ValidationFailed):  # asked, but not sent yet
        requester_access.orders_for(PHONE, code, now=now, settings=settings)
    notify.send_pending(now=now, settings=settings, sender=Capture())
    assert requester_access.orders_for(PHONE, code, now=now, settings=settings)


# --- the signed rating link -----------------------------------------------------------------------

def test_the_rating_text_carries_a_signed_link_to_that_order(db, orders, now):
    order = orders.mine[0]
    notify.enqueue("please_rate", key="rate:1", recipient_kind="requester", now=now, order=order)
    db.session.commit()
    base = live_settings()
    settings = replace(base, notify=replace(base.notify, public_base_url="https://xj.example.cn"))
    sms = Capture()
    notify.send_pending(now=now, settings=settings, sender=sms)
    (message,) = sms.sent
    token = re.search(r"https://xj\.example\.cn/r/([A-Za-z0-9_.\-]+)", message.text).group(1)
    assert requester_access.order_for_link(token, now=now + timedelta(days=29),
                                           settings=settings) == order


def test_a_link_expires_after_30_days(db, orders, now):
    secret = live_settings().secret_key
    token = rc.rate_link_token(secret, orders.mine[0].code, now)
    assert requester_access.order_for_link(token, now=now + timedelta(days=30),
                                           settings=live_settings()) == orders.mine[0]
    with pytest.raises(rc.LinkRefused) as refused:
        requester_access.order_for_link(token, now=now + timedelta(days=30, seconds=1),
                                        settings=live_settings())
    assert refused.value.expired


@pytest.mark.parametrize("change", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature
    lambda t: rc.rate_link_token("another-secret", "T00001", datetime(2026, 12, 1, tzinfo=UTC)),  # not ours
    lambda t: "not-a-token",
])
def test_a_changed_or_foreign_link_is_refused(db, orders, now, change):
    token = rc.rate_link_token(live_settings().secret_key, orders.mine[0].code, now)
    with pytest.raises(rc.LinkRefused) as refused:
        requester_access.order_for_link(change(token), now=now, settings=live_settings())
    assert not refused.value.expired
