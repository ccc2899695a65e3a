"""Helpers the browser tests share: logging in, axe-core, tap targets, zoom and screenshots."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
PASSWORD = "demo1234"
DEFAULT_SHOTS = "artifacts/screenshots"


def context(browser, *, phone: bool, lang: str = "zh", **options):
    """A fresh browser context: a phone (390×844, touch) or a desktop (1440×900)."""
    if phone:
        options.update(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    else:
        options.update(viewport=DESKTOP)
    context = browser.new_context(locale="zh-CN" if lang == "zh" else "en-US", **options)
    context.set_default_timeout(10_000)  # a page of this app answers in well under a second
    return context


def choose_language(page, url: str, lang: str) -> None:
    """Chinese is the default; ``?lang=en`` (what the header's link does) sets the cookie."""
    if lang == "en":
        page.goto(f"{url}/?lang=en")


def login(page, url: str, username: str) -> None:
    page.goto(f"{url}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/auth/login" not in page.url, f"{username} could not log in"


# ------------------------------------------------------------------ screenshots

def shots_folder() -> Path | None:
    """Where the screenshots go: ``LECTUREORDER_SCREENSHOTS`` names the folder (``1`` means the
    default, artifacts/screenshots); in CI (``CI`` set) the default folder too; else none."""
    value = os.environ.get("LECTUREORDER_SCREENSHOTS", "")
    if value.lower() in ("", "0", "false", "no"):
        value = DEFAULT_SHOTS if os.environ.get("CI") and value == "" else ""
    if not value:
        return None
    folder = Path(DEFAULT_SHOTS if value.lower() in ("1", "true", "yes") else value)
    folder = folder if folder.is_absolute() else ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page, name: str) -> None:
    """A full-page screenshot named ``name`` (e.g. ``menu-zh-390``), when screenshots are kept."""
    folder = shots_folder()
    if folder is not None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        page.screenshot(path=str(folder / f"{safe}.png"), full_page=True)


# ------------------------------------------------------------------ axe-core

def axe_script() -> str:
    """axe-core's source from node_modules (``npm ci``): without it the test skips, except in
    CI, where a missing axe is a failure (never a silently green run)."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: run `npm ci` (CI must check accessibility)")
        pytest.skip("axe-core is not installed (run `npm install` at the repository root)")
    return AXE.read_text(encoding="utf-8")


RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " +
                                                   (n.failureSummary || "").split("\\n").slice(1, 2).join(""))}));
}"""


def axe_violations(page, source: str) -> list[dict]:
    """The serious and critical axe-core violations of the page as it is now. The context must
    be made with ``bypass_csp=True`` (the app's CSP refuses inline scripts, rightly)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    return page.evaluate(RUN_AXE)


# ------------------------------------------------------------------ tap targets and zoom

TARGETS = """(minimum) => {
  const small = [];
  const seen = new Set();
  const selector = "header a, header button, main a, main button, main input:not([type=hidden]), " +
                   "main select, main textarea, main summary, footer a";
  for (const el of document.querySelectorAll(selector)) {
    // A radio or a checkbox is tapped through its label (the whole row).
    let target = el;
    if (el.matches("input[type=radio], input[type=checkbox]") && el.closest("label")) {
      target = el.closest("label");
    } else if (el.matches("input[type=radio], input[type=checkbox]") && el.id &&
               document.querySelector(`label[for="${el.id}"]`)) {
      target = document.querySelector(`label[for="${el.id}"]`);
    }
    if (seen.has(target)) continue;
    seen.add(target);
    const style = getComputedStyle(target);
    // Not drawn: hidden, or inside a folded <details> (which still reports boxes).
    if (!target.checkVisibility({visibilityProperty: true})) continue;
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;          // not rendered
    if (target.classList.contains("skip")) continue;           // off-screen until focused
    // The coverage map's dots: each has the same link in the table under the map (2.5.8's
    // "equivalent" exception).
    if (target.closest("svg")) continue;
    // WCAG 2.5.8's exception: a link inside a sentence is as tall as the line it sits in.
    const inSentence = target.tagName === "A" && style.display === "inline" && target.closest("main") &&
      target.parentElement && target.parentElement.matches("p, li, dd, td, span, small, label") &&
      target.parentElement.textContent.trim().length > target.textContent.trim().length + 12;
    if (inSentence) continue;
    if (box.height < minimum - 0.5 || box.width < Math.min(minimum, 44) - 0.5) {
      const name = (target.innerText || target.value || target.getAttribute("aria-label") ||
                    target.name || target.tagName).trim().replace(/\\s+/g, " ").slice(0, 40);
      small.push(`${target.tagName.toLowerCase()} "${name}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


def small_targets(page, minimum: int) -> list[str]:
    """Links, buttons and fields of the header, main part and footer smaller than ``minimum``
    CSS pixels high (and 44 px wide): each as 'tag "name" WxH'."""
    return page.evaluate(TARGETS, minimum)


def sideways_scroll(page) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


OVERLAPS = """() => {
  // Leaf text boxes (elements whose own text is not empty) that are visible; two of them
  // overlapping by more than 2 px each way means text drawn over text.
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el) || el.closest("svg, .skip, .cal-sr, .visually-hidden, script, style, title")) continue;
    seen.add(el);
    // Not drawn: hidden, or inside a folded <details> (which still reports boxes).
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 2 || r.height < 2) continue;
      boxes.push({el, r, text: node.textContent.trim().slice(0, 30)});
    }
  }
  const hits = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (x > 2 && y > 2) hits.push(`"${a.text}" over "${b.text}"`);
      if (hits.length > 10) return hits;
    }
  }
  return hits;
}"""


def text_overlaps(page) -> list[str]:
    """Pairs of text runs drawn over each other (a few, as 'a over b')."""
    return page.evaluate(OVERLAPS)


def zoom_text(page, percent: int = 200) -> None:
    """Text zoom as a browser's or WeChat's text-size setting does it: the root font size."""
    page.evaluate("""(percent) => {
      const root = document.documentElement;
      const size = parseFloat(getComputedStyle(root).fontSize);
      root.style.fontSize = (size * percent / 100) + "px";
    }""", percent)
