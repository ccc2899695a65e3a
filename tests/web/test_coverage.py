"""Coverage (/coord/coverage and GET /api/v1/coverage): access, the map and its table, the
"not reached" list, filters, and figures equal to the reports' for the same period."""

import re
from datetime import date
from pathlib import Path

import pytest

from lectureorder.extensions import db as _db
from lectureorder.models import Village
from lectureorder.services import reach
from lectureorder.services import reports as report_service
from lectureorder.services.clock import now_utc
from tests.helpers import login
from tests.report_data import at, make_order, make_session
from tests.web.test_access import token_for

ROOT = Path(__file__).resolve().parents[2]
YEAR = "from=2026-01-01&to=2026-12-31"


def at_place(order, kind, place):
    """make_order puts an order in a village; move it to a school or market."""
    order.place_kind = kind
    order.village_id = None
    setattr(order, f"{kind}_id", place.id)
    return order


@pytest.fixture
def reached(db, world, make_member, frozen_now):
    """Today is 2026-12-01. The village: talks on 1 Oct (2 months ago, 60 people) and in 2025;
    the school: one talk on 10 Mar 2026; the far village and the market: never. Plus a session
    with no order (30 people) and a scheduled one that never counts."""
    a = make_member("马建国")
    b = make_member("李海龙")
    o1 = make_order(db, world, created=at(date(2026, 9, 20), 9), status="closed")
    make_session(db, world, a, order=o1, start=at(date(2026, 10, 1), 10), headcount=60,
                 rating=5, helpers=[b])
    o2 = make_order(db, world, created=at(date(2025, 4, 1), 9), status="closed",
                    topics=("traffic_safety",))
    make_session(db, world, b, order=o2, start=at(date(2025, 4, 20), 10), headcount=45)
    o3 = at_place(make_order(db, world, created=at(date(2026, 3, 1), 9), status="delivered",
                             topics=("campus_bullying",), fmt="school_talk"),
                  "school", world.school)
    make_session(db, world, a, order=o3, start=at(date(2026, 3, 10), 10), headcount=200)
    make_session(db, world, b, start=at(date(2026, 6, 5), 10), headcount=30)   # no order
    o4 = make_order(db, world, created=at(date(2026, 11, 25), 9), status="scheduled")
    make_session(db, world, a, order=o4, start=at(date(2026, 12, 5), 10), status="scheduled")
    db.session.commit()
    return {"a": a, "b": b}


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def row(html, kind, pid):
    match = re.search(rf'<tr id="place-{kind}-{pid}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, (kind, pid)
    return match.group(0)


def cells(row_html):
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row_html, re.S)]


def dot(html, kind, pid):
    match = re.search(rf'data-testid="dot-{kind}-{pid}">\s*<circle class="dot ([^"]+)"[^>]*>'
                      r"<title>(.*?)</title>", html, re.S)
    assert match, (kind, pid)
    return match.group(1), match.group(2)


# --- Access ------------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/coord/coverage")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_members_cannot_open_coverage(client, make_member):
    member = make_member()
    login(client, member.user.username)
    assert client.get("/coord/coverage").status_code == 403


def test_api_needs_a_coordinator_token(client, make_member, coordinator):
    assert client.get("/api/v1/coverage").status_code == 401
    login(client, coordinator.username)  # the session cookie is not a token
    assert client.get("/api/v1/coverage").status_code == 401
    member = make_member()
    assert client.get("/api/v1/coverage",
                      headers=token_for(client, member.user.username)).status_code == 403
    assert client.get("/api/v1/coverage",
                      headers=token_for(client, coordinator.username)).status_code == 200


# --- The page ----------------------------------------------------------------------------------

def test_a_place_reached_two_months_ago_has_a_green_dot_and_the_same_row(
        client, coordinator, world, reached):
    login(client, coordinator.username)
    html = html_of(client, f"/coord/coverage?{YEAR}&lang=en")
    css, title = dot(html, "village", world.village.id)
    assert css == "cov-0-3"
    assert "1 talk," in title and "60 people reached" in title and "2026-10-01" in title
    assert "2 months ago" in title
    cols = cells(row(html, "village", world.village.id))
    assert cols[0].startswith(world.village.name)
    assert cols[2:6] == ["1", "60", "2026-10-01", "2 months ago"]
    assert 'class="row-cov-0-3"' in row(html, "village", world.village.id)
    # the dot is a link to its row: keyboard users reach the figures too
    assert f'href="#place-village-{world.village.id}"' in html
    # the school: 8 months → 6–12; never-visited places are hollow rings
    assert dot(html, "school", world.school.id)[0] == "cov-6-12"
    assert dot(html, "village", world.far_village.id)[0] == "cov-never"
    assert dot(html, "market", world.market.id)[0] == "cov-never"
    assert cells(row(html, "school", world.school.id))[2:6] == ["1", "200", "2026-03-10",
                                                               "8 months ago"]


def test_the_map_is_inline_svg_with_a_legend_and_township_labels(
        client, coordinator, world, reached):
    login(client, coordinator.username)
    html = html_of(client, f"/coord/coverage?{YEAR}&lang=en")
    assert '<svg class="reach-map"' in html and "<script" not in html
    assert "http://" not in html.split('<svg class="reach-map"')[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", "")  # no tiles, nothing fetched
    for name in ("cov-0-3", "cov-3-6", "cov-6-12", "cov-12plus", "cov-never"):
        assert f"dot {name}" in html
    assert "Under 3 months" in html and "Never reached" in html
    assert ">Sanhe<" in html and ">Hongshuiquan<" in html
    assert "css/reach.css" in html
    table = html.split('id="table-places"')[1].split("</table>")[0]
    assert "<caption" in table and 'scope="col"' in table and 'scope="row"' in table
    assert "Places without coordinates" not in html and 'data-testid="unmapped"' not in html


def test_places_without_coordinates_are_counted_not_drawn(client, coordinator, world, db, reached):
    db.session.add(Village(township_id=world.town.id, name="无坐标村（示例）"))
    db.session.commit()
    login(client, coordinator.username)
    html = html_of(client, f"/coord/coverage?{YEAR}&lang=en")
    assert "1 place has no coordinates" in html
    assert "无坐标村（示例）" in html.split('id="table-places"')[1]
    assert html.count('class="dot-link"') == 4


def test_never_visited_places_are_in_the_not_reached_list(client, coordinator, world, reached):
    login(client, coordinator.username)
    html = html_of(client, f"/coord/coverage?{YEAR}&lang=en")
    listed = html.split('data-testid="not-reached"')[1].split("</ul>")[0]
    assert f'not-reached-village-{world.far_village.id}"' in listed
    assert f'not-reached-market-{world.market.id}"' in listed
    assert f'not-reached-village-{world.village.id}"' not in listed
    assert f'not-reached-school-{world.school.id}"' not in listed  # 8 months < 12
    # N = 6: the school (8 months) is not reached in 6 months either
    html = html_of(client, f"/coord/coverage?{YEAR}&months=6&lang=en")
    listed = html.split('data-testid="not-reached"')[1].split("</ul>")[0]
    assert f'not-reached-school-{world.school.id}"' in listed
    assert "Not reached in 6 months" in html


def test_the_counting_rules_are_on_the_page_and_print_hides_the_controls(
        client, coordinator, world, reached):
    login(client, coordinator.username)
    html = html_of(client, "/coord/coverage?lang=en")
    assert "A talk is a delivered session" in html
    assert "headcount recorded with the delivery" in html
    assert "village, school or market of its order" in html
    assert "Beijing days" in html
    css = (ROOT / "static/css/reach.css").read_text()
    printing = css.split("@media print")[1]
    for hidden in (".subnav", ".filters", ".top", ".foot"):
        assert hidden in printing.split("display: none")[0]


def test_phones_are_never_shown(client, coordinator, world, reached):
    login(client, coordinator.username)
    html = html_of(client, f"/coord/coverage?{YEAR}")
    assert "13800001234" not in html and "13972000001" not in html
    body = client.get("/api/v1/coverage", headers=token_for(client, coordinator.username))
    assert "13800001234" not in body.get_data(as_text=True)


# --- Filters -----------------------------------------------------------------------------------

def test_the_township_filter(client, coordinator, world, reached):
    login(client, coordinator.username)
    html = html_of(client, f"/coord/coverage?{YEAR}&township={world.far.id}&lang=en")
    assert f'id="place-village-{world.far_village.id}"' in html
    assert f'id="place-village-{world.village.id}"' not in html
    assert f'id="place-school-{world.school.id}"' not in html


def test_the_topic_filter(client, coordinator, world, reached):
    login(client, coordinator.username)
    html = html_of(client, "/coord/coverage?from=2025-01-01&to=2026-12-31"
                           "&topic=traffic_safety&lang=en")
    cols = cells(row(html, "village", world.village.id))
    assert cols[2:5] == ["1", "45", "2025-04-20"]  # only the 2025 traffic-safety talk
    assert dot(html, "village", world.village.id)[0] == "cov-12plus"
    assert cells(row(html, "school", world.school.id))[2:5] == ["0", "0", "—"]


def test_the_period_filter_counts_its_talks_only(client, coordinator, world, reached):
    login(client, coordinator.username)
    html = html_of(client, "/coord/coverage?from=2026-09-01&to=2026-12-31&lang=en")
    assert cells(row(html, "school", world.school.id))[2:5] == ["0", "0", "2026-03-10"]
    assert cells(row(html, "village", world.village.id))[2:4] == ["1", "60"]
    assert 'data-testid="total-talks">1<' in html and 'data-testid="total-audience">60<' in html


def test_bad_filters_are_explained_on_the_page(client, coordinator, world, reached):
    login(client, coordinator.username)
    response = client.get("/coord/coverage?from=2026-02-30&township=abc&topic=../x&months=0"
                          "&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html
    assert "Choose a number of months from 1 to 120." in html
    assert "Unknown township" in html


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-02-30", "from"), ("to=yesterday", "to"), ("township=abc", "township"),
    ("township=999", "township"), ("topic=nope", "topic"), ("months=0", "months"),
    ("months=x", "months"), ("from=2026-12-01&to=2026-01-01", "from"),
])
def test_the_api_refuses_bad_filters(client, coordinator, world, query, field):
    response = client.get(f"/api/v1/coverage?{query}",
                          headers=token_for(client, coordinator.username))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors and all(isinstance(m, str) for m in errors[field])


# --- The same figures as the reports ----------------------------------------------------------

@pytest.mark.parametrize("extra", [{}, {"township": "town"}, {"topic": "anti_fraud"}])
@pytest.mark.parametrize(("first", "last"), [("2026-01-01", "2026-12-31"),
                                             ("2025-01-01", "2026-12-31"),
                                             ("2026-10-01", "2026-10-01")])
def test_coverage_totals_equal_the_reports_totals(app, world, reached, first, last, extra):
    args = {"from": first, "to": last}
    if extra.get("township"):
        args["township"] = str(world.town.id)
    if extra.get("topic"):
        args["topic"] = extra["topic"]
    now = now_utc()
    cov = reach.build_coverage(args, now=now)
    report = report_service.build(args, now=now)
    assert not cov.errors and not report.errors
    assert cov.coverage.total.sessions == report.total.sessions
    assert cov.coverage.total.audience == report.total.audience
    placed = cov.coverage.placed
    assert sum(p.talks for p in cov.coverage.places) == placed.sessions
    assert placed.sessions + cov.coverage.unplaced[0] == report.total.sessions


def test_page_and_api_show_the_reports_figures(client, coordinator, world, reached):
    login(client, coordinator.username)
    page = html_of(client, f"/coord/coverage?{YEAR}")
    report = html_of(client, f"/coord/reports?{YEAR}")
    api = client.get(f"/api/v1/coverage?{YEAR}",
                     headers=token_for(client, coordinator.username)).get_json()
    # 2026: 60 (village) + 200 (school) + 30 (no order) = 290 people in 3 talks
    assert api["totals"]["talks"] == 3 and api["totals"]["audience"] == 290
    assert api["totals"]["unplaced_talks"] == 1 and api["totals"]["unplaced_audience"] == 30
    assert 'data-testid="total-talks">3<' in page and 'data-testid="total-audience">290<' in page
    assert ">290<" in report
    village = next(p for p in api["places"] if p["kind"] == "village"
                   and p["id"] == world.village.id)
    assert (village["talks"], village["audience"], village["last_talk"],
            village["months_since"], village["bucket"]) == (1, 60, "2026-10-01", 2, "0-3")
    assert {"kind": "market", "id": world.market.id} in api["not_reached"]
    assert api["buckets"] == {"0-3": 1, "3-6": 0, "6-12": 1, "12plus": 0, "never": 2}


def test_the_openapi_document_describes_coverage(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/coverage"]["get"]
    assert op["security"] and {"200", "401", "403", "422"} <= set(op["responses"])
    names = {p["name"] for p in op["parameters"]}
    assert names == {"from", "to", "township", "topic", "months"}


def test_coverage_loads_in_a_fixed_number_of_queries(app, world, reached, count_queries, db):
    with count_queries() as first:
        reach.build_coverage({}, now=now_utc())
    for i in range(5):
        db.session.add(Village(township_id=world.town.id, name=f"新村{i}（示例）",
                               lat=36.4 + i / 100, lon=102.0))
    _db.session.commit()
    with count_queries() as second:
        reach.build_coverage({}, now=now_utc())
    assert second() == first()


# --- Colours -----------------------------------------------------------------------------------

def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_dot_colours_pass_wcag_aa_against_the_map():
    css = (ROOT / "static/css/reach.css").read_text()
    background = re.search(r"\.map-bg \{ fill: (#[0-9a-fA-F]{6})", css).group(1)
    for name in ("cov-0-3", "cov-3-6", "cov-6-12", "cov-12plus"):
        fill = re.search(rf"\.{name} \{{ fill: (#[0-9a-fA-F]{{6}})", css).group(1)
        assert contrast(fill, background) >= 4.5, (name, fill)
    never = re.search(r"\.cov-never \{[^}]*stroke: (#[0-9a-fA-F]{6})", css).group(1)
    assert contrast(never, background) >= 4.5
    assert contrast("#1a1a1a", background) >= 4.5  # township labels
