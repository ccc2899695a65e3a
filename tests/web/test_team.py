"""Leave and limits through the pages: members edit their own leave, coordinators everyone's."""

from datetime import date, datetime

from sqlalchemy import select

from lectureorder.domain.calendars import TZ
from lectureorder.models import Leave
from lectureorder.services import team
from tests.helpers import login


def leave_of(member, day=date(2026, 12, 7)):
    start = datetime(day.year, day.month, day.day, tzinfo=TZ)
    return team.add_leave(member, start, start.replace(day=day.day + 1), "培训",
                          now=datetime(2026, 12, 1, tzinfo=TZ), actor=None).leave


# ---------------------------------------------------------------- who may use what

MEMBER_ROUTES = [("get", "/member/availability"), ("post", "/member/availability"),
                 ("post", "/member/availability/1/delete")]
COORD_ROUTES = [("get", "/coord/members"), ("get", "/coord/members/1"),
                ("post", "/coord/members/1"), ("post", "/coord/members/1/leave"),
                ("post", "/coord/members/1/leave/1/delete")]


def test_anonymous_is_sent_to_login(client, world):
    for method, url in MEMBER_ROUTES + COORD_ROUTES:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/auth/login" in response.location, url


def test_members_cannot_use_the_team_pages(client, make_member):
    member = make_member()
    login(client, member.user.username)
    for method, url in COORD_ROUTES:
        assert getattr(client, method)(url, data={}).status_code == 403, url


def test_coordinators_have_no_own_leave_page(client, coordinator, world):
    login(client, coordinator.username)
    for method, url in MEMBER_ROUTES:
        assert getattr(client, method)(url, data={}).status_code == 403, url


def test_a_member_cannot_delete_someone_elses_leave(client, make_member, frozen_now, db):
    member = make_member(name="甲")
    other = make_member(name="乙")
    theirs = leave_of(other)
    db.session.commit()
    login(client, member.user.username)
    assert client.post(f"/member/availability/{theirs.id}/delete").status_code == 404
    assert db.session.get(Leave, theirs.id) is not None
    page = client.get("/member/availability").get_data(as_text=True)
    assert f'data-testid="leave-{theirs.id}"' not in page  # nor see it


def test_coordinator_cannot_delete_leave_through_the_wrong_member(client, make_member,
                                                                  coordinator, frozen_now, db):
    member = make_member(name="甲")
    other = make_member(name="乙")
    theirs = leave_of(other)
    db.session.commit()
    login(client, coordinator.username)
    assert client.post(f"/coord/members/{member.id}/leave/{theirs.id}/delete").status_code == 404
    assert client.get("/coord/members/99999").status_code == 404
    assert db.session.get(Leave, theirs.id) is not None


# ---------------------------------------------------------------- members: their own leave

def test_member_adds_and_deletes_leave(client, make_member, frozen_now, db):
    member = make_member()
    login(client, member.user.username)
    page = client.get("/member/availability")
    assert page.status_code == 200
    response = client.post("/member/availability", data={
        "start": "2026-12-07", "end": "2026-12-08", "reason": "培训"})
    assert response.status_code == 302
    (leave,) = member.leaves
    assert leave.start == datetime(2026, 12, 7, tzinfo=TZ)
    assert leave.end == datetime(2026, 12, 9, tzinfo=TZ)  # the whole last day
    # Overlapping leave is joined into one period.
    response = client.post("/member/availability", data={
        "start": "2026-12-08", "start_time": "14:00", "end": "2026-12-10", "end_time": "12:00"},
        follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    (leave,) = member.leaves
    assert (leave.start, leave.end) == (datetime(2026, 12, 7, tzinfo=TZ),
                                        datetime(2026, 12, 10, 12, tzinfo=TZ))
    page = response.get_data(as_text=True)
    assert f'data-testid="leave-{leave.id}"' in page
    response = client.post(f"/member/availability/{leave.id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert member.leaves == []


BAD_LEAVE = [
    ({"start": "", "end": "2026-12-08"}, "start"),
    ({"start": "2026-12-08", "end": ""}, "end"),
    ({"start": "2026-12-08", "end": "2026-12-07"}, "end"),
    ({"start": "2026-12-08", "start_time": "15:00", "end": "2026-12-08", "end_time": "09:00"}, "end"),
    ({"start": "2026-12-08", "end": "2028-12-08"}, "end"),
    ({"start": "2026-12-08", "end": "2026-12-09", "reason": "长" * 200}, "reason"),
    ({"start": "someday", "end": "2026-12-09"}, "start"),
    ({"start": "2026-12-08", "start_time": "25:99", "end": "2026-12-09"}, "start_time"),
]


def test_bad_leave_is_422_with_the_message_at_the_field(client, make_member, frozen_now, db):
    member = make_member()
    login(client, member.user.username)
    for data, field in BAD_LEAVE:  # one app for all cases: the suite has to stay fast
        response = client.post("/member/availability", data=data)
        assert response.status_code == 422, data
        page = response.get_data(as_text=True)
        assert f'id="field-{field}"' in page and f'id="{field}-error-1"' in page, data
        assert data.get("reason", "") in page  # what was typed is still there
    assert db.session.scalars(select(Leave)).all() == []


def test_leave_over_a_booked_session_warns(client, world, make_member, frozen_now, db, dispatch_pass):
    from lectureorder.services import dispatch, ordering
    from tests.services.test_loop import request_for

    member = make_member()
    order = ordering.place_order(request_for(world, earliest=date(2026, 12, 7),
                                             latest=date(2026, 12, 7)), now=frozen_now)
    dispatch_pass()
    db.session.commit()
    offer = order.offers[0]
    dispatch.accept_offer(offer.id, member, offer.slot_times[0][0], now=frozen_now)
    db.session.commit()
    login(client, member.user.username)
    response = client.post("/member/availability", data={"start": "2026-12-07", "end": "2026-12-07"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert len(member.leaves) == 1  # saved all the same: the coordinator arranges the session


def test_member_nav_links_to_leave(client, make_member):
    member = make_member()
    login(client, member.user.username)
    assert 'href="/member/availability"' in client.get("/member/").get_data(as_text=True)


# ---------------------------------------------------------------- coordinators: everyone

def test_coordinator_lists_the_team(client, world, make_member, coordinator, frozen_now, db,
                                    count_queries):
    for i in range(3):
        leave_of(make_member(name=f"队员{i}", kit_qualified=i == 0))
    db.session.commit()
    login(client, coordinator.username)
    db.session.expire_all()
    with count_queries() as few:
        page = client.get("/coord/members").get_data(as_text=True)
    for i in range(3):
        assert f"队员{i}" in page
    leave_of(make_member(name="队员3"))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as more:
        client.get("/coord/members")
    assert more() == few()
    assert 'href="/coord/members"' in page  # in the coordinator nav


def test_coordinator_edits_limits_and_leave(client, world, make_member, coordinator, frozen_now, db):
    member = make_member()
    login(client, coordinator.username)
    page = client.get(f"/coord/members/{member.id}").get_data(as_text=True)
    assert 'name="daily_cap"' in page and 'value="2"' in page
    response = client.post(f"/coord/members/{member.id}", data={
        "daily_cap": "3", "weekly_cap": "8", "active": "y", "formats": ["field_class", "mobile_film"],
        "specialties": ["anti_fraud", "drug_awareness"], "kit_qualified": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (member.daily_cap, member.weekly_cap, member.kit_qualified) == (3, 8, True)
    assert member.formats == ["field_class", "mobile_film"]
    assert [t.code for t in member.specialties] == ["anti_fraud", "drug_awareness"]

    response = client.post(f"/coord/members/{member.id}/leave", data={
        "start": "2026-12-14", "end": "2026-12-18", "reason": "年休"})
    assert response.status_code == 302
    db.session.expire_all()
    (leave,) = member.leaves
    assert leave.reason == "年休"
    response = client.post(f"/coord/members/{member.id}/leave/{leave.id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert member.leaves == []


BAD_EDITS = [
    ({"daily_cap": "0", "weekly_cap": "5"}, "daily_cap"),
    ({"daily_cap": "11", "weekly_cap": "5"}, "daily_cap"),
    ({"daily_cap": "2", "weekly_cap": "31"}, "weekly_cap"),
    ({"daily_cap": "x", "weekly_cap": "5"}, "daily_cap"),
    ({"daily_cap": "4", "weekly_cap": "3"}, "weekly_cap"),
    ({"daily_cap": "2", "weekly_cap": "5", "formats": ["opera"]}, "formats"),
]


def test_bad_member_edit_is_422_and_changes_nothing(client, make_member, coordinator, frozen_now,
                                                    db):
    member = make_member()
    login(client, coordinator.username)
    for data, field in BAD_EDITS:
        response = client.post(f"/coord/members/{member.id}", data=data)
        assert response.status_code == 422, data
        assert f'id="{field}-error-1"' in response.get_data(as_text=True), data
        db.session.expire_all()
        assert (member.daily_cap, member.weekly_cap) == (2, 5)


def test_bad_leave_on_the_coordinator_page_is_422(client, make_member, coordinator, frozen_now, db):
    member = make_member()
    login(client, coordinator.username)
    response = client.post(f"/coord/members/{member.id}/leave",
                           data={"start": "2026-12-09", "end": "2026-12-08"})
    assert response.status_code == 422
    assert 'id="end-error-1"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Leave)).all() == []
