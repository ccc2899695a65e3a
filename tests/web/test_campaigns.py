"""Campaign pages through the real forms: access to every route, the coverage page → planner →
preview → send → dispatch pass path, 422s with messages at the fields, the reports' campaign
filter, and the campaign calendar's administration."""

import html
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from lectureorder.domain.calendars import TZ
from lectureorder.models import AwarenessDay, Campaign, Order, School, SchoolTerm, Village
from tests.helpers import login
from tests.report_data import at, make_order, make_session

NOW = datetime(2027, 6, 10, 9, tzinfo=TZ).astimezone(UTC)

PAGES = ["/coord/campaigns", "/coord/campaigns/new", "/coord/campaigns/1",
         "/coord/admin/awareness", "/coord/admin/awareness/new", "/coord/admin/awareness/1"]
POSTS = ["/coord/campaigns/new", "/coord/admin/awareness/new", "/coord/admin/awareness/1",
         "/coord/admin/awareness/1/delete"]


def error_fields(page: str) -> set[str]:
    return set(re.findall(r'class="field [^"]*has-error" id="field-([a-z_0-9]+)"', page))


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def calendar(db):
    row = AwarenessDay(name_zh="国际禁毒日", name_en="International Day against Drug Abuse",
                       month=6, day=26, kind="awareness", topics=["drug_awareness"])
    harvest = AwarenessDay(name_zh="夏收农忙", name_en="Summer harvest", month=7, day=1,
                           days=40, kind="slowdown", topics=[])
    db.session.add_all([row, harvest])
    db.session.commit()
    return row


@pytest.fixture
def scene(db, world, make_member, calendar):
    """Villages (one reached on drugs this spring), a school in term, one on holiday, a team."""
    more = [Village(township_id=world.town.id, name=f"{n}村（示例）", lat=36.46, lon=102.05)
            for n in ("南滩", "北山")]
    closed = School(township_id=world.town.id, name="已放假学校（示例）", lat=36.46, lon=102.05)
    closed.terms = [SchoolTerm(first=date(2027, 3, 1), last=date(2027, 6, 1))]
    db.session.add_all([*more, closed])
    db.session.commit()
    lead = make_member("马建国", topics=("drug_awareness",), kit_qualified=True)
    make_member("李海龙", topics=("drug_awareness",), kit_qualified=True, township=world.far)
    reached = make_order(db, world, created=at(date(2027, 3, 1), 9), status="delivered",
                         topics=("drug_awareness",))
    make_session(db, world, lead, order=reached, start=at(date(2027, 3, 5), 10))
    db.session.commit()
    return type("Scene", (), {"more": more, "closed": closed, "reached": world.village})


@pytest.fixture
def as_coordinator(client, world, coordinator):
    from lectureorder.services import clock

    clock.freeze(NOW)
    login(client, coordinator.username)
    return client


# --- Access ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize("url", POSTS)
def test_anonymous_posts_are_sent_to_login(client, world, url):
    response = client.post(url, data={"name": "x"})
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize("url", PAGES)
def test_members_cannot_see_them(client, make_member, calendar, url):
    login(client, make_member().user.username)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", POSTS)
def test_members_cannot_post(client, make_member, calendar, db, url):
    login(client, make_member().user.username)
    assert client.post(url, data={"name_zh": "x", "name": "x"}).status_code == 403
    assert count(db, AwarenessDay) == 2 and count(db, Campaign) == 0


def test_every_new_route_is_for_coordinators(app):
    rules = [r for r in app.url_map.iter_rules()
             if r.rule.startswith(("/coord/campaigns", "/coord/admin/awareness"))]
    assert len(rules) == 8
    assert {app.view_functions[r.endpoint].access for r in rules} == {"coordinator"}


# --- Coverage → planner → preview → send → offers ----------------------------------------------

def planner_form(page: str) -> dict:
    """What the rendered planner would submit: its text fields, ticked boxes and choices."""
    data: dict = {"places": re.findall(r'name="places" value="([^"]+)" checked', page),
                  "topics": re.findall(r'<input checked id="topics-\d+" name="topics" type="checkbox" '
                                       r'value="([^"]+)"', page)}
    for name in ("name", "first", "last"):
        found = re.search(rf'id="{name}" name="{name}"[^>]* value="([^"]*)"', page)
        data[name] = html.unescape(found.group(1)) if found else ""
    chosen = re.search(r'<option selected value="(\d+)">', page)
    data["awareness_day"] = chosen.group(1) if chosen else ""
    data["village_format"] = "mobile_film"
    return data


def test_coverage_gaps_become_a_6_26_campaign_and_the_offers_go_out(as_coordinator, db, world,
                                                                    scene, calendar,
                                                                    dispatch_pass):
    client = as_coordinator
    coverage = client.get("/coord/coverage?topic=drug_awareness&months=12").get_data(as_text=True)
    form = re.search(r'<form method="get" action="/coord/campaigns/new"[^>]*data-testid="plan-campaign">'
                     r'(.*?)</form>', coverage, re.S).group(1)
    places = re.findall(r'name="place" value="([^"]+)"', form)
    assert f"village:{scene.reached.id}" not in places  # reached on drugs in March
    villages = [p for p in places if p.startswith("village:")]
    assert {f"village:{v.id}" for v in scene.more} <= set(villages)
    assert 'name="topic" value="drug_awareness"' in form

    query = "&".join(f"place={p}" for p in villages)
    planner = client.get(f"/coord/campaigns/new?{query}&topic=drug_awareness"
                         f"&awareness_day={calendar.id}")
    page = planner.get_data(as_text=True)
    assert planner.status_code == 200
    data = planner_form(page)
    assert sorted(data["places"]) == sorted(villages)
    assert data["topics"] == ["drug_awareness"] and data["awareness_day"] == str(calendar.id)
    assert (data["first"], data["last"]) == ("2027-06-19", "2027-07-03")
    assert "国际禁毒日" in data["name"]

    preview = client.post("/coord/campaigns/new", data={**data, "action": "preview"})
    shown = preview.get_data(as_text=True)
    assert preview.status_code == 200, error_fields(shown)
    planned = re.findall(r'<tr data-place="([^"]+)">', shown.split('data-testid="planned"')[1]
                         .split("</table>")[0])
    assert sorted(planned) == sorted(villages)
    assert 'data-testid="slowdown"' in shown  # the harvest starts on 1 July
    token = re.search(r'id="planned" name="planned" type="hidden" value="([^"]*)"', shown).group(1)
    assert assert_nothing_stored(db)

    sent = client.post("/coord/campaigns/new", data={**data, "planned": token, "action": "send"})
    assert sent.status_code == 302
    campaign = db.session.scalars(select(Campaign)).one()
    assert sent.location.endswith(f"/coord/campaigns/{campaign.id}")
    assert campaign.awareness_day_id == calendar.id
    orders = db.session.scalars(select(Order).where(Order.campaign_id == campaign.id)).all()
    assert len(orders) == len(villages) and {o.status for o in orders} == {"submitted"}
    assert {o.format for o in orders} == {"mobile_film"}

    dispatch_pass(NOW)
    page = client.get(f"/coord/campaigns/{campaign.id}").get_data(as_text=True)
    assert re.search(r'data-count="offered"><dt>[^<]*</dt><dd>(\d+)</dd>', page).group(1) == \
        str(len(villages))
    listing = client.get("/coord/campaigns").get_data(as_text=True)
    assert f'data-campaign="{campaign.id}"' in listing


def assert_nothing_stored(db) -> bool:
    return count(db, Campaign) == 0 and count(db, Order) == 1  # only the March order


def test_a_place_without_a_valid_slot_is_shown_with_why_and_not_sent(as_coordinator, db, world,
                                                                     scene):
    data = {"name": "禁毒宣传", "topics": ["drug_awareness"], "first": "2027-06-19",
            "last": "2027-07-02", "village_format": "field_class",
            "places": [f"village:{scene.more[0].id}", f"school:{scene.closed.id}"]}
    preview = as_coordinator.post("/coord/campaigns/new", data={**data, "action": "preview"})
    shown = preview.get_data(as_text=True)
    assert preview.status_code == 200
    skipped = shown.split('data-testid="skipped"')[1].split("</table>")[0]
    assert f'data-place="school:{scene.closed.id}"' in skipped
    token = re.search(r'name="planned" type="hidden" value="([^"]*)"', shown).group(1)
    assert token == f"village:{scene.more[0].id}"
    # Even a token naming the closed school does not send it.
    as_coordinator.post("/coord/campaigns/new", data={
        **data, "action": "send", "planned": f"{token},school:{scene.closed.id}"})
    orders = db.session.scalars(select(Order).where(Order.campaign_id.is_not(None))).all()
    assert [o.village_id for o in orders] == [scene.more[0].id]


@pytest.mark.parametrize("changes, fields", [
    ({"places": []}, {"places"}),
    ({"topics": []}, {"topics"}),
    ({"first": "2027-06-01"}, {"first"}),
    ({"last": "2027-06-01"}, {"last"}),
    ({"first": ""}, {"first"}),
    ({"name": ""}, {"name"}),
    ({"places": ["village:999999"]}, {"places"}),
    ({"awareness_day": "999"}, {"awareness_day"}),
    ({"village_format": "school_talk"}, {"village_format"}),
    ({"name": "禁毒\x07宣传"}, {"name"}),
    ({"notes": "a\x00b"}, {"notes"}),
])
def test_bad_plans_are_422_with_the_message_at_the_field(as_coordinator, db, world, scene,
                                                         changes, fields):
    data = {"name": "禁毒宣传", "topics": ["drug_awareness"], "first": "2027-06-19",
            "last": "2027-07-02", "village_format": "field_class",
            "places": [f"village:{scene.more[0].id}"], **changes}
    for action in ("preview", "send"):
        response = as_coordinator.post("/coord/campaigns/new",
                                       data={**data, "action": action, "planned": "village:1"})
        assert response.status_code == 422
        assert error_fields(response.get_data(as_text=True)) == fields
    assert count(db, Campaign) == 0


def test_messages_are_translated(as_coordinator, world, scene):
    data = {"name": "禁毒\x07", "topics": [], "first": "2027-06-19", "last": "2027-07-02",
            "village_format": "field_class", "places": [f"village:{scene.more[0].id}"],
            "action": "preview"}
    page = as_coordinator.post("/coord/campaigns/new", data=data).get_data(as_text=True)
    assert "此处含有无法保存的隐藏字符" in page  # the control-character message, at the name
    data["name"] = "禁毒"
    page = as_coordinator.post("/coord/campaigns/new", data=data).get_data(as_text=True)
    assert "请从菜单里至少选一个宣讲。" in page
    as_coordinator.get("/lang/en")
    data["places"] = []
    page = as_coordinator.post("/coord/campaigns/new", data=data).get_data(as_text=True)
    assert "Please choose at least one place." in page


# --- Reports ---------------------------------------------------------------------------------

def test_reports_have_a_campaign_filter(as_coordinator, db, world, scene):
    one = Campaign(name="禁毒宣传", topics=["drug_awareness"], first=date(2027, 6, 19),
                   last=date(2027, 7, 2), created_at=NOW)
    db.session.add(one)
    db.session.flush()
    order = make_order(db, world, created=NOW, topics=("drug_awareness",))
    order.campaign_id = one.id
    db.session.commit()
    page = as_coordinator.get("/coord/reports?from=2027-01-01&to=2027-12-31").get_data(as_text=True)
    assert f'<option value="{one.id}" >禁毒宣传</option>' in page
    mine = as_coordinator.get(f"/coord/reports?from=2027-01-01&to=2027-12-31&campaign={one.id}")
    text = mine.get_data(as_text=True)
    assert f'<option value="{one.id}" selected>禁毒宣传</option>' in text
    assert "<dt>收到订单</dt><dd>1</dd>" in text  # the campaign's order, not March's
    assert "<dt>收到订单</dt><dd>2</dd>" in page
    export = as_coordinator.get(f"/coord/reports/export.csv?from=2027-01-01&to=2027-12-31"
                                f"&campaign={one.id}")
    assert export.status_code == 200
    bad = as_coordinator.get("/coord/reports/export.csv?campaign=999")
    assert bad.status_code == 302 and "campaign=999" in bad.location


# --- The calendar's administration ----------------------------------------------------------------

def test_calendar_days_are_added_edited_and_deleted(as_coordinator, db, world, calendar):
    client = as_coordinator
    assert "国际禁毒日" in client.get("/coord/admin/awareness").get_data(as_text=True)
    added = client.post("/coord/admin/awareness/new", data={
        "name_zh": "全国交通安全日", "name_en": "National Traffic Safety Day", "month": "12",
        "day": "2", "days": "1", "kind": "awareness", "topics": ["traffic_safety"],
        "active": "y"})
    assert added.status_code == 302
    row = db.session.scalars(select(AwarenessDay).where(AwarenessDay.month == 12)).one()
    assert row.topics == ["traffic_safety"] and row.active
    edited = client.post(f"/coord/admin/awareness/{row.id}", data={
        "name_zh": "全国交通安全日", "month": "12", "day": "2", "days": "3", "kind": "awareness"})
    assert edited.status_code == 302
    db.session.expire_all()
    assert row.days == 3 and row.topics == [] and not row.active
    assert client.get(f"/coord/admin/awareness/{row.id}").status_code == 200
    deleted = client.post(f"/coord/admin/awareness/{row.id}/delete")
    assert deleted.status_code == 302 and count(db, AwarenessDay) == 2  # the fixture's two
    assert client.get(f"/coord/admin/awareness/{row.id}").status_code == 404
    assert client.post("/coord/admin/awareness/999/delete").status_code == 404


@pytest.mark.parametrize("changes, fields", [
    ({"name_zh": ""}, {"name_zh"}),
    ({"name_zh": "长" * 61}, {"name_zh"}),
    ({"month": "13"}, {"month"}),
    ({"month": "4", "day": "31"}, {"day"}),
    ({"month": "x"}, {"month"}),
    ({"days": "0"}, {"days"}),
    ({"kind": "party"}, {"kind"}),
    ({"topics": ["nope"]}, {"topics"}),
    ({"name_zh": "禁\x1b毒"}, {"name_zh"}),
    ({"name_en": "drugs\x7f"}, {"name_en"}),
])
def test_bad_calendar_days_are_422(as_coordinator, db, world, calendar, changes, fields):
    good = {"name_zh": "禁毒日", "name_en": "", "month": "6", "day": "26", "days": "1",
            "kind": "awareness", "topics": ["drug_awareness"]}
    for url in ("/coord/admin/awareness/new", f"/coord/admin/awareness/{calendar.id}"):
        response = as_coordinator.post(url, data={**good, **changes})
        assert response.status_code == 422, url
        assert error_fields(response.get_data(as_text=True)) == fields
    db.session.expire_all()
    assert count(db, AwarenessDay) == 2
    assert db.session.get(AwarenessDay, calendar.id).name_zh == "国际禁毒日"
