"""Every route declares who may use it, and someone who may not is refused."""

import pytest

from tests.helpers import login

MEMBER_PAGES = ["/member/", "/member/offers/1/decline", "/member/sessions/1/delivery"]
COORD_PAGES = ["/coord/", "/coord/sessions", "/coord/offers", "/coord/orders/new",
               "/coord/orders/ABCDEF"]
COORD_POSTS = ["/coord/orders/ABCDEF/assign", "/coord/orders/ABCDEF/dispatch",
               "/coord/orders/ABCDEF/cancel"]
MEMBER_POSTS = ["/member/offers/1/accept"]


def test_every_endpoint_declares_its_audience(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "access", None) not in {"public", "member", "coordinator", "signed_in"}:
            undeclared.append(rule.rule)
    assert undeclared == []


@pytest.mark.parametrize("url", MEMBER_PAGES + COORD_PAGES)
def test_anonymous_is_sent_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/auth/login" in response.location


@pytest.mark.parametrize("url", MEMBER_POSTS + COORD_POSTS)
def test_anonymous_posts_are_sent_to_login(client, world, url):
    response = client.post(url, data={})
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize("url", COORD_PAGES)
def test_members_cannot_see_coordinator_pages(client, make_member, url):
    member = make_member()
    login(client, member.user.username)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", COORD_POSTS)
def test_members_cannot_act_as_coordinators(client, make_member, url):
    member = make_member()
    login(client, member.user.username)
    assert client.post(url, data={"member": member.id}).status_code == 403


@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_coordinators_have_no_member_inbox(client, coordinator, world, url):
    login(client, coordinator.username)
    assert client.get(url).status_code == 403


def test_login_next_is_never_another_site(client, make_member):
    member = make_member()
    response = client.post("/auth/login?next=https://evil.example/x",
                           data={"username": member.user.username, "password": "secret-pass-1"})
    assert response.status_code == 302
    assert response.location == "/member/"
    response = client.post("/auth/logout")
    response = client.post("/auth/login?next=//evil.example",
                           data={"username": member.user.username, "password": "secret-pass-1"})
    assert response.location == "/member/"


def test_wrong_password_is_refused_with_a_message(client, make_member):
    member = make_member()
    response = login(client, member.user.username, "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, make_member, db):
    member = make_member()
    member.user.active = False
    db.session.commit()
    assert login(client, member.user.username).status_code == 401


API_MEMBER = [("get", "/api/v1/member/offers"), ("post", "/api/v1/member/offers/1/accept"),
              ("post", "/api/v1/member/offers/1/decline"), ("get", "/api/v1/member/sessions"),
              ("post", "/api/v1/member/sessions/1/delivery")]
API_COORD = [("get", "/api/v1/members"), ("get", "/api/v1/orders/ABCDEF/candidates")]


@pytest.mark.parametrize(("method", "url"), API_MEMBER + API_COORD)
def test_api_needs_a_token(client, world, method, url):
    response = getattr(client, method)(url, json={})
    assert response.status_code == 401
    assert response.get_json()["error"]


@pytest.mark.parametrize(("method", "url"), API_MEMBER + API_COORD)
def test_api_ignores_the_session_cookie(client, make_member, coordinator, method, url):
    login(client, coordinator.username)  # a logged-in browser must not be usable via the API (CSRF)
    response = getattr(client, method)(url, json={})
    assert response.status_code == 401


def token_for(client, username):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": "secret-pass-1"})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.mark.parametrize(("method", "url"), API_COORD)
def test_members_cannot_use_coordinator_api(client, make_member, method, url):
    member = make_member()
    headers = token_for(client, member.user.username)
    assert getattr(client, method)(url, headers=headers).status_code == 403


@pytest.mark.parametrize(("method", "url"), API_MEMBER)
def test_coordinators_have_no_member_api(client, coordinator, world, method, url):
    headers = token_for(client, coordinator.username)
    assert getattr(client, method)(url, headers=headers, json={}).status_code == 403


def test_bad_token_is_refused(client, world):
    response = client.get("/api/v1/member/offers", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
