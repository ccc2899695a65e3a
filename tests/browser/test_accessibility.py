"""Accessibility in a real browser, on every main page of the three groups, in both languages:
axe-core finds no serious or critical violation, taps are large enough (60 px on the villagers'
pages, 44 px on the team's), nothing scrolls sideways at 390 px, text at 200% overlaps nothing,
and the favicon loads (no 404 in the console)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lectureorder.domain.calendars import TZ
from lectureorder.extensions import db
from lectureorder.models import LectureSession, Member, Offer, Order, User, Village
from lectureorder.services.clock import now_utc
from tests.browser import kit

pytestmark = pytest.mark.browser

PUBLIC = ["/", "/menu/anti_fraud", "/orders/new?topic=anti_fraud", "/track", "/track/phone",
          "/auth/login"]
MEMBER = ["/member/", "/member/schedule", "/member/schedule?view=month", "/member/availability",
          "/member/record", "/member/notices", "/member/feed", "/auth/account",
          "{decline}", "{delivery}"]
COORD = ["/coord/", "/coord/orders/{order}", "/coord/orders/{waiting}", "/coord/offers",
         "/coord/backlog", "/coord/sessions", "/coord/calendar", "/coord/calendar?view=week",
         "/coord/calendar?view=agenda", "/coord/orders/new", "/coord/rain", "/coord/reports",
         "/coord/members", "/coord/members/{member}", "/coord/team/{member}/record",
         "/coord/coverage", "/coord/posters", "/coord/posters/village/{village}",
         "/coord/questions", "/coord/campaigns", "/coord/campaigns/new", "/coord/notifications",
         "/coord/notices", "/coord/feed", "/coord/privacy", "/coord/admin/", "/coord/admin/markets",
         "/coord/admin/schools", "/coord/admin/blackouts", "/coord/admin/holidays",
         "/coord/admin/film-season", "/coord/admin/kits", "/coord/admin/awareness"]

# Each page in both languages; each language on a phone, and the coordinators' desk pages on a
# desktop too (the month calendar's grid only exists from 900 px).
RUNS = {
    "zh-390": ("zh", True, PUBLIC + MEMBER + COORD),
    "en-390": ("en", True, PUBLIC + MEMBER),
    "en-1440": ("en", False, ["/", "/member/schedule?view=month"] + COORD),
    "zh-1440": ("zh", False, ["/", "/orders/new?topic=anti_fraud", "/member/schedule?view=month",
                              "/coord/calendar", "/coord/reports"]),
}


@pytest.fixture(scope="module")
def ids(live_app):
    """The ids the dynamic pages need: member01's open offer and a session to record, a
    scheduled and a waiting order, a member and a village."""
    _url, app = live_app
    now = now_utc()
    with app.app_context():
        member = db.session.scalar(select(Member).join(User).where(User.username == "member01"))
        offer = db.session.scalars(select(Offer).where(
            Offer.member_id == member.id, Offer.status == "open",
            Offer.expires_at > now).order_by(Offer.id)).first()
        session = db.session.scalars(select(LectureSession).where(
            LectureSession.lead_member_id == member.id, LectureSession.status == "scheduled",
            LectureSession.start < now).order_by(LectureSession.start.desc())).first()
        scheduled = db.session.scalars(select(Order.code).where(
            Order.status == "scheduled").order_by(Order.id)).first()
        waiting = db.session.scalars(select(Order.code).where(
            Order.status == "needs_attention").order_by(Order.id)).first()
        village = db.session.scalars(select(Village.id).order_by(Village.id)).first()
        return {"decline": f"/member/offers/{offer.id}/decline",
                "delivery": f"/member/sessions/{session.id}/delivery",
                "order": scheduled, "waiting": waiting, "member": member.id, "village": village}


def group_of(path: str) -> str:
    if path.startswith("/coord"):
        return "coord"
    if path.startswith(("/member", "/auth/account", "{")):
        return "member"
    return "public"


def visit_all(page, url: str, lang: str, paths: list[str], ids: dict, check) -> dict[str, object]:
    """Visit ``paths`` as their group would (anonymous, member01, the coordinator), calling
    ``check(page, path, group)`` on each; returns {path: what check found} where it found any."""
    found: dict[str, object] = {}
    who = "public"
    for group in ("public", "member", "coord"):
        mine = [p for p in paths if group_of(p) == group]
        if not mine:
            continue
        if group != who:
            page.context.clear_cookies()
            if lang == "en":
                kit.choose_language(page, url, "en")
            kit.login(page, url, "member01" if group == "member" else "coordinator")
            who = group
        for raw in mine:
            path = raw.format(**ids)
            response = page.goto(url + path)
            assert response.status == 200, (path, response.status)
            problem = check(page, path, group)
            if problem:
                found[path] = problem
    return found


def shot_name(path: str) -> str:
    name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "menu"
    return name


@pytest.mark.parametrize("run", list(RUNS))
def test_axe_taps_and_width(browser, live_app, ids, run):
    """axe-core: no serious or critical violation; taps ≥ 60 px (public) / 44 px (staff); at
    390 px nothing scrolls sideways. A screenshot of each page is kept when asked."""
    url, _app = live_app
    lang, phone, paths = RUNS[run]
    source = kit.axe_script()
    context = kit.context(browser, phone=phone, lang=lang, bypass_csp=True)
    page = context.new_page()
    kit.choose_language(page, url, lang)

    def check(page, path, group):
        problems = {}
        violations = kit.axe_violations(page, source)
        if violations:
            problems["axe"] = violations
        small = kit.small_targets(page, 60 if group == "public" else 44)
        if small:
            problems["taps"] = small
        if phone and kit.sideways_scroll(page) > 0:
            problems["sideways"] = kit.sideways_scroll(page)
        kit.shoot(page, f"{shot_name(path)}-{run}")
        return problems

    found = visit_all(page, url, lang, paths, ids, check)
    context.close()
    assert found == {}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_text_at_200_percent(browser, live_app, ids, lang):
    """WeChat's care mode and the phone's text size double the text: nothing overlaps and
    nothing scrolls sideways at 390 px."""
    url, _app = live_app
    context = kit.context(browser, phone=True, lang=lang)
    page = context.new_page()
    kit.choose_language(page, url, lang)
    paths = (PUBLIC + ["/member/", "/member/schedule", "/member/availability", "{delivery}",
                       "/coord/", "/coord/orders/{order}", "/coord/calendar", "/coord/orders/new",
                       "/coord/rain", "/coord/reports"])

    def check(page, path, group):
        kit.zoom_text(page, 200)
        problems = {}
        overlaps = kit.text_overlaps(page)
        if overlaps:
            problems["overlap"] = overlaps
        if kit.sideways_scroll(page) > 0:
            problems["sideways"] = kit.sideways_scroll(page)
        return problems

    found = visit_all(page, url, lang, paths, ids, check)
    context.close()
    assert found == {}


def test_placed_and_tracked_pages(browser, live_app):
    """The two pages only an order reaches: the order code page and the tracked order."""
    url, _app = live_app
    source = kit.axe_script()
    context = kit.context(browser, phone=True, lang="zh", bypass_csp=True)
    page = context.new_page()
    today = now_utc().astimezone(TZ).date()
    page.goto(f"{url}/orders/new?topic=traffic_safety")
    page.locator("input[name=format][value=field_class]").check()
    page.locator("select[name=place]").select_option(index=1)
    page.select_option("select[name=audience_type]", "villagers")
    page.fill("input[name=audience_size]", "40")
    page.fill("input[name=earliest]", (today + timedelta(days=4)).isoformat())
    page.fill("input[name=latest]", (today + timedelta(days=25)).isoformat())
    page.fill("input[name=requester_name]", "王大妈")
    page.fill("input[name=phone]", "13900005678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/orders/placed")
    found = {}
    found["placed"] = kit.axe_violations(page, source) + kit.small_targets(page, 60)
    kit.shoot(page, "placed-zh-390")
    code = page.get_by_test_id("order-code").inner_text().strip()
    page.goto(f"{url}/track?other=1")  # this phone remembers its order: ask with the form
    page.fill("input[name=code]", code)
    page.fill("input[name=phone_last4]", "5678")
    page.locator("form[action$='/track'] button[type=submit]").click()
    page.get_by_test_id("order-status").wait_for()
    found["tracked"] = kit.axe_violations(page, source) + kit.small_targets(page, 60)
    found["tracked"] += [f"sideways {kit.sideways_scroll(page)}"] if kit.sideways_scroll(page) else []
    kit.shoot(page, "tracked-zh-390")
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


def test_favicon_and_no_missing_files(browser, live_app):
    """The pages name a self-hosted icon, /favicon.ico answers too, and no page asks for a file
    that is not there (the console shows no 404)."""
    url, _app = live_app
    context = kit.context(browser, phone=False)
    missing: list[str] = []
    context.on("response", lambda r: r.status >= 400 and missing.append(f"{r.status} {r.url}"))
    page = context.new_page()
    for path in ("/", "/orders/new?topic=anti_fraud", "/track", "/auth/login"):
        page.goto(url + path)
        page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon.startswith("data:image/svg+xml,")  # inline: no request at all
    answer = page.request.get(f"{url}/favicon.ico")
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/")
    context.close()
    assert missing == []
