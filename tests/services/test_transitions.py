"""Offers and lecture sessions change status only through their guarded transition, which
refuses an illegal move and writes one audit row; nothing else in the code assigns a status."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lectureorder.domain.errors import InvalidTransition
from lectureorder.models import AuditEvent, LectureSession, Offer
from lectureorder.services import dispatch, ordering
from tests.helpers import live_settings
from tests.services.test_loop import request_for

ROOT = Path(__file__).resolve().parents[2] / "lectureorder"


def events_of(db, entity: str, entity_id: int) -> list[tuple]:
    return [(e.action, e.from_state, e.to_state) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id))]


def test_accept_audits_the_offer_and_the_session_delivery(db, world, make_member, now, dispatch_pass):
    member = make_member()
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    db.session.commit()
    offer = order.offers[0]
    session = dispatch.accept_offer(offer.id, member, offer.slot_times[0][0], now=now)
    db.session.commit()
    assert events_of(db, "offer", offer.id) == [("accept", "open", "accepted")]
    assert offer.responded_at == now
    with pytest.raises(InvalidTransition):
        offer.transition("decline", now=now)  # answered already
    assert offer.status == "accepted"
    session.transition("cancel", now=now)
    with pytest.raises(InvalidTransition):
        session.transition("deliver", now=now)
    assert events_of(db, "session", session.id) == [("cancel", "scheduled", "cancelled")]


def test_a_pool_accept_withdraws_the_others_with_an_audit_row(db, world, make_member, now, app, dispatch_pass):
    app.config["DISPATCH_MODE"] = "pool"
    first, second = make_member(name="甲"), make_member(name="乙")
    order = ordering.place_order(request_for(world), now=now, settings=live_settings())
    dispatch_pass()
    db.session.commit()
    mine = next(o for o in order.offers if o.member_id == first.id)
    theirs = next(o for o in order.offers if o.member_id == second.id)
    dispatch.accept_offer(mine.id, first, mine.slot_times[0][0], now=now)
    db.session.commit()
    assert events_of(db, "offer", theirs.id) == [("withdraw", "open", "withdrawn")]


STATUS_WRITE = re.compile(r"\.status\s*=(?!=)")
ALLOWED = {"models/audit.py"}


def test_no_status_is_assigned_outside_transition():
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STATUS_WRITE.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_a_new_session_starts_scheduled(db, world, make_member, now):
    session = LectureSession(format="field_class", start=now, end=now, venue="x",
                             lead_member=make_member(), created_at=now)
    session.transition("deliver", now=now)
    assert session.status == "delivered" and session.id is not None
    assert db.session.scalar(select(Offer)) is None
