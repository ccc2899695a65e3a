"""Contact retention (PIPL): a while after an order ends its phone is erased, and so are the
texts the outbox sent about it; a live order keeps both."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lectureorder.models import Notification, Order
from lectureorder.services import notify, ordering, ordering_retention
from tests.helpers import live_settings
from tests.services.test_loop import request_for


def test_the_phone_and_the_sent_texts_go_together(db, world, now):
    settings = live_settings()
    ended = ordering.place_order(request_for(world), now=now, settings=settings)
    live = ordering.place_order(request_for(world, phone="13900005678"), now=now,
                                settings=settings)
    db.session.flush()
    notify.send_pending(now=now, settings=settings, sender=lambda message: None)
    ordering.cancel_order(ended, now=now)
    db.session.commit()
    texts = dict(db.session.execute(select(Notification.order_id, Notification.text)).all())
    assert texts[ended.id] and texts[live.id]  # what was sent is kept while it matters

    later = now + timedelta(days=settings.contact_retention_days + 1)
    assert ordering_retention.purge_old_contacts(now=later, settings=settings) == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Order, ended.id).requester_phone is None
    assert db.session.get(Order, live.id).requester_phone == "13900005678"
    rows = {n.order_id: n for n in db.session.scalars(select(Notification))}
    assert (rows[ended.id].text, rows[ended.id].payload) == ("", {})
    assert rows[live.id].text


def test_nothing_to_purge_writes_nothing(db, world, now):
    settings = live_settings()
    assert ordering_retention.purge_old_contacts(now=now, settings=settings) == 0
