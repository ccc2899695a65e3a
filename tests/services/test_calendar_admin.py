"""Calendar administration through the services: each editable thing, its checks, its audit."""

from dataclasses import replace
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from lectureorder.domain import calendars as cal
from lectureorder.domain.errors import DomainError, ValidationFailed
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
from lectureorder.services import holidays_admin as holidays
from lectureorder.services import scheduling
from lectureorder.services import screenings_admin as screenings


def fields(exc: ValidationFailed | DomainError) -> set[str | None]:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return {e.field for e in errors}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit(db, entity: str) -> list[str]:
    return list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == entity).order_by(AuditEvent.id)))


# --- Markets -----------------------------------------------------------------------------------


def market_data(world, **changes) -> admin.MarketData:
    data = admin.MarketData(name="古城集市（示例）", township_id=world.far.id, calendar="lunar",
                            pattern="digits", cycle="逢二五八")
    return replace(data, **changes)


def test_create_market_stores_the_public_contract(db, world, now, coordinator):
    market = admin.create_market(
        market_data(world, pauses="2027-07-01 – 2027-07-15", spring_festival_days_before=5,
                    spring_festival_days_after=15, missing_30="next"),
        now=now, actor=coordinator)
    db.session.commit()
    assert market.cycle == {"calendar": "lunar", "digits": [2, 5, 8]}
    assert market.pauses == [["2027-07-01", "2027-07-15"]]
    assert (market.spring_festival_days_before, market.spring_festival_days_after) == (5, 15)
    rule = scheduling.market_rule(market)
    assert rule.spring_festival_pause == (5, 15) and rule.missing_30 == "next"
    assert audit(db, "market") == ["create"]


@pytest.mark.parametrize(("changes", "contract"), [
    ({"calendar": "solar", "pattern": "days", "cycle": "1 15"}, {"calendar": "solar", "days": [1, 15]}),
    ({"pattern": "days", "cycle": "初一 十五"}, {"calendar": "lunar", "days": [1, 15]}),
    ({"calendar": "weekday", "cycle": "ignored", "weekdays": (7, 3)},
     {"calendar": "weekday", "weekdays": [3, 7]}),
    ({"cycle": "单日"}, {"calendar": "lunar", "digits": [1, 3, 5, 7, 9]}),
])
def test_update_market_cycle(db, world, now, changes, contract):
    market = admin.update_market(world.market, market_data(world, **changes), now=now)
    db.session.commit()
    assert market.cycle == contract
    assert scheduling.market_rule(market).to_contract() == contract


BAD_MARKETS = [
    ({"cycle": "3 12"}, "cycle"),                      # a last digit runs 0–9
    ({"pattern": "days", "cycle": "0 31"}, "cycle"),   # lunar days run 1–30
    ({"cycle": "xyz"}, "cycle"),
    ({"cycle": ""}, "cycle"),
    ({"cycle": "3 " * 61}, "cycle"),                 # the form's length limit is the domain's
    ({"pauses": "2027-01-01\n" * 200}, "pauses"),
    ({"calendar": "weekday"}, "weekdays"),
    ({"calendar": "weekday", "weekdays": (0, 8)}, "weekdays"),
    ({"calendar": "moon"}, "calendar"),
    ({"pattern": "sometimes"}, "pattern"),
    ({"township_id": 99999}, "township_id"),
    ({"township_id": None}, "township_id"),
    ({"name": "  "}, "name"),
    ({"name": "集" * 81}, "name"),
    ({"closes": time(9, 0)}, "closes"),
    ({"opens": None}, "opens"),
    ({"missing_30": "maybe"}, "missing_30"),
    ({"pauses": "2027-02-01 2027-01-01"}, "pauses"),
    ({"spring_festival_days_before": 61}, "spring_festival_days_before"),
    ({"spring_festival_days_after": -1}, "spring_festival_days_after"),
    ({"lat": 91.0}, "lat"),
]


def test_bad_market_input_names_its_field_and_saves_nothing(db, world, now):
    # One database for the whole table: each case fails before anything is written.
    for changes, field in BAD_MARKETS:
        with pytest.raises((ValidationFailed, DomainError)) as info:
            admin.create_market(market_data(world, **changes), now=now)
        assert field in fields(info.value), changes
        db.session.rollback()
    assert count(db, Market) == 1


def test_several_market_errors_are_reported_at_once(db, world, now):
    with pytest.raises(ValidationFailed) as info:
        admin.create_market(market_data(world, name="", township_id=None, cycle="3 12",
                                        closes=time(8, 0)), now=now)
    assert fields(info.value) == {"name", "township_id", "cycle", "closes"}


def test_a_township_has_one_market_of_a_name(db, world, now):
    data = market_data(world, name=world.market.name, township_id=world.town.id)
    with pytest.raises(ValidationFailed) as info:
        admin.create_market(data, now=now)
    assert fields(info.value) == {"name"}
    admin.update_market(world.market, data, now=now)  # keeping its own name is fine


def test_market_overview_shows_the_next_five_market_days(db, world, now):
    views = admin.market_overview(date(2026, 12, 1))
    assert [v.market.id for v in views] == [world.market.id]
    days = views[0].next_days
    assert len(days) == 5 and days == tuple(sorted(days))
    assert all(cal.lunar_of(d).day % 10 in (3, 6, 9) for d in days)
    assert views[0].rule.describe("zh") == "农历逢三、六、九"


def test_a_broken_stored_cycle_is_shown_not_crashed_on(db, world):
    world.market.cycle = {"calendar": "lunar", "digits": [42]}
    db.session.commit()
    view = admin.market_overview(date(2026, 12, 1))[0]
    assert view.rule is None and view.problem.field == "cycle" and view.next_days == ()
    form = admin.market_form_data(world.market)
    assert form["cycle"] == "42" and form["pattern"] == "digits"


def test_market_form_data_round_trips(db, world, now):
    market = admin.create_market(market_data(world, pattern="days", cycle="初一 十五",
                                             pauses="2027-07-01 – 2027-07-15"), now=now)
    data = admin.market_form_data(market)
    again = admin.MarketData(**{k: v for k, v in data.items() if k != "township_id"},
                             township_id=int(data["township_id"]))
    admin.update_market(market, again, now=now)
    assert market.cycle == {"calendar": "lunar", "days": [1, 15]}
    assert market.pauses == [["2027-07-01", "2027-07-15"]]


# --- School terms ------------------------------------------------------------------------------


def test_terms_add_update_delete(db, world, now, coordinator):
    school = world.school
    term = admin.add_term(school, date(2027, 9, 1), date(2028, 1, 14), now=now, actor=coordinator)
    db.session.commit()
    assert len(school.terms) == 3
    admin.update_term(term, date(2027, 9, 2), date(2028, 1, 16), now=now)  # may overlap itself
    db.session.commit()
    assert (term.first, term.last) == (date(2027, 9, 2), date(2028, 1, 16))
    admin.delete_term(term, now=now)
    db.session.commit()
    assert count(db, SchoolTerm) == 2
    assert audit(db, "school_term") == ["create", "update", "delete"]


BAD_TERMS = [
    (date(2027, 1, 10), date(2027, 2, 20), "first"),   # overlaps autumn 2026 term
    (date(2027, 8, 1), date(2027, 3, 1), "last"),
    (None, date(2027, 3, 1), "first"),
    (date(1800, 9, 1), date(1801, 1, 1), "first"),
]


def test_bad_terms_are_refused(db, world, now):
    for first, last, field in BAD_TERMS:
        with pytest.raises((ValidationFailed, DomainError)) as info:
            admin.add_term(world.school, first, last, now=now)
        assert field in fields(info.value), (first, last)
        db.session.rollback()
    assert count(db, SchoolTerm) == 2


def test_a_term_cannot_be_moved_onto_another(db, world, now):
    autumn, spring = world.school.terms
    with pytest.raises(DomainError) as info:
        admin.update_term(spring, date(2027, 1, 1), date(2027, 7, 10), now=now)
    assert info.value.field == "first" and info.value.params["first"] == "2026-09-01"


# --- Blackouts ---------------------------------------------------------------------------------


def prayer(world, **changes) -> admin.BlackoutData:
    data = admin.BlackoutData(township_id=world.far.id, first=date(2026, 1, 1),
                              last=date(2027, 12, 31), label="主麻日聚礼", weekdays=(5,),
                              start=time(12, 0), end=time(14, 30))
    return replace(data, **changes)


def test_blackouts_create_update_delete(db, world, now):
    b = admin.create_blackout(prayer(world), now=now)
    db.session.commit()
    assert (b.weekdays, b.start, b.end) == ([5], time(12, 0), time(14, 30))
    # It really blocks the Friday midday there and only there.
    ctx = scheduling.place_context("village", world.far_village, date(2026, 12, 4),
                                   date(2026, 12, 4), with_kits=False)
    assert cal.blocked(datetime(2026, 12, 4, 13, 0, tzinfo=cal.TZ),
                       datetime(2026, 12, 4, 13, 30, tzinfo=cal.TZ), ctx.blackouts)
    assert not cal.blocked(datetime(2026, 12, 3, 13, 0, tzinfo=cal.TZ),
                           datetime(2026, 12, 3, 13, 30, tzinfo=cal.TZ), ctx.blackouts)
    admin.update_blackout(b, prayer(world, weekdays=(), start=None, end=None, label="秋收"),
                          now=now)
    db.session.commit()
    assert (b.weekdays, b.start, b.label) == ([], None, "秋收")
    admin.delete_blackout(b, now=now)
    db.session.commit()
    assert count(db, Blackout) == 0
    assert audit(db, "blackout") == ["create", "update", "delete"]


BAD_BLACKOUTS = [
    ({"end": time(11, 0)}, "end"),
    ({"end": None}, "end"),
    ({"start": None}, "start"),
    ({"last": date(2025, 1, 1)}, "last"),
    ({"weekdays": (5, 8)}, "weekdays"),
    ({"township_id": 4242}, "township_id"),
    ({"label": ""}, "label"),
    ({"first": None}, "first"),
]


def test_bad_blackouts_are_refused(db, world, now):
    for changes, field in BAD_BLACKOUTS:
        with pytest.raises(ValidationFailed) as info:
            admin.create_blackout(prayer(world, **changes), now=now)
        assert field in fields(info.value), changes
        db.session.rollback()
    assert count(db, Blackout) == 0


# --- Holiday overrides -------------------------------------------------------------------------


def test_holidays_create_update_delete(db, world, now):
    o = holidays.create_holiday(holidays.HolidayData(date(2027, 2, 20), True, "春节调休"), now=now)
    db.session.commit()
    assert cal.day_status(date(2027, 2, 20), [cal.HolidayOverride(o.day, o.working)]).working
    holidays.update_holiday(o, holidays.HolidayData(date(2027, 2, 20), False, "春节"), now=now)
    db.session.commit()
    assert o.working is False and o.name == "春节"
    holidays.delete_holiday(o, now=now)
    db.session.commit()
    assert count(db, HolidayOverride) == 0
    assert audit(db, "holiday_override") == ["create", "update", "delete"]


BAD_HOLIDAYS = [
    (holidays.HolidayData(date(2027, 1, 1), True, "元旦"), "day"),     # already entered
    (holidays.HolidayData(None, True, "元旦"), "day"),
    (holidays.HolidayData(date(2027, 1, 2), None, "元旦"), "working"),
    (holidays.HolidayData(date(2027, 1, 2), True, ""), "name"),
    (holidays.HolidayData(date(2100, 1, 2), True, "x"), "day"),
]


def test_bad_holidays_are_refused(db, world, now):
    holidays.create_holiday(holidays.HolidayData(date(2027, 1, 1), False, "元旦"), now=now)
    db.session.commit()
    for data, field in BAD_HOLIDAYS:
        with pytest.raises(ValidationFailed) as info:
            holidays.create_holiday(data, now=now)
        assert field in fields(info.value), data
        db.session.rollback()
    assert count(db, HolidayOverride) == 1


def test_the_unpublished_year_is_listed_with_what_to_enter(db, world, now):
    overview = holidays.holiday_overview(date(2026, 12, 1))
    (year,) = [y for y in overview.unpublished if y.year == 2027]
    assert year.first == date(2027, 1, 1) and year.entered == 0
    assert (date(2027, 1, 1), cal.NEW_YEAR) in [(h.day, h.name) for h in year.holidays]
    assert all(not cal.day_status(h.day).confirmed for h in year.holidays)
    assert 2026 not in [y.year for y in overview.unpublished]  # the library knows 2026
    holidays.create_holiday(holidays.HolidayData(date(2027, 1, 1), False, "元旦"), now=now)
    db.session.commit()
    overview = holidays.holiday_overview(date(2026, 12, 1))
    year = next(y for y in overview.unpublished if y.year == 2027)
    assert year.entered == 1 and year.holidays[0].entered.name == "元旦"
    assert overview.rows[0].official.confirmed is False


# --- Film season -------------------------------------------------------------------------------


def test_film_season_is_stored_and_read_by_slot_settings(db, world, now, app):
    app.config["FILM_SEASON_ALL_YEAR"] = False
    assert not scheduling.slot_settings().in_film_season(date(2026, 12, 10))
    assert screenings.film_season_view(False).stored is False
    screenings.save_film_season(screenings.FilmSeasonData(False, 11, 1, 2, 29), now=now)
    db.session.commit()
    settings = scheduling.slot_settings()
    assert settings.in_film_season(date(2026, 12, 10)) and not settings.in_film_season(date(2027, 6, 1))
    screenings.save_film_season(screenings.FilmSeasonData(True, None, None, None, None), now=now)
    db.session.commit()
    assert scheduling.slot_settings().film_season_all_year
    assert count(db, FilmSeason) == 1
    # A stored "not all year" wins over the configured all-year default.
    app.config["FILM_SEASON_ALL_YEAR"] = True
    screenings.save_film_season(screenings.FilmSeasonData(False, 5, 1, 10, 10), now=now)
    db.session.commit()
    assert not scheduling.slot_settings().in_film_season(date(2026, 12, 10))
    assert audit(db, "film_season") == ["update"] * 3


BAD_SEASONS = [
    (screenings.FilmSeasonData(False, 2, 30, 10, 10), "start_day"),
    (screenings.FilmSeasonData(False, 13, 1, 10, 10), "start_month"),
    (screenings.FilmSeasonData(False, 5, 1, None, 10), "end_month"),
    (screenings.FilmSeasonData(False, 5, 1, 10, 0), "end_day"),
]


def test_bad_film_seasons_are_refused(db, now):
    for data, field in BAD_SEASONS:
        with pytest.raises(ValidationFailed) as info:
            screenings.save_film_season(data, now=now)
        assert field in fields(info.value), data
        db.session.rollback()
    assert count(db, FilmSeason) == 0


# --- Kits --------------------------------------------------------------------------------------


def test_kits_create_and_update(db, world, now):
    kit = screenings.create_kit(screenings.KitData("放映车二号", "投影仪 幕布 发电机", world.far.id), now=now)
    db.session.commit()
    assert kit.base_township_id == world.far.id and kit.active
    screenings.update_kit(kit, screenings.KitData("放映车二号", "投影仪", None, active=False), now=now)
    db.session.commit()
    assert (kit.contents, kit.base_township_id, kit.active) == ("投影仪", None, False)
    assert [k.kit_id for k in scheduling.kit_availability(now, now)] == [world.kit.id]
    assert audit(db, "equipment_kit") == ["create", "update"]


BAD_KITS = [
    (screenings.KitData("放映车一号"), "name"),          # the world's kit has this name
    (screenings.KitData(""), "name"),
    (screenings.KitData("x" * 61), "name"),
    (screenings.KitData("新车", "y" * 201), "contents"),
    (screenings.KitData("新车", "", 777), "base_township_id"),
]


def test_bad_kits_are_refused(db, world, now):
    for data, field in BAD_KITS:
        with pytest.raises(ValidationFailed) as info:
            screenings.create_kit(data, now=now)
        assert field in fields(info.value), data
        db.session.rollback()
    assert count(db, EquipmentKit) == 1


def test_broken_stored_rows_still_fill_the_edit_form(db, world):
    for cycle, pauses in (([3, 6, 9], "soon"), ({"calendar": "weekday", "weekdays": "Fri"},
                                                  [["2027-01-01"], "x"]), ("lunar", None)):
        world.market.cycle, world.market.pauses = cycle, pauses
        data = admin.market_form_data(world.market)
        assert isinstance(data["cycle"], str) and isinstance(data["pauses"], str)
        assert admin.market_view(world.market, date(2026, 12, 1)).problem is not None
