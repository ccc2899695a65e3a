"""Demo data for the embedded default: Ping'an's townships, a 33-member team, orders in every state.

Village, school and market names are invented and marked （示例）; coordinates are approximate.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from ..domain.calendars import TZ, Term, default_terms
from ..domain.campaigns import WELL_KNOWN
from ..domain.contact import new_order_code
from ..domain.errors import DomainError
from ..domain.lifecycle import OrderStatus
from ..extensions import db
from ..models import (
    AwarenessDay,
    Blackout,
    EquipmentKit,
    Feedback,
    LectureSession,
    Market,
    Member,
    Offer,
    Order,
    Role,
    School,
    SchoolTerm,
    Topic,
    Township,
    User,
    Village,
    audit_row,
)
from . import scheduling
from .settings import DEFAULTS

PASSWORD = "demo1234"

TOPICS = [
    ("anti_fraud", "防范电信网络诈骗", "Preventing telecom and online fraud",
     "刷单返利、冒充客服退款、虚假投资理财、冒充公检法、虚假贷款、养老诈骗——讲清套路，现场帮您安装国家反诈中心App。",
     "Order-brushing rebates, fake refunds, fake investments, impersonated police, fake loans and pension scams — how they work, and help installing the national anti-fraud app.",
     ["villagers", "elderly", "pupils", "parents", "migrant_workers"],
     ["field_class", "market_talk", "mobile_film", "school_talk"], 60),
    ("two_cards", "“两卡”违法犯罪", "The “two cards” crimes",
     "出租、出借、出售电话卡和银行卡、支付账户就是违法犯罪。有人给钱让您办卡？千万别答应。",
     "Renting, lending or selling phone cards and bank or payment accounts is a crime. Offered cash to open a card? Say no.",
     ["villagers", "migrant_workers", "pupils"],
     ["field_class", "market_talk", "mobile_film", "school_talk"], 45),
    ("traffic_safety", "交通安全", "Traffic safety",
     "面包车超员、拖拉机三轮车载人、不戴头盔、酒驾——傍晚18点到21点是本地事故高发时段。",
     "Overloaded minibuses, riding on tractors and three-wheelers, no helmets, drink-driving — 18:00–21:00 is the local accident peak.",
     ["villagers", "elderly", "pupils", "parents"],
     ["field_class", "market_talk", "mobile_film", "school_talk"], 45),
    ("campus_bullying", "校园安全与防欺凌", "Campus safety and bullying",
     "什么是欺凌（包括言语和网络欺凌），遇到了怎么办，老师家长怎么做。由法治副校长主讲。",
     "What bullying is (verbal and online too), what to do about it, and what teachers and parents can do. Given by legal vice-principals.",
     ["pupils", "teachers", "parents"], ["school_talk"], 45),
    ("drug_awareness", "防毒识毒", "Drug awareness",
     "毒品样品展示、罂粟识别，远离新型毒品。",
     "Drug samples, recognising opium poppies, and keeping away from new synthetic drugs.",
     ["villagers", "pupils", "parents"],
     ["field_class", "market_talk", "mobile_film", "school_talk"], 60),
]

# (name, english, lat, lon, hui) — approximate centres.
TOWNSHIPS = [
    ("平安街道", "Ping'an Subdistrict", 36.502, 102.108, False),
    ("小峡街道", "Xiaoxia Subdistrict", 36.530, 101.960, False),
    ("三合镇", "Sanhe Town", 36.455, 102.045, False),
    ("洪水泉回族乡", "Hongshuiquan Hui Township", 36.430, 102.250, True),
    ("石灰窑回族乡", "Shihuiyao Hui Township", 36.380, 101.990, True),
    ("古城回族乡", "Gucheng Hui Township", 36.415, 102.105, True),
    ("沙沟回族乡", "Shagou Hui Township", 36.470, 102.200, True),
    ("巴藏沟回族乡", "Bazanggou Hui Township", 36.360, 102.150, True),
]

VILLAGE_STEMS = ["东庄", "西沟", "南滩", "北山", "上寨", "下营", "红崖", "柳湾", "杏园", "泉口",
                 "马家", "李家", "祁家", "王家", "阳坡", "阴坡", "大湾", "小湾", "河滩", "新庄",
                 "石嘴", "白土", "金塔", "峡口"]

SCHOOLS = [
    (0, "平安区第一小学（示例）"), (0, "平安区第二中学（示例）"), (1, "小峡中心学校（示例）"),
    (2, "三合镇中心学校（示例）"), (3, "洪水泉乡中心学校（示例）"), (4, "石灰窑乡中心学校（示例）"),
    (5, "古城乡中心学校（示例）"), (6, "沙沟乡中心学校（示例）"), (7, "巴藏沟乡中心学校（示例）"),
]

MARKETS = [
    (0, "平安大集（示例）", {"calendar": "solar", "digits": [2, 5, 8]}, "skip"),
    (2, "三合集市（示例）", {"calendar": "lunar", "digits": [3, 6, 9]}, "skip"),
    (5, "古城集市（示例）", {"calendar": "lunar", "digits": [1, 4, 7]}, "next"),
    (3, "洪水泉周日集（示例）", {"calendar": "weekday", "weekdays": [7]}, "skip"),
    (1, "小峡初一十五庙会集（示例）", {"calendar": "lunar", "days": [1, 15]}, "skip"),
]

SURNAMES = "马李王张赵祁韩冶刘陈杨周吴孙胡朱高林何郭罗梁宋郑谢唐许邓冯曹彭曾"
GIVEN = ["建国", "海龙", "晓燕", "文斌", "玉梅", "志强", "春花", "德明", "秀英", "永福", "国庆",
         "红霞", "正义", "学军", "丽娟", "成林", "明辉", "亚琴", "振华", "慧敏", "宏伟", "桂兰",
         "俊杰", "雪梅", "长青", "金花", "卫东", "彩霞", "新民", "晓东", "兰英", "世杰", "淑芳"]
TYPES = (["police"] * 12 + ["auxiliary"] * 8 + ["village"] * 6 + ["volunteer_police"] * 3
         + ["industry"] * 2 + ["volunteer"] * 2)
UNITS = {"police": "平安分局{}派出所（示例）", "auxiliary": "平安分局{}派出所（示例）",
         "village": "{}警务室（示例）", "volunteer_police": "平安区志愿警察大队（示例）",
         "industry": "平安区交通运输局（示例）", "volunteer": "平安区普法志愿者协会（示例）"}


def seed(*, now: datetime) -> dict[str, int]:
    """Add whatever part of the demo is missing; return what was added."""
    rng = random.Random(630203)
    added = {"topics": _topics(), "places": 0, "users": 0, "orders": 0,
             "calendar": _calendar()}
    if db.session.scalar(select(func.count()).select_from(Township)) == 0:
        added["places"] = _places(now)
    if db.session.scalar(select(User.id).where(User.username == "coordinator")) is None:
        added["users"] = _team(rng)
    if db.session.scalar(select(func.count()).select_from(Order)) == 0:
        added["orders"] = _orders(rng, now)
    db.session.flush()
    return added


def _calendar() -> int:
    """The campaign calendar's well-known days, when it is empty (a migrated database has them
    from the migration already)."""
    if db.session.scalar(select(func.count()).select_from(AwarenessDay)):
        return 0
    for e in WELL_KNOWN:
        db.session.add(AwarenessDay(name_zh=e.name_zh, name_en=e.name_en, month=e.month,
                                    day=e.day, days=e.days, kind=e.kind, topics=list(e.topics),
                                    active=True))
    db.session.flush()
    return len(WELL_KNOWN)


def _topics() -> int:
    existing = set(db.session.scalars(select(Topic.code)))
    n = 0
    for pos, (code, zh, en, szh, sen, aud, formats, minutes) in enumerate(TOPICS):
        if code in existing:
            continue
        db.session.add(Topic(code=code, title_zh=zh, title_en=en, summary_zh=szh, summary_en=sen,
                             audiences=aud, formats=formats, typical_minutes=minutes, position=pos))
        n += 1
    db.session.flush()
    return n


def _places(now: datetime) -> int:
    towns = []
    for pos, (name, en, lat, lon, hui) in enumerate(TOWNSHIPS):
        t = Township(name=name, name_en=en, lat=lat, lon=lon, hui=hui, position=pos)
        db.session.add(t)
        towns.append(t)
    db.session.flush()
    for i, stem in enumerate(VILLAGE_STEMS):
        t = towns[i % len(towns)]
        db.session.add(Village(township_id=t.id, name=f"{stem}村（示例）",
                               lat=t.lat + 0.01 * ((i % 5) - 2), lon=t.lon + 0.012 * ((i % 3) - 1)))
    year = now.astimezone(TZ).year
    for ti, name in SCHOOLS:
        t = towns[ti]
        school = School(township_id=t.id, name=name, lat=t.lat + 0.004, lon=t.lon - 0.004)
        for term in demo_terms(now.astimezone(TZ).date()):
            school.terms.append(SchoolTerm(first=term.first, last=term.last))
        db.session.add(school)
    for ti, name, cycle, missing in MARKETS:
        t = towns[ti]
        db.session.add(Market(township_id=t.id, name=name, lat=t.lat, lon=t.lon, cycle=cycle,
                              missing_30=missing, opens=time(9, 30), closes=time(12, 0),
                              spring_festival_days_before=5, spring_festival_days_after=15))
    for t in towns:
        db.session.add(Blackout(township_id=t.id, first=date(year, 8, 1), last=date(year, 9, 20),
                                label="秋收农忙（示例）"))
        if t.hui:
            db.session.add(Blackout(township_id=t.id, first=date(year, 1, 1),
                                    last=date(year + 1, 12, 31), weekdays=[5], start=time(12, 0),
                                    end=time(14, 30), label="主麻日聚礼（示例）"))
    db.session.add_all([
        EquipmentKit(name="放映车一号（投影仪、幕布、发电机）", contents="投影仪 幕布 发电机 音箱",
                     base_township_id=towns[0].id),
        EquipmentKit(name="放映车二号（投影仪、幕布、发电机）", contents="投影仪 幕布 发电机 音箱",
                     base_township_id=towns[2].id),
    ])
    db.session.flush()
    return len(towns)


def _team(rng: random.Random) -> int:
    coordinator = User(username="coordinator", role=Role.COORDINATOR, display_name="派单调度员（示例）")
    coordinator.set_password(PASSWORD)
    db.session.add(coordinator)
    towns = db.session.scalars(select(Township).order_by(Township.position)).all()
    topics = {t.code: t for t in db.session.scalars(select(Topic))}
    schools = db.session.scalars(select(School).order_by(School.id)).all()
    general = ["anti_fraud", "two_cards", "traffic_safety", "drug_awareness"]
    for i in range(33):
        kind = TYPES[i]
        town = towns[i % len(towns)]
        user = User(username=f"member{i + 1:02d}", role=Role.MEMBER)
        user.set_password(PASSWORD)
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[i]
        user.display_name = name
        codes = {general[i % 4], general[(i + 1 + i // 8) % 4]}
        if i % 5 == 0:
            codes.add(general[(i + 2) % 4])
        formats = ["field_class", "market_talk"]
        if i % 3 != 2:
            formats.append("school_talk")
        kit = i in (2, 5, 9, 14, 20, 27)
        if kit:
            formats.append("mobile_film")
        member = Member(
            user=user, name=name, unit=UNITS[kind].format(town.name.replace("回族乡", "")),
            police_type=kind, phone=f"139{72000000 + i * 1111:08d}", home_township_id=town.id,
            formats=formats, languages=["zh", "tibetan"] if i in (7, 19) else ["zh"],
            kit_qualified=kit, daily_cap=2, weekly_cap=4 if kind == "volunteer" else 5,
        )
        if i < 7:  # seven police officers serve as legal vice-principals
            codes.add("campus_bullying")
            member.vice_principal_of = [schools[i]]
            if "school_talk" not in formats:
                formats.append("school_talk")
        member.specialties = [topics[c] for c in sorted(codes)]
        db.session.add(member)
    db.session.flush()
    return 34


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ).astimezone(UTC)


def _orders(rng: random.Random, now: datetime) -> int:
    members = db.session.scalars(select(Member).order_by(Member.id)).all()
    topics = {t.code: t for t in db.session.scalars(select(Topic))}
    villages = db.session.scalars(select(Village).order_by(Village.id)).all()
    schools = db.session.scalars(select(School).order_by(School.id)).all()
    markets = db.session.scalars(select(Market).order_by(Market.id)).all()
    kits = db.session.scalars(select(EquipmentKit).order_by(EquipmentKit.id)).all()
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    today = now.astimezone(TZ).date()
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    # (status, day offset from today, format) — past sessions over two months, future over two.
    plan = (
        [("closed", -d, f) for d, f in zip(range(58, 6, -4), ["field_class", "market_talk",
            "school_talk", "mobile_film", "field_class", "school_talk", "market_talk",
            "field_class", "school_talk", "field_class", "market_talk", "school_talk",
            "field_class"], strict=False)]
        + [("delivered", -d, f) for d, f in [(5, "field_class"), (4, "school_talk"),
                                              (3, "market_talk"), (2, "field_class")]]
        + [("scheduled", d, f) for d, f in zip(range(3, 60, 5), ["field_class", "school_talk",
            "market_talk", "field_class", "school_talk", "field_class", "market_talk",
            "school_talk", "field_class", "field_class", "school_talk", "market_talk"], strict=False)]
        + [("scheduled", -1, "field_class")]  # held yesterday, delivery not recorded yet
        + [("offered", d, f) for d, f in [(6, "field_class"), (9, "school_talk"), (12, "field_class")]]
        + [("needs_attention", 8, "field_class"), ("needs_attention", 15, "school_talk"),
           ("submitted", 20, "field_class"), ("cancelled", 10, "field_class"),
           ("cancelled", -12, "school_talk")]
    )
    hours = {"field_class": (10, 0, 90), "market_talk": (9, 30, 120), "school_talk": (10, 10, 45),
             "mobile_film": (19, 20, 120)}
    codes = set()
    while len(codes) < len(plan):
        codes.add(new_order_code(rng.choice))
    codes = sorted(codes)
    n = 0
    for idx, (status, offset, fmt) in enumerate(plan):
        day = today + timedelta(days=offset)
        if fmt == "school_talk":
            place_kind, place = "school", schools[idx % len(schools)]
        elif fmt == "market_talk":
            place_kind, place = "market", markets[idx % len(markets)]
        else:
            place_kind, place = "village", villages[(idx * 7) % len(villages)]
        code_topics = (["campus_bullying"] if fmt == "school_talk" and idx % 2 else
                       [["anti_fraud"], ["two_cards"], ["traffic_safety"], ["drug_awareness"],
                        ["anti_fraud", "two_cards"]][idx % 5])
        # A time the slot rules propose for this place: school days in term, market days, a
        # screening in season from dusk, nothing in a blackout.
        start, end = _slot_near(fmt, place_kind, place, day, today, now, hours[fmt])
        day = start.astimezone(TZ).date()
        created = min(start - timedelta(days=rng.randint(6, 14)), now - timedelta(hours=2))
        order = Order(
            code=codes.pop(), status=OrderStatus.SUBMITTED, format=fmt, place_kind=place_kind,
            township_id=place.township_id, audience_type="pupils" if fmt == "school_talk" else "villagers",
            audience_size=rng.choice([30, 45, 60, 80, 120, 200]),
            earliest=day - timedelta(days=3) if offset > 3 else day, latest=day + timedelta(days=7),
            requester_name=rng.choice(["马主任", "李书记", "王老师", "张会计", "祁文书"]) + "（示例）",
            requester_org=f"{place.name.replace('（示例）', '')}（示例）",
            requester_phone=f"138{idx:04d}{1000 + idx:04d}", channel=rng.choice(["qr", "qr", "phone", "cadre"]),
            notes="", created_at=created, updated_at=created,
            topics=[topics[c] for c in code_topics],
        )
        setattr(order, f"{place_kind}_id", place.id)
        db.session.add(order)
        db.session.flush()
        audit_row("order", order.id, "submit", now=created, label="requester",
                  to_state=order.status)
        if status == "submitted":
            n += 1
            continue
        # member01 (the demo login) gets open offers, upcoming talks and one to record.
        prefer_first = status == "offered" or offset == -1 or (
            status in ("scheduled", "delivered") and idx % 3 == 0)
        member = _pick(members, fmt, code_topics, start, end, busy, idx, prefer_first)
        if status in ("needs_attention",):
            order.transition("escalate", now=created, detail={"reason": "no_candidate"})
            n += 1
            continue
        offer = Offer(order=order, member_id=member.id, rank=1, score=round(60 + rng.random() * 30, 1),
                      parts=[], slots=[[start.isoformat(), end.isoformat()]], created_at=created,
                      expires_at=created + timedelta(hours=12) if status != "offered" else now + timedelta(hours=10))
        db.session.add(offer)
        order.transition("offer", now=created, detail={"members": [member.id]})
        if status == "offered":
            n += 1
            continue
        if status == "cancelled" and offset > 0:
            at = created + timedelta(hours=3)
            offer.transition("withdraw", now=at, label="requester", detail={"reason": "cancelled"})
            order.transition("cancel", now=at, label="requester")
            n += 1
            continue
        taken = created + timedelta(hours=rng.randint(1, 10))
        offer.transition("accept", now=taken, actor=member.user)
        order.transition("schedule", now=taken, actor=member.user,
                         detail={"member_id": member.id, "start": start.isoformat()})
        kit = kits[idx % len(kits)] if fmt == "mobile_film" else None
        session = LectureSession(order=order, format=fmt, start=start, end=end,
                                 venue=f"{place.name}", township_id=place.township_id,
                                 lead_member=member, kit=kit, created_at=taken)
        db.session.add(session)
        busy.setdefault(member.id, []).append((start, end))
        if status == "cancelled":
            at = start - timedelta(days=1)
            session.transition("cancel", now=at, label="requester")
            order.transition("cancel", now=at, label="requester")
        elif status in ("delivered", "closed"):
            session.headcount = max(10, order.audience_size + rng.randint(-20, 30))
            session.delivery_notes = "群众提问踊跃，现场帮助安装国家反诈中心App（示例）。"
            session.delivered_at = end + timedelta(hours=1)
            session.transition("deliver", now=session.delivered_at, actor=member.user,
                               detail={"headcount": session.headcount})
            order.transition("deliver", now=session.delivered_at, actor=member.user,
                             detail={"session_id": session.id, "headcount": session.headcount})
            if status == "closed":
                rating = rng.choice([5, 5, 4, 5, 4, 3])
                rated = session.delivered_at + timedelta(days=1)
                db.session.add(Feedback(order=order, rating=rating, comment="讲得实在，听得懂（示例）",
                                        created_at=rated))
                order.transition("close", now=rated, label="requester", detail={"rating": rating})
        if order.status != status:  # the plan and the state machines disagree: a bug here
            raise RuntimeError(f"demo order {order.code}: {order.status}, planned {status}")
        n += 1
    if coordinator is not None:
        db.session.flush()
    return n


# The plan reaches this far back; the demo terms cover it.
HISTORY = timedelta(days=60)


def _school_year(d: date) -> int:
    """The school year a day belongs to, named by the year its autumn term starts in."""
    return d.year if d.month >= 9 else d.year - 1


def demo_terms(today: date) -> list[Term]:
    """Haidong's usual terms for the current and the next school year, and for the previous one
    while the two-month history still reaches into it; each term once, in order."""
    terms: list[Term] = []
    for year in range(_school_year(today - HISTORY), _school_year(today) + 2):
        autumn, spring = default_terms(year + 1)[:2]  # autumn of ``year``, spring after it
        terms += [autumn, spring]
    return terms


def _slot_near(fmt, place_kind, place, day: date, today: date, now: datetime,
               fallback: tuple[int, int, int]) -> tuple[datetime, datetime]:
    """The proposed slot nearest the planned day: the first on or after it for a talk still to
    come, the last on or before it (and before today) for one in the past."""
    if day >= today:
        for k in range(6):  # a winter vacation and Spring Festival fit in well under 180 days
            first = day + timedelta(days=30 * k)
            found = _proposed(fmt, place_kind, place, first, first + timedelta(days=29), now)
            if found:
                return found[0]
    else:
        last = min(day, today - timedelta(days=1))
        for _ in range(100):  # back to last year's film season at most
            # Four days hold fewer slots than the rules' cut, so the last one is really the last.
            first = last - timedelta(days=3)
            then = datetime.combine(first - timedelta(days=1), time(8), TZ).astimezone(UTC)
            found = _proposed(fmt, place_kind, place, first, last, then)
            if found:
                return found[-1]
            last = first - timedelta(days=1)
    h, m, minutes = fallback  # the rules propose nothing near: keep the plan's own time
    return _at(day, h, m), _at(day, h, m) + timedelta(minutes=minutes)


def _proposed(fmt, place_kind, place, first: date, last: date, now: datetime):
    try:
        # The documented defaults: demo data is the same whatever this install configured.
        slots = scheduling.propose_slots(fmt, place_kind, place.id, first, last, now=now,
                                         settings=DEFAULTS)
    except DomainError:
        return []
    return [(s.start.astimezone(UTC), s.end.astimezone(UTC)) for s in slots]


def _pick(members, fmt, codes, start, end, busy, idx, prefer_first=False) -> Member:
    """The first member (rotating, or member01 first) who can give this talk and is free then."""
    count = len(members)
    order = [0] + [(idx * 5 + k) % count for k in range(count)] if prefer_first else [
        (idx * 5 + k) % count for k in range(count)]
    for k in order:
        m = members[k]
        if fmt not in m.formats or not {t.code for t in m.specialties} & set(codes):
            continue
        if fmt == "school_talk" and "campus_bullying" in codes and not m.vice_principal_of:
            continue
        if any(s < end + timedelta(hours=1) and start - timedelta(hours=1) < e
               for s, e in busy.get(m.id, [])):
            continue
        return m
    return members[0]
