"""Every text the system sends, as a table: each kind × recipient × language, with local
Beijing times and lunar dates, within one SMS segment where it can be, no stranger's phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from lectureorder.domain import messages
from lectureorder.domain.messages import TEMPLATES, Facts, render

# 01:30 UTC is 09:30 in Beijing, on 农历十月三十 (8 Dec 2026, a Tuesday).
START = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
END = START + timedelta(hours=2)
OLD = START - timedelta(days=1)
STATION = "0972-8612110"
REQUESTER_PHONE = "13800001234"


def facts(kind, recipient, lang, **changes) -> Facts:
    values = dict(kind=kind, recipient=recipient, lang=lang, code="AB3CD7", start=START, end=END,
                  old_start=OLD, old_end=OLD + timedelta(hours=2), deadline=START,
                  place="东庄村（示例）", member="马建国", station_phone=STATION, by="requester",
                  link="https://xj.example.cn/track", reason="rounds")
    values.update(changes)
    return Facts(**values)


# kind, recipient, what the Chinese text must say, whether it fits one segment
TABLE = [
    ("order_received", "requester", ["AB3CD7", "短信通知"], True),
    ("offer_new", "member", ["AB3CD7", "农历十月三十（12月8日 周二）09:30前"], True),
    ("order_scheduled", "requester",
     ["农历十月三十（12月8日 周二）09:30–11:30", "东庄村", "马建国", STATION], True),
    ("session_assigned", "member", ["09:30–11:30", "东庄村"], True),
    ("session_moved", "requester", ["12月7日 周一）09:30–11:30改为", "12月8日 周二）09:30", STATION],
     False),
    ("session_moved", "member", ["改为"], False),
    ("rain_moved", "requester", ["天气", "改为"], False),
    ("rain_moved", "member", ["天气", "改为"], False),
    ("rain_called_off", "requester", ["天气", "取消", "12月7日"], False),
    ("rain_called_off", "member", ["天气", "取消"], True),
    ("session_cancelled", "member", ["由点单人取消"], True),
    ("session_cancelled", "requester", ["取消", STATION], True),
    ("reminder_day", "requester", ["农历十月三十（12月8日 周二）09:30", "东庄村", STATION], False),
    ("reminder_day", "member", ["农历十月三十", "东庄村"], True),
    ("reminder_2h", "member", ["两小时", "09:30"], True),
    ("please_rate", "requester", ["评分", "https://xj.example.cn/track"], True),
    ("order_needs_attention", "coordinator", ["AB3CD7", "多轮派单无人接单"], True),
    ("requester_code", "requester", ["验证码", "10分钟"], True),
]


def test_the_table_covers_every_template():
    assert {(k, r) for k, r, _, _ in TABLE} == set(TEMPLATES)


@pytest.mark.parametrize(("kind", "recipient", "says", "one_segment"), TABLE)
def test_chinese_text(kind, recipient, says, one_segment):
    text = render(facts(kind, recipient, "zh"))
    for part in says:
        assert part in text, (part, text)
    if one_segment:
        assert len(text) <= messages.SMS_SEGMENT, (len(text), text)
    assert not re.search(r"1[3-9]\d{9}", text)  # no mobile number: only the station's
    assert "{" not in text


@pytest.mark.parametrize(("kind", "recipient"), sorted(TEMPLATES))
def test_english_text_when_chosen(kind, recipient):
    text = render(facts(kind, recipient, "en"))
    assert not re.search(r"[\u4e00-\u9fff]", text.replace("东庄村（示例）", "").replace("马建国", ""))
    if "{slot}" in TEMPLATES[(kind, recipient)]["en"]:
        assert "Tue 8 Dec (lunar 10/30) 09:30–11:30" in text
    assert "{" not in text


def test_times_are_beijing_times_whatever_zone_they_come_in():
    local = START.astimezone(messages.TZ)
    assert render(facts("reminder_2h", "member", "zh", start=local, end=local + timedelta(hours=2))) \
        == render(facts("reminder_2h", "member", "zh"))


@pytest.mark.parametrize(("by", "zh", "en"), [
    ("requester", "点单人", "the requester"), ("coordinator", "调度员", "the coordinator"),
    ("system", "系统", "the system"), ("anything", "系统", "the system")])
def test_cancelled_says_by_whom(by, zh, en):
    assert zh in render(facts("session_cancelled", "member", "zh", by=by))
    assert en in render(facts("session_cancelled", "member", "en", by=by))


def test_the_texts_never_carry_a_phone_given_to_them_by_mistake():
    # Only the fields the templates name are written: a phone in the facts goes nowhere.
    text = render(facts("order_scheduled", "requester", "zh", member="马建国"))
    assert REQUESTER_PHONE not in text


@pytest.mark.parametrize(("choice", "lang"), [
    (None, "zh"), ("", "zh"), ("zh", "zh"), ("tibetan", "zh"), ("en", "en"), ("EN", "en"),
    ("en_US", "en")])
def test_language_for(choice, lang):
    assert messages.language_for(choice) == lang


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        render(facts("nonsense", "requester", "zh"))
