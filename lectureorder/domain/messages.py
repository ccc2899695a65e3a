"""Every text the system sends, in one table: each event kind × recipient, in Chinese and English.

Pure: the service gathers the facts (already free of anyone else's phone number) and this module
writes them for people, with local Beijing times and lunar dates through ``calendars.slot_label``
/ ``date_label`` (the one formatter). A text fits one SMS segment (70 characters) where it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .calendars import TZ, date_label, slot_label

SMS_SEGMENT = 70  # characters of one segment of a Chinese (UCS-2) text message
LANGS = ("zh", "en")

# (kind, recipient) -> {lang: template}. Fields: code, slot, old, deadline, place, member,
# phone (the station's), by, link, reason.
TEMPLATES: dict[tuple[str, str], dict[str, str]] = {
    ("order_received", "requester"): {
        "zh": "已收到您的宣讲点单，单号{code}。我们将安排宣讲队员，排定后短信通知您，请保存单号。",
        "en": "Order {code} received. We will find a team member and text you the time. "
              "Keep this code.",
    },
    ("offer_new", "member"): {
        "zh": "新点单{code}待您接单，请于{deadline}前在“我的任务”接单或说明原因。",
        "en": "New order {code} for you: accept or decline under My tasks by {deadline}.",
    },
    ("order_scheduled", "requester"): {
        "zh": "点单{code}已排定：{slot}，{place}，宣讲队员{member}。咨询{phone}",
        "en": "Order {code} is booked: {slot}, {place}, with {member}. Questions: {phone}",
    },
    ("session_assigned", "member"): {
        "zh": "调度员为您安排了点单{code}：{slot}，{place}。详见“我的日程”。",
        "en": "The coordinator booked you for order {code}: {slot}, {place}.",
    },
    ("session_moved", "requester"): {
        "zh": "点单{code}的宣讲改期：{old}改为{slot}，{place}。咨询{phone}",
        "en": "Order {code} moved from {old} to {slot}, {place}. Questions: {phone}",
    },
    ("session_moved", "member"): {
        "zh": "点单{code}的宣讲改期：{old}改为{slot}，{place}。",
        "en": "Order {code} moved from {old} to {slot}, {place}.",
    },
    ("rain_moved", "requester"): {
        "zh": "因天气原因，点单{code}的电影放映由{old}改为{slot}。咨询{phone}",
        "en": "Weather: the screening for order {code} moves from {old} to {slot}. "
              "Questions: {phone}",
    },
    ("rain_moved", "member"): {
        "zh": "因天气原因，点单{code}的放映由{old}改为{slot}。",
        "en": "Weather: the screening for order {code} moves from {old} to {slot}.",
    },
    ("rain_called_off", "requester"): {
        "zh": "因天气原因，点单{code}在{old}的放映取消，调度员将另行安排。咨询{phone}",
        "en": "Weather: the screening for order {code} on {old} is off; the coordinator will "
              "rearrange it. Questions: {phone}",
    },
    ("rain_called_off", "member"): {
        "zh": "因天气原因，点单{code}在{old}的放映取消，调度员将另行安排。",
        "en": "Weather: the screening for order {code} on {old} is off; the coordinator will "
              "rearrange it.",
    },
    ("session_cancelled", "member"): {
        "zh": "点单{code}的宣讲（{slot}）已由{by}取消，无需前往。",
        "en": "Order {code} ({slot}) was cancelled by {by}; no need to go.",
    },
    ("session_cancelled", "requester"): {
        "zh": "您的点单{code}（{slot}）已由{by}取消。咨询{phone}",
        "en": "Your order {code} ({slot}) was cancelled by {by}. Questions: {phone}",
    },
    ("reminder_day", "requester"): {
        "zh": "提醒：您点单的宣讲{slot}在{place}举行（单号{code}）。咨询{phone}",
        "en": "Reminder: your talk is on {slot} at {place} (order {code}). Questions: {phone}",
    },
    ("reminder_day", "member"): {
        "zh": "提醒：您{slot}在{place}有宣讲（点单{code}）。",
        "en": "Reminder: you give a talk on {slot} at {place} (order {code}).",
    },
    ("reminder_2h", "member"): {
        "zh": "提醒：{slot}在{place}的宣讲约两小时后开始（点单{code}），路上注意安全。",
        "en": "Reminder: your talk at {place} starts in about two hours, {slot} (order {code}).",
    },
    ("please_rate", "requester"): {
        "zh": "感谢参加宣讲！请为本次宣讲评分：{link}（单号{code}）",
        "en": "Thank you for coming! Please rate the talk: {link} (order {code})",
    },
    ("order_needs_attention", "coordinator"): {
        "zh": "点单{code}需要调度员处理：{reason}。",
        "en": "Order {code} needs the coordinator: {reason}.",
    },
    ("requester_code", "requester"): {
        "zh": "您的查单验证码{code}，10分钟内有效。如非本人操作请忽略。",
        "en": "Your code to see your orders is {code}, valid for 10 minutes.",
    },
}

# Who cancelled, as the reader is told.
BY = {
    "requester": {"zh": "点单人", "en": "the requester"},
    "coordinator": {"zh": "调度员", "en": "the coordinator"},
    "system": {"zh": "系统", "en": "the system"},
}

# Why an order waits for the coordinator (dispatch's reason codes).
REASONS = {
    "rounds": {"zh": "多轮派单无人接单", "en": "nobody took it after several rounds"},
    "no_slot": {"zh": "窗口内没有可用时段", "en": "no slot fits its dates"},
    "no_candidate": {"zh": "没有符合条件的队员", "en": "no eligible team member"},
    "declined": {"zh": "队员均已婉拒", "en": "every member declined"},
    "expired": {"zh": "接单超时", "en": "the offers ran out"},
}


@dataclass(frozen=True)
class Facts:
    """What a text may say. Never a phone number but the station's."""

    kind: str
    recipient: str  # requester | member | coordinator
    lang: str = "zh"
    code: str = ""
    start: datetime | None = None
    end: datetime | None = None
    old_start: datetime | None = None
    old_end: datetime | None = None
    deadline: datetime | None = None
    place: str = ""
    member: str = ""
    station_phone: str = ""
    by: str = "system"
    link: str = ""
    reason: str = ""


def language_for(choice: str | None) -> str:
    """The language a recipient reads: English only when they chose it; Chinese otherwise."""
    return "en" if (choice or "").lower().startswith("en") else "zh"


def has_template(kind: str, recipient: str) -> bool:
    return (kind, recipient) in TEMPLATES


def _moment(at: datetime, lang: str) -> str:
    local = at.astimezone(TZ)
    sep = "" if lang == "zh" else " "
    return f"{date_label(local.date(), lang)}{sep}{local:%H:%M}"


def _slot(start: datetime | None, end: datetime | None, lang: str) -> str:
    if start is None:
        return ""
    return slot_label(start, end or start, lang)


def render(facts: Facts) -> str:
    """The text for these facts; ValueError for a kind/recipient without a template."""
    lang = facts.lang if facts.lang in LANGS else "zh"
    try:
        template = TEMPLATES[(facts.kind, facts.recipient)][lang]
    except KeyError:
        raise ValueError(f"no message for {facts.kind} to {facts.recipient}") from None
    return template.format(
        code=facts.code,
        slot=_slot(facts.start, facts.end, lang),
        old=_slot(facts.old_start, facts.old_end, lang),
        deadline=_moment(facts.deadline, lang) if facts.deadline else "",
        place=facts.place,
        member=facts.member,
        phone=facts.station_phone,
        by=BY.get(facts.by, BY["system"])[lang],
        link=facts.link,
        reason=REASONS.get(facts.reason, {}).get(lang, facts.reason),
    )
