"""The Content-Security-Policy holds in a real browser: the main pages of all three groups load
with no CSP violation and no console error, and the order form's script still works."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lectureorder.domain.calendars import TZ
from lectureorder.services.clock import now_utc

pytestmark = pytest.mark.browser

# Recorded by the page itself (a listener added before any script of the page runs).
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


def watch(context):
    messages: list[str] = []
    context.add_init_script(LISTEN)
    context.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    # Say which resource failed (the console only says "404"); the browser's own favicon
    # request is not the page's.
    context.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico")
               and messages.append(f"error: {r.status} {r.url}"))
    return messages


def visit(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.status < 500, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp")


def problems(messages: list[str]) -> list[str]:
    return [m for m in messages if (m.startswith("error") and "Failed to load resource" not in m)
            or "Content Security Policy" in m or "Content-Security-Policy" in m]


def test_no_csp_violation_on_the_main_pages(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    messages = watch(context)
    page = context.new_page()
    violations: dict[str, list[str]] = {}
    for path in ("/", "/menu/anti_fraud", "/orders/new?topic=anti_fraud", "/track",
                 "/auth/login"):
        violations[path] = visit(page, live_server + path)

    # the order form's own script runs under the policy: it fetches and shows real slots
    page.goto(f"{live_server}/orders/new?topic=anti_fraud")
    today = now_utc().astimezone(TZ).date()
    page.locator("input[name=format][value=field_class]").check()
    page.locator("select[name=place]").select_option(index=1)
    page.fill("input[name=earliest]", (today + timedelta(days=3)).isoformat())
    page.fill("input[name=latest]", (today + timedelta(days=20)).isoformat())
    page.locator("#slot-preview li").first.wait_for(timeout=10_000)
    violations["order form script"] = page.evaluate("window.__csp")

    for username, paths in (("member01", ["/member/", "/member/schedule", "/member/availability"]),
                            ("coordinator", ["/coord/", "/coord/sessions", "/coord/calendar",
                                             "/coord/calendar?view=week", "/coord/reports",
                                             "/coord/orders/new"])):
        page.goto(f"{live_server}/auth/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "demo1234")
        page.locator("form button[type=submit]").last.click()
        page.wait_for_load_state("networkidle")
        for path in paths:
            violations[path] = visit(page, live_server + path)
        page.locator("header form button[type=submit]").click()  # log out
        page.wait_for_load_state("networkidle")

    assert {path: v for path, v in violations.items() if v} == {}
    assert problems(messages) == []
    context.close()
