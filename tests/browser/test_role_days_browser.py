"""A day of each demo role in a real browser: sign in through the development provider, start from the
home page (내 할 일) and finish the role's main journey by links and buttons alone, never a typed URL.
What was written is checked from a separate database connection, not through the app."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.demo_district import ensure_received_referral, sign_in
from tests.fixtures.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("reset_rate_limits")]


def _home(page: Any) -> None:
    """Go home by the brand link, and see the work queue there."""
    from playwright.sync_api import expect

    page.get_by_role("banner").get_by_role("link", name="함께 첫 화면").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("내 할 일")


def _nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name=name, exact=True).click()


def _work(page: Any, section: str) -> Any:
    """The home page's section of one kind of work (its links lead to where the work is done)."""
    return page.locator(f'section.worklist[data-section="{section}"]')


def _id_in_url(page: Any, pattern: str) -> int:
    found = re.search(pattern, page.url)
    assert found, f"{page.url} does not match {pattern}"
    return int(found.group(1))


def test_dong_worker_opens_a_case_from_the_caseload_and_records_the_intake(
    chromium: Any, live_server: LiveServer, database: sa.Engine
) -> None:
    from playwright.sync_api import expect

    page = sign_in(chromium, live_server, "이복지")
    try:
        _home(page)
        _nav(page, "사례")
        expect(page.get_by_role("heading", level=1)).to_contain_text("사례 목록")
        page.get_by_label("단계").select_option(label="초기상담")
        page.get_by_role("button", name="거르기").click()
        rows = page.locator("main table tbody tr")
        expect(rows.first).to_contain_text("초기상담")
        number = rows.first.locator("td").first.inner_text().strip()
        rows.first.get_by_role("link", name=number).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(number)
        case_id = _id_in_url(page, r"/cases/(\d+)")

        page.get_by_role("link", name="초기상담 기록").click()
        page.get_by_label("상담유형").select_option(label="전화")
        page.get_by_label("주 호소 (대상자의 말 그대로)").fill("요즘 끼니를 거를 때가 많아요")
        page.get_by_label("사실 기록 (객관적, 공유 가능한 내용)").fill("전화 상담, 식사 지원 문의")
        page.get_by_label("상담자 의견 (사실과 구분)").fill("식품 지원 연계가 먼저 필요해 보임")
        ground = page.get_by_label("개인정보 수집 근거")
        if ground.count():
            ground.select_option(label="법령상 근거 (공공기관의 소관 업무)")
            page.get_by_label("근거 법령과 조항", exact=False).fill("사회보장급여법 제42조의2")
        page.get_by_role("button", name="저장").click()
        expect(page.locator(".flash--success")).to_contain_text("초기상담 기록")
        expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    finally:
        page.context.close()

    with database.connect() as connection:
        written = connection.execute(
            sa.text(
                "SELECT count(*) FROM case_intake_records r JOIN people p ON p.id = r.counsellor_id "
                "WHERE r.case_id = :case AND p.email = 'lee.dong@hanbit.go.kr'"
            ),
            {"case": case_id},
        ).scalar_one()
    assert written >= 1


def test_agency_worker_answers_a_received_referral_from_the_home_page(
    chromium: Any, live_server: LiveServer, database: sa.Engine
) -> None:
    from playwright.sync_api import expect

    ensure_received_referral(live_server)
    page = sign_in(chromium, live_server, "최사례")
    try:
        _home(page)
        waiting = _work(page, "referrals")
        expect(waiting.get_by_role("heading")).to_contain_text("답하거나 결과를 알릴 의뢰")
        waiting.get_by_role("listitem").filter(has_text="의뢰함").first.get_by_role("link").click()
        referral_id = _id_in_url(page, r"/referrals/(\d+)")
        expect(page.locator(".badge, .status").filter(has_text="의뢰함").first).to_be_visible()
        page.get_by_role("button", name="수락", exact=True).click()
        expect(page.get_by_role("main")).to_contain_text("수락")
        expect(page.get_by_role("button", name="서비스 시작")).to_be_visible()
    finally:
        page.context.close()

    with database.connect() as connection:
        status, receiver = connection.execute(
            sa.text(
                "SELECT r.status, a.code FROM referrals r JOIN agencies a ON a.id = r.receiving_agency_id "
                "WHERE r.id = :id"
            ),
            {"id": referral_id},
        ).one()
    assert (status, receiver) == ("accepted", "hanbit-welfare")


def test_coordinator_decides_an_escalation_and_opens_the_conference_agenda(
    chromium: Any, live_server: LiveServer, database: sa.Engine
) -> None:
    from playwright.sync_api import expect

    page = sign_in(chromium, live_server, "김조정")
    try:
        _home(page)
        waiting = _work(page, "escalations")
        expect(waiting.get_by_role("heading")).to_contain_text("결정을 기다리는 구청 의뢰")
        waiting.get_by_role("listitem").first.get_by_role("link").click()
        escalation_id = _id_in_url(page, r"/escalations/(\d+)")
        expect(page.locator(".escalation-status")).to_have_text("구청 검토 중")
        page.get_by_label("배정").select_option(label="권역 정기 통합사례회의 안건")
        page.get_by_role("button", name="접수", exact=True).click()
        expect(page.locator(".escalation-status")).to_contain_text("구청 접수")

        _home(page)
        meetings = _work(page, "conferences")
        expect(meetings.get_by_role("heading")).to_contain_text("준비하거나 서명할 통합사례회의")
        # A scheduled meeting's line leads to its preparation page (other browser tests may have
        # added meetings or closed the demo one: any meeting to prepare will do).
        line = meetings.get_by_role("link").filter(has_text="회의 준비").first
        title = line.inner_text().split(" · ")[0].strip()
        line.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_role("heading", name="안건", exact=True)).to_be_visible()
        expect(page.locator("table.agenda-table tbody tr").first).to_be_visible()
        page.get_by_role("link", name="회의실 입장").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    finally:
        page.context.close()

    with database.connect() as connection:
        status = connection.execute(
            sa.text("SELECT status FROM case_escalations WHERE id = :id"), {"id": escalation_id}
        ).scalar_one()
    assert status == "accepted"


def test_supervisor_follows_the_dong_escalations(chromium: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    page = sign_in(chromium, live_server, "박팀장")
    try:
        _home(page)
        _nav(page, "사례")
        page.get_by_role("link", name="구청 의뢰 현황").click()
        rows = page.locator("main table tbody tr")
        expect(rows.first).to_be_visible()
        expect(page.locator("main table")).to_contain_text("반려")
        rows.filter(has_text="반려").first.get_by_role("link").first.click()
        expect(page.locator(".escalation-status")).to_contain_text("반려")
        # The district's guidance on a returned escalation is what the team lead acts on.
        expect(page.get_by_role("main")).to_contain_text("구청 안내")
        expect(page.get_by_role("button", name="접수", exact=True)).to_have_count(0)
    finally:
        page.context.close()


def test_auditor_finds_a_workers_access_in_the_access_log(chromium: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    # A dong worker reads a case first: that disclosure is what the auditor then looks for.
    worker = sign_in(chromium, live_server, "이복지")
    try:
        _nav(worker, "사례")
        worker.locator("main table tbody tr").first.get_by_role("link").first.click()
        expect(worker.get_by_role("heading", level=1)).to_contain_text("사례")
    finally:
        worker.context.close()

    page = sign_in(chromium, live_server, "서감사")
    try:
        _home(page)
        page.get_by_role("link", name="개인정보 접속기록 검색").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("개인정보 접속기록")
        page.get_by_label("기관").select_option(label="솔내동 주민센터")
        page.get_by_role("button", name="검색", exact=True).click()
        rows = page.locator("main table tbody tr")
        expect(rows.first).to_contain_text("이복지")
        agencies = rows.locator('td[data-label="기관"]').all_inner_texts()
        assert agencies
        assert set(agencies) == {"솔내동 주민센터"}
    finally:
        page.context.close()
