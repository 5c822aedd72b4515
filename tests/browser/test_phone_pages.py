"""The pages measured as an older resident meets them on a phone, and as staff on a desktop.

On the key phone pages, in standard and large text (大字模式): every tap target at least
44×44 px (a link inside a sentence excepted, as WCAG 2.5.8 allows; a checkbox counts with its
label), all text in the page body at least 16 px (20 px in large text), and no sideways
scrolling at 320 px width, at 200% zoom (a 1280 px screen zoomed is 640 CSS px), nor on a 390 px
phone with the root text size doubled (how a phone's or WeChat's font-size setting acts, which
older people turn up). axe-core,
installed from the npm registry (tests/browser/package.json), finds no violation on twelve
pages; in large text it holds the stricter contrast rule (7:1) too.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from points.db import session, utcnow
from tests.browser.conftest import DESKTOP, PHONE, log_in_at, screenshot
from tests.browser.seed import person_at, staff_at

pytestmark = pytest.mark.browser

AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"

# What the measurement reads in the page: the tap targets and text sizes that fall short.
MEASURE = """
(minText) => {
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== "hidden";
  };
  const inSentence = (el) => el.tagName === "A" && [...el.parentElement.childNodes].some(
    (n) => n !== el && n.nodeType === Node.TEXT_NODE && n.textContent.trim().length > 1);
  const name = (el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : "") +
    " " + JSON.stringify((el.textContent || el.value || el.name || "").trim().slice(0, 20));
  const taps = [];
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(selector)) {
    if (el.classList.contains("skip") || !shown(el) || inSentence(el)) continue;
    const target = el.matches("input[type=checkbox], input[type=radio]") ? (el.closest("label") || el) : el;
    const r = target.getBoundingClientRect();
    if (r.width < 43.5 || r.height < 43.5) taps.push(`${name(el)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const small = [];
  const main = document.querySelector("main");
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || el.closest("select, option, script, style") || !shown(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < minText - 0.01) small.push(`${name(el)} ${size}px`);
  }
  return {taps: [...new Set(taps)], small: [...new Set(small)]};
}
"""
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# A phone's or WeChat's font-size setting at its largest: the root text size doubled.
# (Set through the CSSOM: the pages' Content-Security-Policy refuses an inline style sheet.)
ROOT_DOUBLED = "document.documentElement.style.setProperty('font-size', '200%', 'important')"


@pytest.fixture(scope="module")
def people(live_server):
    """Staff and a resident of their own, with tasks in each standing a card can say: one to
    claim, one for party members only, a full one, one the resident holds that has begun and one
    that has not."""
    from points.auth.current import actor_for
    from points.board import operations as board

    with live_server.app.app_context():
        (staff,) = staff_at(live_server.community_id, ("13700000081", "周海燕"))
        resident = person_at(live_server.community_id, "13700000082", "韩桂芝")
        other = person_at(live_server.community_id, "13700000083", "冯建军")
        # Registered without a verified phone: on the staff's list of new accounts to confirm.
        newcomer = person_at(live_server.community_id, "13700000084", "欧阳秀英")
        newcomer.needs_confirmation = True
        now = utcnow()

        def task(title, start, **fields):
            values = {"slots": 3, "eligibility": "anyone", "reward_xingan": 5, **fields}
            return board.create_task(
                actor=actor_for(staff),
                community_id=live_server.community_id,
                title=title,
                category="环境整治",
                place="三号楼",
                description="一至六层楼道",
                starts_at=now + start,
                ends_at=now + start + timedelta(hours=3),
                claim_deadline=now + max(start, timedelta(hours=1)),
                post=True,
                **values,
            )

        open_task = task("花坛除草", timedelta(days=2))
        task("党员先锋岗值守", timedelta(days=2), eligibility="party_members", reward_hongsong=10)
        full = task("独居老人探访", timedelta(days=1), slots=1)
        board.claim_task(actor=actor_for(other), task_id=full.id)
        begun = task("小区垃圾分类引导", timedelta(hours=-1))
        board.claim_task(actor=actor_for(resident), task_id=begun.id, now=now - timedelta(hours=2))
        later = task("重阳节场地布置", timedelta(days=3))
        board.claim_task(actor=actor_for(resident), task_id=later.id)
        session().commit()
        return {"staff": staff, "resident": resident, "task_id": open_task.id}


def phone_pages(people) -> list[str]:
    return [
        "/",
        "/board",
        f"/tasks/{people['task_id']}",
        "/my/claims",
        "/points",
        "/store",
        "/help",
        "/me",
    ]


STAFF_PAGES = ["/staff", "/approvals", "/people", "/audit"]


def _context(browser, live_server, viewport, *, large: bool, scale: float = 1):
    context = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport=viewport, device_scale_factor=scale
    )
    context.set_default_timeout(10_000)
    if large:
        context.add_cookies([{"name": "large_text", "value": "1", "url": live_server.url}])
    return context


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large"])
def test_phone_pages_are_big_enough_and_never_scroll_sideways(browser, live_server, people, large):
    min_text = 20 if large else 16
    problems = {}
    for viewport, scale, doubled in (
        (PHONE, 1, False),
        ({"width": 320, "height": 640}, 1, False),
        ({"width": 640, "height": 400}, 2, False),
        (PHONE, 1, True),
    ):
        context = _context(browser, live_server, viewport, large=large, scale=scale)
        page = context.new_page()
        log_in_at(page, people["resident"].phone)
        for path in phone_pages(people):
            page.goto(path)
            where = f"{path} at {viewport['width']}px"
            if doubled:
                page.evaluate(ROOT_DOUBLED)
                where += " with the root text doubled"
            sideways = page.evaluate(SIDEWAYS)
            if sideways > 0:
                problems[f"{where}: scrolls sideways by"] = sideways
            if viewport is PHONE and not doubled:
                found = page.evaluate(MEASURE, min_text)
                if found["taps"]:
                    problems[f"{where}: tap targets under 44x44"] = found["taps"]
                if found["small"]:
                    problems[f"{where}: text under {min_text}px"] = found["small"]
        context.close()
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


def _axe(page, *, strict_contrast: bool) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    rules = {"color-contrast-enhanced": {"enabled": True}} if strict_contrast else {}
    result = page.evaluate(
        "async (rules) => await axe.run(document, {rules, resultTypes: ['violations']})", rules
    )
    return [
        f"{page.url} {v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large"])
def test_axe_finds_no_violation_on_twelve_pages(browser, live_server, people, large):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser`", pytrace=False)
    violations = []
    for viewport, person, paths in (
        (PHONE, people["resident"], phone_pages(people)),
        (DESKTOP, people["staff"], STAFF_PAGES),
    ):
        context = _context(browser, live_server, viewport, large=large)
        page = context.new_page()
        log_in_at(page, person.phone)
        for path in paths:
            page.goto(path)
            violations += _axe(page, strict_contrast=large)
        context.close()
    assert violations == []


def test_screenshots_of_the_main_pages(browser, live_server, people):
    """Every main page on a phone (a resident) and on a desktop (staff), in Chinese and English,
    in standard and large text, saved under build/screenshots/ as <device>-<language>-<size>-<page>.png."""
    saved = []
    for language in ("zh", "en"):
        for large in (False, True):
            for device, viewport, person, paths in (
                ("phone", PHONE, people["resident"], phone_pages(people)),
                ("desktop", DESKTOP, people["staff"], ["/", "/board", *STAFF_PAGES]),
            ):
                context = _context(browser, live_server, viewport, large=large)
                context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
                page = context.new_page()
                log_in_at(page, person.phone)
                for path in paths:
                    page.goto(path)
                    slug = path.strip("/").replace("/", "-") or "home"
                    size = "large" if large else "standard"
                    saved.append(screenshot(page, f"{device}-{language}-{size}-{slug}"))
                context.close()
    assert all(path.stat().st_size > 0 for path in saved) and len(saved) == 56


def test_staff_pages_never_scroll_sideways(browser, live_server, people):
    """Staff pages at the narrowest desktop with the sidebar (1024 px) and on a 320 px phone."""
    sideways = {}
    for viewport in ({"width": 1024, "height": 768}, {"width": 320, "height": 640}):
        context = _context(browser, live_server, viewport, large=False)
        page = context.new_page()
        log_in_at(page, people["staff"].phone)
        paths = [*STAFF_PAGES, f"/tasks/{people['task_id']}", "/tasks/new", "/ledger", "/verify"]
        for path in [*paths, "/people/new-accounts"]:
            page.goto(path)
            if (extra := page.evaluate(SIDEWAYS)) > 0:
                sideways[f"{path} at {viewport['width']}px"] = extra
        context.close()
    assert sideways == {}
