"""A member's record (/member/record, /coord/team/<id>/record): access, and figures equal to the
reports' (career counts, audience, ratings) for the same talks."""

import re
from datetime import date

import pytest

from lectureorder.services import reach
from lectureorder.services import reports as report_service
from lectureorder.services.clock import now_utc
from tests.helpers import login
from tests.report_data import at, make_order, make_session
from tests.web.test_coverage import at_place


@pytest.fixture
def career(db, world, make_member, frozen_now):
    """Today is 2026-12-01. Member a (legal vice-principal of the school) gave 4 talks: 2022
    (40 people), 2025 (80, 4 stars, with b), 2026-03 at the school (200, 5 stars) and 2026-10
    as b's helper in the far village (60, 3 stars). b also spoke at a's school in November."""
    a = make_member("马建国")
    a.vice_principal_of = [world.school]
    b = make_member("李海龙")
    o = make_order(db, world, created=at(date(2022, 5, 1), 9), status="closed")
    make_session(db, world, a, order=o, start=at(date(2022, 5, 10), 10), headcount=40)
    o = make_order(db, world, created=at(date(2025, 5, 20), 9), status="closed",
                   topics=("traffic_safety",))
    make_session(db, world, a, order=o, start=at(date(2025, 6, 1), 10), headcount=80,
                 rating=4, helpers=[b])
    o = at_place(make_order(db, world, created=at(date(2026, 3, 1), 9), status="closed",
                            topics=("campus_bullying",), fmt="school_talk"), "school", world.school)
    make_session(db, world, a, order=o, start=at(date(2026, 3, 10), 10), headcount=200, rating=5)
    o = make_order(db, world, created=at(date(2026, 9, 20), 9), status="closed",
                   topics=("two_cards", "anti_fraud"), township=world.far)
    make_session(db, world, b, order=o, start=at(date(2026, 10, 1), 10), headcount=60,
                 rating=3, helpers=[a])
    o = at_place(make_order(db, world, created=at(date(2026, 10, 20), 9), status="delivered",
                            topics=("anti_fraud",), fmt="school_talk"), "school", world.school)
    make_session(db, world, b, order=o, start=at(date(2026, 11, 1), 10), headcount=100)
    o = make_order(db, world, created=at(date(2026, 11, 25), 9), status="scheduled")
    make_session(db, world, a, order=o, start=at(date(2026, 12, 5), 10), status="scheduled")
    db.session.commit()
    return {"a": a, "b": b}


def figure(html, name):
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', html, re.S)
    assert match, name
    return match.group(1).strip()


def row_cells(html, name):
    match = re.search(rf'<tr data-testid="{name}">(.*?)</tr>', html, re.S)
    assert match, name
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)]


# --- Access ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/member/record", "/coord/team/1/record"])
def test_anonymous_is_sent_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.location


def test_a_member_cannot_open_another_members_record(client, career):
    login(client, career["b"].user.username)
    assert client.get(f"/coord/team/{career['a'].id}/record").status_code == 403
    assert client.get(f"/coord/team/{career['b'].id}/record").status_code == 403


def test_a_coordinator_sees_any_record_and_404_for_unknown(client, coordinator, career):
    login(client, coordinator.username)
    html = client.get(f"/coord/team/{career['a'].id}/record?lang=en").get_data(as_text=True)
    assert "Record of 马建国" in html and figure(html, "talks-all") == "4"
    assert client.get("/coord/team/9999/record").status_code == 404
    assert client.get("/member/record").status_code == 403  # a coordinator has no own record
    member_page = client.get(f"/coord/members/{career['a'].id}").get_data(as_text=True)
    assert f"/coord/team/{career['a'].id}/record" in member_page


# --- The figures -------------------------------------------------------------------------------

def test_my_record_shows_talks_audience_ratings_places_and_schools(client, world, career):
    login(client, career["a"].user.username)
    assert "/member/record" in client.get("/member/").get_data(as_text=True)
    response = client.get("/member/record?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "My record" in html
    assert (figure(html, "talks-all"), figure(html, "talks-since"),
            figure(html, "talks-year")) == ("4", "3", "2")
    assert figure(html, "audience") == "380"          # 40 + 80 + 200 + 60
    assert figure(html, "rating-avg") == "4.00"       # (4 + 5 + 3) / 3
    assert [row_cells(html, f"stars-{n}")[1] for n in (5, 4, 3, 2, 1)] == ["1", "1", "1", "0", "0"]
    assert row_cells(html, "topic-anti_fraud")[1] == "2"
    assert row_cells(html, "topic-campus_bullying")[1] == "1"
    assert row_cells(html, "format-field_class")[1] == "3"
    assert row_cells(html, "format-school_talk")[1] == "1"
    villages = html.split('data-testid="places-village"')[1].split("</table>")[0]
    assert world.village.name in villages and world.far_village.name in villages
    schools = html.split('data-testid="places-school"')[1].split("</table>")[0]
    assert world.school.name in schools
    # vice-principal school: 1 talk by her, 2 by the team, the last on 1 November
    assert row_cells(html, f"vp-{world.school.id}") == [world.school.name, "1", "2", "2026-11-01"]
    assert "13972000001" not in html and "13800001234" not in html  # no phones, ever
    assert "css/reach.css" in html


def test_record_figures_equal_the_reports_figures(app, career):
    a = career["a"]
    now = now_utc()
    page = reach.build_record(a, now=now)
    rec = page.record
    everything = report_service.build({"from": "2022-01-01", "to": "2026-12-31",
                                       "member": str(a.id)}, now=now)
    assert not everything.errors
    assert rec.figures.sessions == everything.total.sessions == 4
    assert rec.figures.audience == everything.total.audience
    assert rec.figures.ratings == everything.total.ratings
    member_row = next(r for r in everything.rows["member"] if r.key == a.id)
    assert (rec.talks_all_time, rec.talks_since) == member_row.career
    this_year = report_service.build({"from": "2026-01-01", "to": "2026-12-31",
                                      "member": str(a.id)}, now=now)
    assert rec.talks_this_year == this_year.total.sessions == 2
    by_topic = {r.key: r.figures.sessions for r in everything.rows["topic"]}
    assert {k: n for k, n in rec.by_topic if n} == {k: n for k, n in by_topic.items() if n}
    by_format = {r.key: r.figures.sessions for r in everything.rows["format"]}
    assert dict(rec.by_format) == by_format


def test_a_member_without_talks_sees_zeros(client, make_member, world, frozen_now):
    member = make_member("王晓燕")
    login(client, member.user.username)
    html = client.get("/member/record?lang=en").get_data(as_text=True)
    assert figure(html, "talks-all") == "0" and figure(html, "audience") == "0"
    assert figure(html, "rating-avg") == "—"
    assert 'id="table-vp"' not in html  # not a vice-principal
