"""Refused forms answer inline (htmx): the form alone is replaced with every error and the input kept.

A coordinator records a meeting already held on paper. Posting it without the 사후 기록 사유 used to
cost a full page load at best (and the scheduling form refused a past date outright). Now the 422
replaces only the form, in place, focus lands on the error summary, and the page itself never
navigates; once the reason is given the next page loads as usual. What was written (nothing, then the
conference with no invitation sent) is read from a separate database connection.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.demo_district import sign_in
from tests.fixtures.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reset_rate_limits")]

COORDINATOR = "김조정"
TITLE = "종이 회의록으로 진행한 긴급 위기사례회의"
PLACE = "한빛구청 2층 소회의실"
REASON = "전산 장애로 종이 회의록에 기록했고, 오늘 옮겨 적습니다."


def _conference_rows(database: sa.Engine) -> list[Any]:
    with database.connect() as connection:
        return list(
            connection.execute(
                sa.text("SELECT id, status, recorded_after_reason FROM conferences WHERE title = :title"),
                {"title": TITLE},
            )
        )


def test_a_refused_form_is_replaced_in_place_with_its_errors_and_input_then_succeeds(
    chromium: Any, live_server: LiveServer, database: sa.Engine
) -> None:
    from playwright.sync_api import expect

    from hamkke.time import today_local

    page = sign_in(chromium, live_server, COORDINATOR)
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_errors.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    try:
        nav = page.get_by_role("navigation", name="주 메뉴")
        nav.get_by_role("link", name="통합사례회의", exact=True).click()
        page.get_by_role("link", name="회의 잡기").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("회의 잡기")
        held_on = (today_local() - timedelta(days=2)).isoformat()
        page.get_by_label("회의 종류").select_option(label="긴급 위기사례회의")
        page.get_by_label("회의 주제").fill(TITLE)
        page.get_by_label("날짜").fill(held_on)
        page.get_by_label("시작 시각").fill("10:00")
        page.get_by_label("장소", exact=True).fill(PLACE)
        # A full page load would drop this mark; an inline swap keeps the page (and the mark) alive.
        page.evaluate("window.hamkkeInlineMark = 'same page'")

        page.get_by_role("button", name="회의 잡기").click()

        summary = page.locator("#conference-new-form #form-errors")
        expect(summary).to_contain_text("사후 기록 사유를 적어야 기록할 수 있습니다")
        expect(summary).to_be_focused()
        reason = page.get_by_label("사후 기록 사유 (지난 회의일 때 필수)")
        expect(reason).to_have_attribute("aria-invalid", "true")
        assert page.evaluate("window.hamkkeInlineMark") == "same page"
        # Everything typed is still there, the choices too.
        expect(page.get_by_label("회의 주제")).to_have_value(TITLE)
        expect(page.get_by_label("날짜")).to_have_value(held_on)
        expect(page.get_by_label("시작 시각")).to_have_value("10:00")
        expect(page.get_by_label("장소", exact=True)).to_have_value(PLACE)
        expect(page.get_by_label("회의 종류")).to_have_value("urgent")
        assert _conference_rows(database) == []

        reason.fill(REASON)
        page.get_by_role("button", name="회의 잡기").click()

        expect(page).to_have_url(re.compile(r"/conferences/\d+/plan$"))
        assert page.evaluate("window.hamkkeInlineMark") is None
        expect(page.locator(".flash--success")).to_contain_text("사후 기록")
        expect(page.locator(".plan__facts")).to_contain_text(REASON)
        rows = _conference_rows(database)
        assert [(row.status, row.recorded_after_reason) for row in rows] == [("live", REASON)]
        with database.connect() as connection:
            told = connection.execute(
                sa.text("SELECT count(*) FROM notifications WHERE link LIKE :link"),
                {"link": f"/conferences/{rows[0].id}%"},
            ).scalar_one()
        assert told == 0
        assert csp_errors == []
    finally:
        page.context.close()
