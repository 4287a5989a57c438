"""At 390x844 (a phone held upright) the caseload, the referral list, the dashboard and the live room
fit the screen: the document is no wider than the viewport, table rows stack their cells one under
another, and the buttons a thumb presses are at least 44 px tall. Measured on element boxes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.demo_district import ensure_open_conference, ensure_received_referral, sign_in
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: the smallest touch target (WCAG 2.5.5, Apple's and Android's guidance)
THUMB_PX = 44

# Everything is measured in the page: widths of the document, the boxes of the first data row's cells,
# and every visible button-like control of the main area (hidden ones have no box).
MEASURE = """
() => {
  const doc = document.documentElement;
  const rows = [...document.querySelectorAll('main table tbody tr')]
    .filter(row => row.cells.length > 1 && row.getBoundingClientRect().height > 0);
  const stacked = rows.slice(0, 3).map(row => {
    const boxes = [...row.cells].filter(c => c.getBoundingClientRect().height > 0)
      .map(c => c.getBoundingClientRect());
    return {
      cells: boxes.length,
      sameLeft: boxes.every(b => Math.abs(b.left - boxes[0].left) < 2),
      downwards: boxes.every((b, i) => i === 0 || b.top >= boxes[i - 1].bottom - 1),
      labels: [...row.cells].map(c => getComputedStyle(c, '::before').content),
    };
  });
  const small = [...document.querySelectorAll(
      'main button, main .button, main input[type=submit], main select')]
    .filter(el => el.getBoundingClientRect().height > 0)
    .filter(el => el.getBoundingClientRect().height < 43.5)
    .map(el => (el.id || el.className || el.tagName) + ' ' + Math.round(el.getBoundingClientRect().height));
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > screen.width + 1)
    .slice(0, 5)
    .map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right));
  return {
    wide,
    viewport: Math.min(window.innerWidth, screen.width),
    scrollWidth: Math.max(doc.scrollWidth, document.body.scrollWidth),
    tables: document.querySelectorAll('main table').length,
    stacked, small,
  };
}
"""


def _phone(chromium: Any, live_server: LiveServer, name: str) -> Any:
    return sign_in(chromium, live_server, name, viewport=PHONE, has_touch=True, is_mobile=True)


def _measure(page: Any, where: str, *, tables: bool = True) -> list[str]:
    found = page.evaluate(MEASURE)
    problems: list[str] = []
    if found["scrollWidth"] > found["viewport"]:
        problems.append(
            f"{where}: document {found['scrollWidth']}px wide in a {found['viewport']}px screen: "
            f"{found['wide']}"
        )
    if tables:
        if not found["stacked"]:
            problems.append(f"{where}: no table row to measure")
        for index, row in enumerate(found["stacked"]):
            if not (row["sameLeft"] and row["downwards"]):
                problems.append(f"{where}: row {index + 1}'s {row['cells']} cells do not stack")
            if not any(re.search(r"\w", label or "") for label in row["labels"] if label != "none"):
                problems.append(f"{where}: row {index + 1}'s cells carry no column label: {row['labels']}")
    problems += [f"{where}: control under {THUMB_PX}px: {text}" for text in found["small"]]
    return problems


def _nav(page: Any, name: str) -> None:
    """Follow a header link and wait for the new page's styles and scripts (measure nothing half-loaded)."""
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("navigation", name="주 메뉴").locator('a[aria-current="page"]')).to_have_text(
        name
    )
    page.wait_for_load_state("load")


@pytest.mark.usefixtures("reset_rate_limits")
def test_caseload_referrals_and_dashboard_stack_on_a_phone(chromium: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    ensure_received_referral(live_server)
    problems: list[str] = []
    page = _phone(chromium, live_server, "이복지")
    try:
        _nav(page, "사례")
        expect(page.get_by_role("heading", level=1)).to_contain_text("사례 목록")
        problems += _measure(page, "caseload (dong worker)")
    finally:
        page.context.close()
    page = _phone(chromium, live_server, "최사례")
    try:
        _nav(page, "서비스 의뢰")
        expect(page.get_by_role("link", name="받은 의뢰")).to_have_attribute("aria-current", "page")
        problems += _measure(page, "referrals received (agency worker)")
    finally:
        page.context.close()
    page = _phone(chromium, live_server, "김조정")
    try:
        _nav(page, "대시보드")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        problems += _measure(page, "dashboard (coordinator)")
        _nav(page, "사례")
        problems += _measure(page, "caseload (coordinator)")
    finally:
        page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.usefixtures("reset_rate_limits")
def test_live_room_fits_a_phone_and_its_buttons_take_a_thumb(chromium: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    meeting = ensure_open_conference(live_server)
    # Someone no other browser test seats in a meeting (a check-in is kept for the session).
    page = _phone(chromium, live_server, "강자활")
    try:
        _nav(page, "통합사례회의")
        page.get_by_role("link", name=meeting, exact=True).click()
        if page.get_by_role("button", name="체크인").count():
            page.get_by_role("button", name="체크인").click()
        if page.get_by_label("위 내용을 읽었으며 서약합니다.").count():
            page.get_by_label("위 내용을 읽었으며 서약합니다.").check()
            page.get_by_role("button", name="서약하고 입장").click()
        expect(page.locator("#connection")).to_have_text("연결됨")
        problems = _measure(page, "live room (agency worker)", tables=False)
        # The agenda's own buttons (choose an item) are the thumb's main target in the room.
        heights = page.locator(".agenda__pick").evaluate_all(
            "nodes => nodes.map(n => n.getBoundingClientRect().height)"
        )
        assert heights, "the room shows no agenda"
        problems += [f"agenda button {h:.0f}px" for h in heights if h < THUMB_PX]
    finally:
        page.context.close()
    assert not problems, "\n".join(problems)
