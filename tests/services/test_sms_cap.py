"""Nobody can flood a requester's phone: at most SMS_DAILY_LIMIT_PER_PHONE texts a Beijing day
to one phone (across all its orders); the rest wait until 08:00 the next day, a "my orders" code
over the cap is dropped, and the outbox never holds the number."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from lectureorder.domain.calendars import TZ
from lectureorder.models import Notification
from lectureorder.services import notify, requester_access
from tests.helpers import live_settings
from tests.report_data import make_order

PHONE = "13800001234"


class Capture:
    def __init__(self) -> None:
        self.sent = []

    def __call__(self, message) -> None:
        self.sent.append(message)


def beijing(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


DAY = date(2026, 12, 1)


def texts(db, world, count: int, *, at: datetime, phone: str = PHONE, tag: str = "") -> list:
    """``count`` requester texts, spread over two orders of the phone (the cap is per phone)."""
    orders = [make_order(db, world, created=at - timedelta(days=2), phone=phone)
              for _ in range(2)]
    for i in range(count):
        notify.enqueue("order_received", key=f"cap:{phone[-2:]}:{tag}:{i}", recipient_kind="requester",
                       now=at, order=orders[i % 2])
    db.session.commit()
    return orders


def rows(db):
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def test_the_sixth_text_of_the_day_waits_until_eight_the_next_morning(db, world):
    noon = beijing(DAY, 12)
    texts(db, world, 6, at=noon)
    sms = Capture()
    notify.send_pending(now=noon, settings=live_settings(), sender=sms)
    db.session.commit()
    assert len(sms.sent) == 5 and {m.to for m in sms.sent} == {PHONE}
    *sent, waiting = rows(db)
    assert {n.status for n in sent} == {"sent"}
    assert waiting.status == "pending" and waiting.attempts == 0
    assert waiting.next_attempt_at == beijing(DAY + timedelta(days=1), 8)
    # Not before 08:00 Beijing time (00:00 UTC is already the next Beijing day: still not due).
    assert notify.send_pending(now=beijing(DAY + timedelta(days=1), 7, 59),
                               settings=live_settings(), sender=sms) == 0
    notify.send_pending(now=beijing(DAY + timedelta(days=1), 8), settings=live_settings(),
                        sender=sms)
    assert len(sms.sent) == 6 and rows(db)[-1].status == "sent"


def test_the_cap_comes_from_config(db, world, app):
    noon = beijing(DAY, 12)
    texts(db, world, 3, at=noon)
    app.config["SMS_DAILY_LIMIT_PER_PHONE"] = 2
    sms = Capture()
    notify.send_pending(now=noon, settings=live_settings(), sender=sms)
    assert len(sms.sent) == 2


def test_the_day_is_the_beijing_day(db, world):
    # Five texts at 23:30 Beijing time; 00:30 is a new Beijing day (still the same UTC day).
    late = beijing(DAY, 23, 30)
    settings = live_settings()
    orders = texts(db, world, 5, at=late, tag="late")
    notify.send_pending(now=late, settings=settings, sender=Capture())
    early = beijing(DAY + timedelta(days=1), 0, 30)
    assert early.date() == late.date()  # the same UTC day
    for i in range(2):
        notify.enqueue("order_received", key=f"early:{i}", recipient_kind="requester", now=early,
                       order=orders[i])
    db.session.commit()
    sms = Capture()
    notify.send_pending(now=early, settings=settings, sender=sms)
    assert len(sms.sent) == 2


def test_other_phones_and_members_are_not_held_back(db, world, make_member):
    noon = beijing(DAY, 12)
    texts(db, world, 5, at=noon)
    texts(db, world, 2, at=noon, phone="13911112222", tag="other")
    sms = Capture()
    notify.send_pending(now=noon, settings=live_settings(), sender=sms)
    assert sorted(m.to for m in sms.sent).count(PHONE) == 5
    assert [m.to for m in sms.sent].count("13911112222") == 2


def test_a_code_over_the_cap_is_dropped_not_deferred(db, world):
    noon = beijing(DAY, 12)
    texts(db, world, 5, at=noon)
    settings = live_settings()
    notify.send_pending(now=noon, settings=settings, sender=Capture())
    requester_access.request_code(PHONE, now=noon, settings=settings)
    db.session.commit()
    sms = Capture()
    notify.send_pending(now=noon, settings=settings, sender=sms)
    assert sms.sent == []
    (code,) = [n for n in rows(db) if n.kind == "requester_code"]
    assert code.status == "dropped" and "daily text limit" in code.last_error


def test_a_failed_attempt_does_not_count(db, world):
    noon = beijing(DAY, 12)
    texts(db, world, 5, at=noon)

    class FailOnce(Capture):
        failed = False

        def __call__(self, message):
            if not self.failed:
                self.failed = True
                from lectureorder.services.senders import SendFailed

                raise SendFailed("webhook: HTTP 500")
            super().__call__(message)

    sms = FailOnce()
    notify.send_pending(now=noon, settings=live_settings(), sender=sms)
    assert len(sms.sent) == 4  # one attempt failed: it is tried again, still within the cap
    notify.send_pending(now=noon + timedelta(minutes=5), settings=live_settings(), sender=sms)
    assert len(sms.sent) == 5


@pytest.mark.parametrize("limit", [0, -1])
def test_a_cap_below_one_stops_the_start(tmp_path, limit):
    from lectureorder import create_app

    with pytest.raises(RuntimeError, match="invalid configuration"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                    "SMS_DAILY_LIMIT_PER_PHONE": limit})


def test_the_outbox_never_holds_the_phone(db, world):
    noon = beijing(DAY, 12)
    texts(db, world, 6, at=noon)
    settings = live_settings()
    requester_access.request_code(PHONE, now=noon, settings=settings)
    notify.send_pending(now=noon, settings=settings, sender=Capture())
    db.session.commit()
    for note in rows(db):
        stored = " ".join(str(v) for v in (note.key, note.payload, note.text, note.last_error))
        assert not re.search(r"1[3-9]\d{9}", stored), stored
