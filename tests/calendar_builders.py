"""Builders for calendar and feed tests: sessions made directly (one by one, or thousands at once)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from jinja2 import BytecodeCache
from sqlalchemy import func, insert, select

from lectureorder.domain.calendars import TZ
from lectureorder.models import LectureSession, Order, Topic, order_topic

_codes = count(1)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def order_code(n: int) -> str:
    """A unique code in the order alphabet (no 0/O/1/I), like the real ones."""
    out = ""
    for _ in range(6):
        n, r = divmod(n, len(ALPHABET))
        out = ALPHABET[r] + out
    return out


def add_session(db, world, member, start: datetime, *, minutes: int = 90, fmt: str = "field_class",
                status: str = "scheduled", kit=None, topics=("anti_fraud",), township=None,
                helpers=(), with_order: bool = True, venue: str = "东庄村（示例）",
                order_status: str | None = None) -> LectureSession:
    township = township or world.town
    order = None
    if with_order:
        order = Order(
            code=order_code(next(_codes) + 10_000), status=order_status or (
                "cancelled" if status == "cancelled" else status),
            format=fmt, place_kind="village", village_id=world.village.id,
            township_id=township.id, audience_type="villagers", audience_size=40,
            earliest=start.astimezone(TZ).date(), latest=start.astimezone(TZ).date(),
            requester_name="张三", requester_phone="13800001234",
            topics=[world.topics[t] for t in topics],
        )
        db.session.add(order)
    lecture = LectureSession(
        order=order, format=fmt, start=start, end=start + timedelta(minutes=minutes),
        venue=venue, township_id=township.id, lead_member=member, kit=kit, status=status,
        helpers=list(helpers),
    )
    db.session.add(lecture)
    db.session.commit()
    return lecture


def add_waiting_order(db, world, earliest: date, latest: date, *, fmt: str = "field_class",
                      topics=("anti_fraud",)) -> Order:
    order = Order(
        code=order_code(next(_codes) + 20_000), status="needs_attention", format=fmt,
        place_kind="village", village_id=world.village.id, township_id=world.town.id,
        audience_type="villagers", audience_size=40, earliest=earliest, latest=latest,
        requester_name="李四", requester_phone="13900001234",
        topics=[world.topics[t] for t in topics],
    )
    db.session.add(order)
    db.session.commit()
    return order


def bulk_sessions(db, world, members, n: int, first_day: date, *, days: int = 28,
                  kits=()) -> None:
    """`n` sessions with orders and topics spread over `days` days, inserted in bulk.

    Members get non-overlapping slots (four a day each), so the data looks like a busy but
    sane month; every tenth session is a film with a kit. A later call goes on where the last
    one stopped, so no member or kit is ever double-booked (PostgreSQL's exclusion constraints
    refuse that; up to ``days`` x 4 x len(members) sessions), and the ids come from the
    database (explicit ids would leave PostgreSQL's sequences behind).
    """
    topic_ids = [t.id for t in db.session.scalars(select(Topic).order_by(Topic.id))]
    base = next(_codes) * 100_000
    slots = [(9, 0), (11, 0), (14, 30), (19, 30)]
    first = db.session.scalar(select(func.count()).select_from(LectureSession)) or 0
    orders, lectures, links = [], [], []
    for i in range(n):
        # Every day gets sessions however few there are; (day, slot, member) never repeats.
        j = first + i
        day = first_day + timedelta(days=j % days)
        hour, minute = slots[(j // days) % len(slots)]
        member = members[(j // (days * len(slots))) % len(members)]
        start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
        fmt = "mobile_film" if j % 10 == 0 else ("market_talk", "field_class", "school_talk")[j % 3]
        orders.append({
            "code": order_code(base + i), "status": "scheduled", "format": fmt,
            "place_kind": "village", "village_id": world.village.id,
            "township_id": (world.town.id if j % 2 else world.far.id),
            "audience_type": "villagers", "audience_size": 50, "earliest": day, "latest": day,
            "requester_name": "王五", "requester_phone": "13700001234",
        })
        kit = kits[(j // 10) % len(kits)] if (kits and fmt == "mobile_film") else None
        lectures.append({
            "format": fmt, "start": start,
            "end": start + timedelta(minutes=90), "venue": "示例村", "status": "scheduled",
            "township_id": orders[-1]["township_id"], "lead_member_id": member.id,
            "kit_id": kit.id if kit is not None else None,
        })
        links.append(topic_ids[j % len(topic_ids)])
    order_ids = db.session.scalars(
        insert(Order).returning(Order.id, sort_by_parameter_order=True), orders).all()
    db.session.execute(insert(order_topic), [
        {"order_id": order_id, "topic_id": topic_id} for order_id, topic_id in zip(order_ids, links,
                                                                                  strict=True)])
    db.session.execute(insert(LectureSession), [
        {**row, "order_id": order_id} for row, order_id in zip(lectures, order_ids, strict=True)])
    db.session.commit()


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept for the whole test run: every test builds a fresh app, and
    compiling the calendar templates again each time would cost more than the test itself."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = MemoryBytecodeCache()
