"""Rule tables for calendar entries as coordinators type them, and for the one gate every market
rule passes through (the admin form and a stored row get the same answer)."""

from __future__ import annotations

from datetime import date, time

import pytest

from lectureorder.domain import calendar_text as ct
from lectureorder.domain.calendars import MarketRule
from lectureorder.domain.errors import DomainError, ValidationFailed


def message(exc: DomainError) -> str:
    return exc.reason % exc.params if exc.params else exc.reason


def by_field(exc: ValidationFailed) -> dict[str | None, list[str]]:
    out: dict[str | None, list[str]] = {}
    for e in exc.errors:
        out.setdefault(e.field, []).append(message(e))
    return out


def read(calendar="lunar", pattern="digits", cycle="3 6 9", weekdays=(), **policy) -> MarketRule:
    return ct.read_market_rule(calendar, pattern, cycle, weekdays, **policy)


# --- Market days as people write them ----------------------------------------------------------


@pytest.mark.parametrize(("text", "digits"), [
    ("3 6 9", [3, 6, 9]), ("三六九", [3, 6, 9]), ("逢一四七", [1, 4, 7]), ("2,5,8", [2, 5, 8]),
    ("二、五、八", [2, 5, 8]), ("五、十", [5, 0]), ("0 5", [0, 5]), ("单日", [1, 3, 5, 7, 9]),
    ("双", [0, 2, 4, 6, 8]), ("odd", [1, 3, 5, 7, 9]), ("EVEN", [0, 2, 4, 6, 8]), ("12", [12]),
    ("农历逢三、六、九", [3, 6, 9]), ("每逢二五八日", [2, 5, 8]), ("3；6；9。", [3, 6, 9]),
])
def test_last_digits_are_read_the_way_people_write_them(text, digits):
    assert ct.parse_digits(text) == digits


@pytest.mark.parametrize(("text", "days"), [
    ("1 15", [1, 15]), ("初一、十五", [1, 15]), ("初一十五", [1, 15]), ("农历初十 廿三", [10, 23]),
    ("二十六 三十", [26, 30]), ("1日 15号", [1, 15]), ("十", [10]), ("二十", [20]),
    ("廿九", [29]), ("十九 九", [19, 9]), ("每月初五", [5]),
])
def test_day_numbers_are_read_the_way_people_write_them(text, days):
    assert ct.parse_days(text) == days


@pytest.mark.parametrize(("text", "reason", "bad"), [
    ("", ct.NO_DAYS, None),
    ("  ", ct.NO_DAYS, None),
    ("逢", ct.NO_DAYS, None),
    ("abc", ct.NOT_NUMBERS, "abc"),
    ("三六x", ct.NOT_NUMBERS, "x"),
    ("3;6;九九?", ct.NOT_NUMBERS, "?"),
])
def test_garbage_digits_are_refused_on_the_cycle_field(text, reason, bad):
    with pytest.raises(DomainError) as info:
        ct.parse_digits(text)
    assert (info.value.field, info.value.reason, info.value.params.get("text")) == (
        "cycle", reason, bad)


@pytest.mark.parametrize("text", ["x", "  x", "abcx", "三六xx", "3;6;九九?x", "初一 xyz"])
def test_garbage_days_are_refused_on_the_cycle_field(text):
    with pytest.raises(DomainError) as info:
        ct.parse_days(text)
    assert info.value.field == "cycle" and info.value.reason == ct.NOT_NUMBERS


@pytest.mark.parametrize(("args", "contract"), [
    (("lunar", "digits", "逢三六九", ()), {"calendar": "lunar", "digits": [3, 6, 9]}),
    (("lunar", "digits", "9 3 6 3", ()), {"calendar": "lunar", "digits": [3, 6, 9]}),
    (("solar", "days", "15 1", ()), {"calendar": "solar", "days": [1, 15]}),
    (("weekday", "", "ignored", (7, 3, 3)), {"calendar": "weekday", "weekdays": [3, 7]}),
    (("weekday", "nonsense", "", (1,)), {"calendar": "weekday", "weekdays": [1]}),
    (("lunar", "digits", "3 6 9 " * (ct.MAX_CYCLE_TEXT // 6), ()),
     {"calendar": "lunar", "digits": [3, 6, 9]}),
])
def test_cycle_contract_has_the_public_shape(args, contract):
    assert ct.cycle_contract(*args) == contract


@pytest.mark.parametrize(("args", "field"), [
    (("moon", "digits", "3 6 9", ()), "calendar"),
    (("", "digits", "3 6 9", ()), "calendar"),
    (("weekday", "digits", "", ()), "weekdays"),
    (("lunar", "sometimes", "3 6 9", ()), "pattern"),
    (("lunar", "digits", "", ()), "cycle"),
    (("lunar", "digits", "3" * (ct.MAX_CYCLE_TEXT + 1), ()), "cycle"),
    (("weekday", "digits", " " * (ct.MAX_CYCLE_TEXT + 1), (1,)), "cycle"),
])
def test_cycle_contract_names_the_field_at_fault(args, field):
    with pytest.raises(DomainError) as info:
        ct.cycle_contract(*args)
    assert info.value.field == field


@pytest.mark.parametrize(("cycle", "form"), [
    ({"calendar": "lunar", "digits": [3, 6, 9]}, ("lunar", "digits", "3 6 9", [])),
    ({"calendar": "solar", "days": [1, 15]}, ("solar", "days", "1 15", [])),
    ({"calendar": "weekday", "weekdays": [3, 7]}, ("weekday", "digits", "", [3, 7])),
    # Broken rows still fill the form (the gate says what is wrong with them).
    ({"calendar": "lunar", "digits": [42]}, ("lunar", "digits", "42", [])),
    ({"calendar": "weekday", "weekdays": "Fri"}, ("weekday", "digits", "", [])),
    ({"calendar": "weekday", "weekdays": [1, "x"]}, ("weekday", "digits", "", [1])),
    ([3, 6, 9], ("lunar", "digits", "", [])),
    ("lunar", ("lunar", "digits", "", [])),
    (None, ("lunar", "digits", "", [])),
])
def test_cycle_text_fills_the_form_for_any_stored_cycle(cycle, form):
    assert ct.cycle_text(cycle) == form


@pytest.mark.parametrize("contract", [
    {"calendar": "lunar", "digits": [0, 5]}, {"calendar": "lunar", "days": [1, 15, 30]},
    {"calendar": "solar", "days": [31]}, {"calendar": "weekday", "weekdays": [5]},
])
def test_form_text_round_trips_through_the_gate(contract):
    calendar, pattern, text, weekdays = ct.cycle_text(contract)
    assert read(calendar, pattern, text, weekdays).to_contract() == contract


# --- Pauses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "periods"), [
    ("", []),
    ("\n  \n", []),
    ("2027-01-20 – 2027-02-05", [(date(2027, 1, 20), date(2027, 2, 5))]),
    ("2027/7/1", [(date(2027, 7, 1), date(2027, 7, 1))]),
    ("2027年8月1日至2027年8月3日", [(date(2027, 8, 1), date(2027, 8, 3))]),
    ("2027.8.1 to 2027.8.3", [(date(2027, 8, 1), date(2027, 8, 3))]),
    ("2027-09-01 ~ 2027-09-02\n2027-01-01", [(date(2027, 1, 1), date(2027, 1, 1)),
                                             (date(2027, 9, 1), date(2027, 9, 2))]),
])
def test_pauses_one_per_line(text, periods):
    assert ct.parse_pauses(text) == periods


def test_every_bad_pause_line_is_reported_with_its_number():
    with pytest.raises(ValidationFailed) as info:
        ct.parse_pauses("2027-02-05 2027-01-20\nsoon\n2027-02-30\n1800-01-01\n"
                        "2027-01-01 2027-01-02 2027-01-03")
    assert [e.params["line"] for e in info.value.errors] == [1, 2, 3, 4, 5]
    assert {e.field for e in info.value.errors} == {"pauses"}


def test_pauses_text_has_a_length_limit():
    line = "2027-01-20 – 2027-02-05\n"
    assert len(ct.parse_pauses(line * (ct.MAX_PAUSES_TEXT // len(line)))) > 1
    with pytest.raises(ValidationFailed) as info:
        ct.parse_pauses(line * (ct.MAX_PAUSES_TEXT // len(line) + 1))
    (error,) = info.value.errors
    assert (error.field, error.reason, error.params) == ("pauses", ct.TOO_LONG,
                                                         {"max": ct.MAX_PAUSES_TEXT})


@pytest.mark.parametrize(("pauses", "text"), [
    ([["2027-01-01", "2027-01-15"], ["2027-07-01", "2027-07-02"]],
     "2027-01-01 – 2027-01-15\n2027-07-01 – 2027-07-02"),
    ([["2027-01-01"], "x"], "2027-01-01\nx"),
    ("soon", ""),
    (None, ""),
])
def test_pauses_text_fills_the_form_for_any_stored_pauses(pauses, text):
    assert ct.pauses_text(pauses) == text


# --- The one gate ------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({}, {"missing_30": "skip", "pauses": (), "spring_festival_pause": None}),
    ({"missing_30": None}, {"missing_30": "skip"}),
    ({"missing_30": "next"}, {"missing_30": "next"}),
    ({"pauses": [["2027-01-01", "2027-01-15"]]},
     {"pauses": ((date(2027, 1, 1), date(2027, 1, 15)),)}),
    ({"pauses": [(date(2027, 1, 1), date(2027, 1, 15))]},
     {"pauses": ((date(2027, 1, 1), date(2027, 1, 15)),)}),
    ({"pauses": None}, {"pauses": ()}),
    ({"spring_festival_days": (5, 15)}, {"spring_festival_pause": (5, 15)}),
    ({"spring_festival_days": (None, 7)}, {"spring_festival_pause": (0, 7)}),
    ({"spring_festival_days": (3, None)}, {"spring_festival_pause": (3, 0)}),
    ({"spring_festival_days": (0, 0)}, {"spring_festival_pause": (0, 0)}),
    ({"spring_festival_days": (None, 0)}, {"spring_festival_pause": None}),
])
def test_the_gate_reads_a_stored_market_policy(kwargs, expected):
    rule = ct.market_rule({"calendar": "lunar", "digits": [3, 6, 9]}, **kwargs)
    assert rule.digits == {3, 6, 9}
    assert {k: getattr(rule, k) for k in expected} == expected


@pytest.mark.parametrize(("cycle", "kwargs"), [
    ({"calendar": "lunar", "digits": [42]}, {}),
    ({"calendar": "lunar"}, {}),
    ({"calendar": "moon", "digits": [1]}, {}),
    ({"calendar": "weekday", "weekdays": "Fri"}, {}),
    ({"calendar": "weekday", "weekdays": [True]}, {}),
    ({"calendar": "solar", "digits": [1], "days": [1]}, {}),
    ([3, 6, 9], {}),
    ("lunar", {}),
    ({"calendar": "lunar", "digits": [3]}, {"missing_30": "maybe"}),
    ({"calendar": "lunar", "digits": [3]}, {"pauses": "soon"}),
    ({"calendar": "lunar", "digits": [3]}, {"pauses": [["2027-01-01"]]}),
    ({"calendar": "lunar", "digits": [3]}, {"pauses": [["2027-01-01", "never"]]}),
    ({"calendar": "lunar", "digits": [3]}, {"pauses": [[1, 2]]}),
    ({"calendar": "lunar", "digits": [3]}, {"pauses": [["2027-02-01", "2027-01-01"]]}),
    ({"calendar": "lunar", "digits": [3]}, {"spring_festival_days": (61, 0)}),
    ({"calendar": "lunar", "digits": [3]}, {"spring_festival_days": ("5", 0)}),
])
def test_the_gate_refuses_a_broken_stored_market_on_the_cycle(cycle, kwargs):
    with pytest.raises(DomainError) as info:
        ct.market_rule(cycle, **kwargs)
    assert info.value.field == "cycle"


def test_the_gate_is_market_rule_from_contract():
    contract = {"calendar": "solar", "days": [1, 15]}
    assert ct.market_rule(contract, missing_30="next", spring_festival_days=(2, 3)) == \
        MarketRule.from_contract(contract, missing_30="next", spring_festival_pause=(2, 3))


# --- The form through the same gate ------------------------------------------------------------


def test_the_form_gives_a_full_rule():
    rule = read("lunar", "days", "初一 十五", missing_30="next",
                pauses="2027-07-01 – 2027-07-15", spring_festival_days=(5, None))
    assert rule == MarketRule("lunar", days=frozenset({1, 15}), missing_30="next",
                              pauses=((date(2027, 7, 1), date(2027, 7, 15)),),
                              spring_festival_pause=(5, 0))
    assert read(spring_festival_days=(None, None)).spring_festival_pause is None


@pytest.mark.parametrize(("kwargs", "fields"), [
    ({"cycle": "3 12"}, {"cycle"}),
    ({"pattern": "days", "cycle": "0 31"}, {"cycle"}),
    ({"calendar": "solar", "pattern": "days", "cycle": "32"}, {"cycle"}),
    ({"cycle": "xyz"}, {"cycle"}),
    ({"cycle": ""}, {"cycle"}),
    ({"cycle": "3" * 121}, {"cycle"}),
    ({"calendar": "weekday"}, {"weekdays"}),
    ({"calendar": "weekday", "weekdays": (0, 8)}, {"weekdays"}),
    ({"calendar": "moon"}, {"calendar"}),
    ({"pattern": "sometimes"}, {"pattern"}),
    ({"missing_30": "maybe"}, {"missing_30"}),
    ({"pauses": "2027-02-01 2027-01-01"}, {"pauses"}),
    ({"spring_festival_days": (61, None)}, {"spring_festival_days_before"}),
    ({"spring_festival_days": (None, -1)}, {"spring_festival_days_after"}),
    ({"spring_festival_days": (True, 2)}, {"spring_festival_days_before"}),
    ({"cycle": "3 12", "missing_30": "maybe", "pauses": "soon", "spring_festival_days": (0, 99)},
     {"cycle", "missing_30", "pauses", "spring_festival_days_after"}),
])
def test_bad_form_rules_name_every_field_at_once(kwargs, fields):
    with pytest.raises(ValidationFailed) as info:
        read(**kwargs)
    assert set(by_field(info.value)) == fields


# The same cycle typed into the form and found in a stored row: one gate, one message.
SAME_BAD_CYCLES = [
    (("lunar", "digits", "3 12", ()), {"calendar": "lunar", "digits": [3, 12]}),
    (("lunar", "digits", "逢三 42", ()), {"calendar": "lunar", "digits": [3, 42]}),
    (("lunar", "days", "初一 31", ()), {"calendar": "lunar", "days": [1, 31]}),
    (("lunar", "days", "0 15", ()), {"calendar": "lunar", "days": [0, 15]}),
    (("solar", "days", "32", ()), {"calendar": "solar", "days": [32]}),
    (("weekday", "digits", "", (0, 8)), {"calendar": "weekday", "weekdays": [0, 8]}),
    (("weekday", "digits", "", (8,)), {"calendar": "weekday", "weekdays": [8]}),
]


@pytest.mark.parametrize(("form", "stored"), SAME_BAD_CYCLES)
def test_the_form_and_a_stored_row_get_the_same_message(form, stored):
    with pytest.raises(ValidationFailed) as typed:
        read(*form)
    with pytest.raises(DomainError) as kept:
        ct.market_rule(stored)
    field = "weekdays" if form[0] == "weekday" else "cycle"
    assert by_field(typed.value) == {field: [message(kept.value)]}
    with pytest.raises(DomainError) as direct:
        MarketRule.from_contract(stored)
    assert message(direct.value) == message(kept.value)


# --- Fields ------------------------------------------------------------------------------------


def run(check, *args, **kwargs):
    errors: list[DomainError] = []
    value = check(*args, errors, **kwargs)
    return value, [(e.field, e.reason) for e in errors]


@pytest.mark.parametrize(("value", "required", "result", "reasons"), [
    ("  集市 ", True, "集市", []),
    (None, True, "", [("name", ct.REQUIRED_NAME)]),
    ("   ", True, "", [("name", ct.REQUIRED_NAME)]),
    ("", False, "", []),
    ("x" * 5, True, "xxxxx", []),
    ("x" * 6, True, "xxxxxx", [("name", ct.TOO_LONG)]),
    ("x" * 6, False, "xxxxxx", [("name", ct.TOO_LONG)]),
])
def test_check_text(value, required, result, reasons):
    assert run(ct.check_text, value, "name", 5, required=required) == (result, reasons)


@pytest.mark.parametrize(("value", "result", "reasons"), [
    (date(2027, 1, 1), date(2027, 1, 1), []),
    (None, None, [("day", ct.REQUIRED_DATE)]),
    (date(1900, 12, 31), None, [("day", ct.OUT_OF_RANGE)]),
    (date(2100, 1, 1), None, [("day", ct.OUT_OF_RANGE)]),
    (date(1901, 1, 1), date(1901, 1, 1), []),
])
def test_check_day(value, result, reasons):
    assert run(ct.check_day, value, "day") == (result, reasons)


@pytest.mark.parametrize(("first", "last", "reasons"), [
    (date(2027, 1, 1), date(2027, 1, 1), []),
    (date(2027, 1, 2), date(2027, 1, 1), [("last", ct.LAST_BEFORE_FIRST)]),
    (None, None, [("first", ct.REQUIRED_DATE), ("last", ct.REQUIRED_DATE)]),
    (date(1800, 1, 1), date(1700, 1, 1), [("first", ct.OUT_OF_RANGE), ("last", ct.OUT_OF_RANGE)]),
])
def test_check_period(first, last, reasons):
    assert run(ct.check_period, first, last)[1] == reasons


@pytest.mark.parametrize(("values", "result", "ok"), [
    ((5, 1, 5), [1, 5], True), ((), [], True), ((0,), [], False), ((8, 1), [], False),
    ((True,), [], False), (("5",), [], False),
])
def test_check_weekdays(values, result, ok):
    value, reasons = run(ct.check_weekdays, values, "weekdays")
    assert value == result and (reasons == []) == ok


@pytest.mark.parametrize(("start", "end", "fields"), [
    (None, None, []), (time(12), time(14), []), (time(12), None, ["end"]),
    (None, time(14), ["start"]), (time(14), time(12), ["end"]), (time(12), time(12), ["end"]),
])
def test_check_time_span(start, end, fields):
    assert [f for f, _ in run(ct.check_time_span, start, end)[1]] == fields


@pytest.mark.parametrize(("opens", "closes", "fields"), [
    (time(9, 30), time(12), []), (None, time(12), ["opens"]), (time(9), None, ["closes"]),
    (None, None, ["opens", "closes"]), (time(12), time(9), ["closes"]),
])
def test_check_hours(opens, closes, fields):
    assert [f for f, _ in run(ct.check_hours, opens, closes)[1]] == fields


@pytest.mark.parametrize(("lat", "lon", "fields"), [
    (None, None, []), (36.5, 101.7, []), (90.0, -180.0, []), (91.0, 0.0, ["lat"]),
    (0.0, 180.5, ["lon"]), (-90.5, -181.0, ["lat", "lon"]),
])
def test_check_coordinates(lat, lon, fields):
    assert [f for f, _ in run(ct.check_coordinates, lat, lon)[1]] == fields


@pytest.mark.parametrize(("month", "day", "result", "fields"), [
    (5, 1, (5, 1), []), (2, 29, (2, 29), []), (2, 30, None, ["start_day"]),
    (4, 31, None, ["start_day"]), (13, 1, None, ["start_month"]), (None, 1, None, ["start_month"]),
    (5, 0, None, ["start_day"]), (0, 0, None, ["start_month", "start_day"]),
    (True, 1, None, ["start_month"]),
])
def test_month_day(month, day, result, fields):
    value, reasons = run(ct.month_day, month, day, "start")
    assert value == result and [f for f, _ in reasons] == fields
