"""Calendar administration pages through the real forms: access, saving, 422s, and the effect
on the slots the public API proposes."""

import html
import re
from datetime import date, datetime

import flask_babel
import pytest
from sqlalchemy import func, select

from lectureorder.domain.calendars import lunar_of
from lectureorder.domain.errors import ValidationFailed
from lectureorder.models import (
    AuditEvent,
    Blackout,
    EquipmentKit,
    FilmSeason,
    HolidayOverride,
    Market,
    SchoolTerm,
)
from lectureorder.services import calendar_admin as admin
from tests.helpers import login

PAGES = ["/coord/admin/", "/coord/admin/markets", "/coord/admin/markets/new",
         "/coord/admin/markets/1", "/coord/admin/schools", "/coord/admin/schools/1/terms",
         "/coord/admin/terms/1", "/coord/admin/blackouts", "/coord/admin/blackouts/new",
         "/coord/admin/blackouts/1", "/coord/admin/holidays", "/coord/admin/holidays/1",
         "/coord/admin/film-season", "/coord/admin/kits", "/coord/admin/kits/new",
         "/coord/admin/kits/1"]
POSTS = ["/coord/admin/markets/new", "/coord/admin/markets/1", "/coord/admin/schools/1/terms",
         "/coord/admin/terms/1", "/coord/admin/terms/1/delete", "/coord/admin/blackouts/new",
         "/coord/admin/blackouts/1", "/coord/admin/blackouts/1/delete", "/coord/admin/holidays",
         "/coord/admin/holidays/1", "/coord/admin/holidays/1/delete",
         "/coord/admin/film-season", "/coord/admin/kits/new", "/coord/admin/kits/1"]


def error_fields(html: str) -> set[str]:
    """The fields render_field marked as wrong."""
    return set(re.findall(r'class="field [^"]*has-error" id="field-([a-z_0-9]+)"', html))


def field_messages(page: str, field: str) -> list[str]:
    """The messages render_field shows under `field`."""
    return [html.unescape(m) for m in
            re.findall(rf'id="{field}-error-\d+">⚠ (.*?)</p>', page, re.S)]


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def slots(client, fmt, kind, place_id, first, last) -> list[dict]:
    response = client.get(f"/api/v1/slots?format={fmt}&place_kind={kind}&place_id={place_id}"
                          f"&from={first}&to={last}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def as_coordinator(client, world, coordinator, frozen_now):
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


def test_members_get_403_everywhere(client, world, make_member, db):
    """One member, every page and POST (a parametrized test would rebuild the world each time)."""
    member = make_member()
    db.session.add(Blackout(township_id=world.far.id, first=date(2027, 1, 1),
                            last=date(2027, 1, 2), label="x"))
    db.session.add(HolidayOverride(day=date(2027, 1, 1), working=False, name="元旦"))
    db.session.commit()
    login(client, member.user.username)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    for url in POSTS:
        assert client.post(url, data={"name": "x", "day": "2027-01-05"}).status_code == 403, url
    assert count(db, Blackout) == 1 and count(db, HolidayOverride) == 1
    assert db.session.get(Market, world.market.id).name == world.market.name


def test_every_page_renders_for_a_coordinator_in_both_languages(as_coordinator, world, db):
    db.session.add(Blackout(township_id=world.far.id, first=date(2027, 1, 1),
                            last=date(2027, 1, 2), label="x"))
    db.session.add(HolidayOverride(day=date(2027, 1, 1), working=False, name="元旦"))
    db.session.commit()
    for lang in ("zh_CN", "en"):
        for url in PAGES:
            response = as_coordinator.get(f"{url}?lang={lang}")
            assert response.status_code == 200, (url, lang)
    assert as_coordinator.get("/coord/admin/markets/999").status_code == 404
    assert as_coordinator.get("/coord/admin/terms/999").status_code == 404
    assert as_coordinator.post("/coord/admin/holidays/999/delete").status_code == 404
    assert "/coord/admin/" in as_coordinator.get("/coord/").get_data(as_text=True)


# --- Markets -----------------------------------------------------------------------------------


MARKET_FORM = {"name": "古城集市（示例）", "calendar": "lunar", "pattern": "digits",
               "cycle": "逢二五八", "missing_30": "skip", "opens": "09:00", "closes": "12:30",
               "pauses": "", "spring_festival_days_before": "5",
               "spring_festival_days_after": "15", "active": "y"}


def test_market_list_shows_the_rule_in_words_and_the_next_market_days(as_coordinator, world):
    page = as_coordinator.get("/coord/admin/markets").get_data(as_text=True)
    assert "农历逢三、六、九" in page
    # Today, 2026-12-01, is 农历十月廿三, a market day; then 廿六, 廿九, 冬月初三, 初六.
    for label in ("农历十月廿三（12月1日 周二）", "农历十月廿六（12月4日 周五）",
                  "农历冬月初六"):
        assert label in page
    page = as_coordinator.get("/coord/admin/markets?lang=en").get_data(as_text=True)
    assert "lunar days ending in 3, 6, 9" in page and "Fri 4 Dec (lunar 10/26)" in page


def test_create_a_market_through_the_form(as_coordinator, world, db):
    response = as_coordinator.post("/coord/admin/markets/new",
                                   data=dict(MARKET_FORM, township_id=str(world.far.id)))
    assert response.status_code == 302
    market = db.session.scalar(select(Market).where(Market.name == MARKET_FORM["name"]))
    assert market.cycle == {"calendar": "lunar", "digits": [2, 5, 8]}
    assert f"#market-{market.id}" in response.location
    page = as_coordinator.get("/coord/admin/markets").get_data(as_text=True)
    assert "农历逢二、五、八，春节前5天至后15天休集" in page
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "market"))
    assert audit.actor_label == "coord"


@pytest.mark.parametrize(("changes", "fields"), [
    ({"cycle": "3 12"}, {"cycle"}),
    ({"cycle": "<script>"}, {"cycle"}),
    ({"township_id": "9999"}, {"township_id"}),
    ({"township_id": "abc", "closes": "08:00", "name": ""}, {"township_id", "closes", "name"}),
    ({"calendar": "weekday"}, {"weekdays"}),
    ({"calendar": "weekday", "weekdays": ["9"]}, {"weekdays"}),
    ({"opens": "nine", "spring_festival_days_before": "many"},
     {"opens", "spring_festival_days_before"}),
    ({"pauses": "2027-02-01 2027-01-01\nsoon"}, {"pauses"}),
    ({"lat": "north"}, {"lat"}),
    # Lengths are the domain's too, so they come with the other errors.
    ({"cycle": "3 " * 61, "name": ""}, {"cycle", "name"}),
    ({"pauses": "2027-01-01\n" * 200, "closes": "08:00"}, {"pauses", "closes"}),
])
def test_bad_market_forms_are_422_with_the_message_at_the_field(as_coordinator, world, db,
                                                                 changes, fields):
    data = dict(MARKET_FORM, township_id=str(world.far.id)) | changes
    response = as_coordinator.post("/coord/admin/markets/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_fields(page) == fields
    assert data["name"] == "" or data["name"] in page  # what was typed is kept
    assert count(db, Market) == 1


# The same bad cycle typed into the form, given to the service, and found in a stored row.
SAME_BAD_CYCLES = [
    ({"cycle": "3 12"}, {"calendar": "lunar", "digits": [3, 12]}),
    ({"pattern": "days", "cycle": "初一 31"}, {"calendar": "lunar", "days": [1, 31]}),
    ({"calendar": "solar", "pattern": "days", "cycle": "32"}, {"calendar": "solar", "days": [32]}),
    ({"calendar": "weekday", "weekdays": ["8"]}, {"calendar": "weekday", "weekdays": [8]}),
    ({"cycle": "三六x"}, None),
    ({"cycle": ""}, None),
    ({"cycle": "3 " * 61}, None),
    ({"calendar": "weekday"}, None),
]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize(("changes", "stored"), SAME_BAD_CYCLES)
def test_the_form_the_service_and_a_stored_row_give_one_message(as_coordinator, world, db, app,
                                                                 changes, stored, lang):
    field = "weekdays" if changes.get("calendar") == "weekday" else "cycle"
    form = dict(MARKET_FORM, township_id=str(world.far.id)) | changes
    response = as_coordinator.post(f"/coord/admin/markets/new?lang={lang}", data=form)
    assert response.status_code == 422
    shown = field_messages(response.get_data(as_text=True), field)

    data = admin.MarketData(
        name=form["name"], township_id=world.far.id, calendar=form["calendar"],
        pattern=form["pattern"], cycle=form["cycle"],
        weekdays=tuple(int(d) for d in form.get("weekdays", ())))
    with pytest.raises(ValidationFailed) as info:
        admin.create_market(data, now=datetime(2026, 12, 1))
    db.session.rollback()
    with app.test_request_context(f"/?lang={lang}"):
        flask_babel.refresh()
        said = [flask_babel.gettext(e.reason, **e.params)
                for e in info.value.errors if e.field == field]
    assert shown == said and len(said) == 1

    if stored is not None:
        world.market.cycle = stored
        db.session.commit()
        page = as_coordinator.get(f"/coord/admin/markets?lang={lang}").get_data(as_text=True)
        assert f"⚠ {html.escape(said[0], quote=False)}" in page.replace("&#34;", '"')


def test_edit_a_market_shows_the_stored_values_and_refuses_bad_ones(as_coordinator, world, db):
    url = f"/coord/admin/markets/{world.market.id}"
    page = as_coordinator.get(url).get_data(as_text=True)
    assert 'value="3 6 9"' in page and 'value="09:30"' in page
    bad = as_coordinator.post(url, data=dict(MARKET_FORM, township_id=str(world.town.id),
                                             cycle="3 6 10"))
    assert bad.status_code == 422 and error_fields(bad.get_data(as_text=True)) == {"cycle"}
    db.session.expire_all()
    assert db.session.get(Market, world.market.id).cycle == {"calendar": "lunar",
                                                             "digits": [3, 6, 9]}


def test_a_market_edited_to_lunar_147_gets_talks_only_on_lunar_1_4_7(as_coordinator, world, db):
    market_id = world.market.id
    before = slots(as_coordinator, "market_talk", "market", market_id, "2026-12-02", "2026-12-31")
    assert {lunar_of(datetime.fromisoformat(s["start"]).date()).day % 10 for s in before} <= {3, 6, 9}
    response = as_coordinator.post(f"/coord/admin/markets/{market_id}", data=dict(
        MARKET_FORM, name=world.market.name, township_id=str(world.town.id), cycle="一四七",
        spring_festival_days_before="", spring_festival_days_after="", opens="09:30",
        closes="12:00"))
    assert response.status_code == 302
    after = slots(as_coordinator, "market_talk", "market", market_id, "2026-12-02", "2026-12-31")
    days = [datetime.fromisoformat(s["start"]).date() for s in after]
    assert len(days) >= 8
    assert {lunar_of(d).day % 10 for d in days} == {1, 4, 7}
    assert all("农历" in s["label"] for s in after)
    assert all(s["start"].endswith("09:30:00+08:00") for s in after)


def test_deactivating_a_market_keeps_it_listed(as_coordinator, world, db):
    data = dict(MARKET_FORM, name=world.market.name, township_id=str(world.town.id))
    del data["active"]
    assert as_coordinator.post(f"/coord/admin/markets/{world.market.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Market, world.market.id).active is False
    assert world.market.name in as_coordinator.get("/coord/admin/markets").get_data(as_text=True)


def test_market_list_queries_do_not_grow_with_markets(as_coordinator, world, db, count_queries):
    db.session.expire_all()
    with count_queries() as few:
        as_coordinator.get("/coord/admin/markets")
    for i in range(6):
        db.session.add(Market(township_id=world.far.id, name=f"集{i}",
                              cycle={"calendar": "weekday", "weekdays": [i + 1]}))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        assert as_coordinator.get("/coord/admin/markets").status_code == 200
    assert few() == many(), (few, many)


# --- School terms ------------------------------------------------------------------------------


def test_terms_add_edit_delete_through_the_forms(as_coordinator, world, db):
    url = f"/coord/admin/schools/{world.school.id}/terms"
    assert "2027-03-01" in as_coordinator.get("/coord/admin/schools").get_data(as_text=True)
    response = as_coordinator.post(url, data={"first": "2027-09-01", "last": "2028-01-14"})
    assert response.status_code == 302 and count(db, SchoolTerm) == 3
    overlap = as_coordinator.post(url, data={"first": "2027-07-01", "last": "2027-09-10"})
    assert overlap.status_code == 422
    assert error_fields(overlap.get_data(as_text=True)) == {"first"}
    backwards = as_coordinator.post(url, data={"first": "2029-09-01", "last": "2029-01-14"})
    assert backwards.status_code == 422
    assert error_fields(backwards.get_data(as_text=True)) == {"last"}
    garbage = as_coordinator.post(url, data={"first": "soon", "last": ""})
    assert garbage.status_code == 422  # unreadable input first, then the rules
    assert error_fields(garbage.get_data(as_text=True)) == {"first"}
    empty = as_coordinator.post(url, data={"first": "", "last": ""})
    assert empty.status_code == 422
    assert error_fields(empty.get_data(as_text=True)) == {"first", "last"}
    assert count(db, SchoolTerm) == 3
    term = db.session.scalar(select(SchoolTerm).order_by(SchoolTerm.first.desc()))
    assert as_coordinator.post(f"/coord/admin/terms/{term.id}",
                               data={"first": "2027-09-02", "last": "2028-01-14"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SchoolTerm, term.id).first == date(2027, 9, 2)
    assert as_coordinator.post(f"/coord/admin/terms/{term.id}/delete").status_code == 302
    assert count(db, SchoolTerm) == 2


# --- Blackouts ---------------------------------------------------------------------------------


PRAYER = {"label": "主麻日聚礼", "first": "2026-12-01", "last": "2027-12-31", "weekdays": ["5"],
          "start": "12:00", "end": "14:30"}


def test_friday_prayer_blackout_blocks_friday_midday_field_classes(as_coordinator, world, db):
    village = world.far_village.id
    friday = "2026-12-04"

    def afternoon_on_friday():
        return [s for s in slots(as_coordinator, "field_class", "village", village, friday, friday)]

    # Field classes run 9:30–11:00 and 14:30–16:00; a prayer blackout to 15:00 hits the second.
    assert len(afternoon_on_friday()) == 2
    response = as_coordinator.post("/coord/admin/blackouts/new",
                                   data=dict(PRAYER, township_id=str(world.far.id), end="15:00"))
    assert response.status_code == 302
    assert [s["start"][11:16] for s in afternoon_on_friday()] == ["09:30"]
    page = as_coordinator.get("/coord/admin/blackouts").get_data(as_text=True)
    assert "主麻日聚礼" in page and "12:00–15:00" in page
    blackout = db.session.scalar(select(Blackout))
    assert as_coordinator.post(f"/coord/admin/blackouts/{blackout.id}",
                               data=dict(PRAYER, township_id=str(world.far.id))).status_code == 302
    assert len(afternoon_on_friday()) == 2  # 14:30 is free again
    assert as_coordinator.post(f"/coord/admin/blackouts/{blackout.id}/delete").status_code == 302
    assert count(db, Blackout) == 0


@pytest.mark.parametrize(("changes", "fields"), [
    ({"end": "11:00"}, {"end"}),
    ({"end": ""}, {"end"}),
    ({"last": "2026-01-01"}, {"last"}),
    ({"township_id": "77"}, {"township_id"}),
    ({"weekdays": ["8"], "label": ""}, {"weekdays", "label"}),
    ({"first": "tomorrow", "start": "noon"}, {"first", "start"}),
])
def test_bad_blackouts_are_422(as_coordinator, world, db, changes, fields):
    data = dict(PRAYER, township_id=str(world.far.id)) | changes
    response = as_coordinator.post("/coord/admin/blackouts/new", data=data)
    assert response.status_code == 422
    assert error_fields(response.get_data(as_text=True)) == fields
    assert count(db, Blackout) == 0


# --- Holidays ----------------------------------------------------------------------------------


def test_holiday_page_says_what_to_enter_for_the_unpublished_year(as_coordinator, world, db):
    page = as_coordinator.get("/coord/admin/holidays?lang=en").get_data(as_text=True)
    assert "2027: arrangement not yet known to the app" in page
    assert "New Year&#39;s Day" in page or "New Year's Day" in page
    assert "/coord/admin/holidays?day=2027-01-01" in page
    prefilled = as_coordinator.get("/coord/admin/holidays?day=2027-01-01&name=x").get_data(as_text=True)
    assert 'value="2027-01-01"' in prefilled
    assert as_coordinator.get("/coord/admin/holidays?day=garbage").status_code == 200


def test_enter_a_makeup_working_day_and_refuse_a_duplicate(as_coordinator, world, db):
    data = {"day": "2027-02-20", "working": "working", "name": "春节调休"}
    assert as_coordinator.post("/coord/admin/holidays", data=data).status_code == 302
    page = as_coordinator.get("/coord/admin/holidays").get_data(as_text=True)
    assert "春节调休" in page and 'id="holiday-' in page
    again = as_coordinator.post("/coord/admin/holidays", data=dict(data, working="holiday"))
    assert again.status_code == 422 and error_fields(again.get_data(as_text=True)) == {"day"}
    nothing = as_coordinator.post("/coord/admin/holidays", data={"day": "2027-02-21", "name": ""})
    assert nothing.status_code == 422
    assert error_fields(nothing.get_data(as_text=True)) == {"working", "name"}
    assert count(db, HolidayOverride) == 1
    override = db.session.scalar(select(HolidayOverride))
    assert as_coordinator.post(f"/coord/admin/holidays/{override.id}",
                               data=dict(data, working="holiday")).status_code == 302
    db.session.expire_all()
    assert db.session.get(HolidayOverride, override.id).working is False
    assert as_coordinator.post(f"/coord/admin/holidays/{override.id}/delete").status_code == 302
    assert count(db, HolidayOverride) == 0


def test_a_makeup_saturday_becomes_a_school_day(as_coordinator, world, db):
    saturday = "2027-01-09"  # inside the autumn term; 2027's arrangement is unpublished
    assert slots(as_coordinator, "school_talk", "school", world.school.id, saturday, saturday) == []
    as_coordinator.post("/coord/admin/holidays",
                        data={"day": saturday, "working": "working", "name": "测试调休"})
    assert slots(as_coordinator, "school_talk", "school", world.school.id, saturday, saturday)


# --- Film season -------------------------------------------------------------------------------


def test_a_stored_film_season_decides_december_screenings(as_coordinator, world, db, app):
    app.config["FILM_SEASON_ALL_YEAR"] = False
    args = ("mobile_film", "village", world.village.id, "2026-12-07", "2026-12-09")
    assert slots(as_coordinator, *args) == []  # May to early October by default
    page = as_coordinator.get("/coord/admin/film-season").get_data(as_text=True)
    assert 'value="5"' in page and 'value="10"' in page
    response = as_coordinator.post("/coord/admin/film-season", data={
        "start_month": "11", "start_day": "1", "end_month": "2", "end_day": "28"})
    assert response.status_code == 302
    assert len(slots(as_coordinator, *args)) == 3
    as_coordinator.post("/coord/admin/film-season", data={
        "start_month": "5", "start_day": "1", "end_month": "10", "end_day": "10"})
    assert slots(as_coordinator, *args) == []
    as_coordinator.post("/coord/admin/film-season", data={"all_year": "y"})
    assert len(slots(as_coordinator, *args)) == 3
    assert count(db, FilmSeason) == 1


def test_bad_film_season_is_422(as_coordinator, world, db):
    response = as_coordinator.post("/coord/admin/film-season", data={
        "start_month": "2", "start_day": "30", "end_month": "13", "end_day": "x"})
    assert response.status_code == 422
    assert error_fields(response.get_data(as_text=True)) == {"end_day"}  # WTForms: not a number
    response = as_coordinator.post("/coord/admin/film-season", data={
        "start_month": "2", "start_day": "30", "end_month": "13", "end_day": "1"})
    assert response.status_code == 422
    assert error_fields(response.get_data(as_text=True)) == {"start_day", "end_month"}
    assert count(db, FilmSeason) == 0


# --- Kits --------------------------------------------------------------------------------------


def test_kits_through_the_forms(as_coordinator, world, db):
    data = {"name": "放映车二号", "contents": "投影仪 幕布 发电机", "base_township_id": str(world.far.id),
            "active": "y"}
    assert as_coordinator.post("/coord/admin/kits/new", data=data).status_code == 302
    kit = db.session.scalar(select(EquipmentKit).where(EquipmentKit.name == "放映车二号"))
    assert kit.base_township_id == world.far.id
    page = as_coordinator.get("/coord/admin/kits").get_data(as_text=True)
    assert "放映车二号" in page and "洪水泉回族乡" in page
    dup = as_coordinator.post("/coord/admin/kits/new", data=dict(data, name="放映车一号"))
    assert dup.status_code == 422 and error_fields(dup.get_data(as_text=True)) == {"name"}
    bad_town = as_coordinator.post("/coord/admin/kits/new", data=dict(data, name="三号",
                                                                      base_township_id="x"))
    assert bad_town.status_code == 422
    assert error_fields(bad_town.get_data(as_text=True)) == {"base_township_id"}
    assert count(db, EquipmentKit) == 2
    response = as_coordinator.post(f"/coord/admin/kits/{kit.id}",
                                   data={"name": "放映车二号", "contents": "", "base_township_id": ""})
    assert response.status_code == 302
    db.session.expire_all()
    kit = db.session.get(EquipmentKit, kit.id)
    assert (kit.active, kit.base_township_id) == (False, None)


def test_posts_without_the_csrf_token_change_nothing(as_coordinator, world, db, app):
    app.config["WTF_CSRF_ENABLED"] = True
    db.session.add(HolidayOverride(day=date(2027, 1, 1), working=False, name="元旦"))
    db.session.commit()
    assert as_coordinator.post("/coord/admin/holidays/1/delete").status_code == 400
    response = as_coordinator.post("/coord/admin/kits/new", data={"name": "偷偷加的"})
    assert response.status_code == 400
    assert count(db, HolidayOverride) == 1 and count(db, EquipmentKit) == 1
