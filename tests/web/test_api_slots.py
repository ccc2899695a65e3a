"""GET /api/v1/slots says when it cut the list (limit, Link rel=next, provisional slots), and
GET /api/v1/places carries each market's whole rule."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from lectureorder.domain.calendars import TZ

SLOTS = "/api/v1/slots?format={fmt}&place_kind={kind}&place_id={id}&from={first}&to={last}"


def _url(world, fmt="field_class", first="2026-12-02", last="2026-12-31", **extra) -> str:
    kind, place = {"field_class": ("village", world.village), "school_talk": ("school", world.school),
                   "market_talk": ("market", world.market)}[fmt]
    url = SLOTS.format(fmt=fmt, kind=kind, id=place.id, first=first, last=last)
    return url + "".join(f"&{k}={v}" for k, v in extra.items())


def _next(response) -> str | None:
    link = response.headers.get("Link")
    if link is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
    assert match, link
    return match.group(1)


def test_the_answer_is_still_a_plain_list_with_no_link_when_nothing_was_cut(client, world, frozen_now):
    # 2 field classes a day, 2 to 7 December: exactly the default cut of 12, and nothing more.
    response = client.get(_url(world, last="2026-12-07"))
    slots = response.get_json()
    assert response.status_code == 200 and isinstance(slots, list) and len(slots) == 12
    assert "Link" not in response.headers
    assert set(slots[0]) == {"start", "end", "label", "notes"}  # today's keys, no provisional


def test_a_cut_list_links_to_the_rest_and_the_pages_add_up(client, world, frozen_now):
    whole = client.get(_url(world, limit=60)).get_json()
    assert len(whole) == 60  # 30 days of two field classes, 2 to 31 December

    response = client.get(_url(world))
    pages = [response.get_json()]
    assert len(pages[0]) == 12  # the default cut
    url = _next(response)
    assert url and url.startswith("/api/v1/slots?")
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        pages.append(response.get_json())
        url = _next(response)
    assert [len(p) for p in pages] == [12, 12, 12, 12, 12]
    assert [s["start"] for p in pages for s in p] == [s["start"] for s in whole]


@pytest.mark.parametrize("limit, sizes", [(7, [7, 7, 7, 7, 7, 7, 7, 7, 4]), (59, [59, 1]),
                                          (60, [60]), (25, [25, 25, 10])])
def test_limit_sets_the_page_size(client, world, frozen_now, limit, sizes):
    response = client.get(_url(world, limit=limit))
    got = [len(response.get_json())]
    while (url := _next(response)) is not None:
        assert f"limit={limit}" in url
        response = client.get(url)
        got.append(len(response.get_json()))
    assert got == sizes


def test_the_next_link_starts_after_the_last_slot(client, world, frozen_now):
    response = client.get(_url(world, limit=3))
    slots = response.get_json()
    url = _next(response)
    following = client.get(url).get_json()
    assert datetime.fromisoformat(following[0]["start"]) > datetime.fromisoformat(slots[-1]["start"])
    # The cursor survives the URL: the "+08:00" offset is escaped, not turned into a space.
    assert "from=2026-12-03&" in url and "after=2026-12-03T09:30:00%2B08:00" in url


@pytest.mark.parametrize("value", ["0", "61", "-1", "abc", "", "2.5"])
def test_a_bad_limit_is_422(client, world, frozen_now, value):
    response = client.get(_url(world) + f"&limit={value}")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["limit"]


@pytest.mark.parametrize("value", ["tomorrow", "", "2026-12-40T09:00:00+08:00"])
def test_a_bad_cursor_is_422(client, world, frozen_now, value):
    response = client.get(_url(world) + f"&after={value}")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["after"]


def test_a_cursor_past_the_window_gives_an_empty_list(client, world, frozen_now):
    response = client.get(_url(world, last="2026-12-05", after="2026-12-10T00:00:00%2B08:00"))
    assert response.status_code == 200 and response.get_json() == []
    assert "Link" not in response.headers


def test_a_bad_window_is_still_422_with_a_cursor(client, world, frozen_now):
    response = client.get(_url(world, first="2026-12-09", last="2026-12-01",
                               after="2026-12-05T00:00:00%2B08:00"))
    assert response.status_code == 422


def test_slots_in_an_unpublished_year_are_marked_provisional(client, world, frozen_now):
    # The school's spring term 2027 (1 March to 10 July): ordering a talk for it is possible.
    spring = client.get(_url(world, "school_talk", "2027-03-01", "2027-03-05")).get_json()
    assert spring and all(s["provisional"] is True for s in spring)
    assert all(s["label"].endswith("（待定）") for s in spring)
    english = client.get(_url(world, "school_talk", "2027-03-01", "2027-03-05"),
                         headers={"Accept-Language": "en"}).get_json()
    assert all(s["label"].endswith(" (provisional)") for s in english)
    december = client.get(_url(world, "school_talk", "2026-12-07", "2026-12-11")).get_json()
    assert december and all("provisional" not in s for s in december)
    assert not any("待定" in s["label"] for s in december)


def test_a_window_across_new_year_marks_only_2027(client, world, frozen_now):
    slots = client.get(_url(world, first="2026-12-31", last="2027-01-01")).get_json()
    assert [(s["start"][:10], s.get("provisional", False)) for s in slots] == [
        ("2026-12-31", False), ("2026-12-31", False), ("2027-01-01", True), ("2027-01-01", True)]


def test_no_school_talk_in_the_2027_national_day_week(client, world, frozen_now, db):
    world.school.terms[-1].last = date(2027, 10, 31)
    db.session.commit()
    slots = client.get(_url(world, "school_talk", "2027-09-28", "2027-10-12", limit=60)).get_json()
    days = sorted({datetime.fromisoformat(s["start"]).astimezone(TZ).date() for s in slots})
    assert days == [date(2027, 9, 28), date(2027, 9, 29), date(2027, 9, 30),
                    date(2027, 10, 8), date(2027, 10, 11), date(2027, 10, 12)]


def test_the_slots_endpoint_is_documented(client, app):
    app.config["SLOT_MIN_LEAD_HOURS"] = 12  # the shipped default (the tests run with none)
    doc = client.get("/api/v1/openapi.json").get_json()
    get = doc["paths"]["/slots"]["get"]
    params = {p["name"]: p for p in get["parameters"]}
    assert params["limit"]["required"] is False
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 60,
                                         "default": 12}
    assert params["after"]["schema"]["format"] == "date-time"
    assert "Link" in get["responses"]["200"]["headers"]
    for fact in ("120 days", "12 hours", 'rel="next"', "`limit`"):
        assert fact in get["description"], fact
    slot = doc["components"]["schemas"]["Slot"]["properties"]
    assert slot["provisional"]["type"] == "boolean" and "放假安排未公布" in slot["provisional"]["description"]


# --- Places: the whole market rule --------------------------------------------------------------


def test_markets_carry_their_whole_rule(client, world, db):
    world.market.missing_30 = "next"
    world.market.pauses = [["2027-01-25", "2027-02-20"]]
    world.market.spring_festival_days_before = 5
    world.market.spring_festival_days_after = 15
    db.session.commit()
    data = client.get("/api/v1/places").get_json()
    town = next(t for t in data["townships"] if t["id"] == world.town.id)
    market = town["markets"][0]
    # Today's keys stay as they were.
    assert market["cycle"] == {"calendar": "lunar", "digits": [3, 6, 9]}
    assert (market["opens"], market["closes"]) == ("09:30", "12:00")
    assert market["missing_30"] == "next"
    assert market["pauses"] == [{"first": "2027-01-25", "last": "2027-02-20"}]
    assert market["spring_festival_pause"] == {"days_before": 5, "days_after": 15}
    assert market["description"] == "农历逢三、六、九，春节前5天至后15天休集"
    english = client.get("/api/v1/places", headers={"Accept-Language": "en"}).get_json()
    assert english["townships"][0]["markets"][0]["description"].startswith("lunar days ending in 3, 6, 9")


def test_a_market_without_a_policy_says_so(client, world):
    market = client.get("/api/v1/places").get_json()["townships"][0]["markets"][0]
    assert market["missing_30"] == "skip"
    assert market["pauses"] == [] and market["spring_festival_pause"] is None


def test_the_market_rule_is_documented(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    market = doc["components"]["schemas"]["Market"]
    assert {"cycle", "missing_30", "pauses", "spring_festival_pause"} <= set(market["required"])
    assert market["properties"]["missing_30"]["enum"] == ["skip", "next"]
    places = doc["paths"]["/places"]["get"]["responses"]["200"]["content"]["application/json"]
    township = places["schema"]["properties"]["townships"]["items"]["properties"]
    assert township["markets"]["items"] == {"$ref": "#/components/schemas/Market"}
