"""The coordinator calendar, a member's schedule and the JSON calendar feed: pages, filters,
access, bad input, and a constant number of queries however many sessions there are."""

import re
from datetime import date, datetime

import pytest

from lectureorder.models import EquipmentKit
from tests.calendar_builders import TEMPLATE_CACHE, add_session, add_waiting_order, bulk_sessions
from tests.helpers import PASSWORD, local_dt, login

VIEWS = ["month", "week", "agenda"]


@pytest.fixture(autouse=True)
def compiled_templates(app):
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE


@pytest.fixture
def team(db, world, make_member):
    a = make_member(name="马建国")
    b = make_member(name="韩晓梅")
    return a, b


@pytest.fixture
def sessions(db, world, team, make_member):
    """A field class and a clashing one, a film in the far township, a delivered and a
    cancelled session, and an order waiting for the coordinator: all in the week of 3 Dec.
    The clash is ``a`` helping at another talk meanwhile (PostgreSQL refuses two overlapping
    sessions led by one member; a helper's clash can be stored on both databases)."""
    a, b = team
    c = make_member(name="王晓燕")
    return {
        "field": add_session(db, world, a, local_dt(date(2026, 12, 3), 9), topics=("two_cards",)),
        "clash": add_session(db, world, c, local_dt(date(2026, 12, 3), 10), helpers=[a]),
        "film": add_session(db, world, b, local_dt(date(2026, 12, 4), 19), fmt="mobile_film",
                            kit=world.kit, township=world.far, venue="西沟村（示例）"),
        "delivered": add_session(db, world, b, local_dt(date(2026, 12, 2), 9), status="delivered",
                                 fmt="school_talk", topics=("campus_bullying",)),
        "cancelled": add_session(db, world, b, local_dt(date(2026, 12, 5), 9), status="cancelled",
                                 fmt="market_talk"),
        "waiting": add_waiting_order(db, world, date(2026, 12, 3), date(2026, 12, 6)),
    }


def codes(page: str) -> set[str]:
    return set(re.findall(r'href="/coord/orders/([A-Z0-9]+)"', page))


def code(s) -> str:
    return s.order.code


# ------------------------------------------------------------------------------------ access

COORD_ONLY = ["/coord/calendar", "/coord/feed"]
MEMBER_ONLY = ["/member/schedule", "/member/feed"]


@pytest.mark.parametrize("url", COORD_ONLY + MEMBER_ONLY)
def test_anonymous_is_sent_to_login(client, world, url):
    methods = (client.get, client.post) if url.endswith("/feed") else (client.get,)
    for method in methods:
        response = method(url)
        assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize("url", COORD_ONLY)
def test_members_cannot_see_the_coordinator_calendar(client, team, url):
    login(client, team[0].user.username)
    assert client.get(url).status_code == 403
    if url.endswith("/feed"):
        assert client.post(url, data={"create": "1"}).status_code == 403


@pytest.mark.parametrize("url", MEMBER_ONLY)
def test_coordinators_have_no_member_schedule(client, coordinator, world, url):
    login(client, coordinator.username)
    assert client.get(url).status_code == 403
    if url.endswith("/feed"):
        assert client.post(url, data={"create": "1"}).status_code == 403


# ------------------------------------------------------------------------- coordinator calendar

FILTER_SETS = {
    "none": ({}, {"field", "clash", "film", "delivered"}),
    "township": ({"township": "far"}, {"film"}),
    "format": ({"format": "mobile_film"}, {"film"}),
    "topic": ({"topic": "two_cards"}, {"field"}),
    "member": ({"member": "b"}, {"film", "delivered"}),
    "status": ({"status": "cancelled"}, {"cancelled"}),
    "any-status": ({"status": "any"}, {"field", "clash", "film", "delivered", "cancelled"}),
    "combined": ({"member": "b", "format": "school_talk", "status": "delivered"}, {"delivered"}),
    "nothing": ({"township": "far", "format": "school_talk"}, set()),
}


def resolve(args, world, team):
    values = {"far": str(world.far.id), "b": str(team[1].id)}
    return {k: values.get(v, v) for k, v in args.items()}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("name", FILTER_SETS)
def test_every_view_renders_every_filter(client, coordinator, world, team, sessions, frozen_now,
                                         view, name):
    args, expected = FILTER_SETS[name]
    login(client, coordinator.username)
    response = client.get("/coord/calendar", query_string={
        "view": view, "date": "2026-12-02", **resolve(args, world, team)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The agenda starts on its date; week and month both contain 2–5 December.
    assert codes(page) >= {code(sessions[k]) for k in expected}
    assert codes(page) - {sessions["waiting"].code} == {code(sessions[k]) for k in expected}
    assert 'class="flash' not in page  # every filter was understood
    # Filters survive the page links (prev/next/today and the view switch).
    for key, value in resolve(args, world, team).items():
        assert re.search(rf'rel="next" href="[^"]*{key}={value}', page)


def test_month_shows_labels_flags_and_links(client, coordinator, world, sessions, frozen_now):
    login(client, coordinator.username)
    page = client.get("/coord/calendar?view=month&date=2026-12-03&lang=en").get_data(as_text=True)
    assert "Calendar: December 2026" in page
    assert f'href="/coord/orders/{code(sessions["field"])}"' in page
    # Coloured by format, always with the format's name next to the colour.
    assert '<span class="tag tag-mobile_film">Mobile film screening</span>' in page
    assert "Clash: the team member has another session then" in page
    assert "2 sessions clash" in page and "1 order waiting" in page
    assert f'href="/coord/orders/{sessions["waiting"].code}"' in page
    assert "Market day: 三合集市（示例）" in page
    assert "Lunar 10/25" in page  # 3 December 2026 is the 25th of the tenth lunar month
    # 2027 is not announced yet: New Year's Day shows as an estimate.
    assert "Holiday: New Year&#39;s Day" in page or "Holiday: New Year's Day" in page
    assert "Holiday schedule not yet announced" in page
    assert 'rel="prev" href="/coord/calendar?view=month&amp;date=2026-11-01"' in page
    assert 'rel="next" href="/coord/calendar?view=month&amp;date=2027-01-01"' in page
    assert 'href="/coord/calendar?view=month&amp;date=2026-12-01">Today' in page
    assert "13800001234" not in page and "138****" not in page


def test_month_in_chinese_shows_the_lunar_day(client, coordinator, world, sessions, frozen_now):
    login(client, coordinator.username)
    page = client.get("/coord/calendar?date=2026-12-03").get_data(as_text=True)
    assert "2026年12月" in page and "十月廿五" in page and "集市宣讲" in page
    # Format names follow each request's language (none is frozen into the compiled template).
    english = client.get("/coord/calendar?date=2026-12-03&lang=en").get_data(as_text=True)
    assert '<span class="tag tag-market_talk">Market-day talk</span>' in english


def test_week_and_agenda_navigation(client, coordinator, world, sessions, frozen_now):
    login(client, coordinator.username)
    week = client.get("/coord/calendar?view=week&date=2026-12-03").get_data(as_text=True)
    assert 'rel="next" href="/coord/calendar?view=week&amp;date=2026-12-07"' in week
    agenda = client.get("/coord/calendar?view=agenda&date=2026-12-03").get_data(as_text=True)
    assert 'rel="prev" href="/coord/calendar?view=agenda&amp;date=2026-11-19"' in agenda


def test_busy_month_cells_link_to_the_rest(client, coordinator, db, world, make_member, frozen_now):
    for i in range(6):
        add_session(db, world, make_member(name=f"队员{i}"), local_dt(date(2026, 12, 8), 8 + i))
    login(client, coordinator.username)
    page = client.get("/coord/calendar?date=2026-12-08&format=field_class").get_data(as_text=True)
    assert len(codes(page)) == 4
    # "+2 more" in English, "另有 2 场" in Chinese: the link and the number are what matter
    more = re.search(r'class="cal-more" href="([^"]+)">([^<]*)<', page)
    assert more.group(1) == "/coord/calendar?view=agenda&amp;date=2026-12-08&amp;format=field_class"
    assert "2" in more.group(2)


@pytest.mark.parametrize(("query", "message"), [
    ("date=2026-02-30", "“2026-02-30” is not a date like 2026-12-05; showing today."),
    ("date=<script>", "“&lt;script&gt;” is not a date like 2026-12-05; showing today."),
    ("date=1066-10-14", "Please choose a date between 2000-01-01 and 2098-12-31; showing today."),
    ("view=year", "Unknown calendar view."),
    ("township=abc", "Unknown township; that filter was ignored."),
    ("township=999", "Unknown township; that filter was ignored."),
    ("member=999", "Unknown team member; that filter was ignored."),
    ("topic=nope", "Unknown talk; that filter was ignored."),
    ("format=opera", "Unknown format; that filter was ignored."),
    ("status=lost", "Unknown status; that filter was ignored."),
])
def test_bad_input_is_explained_not_a_500(client, coordinator, world, frozen_now, query, message):
    login(client, coordinator.username)
    response = client.get(f"/coord/calendar?{query}&lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "<script>" not in page
    assert "Calendar: December 2026" in page  # today's month


# ----------------------------------------------------------------------------- member schedule

@pytest.mark.parametrize("view", ["week", "month"])
def test_a_member_sees_only_their_own_sessions(client, team, sessions, frozen_now, view):
    a, b = team
    login(client, a.user.username)
    response = client.get(f"/member/schedule?view={view}&date=2026-12-03&member={b.id}&lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/coord/orders/" not in page  # members do not get coordinator links
    assert "member=" not in page  # and their page links carry no filters
    assert page.count('class="cal-item ') == 2  # a's two (clashing) field classes, nothing of b's
    assert "西沟村" not in page and "韩晓梅" not in page
    assert "My schedule" in page and "Clash: the team member has another session then" in page


def test_member_schedule_offers_the_delivery_record(client, db, world, team, frozen_now, now):
    a, _ = team
    add_session(db, world, a, local_dt(date(2026, 11, 30), 9))  # started before `now`
    login(client, a.user.username)
    page = client.get("/member/schedule?view=week&date=2026-12-01").get_data(as_text=True)
    assert "/member/sessions/" in page and "/delivery" in page


def test_member_schedule_bad_date(client, team, frozen_now):
    login(client, team[0].user.username)
    response = client.get("/member/schedule?view=agenda&date=tomorrow&lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "is not a date like 2026-12-05" in page and "Unknown calendar view." in page


# ----------------------------------------------------------------------------- JSON feed

def api_token(client, username):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_json_feed_shape(client, coordinator, world, team, sessions):
    headers = api_token(client, coordinator.username)
    response = client.get("/api/v1/sessions?from=2026-12-01&to=2026-12-31", headers=headers)
    assert response.status_code == 200
    rows = response.get_json()
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {s.id for k, s in sessions.items() if k != "waiting"}
    film = by_id[sessions["film"].id]
    assert film == {
        "id": sessions["film"].id, "start": "2026-12-04T19:00:00+08:00",
        "end": "2026-12-04T20:30:00+08:00", "status": "scheduled", "format": "mobile_film",
        "venue": "西沟村（示例）", "township": {"id": world.far.id, "name": "洪水泉回族乡"},
        "member": {"id": team[1].id, "name": "韩晓梅"},
        "kit": {"id": world.kit.id, "name": "放映车一号"},
        "order_code": code(sessions["film"]), "topics": ["anti_fraud"],
    }
    assert datetime.fromisoformat(film["start"]) == sessions["film"].start
    assert by_id[sessions["cancelled"].id]["status"] == "cancelled"
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    assert "13800001234" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "fields"), [
    ("", {"from", "to"}),
    ("from=2026-12-01", {"to"}),
    ("from=2026-12-01&to=31.12.2026", {"to"}),
    ("from=tomorrow&to=2026-12-31", {"from"}),
    ("from=2026-12-31&to=2026-12-01", {"to"}),
    ("from=2026-01-01&to=2027-01-02", {"to"}),
    ("from=0001-01-01&to=9999-12-31", {"from", "to"}),
])
def test_json_feed_bad_dates_are_422(client, coordinator, world, query, fields):
    headers = api_token(client, coordinator.username)
    response = client.get(f"/api/v1/sessions?{query}", headers=headers)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == fields


def test_json_feed_is_for_coordinators(client, team, world):
    assert client.get("/api/v1/sessions?from=2026-12-01&to=2026-12-31").status_code == 401
    headers = api_token(client, team[0].user.username)
    response = client.get("/api/v1/sessions?from=2026-12-01&to=2026-12-31", headers=headers)
    assert response.status_code == 403


def test_openapi_documents_the_feed(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/sessions"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"from", "to"}
    assert op["security"] and "422" in op["responses"]


# ------------------------------------------------------------------------------ query counts

@pytest.fixture
def busy_world(db, world, make_member):
    members = [make_member(name=f"队员{i:02d}") for i in range(12)]
    kits = [world.kit] + [EquipmentKit(name=f"放映车{i}") for i in range(2, 4)]
    db.session.add_all(kits[1:])
    db.session.commit()
    return members, kits


def month_queries(client, count_queries, url):
    client.get(url)  # warm-up: first-request caches are not what we measure
    with count_queries() as n:
        response = client.get(url)
    assert response.status_code == 200
    return n(), response


@pytest.mark.parametrize("url", [
    "/coord/calendar?view=month&date=2026-12-01",
    "/coord/calendar?view=month&date=2026-12-01&format=mobile_film&status=any",
    "/coord/calendar?view=week&date=2026-12-07",
])
def test_calendar_queries_do_not_grow_with_sessions(client, coordinator, db, world, busy_world,
                                                    count_queries, frozen_now, url):
    members, kits = busy_world
    add_waiting_order(db, world, date(2026, 12, 3), date(2026, 12, 9))
    login(client, coordinator.username)
    bulk_sessions(db, world, members, 50, date(2026, 12, 1), kits=kits)
    small, _ = month_queries(client, count_queries, url)
    bulk_sessions(db, world, members, 450, date(2026, 12, 1), kits=kits)
    big, response = month_queries(client, count_queries, url)
    assert small == big, (small, big)
    assert big <= 12
    assert len(codes(response.get_data(as_text=True))) >= 8


def test_json_feed_queries_do_not_grow_with_sessions(client, coordinator, db, world, busy_world,
                                                     count_queries):
    members, kits = busy_world
    headers = api_token(client, coordinator.username)
    url = "/api/v1/sessions?from=2026-12-01&to=2026-12-31"
    counts = []
    for n in (50, 450):
        bulk_sessions(db, world, members, n, date(2026, 12, 1), kits=kits)
        with count_queries() as queries:
            response = client.get(url, headers=headers)
        counts.append((queries(), len(response.get_json())))
    assert [c[1] for c in counts] == [50, 500]
    assert counts[0][0] == counts[1][0], counts


def test_agenda_of_many_sessions_lists_them_all(client, coordinator, db, world, busy_world,
                                                frozen_now):
    members, kits = busy_world
    bulk_sessions(db, world, members, 120, date(2026, 12, 1), days=7, kits=kits)
    login(client, coordinator.username)
    page = client.get("/coord/calendar?view=agenda&date=2026-12-01").get_data(as_text=True)
    assert len(codes(page)) == 120

