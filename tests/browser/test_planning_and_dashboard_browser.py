"""Preparing a 권역 conference in two browsers (schedule, invite, RSVP, propose, edit, approve, briefing),
and the district dashboard's CSV export reached with the keyboard."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

#: the second agency the coordinator invites, and its demo case worker
GUEST_AGENCY_CODE = "hanbit-welfare"
GUEST_AGENCY_NAME = "한빛종합사회복지관"
GUEST_WORKER = "최사례"
COORDINATOR = "김조정"
TITLE = "1권역 시험 정기 통합사례회의"
PROPOSED = "월세 체납 가구 지원 방안"
EDITED = "월세 체납 가구 주거 지원 방안"
#: the agenda table's cells after the row header: 순서, 출처, 발표자, 시간, 상태
STATUS_CELL = 4


def _sign_in(chromium: Any, live_server: LiveServer, name: str) -> Any:
    from playwright.sync_api import expect

    context = chromium.new_context(locale="ko-KR", timezone_id="Asia/Seoul", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("banner").get_by_role("link", name="로그인", exact=True).click()
    page.get_by_role("main").get_by_role("link", name=name, exact=True).click()
    page.locator("button.hinted").click()
    expect(page.locator(".account__name")).to_have_text(name)
    return page


def _case_number(live_server: LiveServer, case_id: int) -> str:
    """Return the number people know the case by."""
    from cases.models import Case
    from hamkke.db import db

    with live_server.app.app_context():
        case = db.session.get(Case, case_id)
        assert case is not None
        number = case.number
        db.session.remove()
    return number


def _guest_case_id(live_server: LiveServer) -> int:
    """Return an open case the guest agency owns or leads (the one its worker may put on the agenda)."""
    from agencies.models import Agency
    from cases.models import Case, CaseStage
    from hamkke.db import db

    with live_server.app.app_context():
        agency_id = db.session.scalar(sa.select(Agency.id).where(Agency.code == GUEST_AGENCY_CODE))
        case_id = db.session.scalar(
            sa.select(Case.id)
            .where(
                sa.or_(Case.owning_agency_id == agency_id, Case.lead_agency_id == agency_id),
                Case.is_deleted.is_(False),
                Case.stage != CaseStage.closed,
            )
            .order_by(Case.id)
            .limit(1)
        )
        db.session.remove()
    assert case_id is not None, f"the demo gives {GUEST_AGENCY_CODE} no open case"
    return int(case_id)


def _press_tab_until(page: Any, predicate: str, *, limit: int = 40) -> None:
    """Press Tab until the focused element satisfies a JavaScript predicate on ``el``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({predicate}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element with {predicate}")


def test_coordinator_prepares_a_regional_conference_with_a_second_agency(
    chromium: Any, live_server: LiveServer
) -> None:
    case_id = _guest_case_id(live_server)
    coordinator = _sign_in(chromium, live_server, COORDINATOR)
    worker = _sign_in(chromium, live_server, GUEST_WORKER)
    try:
        _prepare_conference(coordinator, worker, live_server=live_server, case_id=case_id)
    finally:
        for page in (coordinator, worker):
            page.context.close()


def _prepare_conference(coordinator: Any, worker: Any, *, live_server: LiveServer, case_id: int) -> None:
    from playwright.sync_api import expect

    from hamkke.time import today_local

    # Schedule: tomorrow (Asia/Seoul) with the briefing open three days before, so it is open now.
    coordinator.goto(live_server.url + "/conferences/new")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("회의 잡기")
    coordinator.get_by_label("회의 종류").select_option(label="권역 정기 통합사례회의")
    coordinator.get_by_label("회의 주제").fill(TITLE)
    coordinator.get_by_label("날짜").fill((today_local() + timedelta(days=1)).isoformat())
    coordinator.get_by_label("시작 시각").fill("14:00")
    coordinator.get_by_label("장소", exact=True).fill("한빛구청 3층 회의실")
    coordinator.get_by_label("권역").select_option(label="1권역(북부)")
    coordinator.get_by_label("사전자료 공개 (회의 며칠 전부터)").fill("3")
    coordinator.get_by_role("button", name="회의 잡기").focus()
    coordinator.keyboard.press("Enter")

    expect(coordinator).to_have_url(re.compile(r"/conferences/\d+/plan$"))
    conference_url = coordinator.url.removesuffix("/plan")
    expect(coordinator.locator(".flash--success")).to_contain_text("회의를 잡았습니다.")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(TITLE)
    facts = coordinator.locator(".plan__facts")
    expect(facts).to_contain_text("권역 정기 통합사례회의")
    expect(facts).to_contain_text("초안")
    invitations = coordinator.get_by_role("table", name="초대 목록")
    expect(invitations).to_contain_text("아직 초대한 기관이 없습니다.")

    # Invite the second agency as a network member.
    coordinator.get_by_label("기관", exact=True).select_option(label=GUEST_AGENCY_NAME)
    coordinator.get_by_label("구분", exact=True).select_option("member")
    coordinator.locator("#invite-form").get_by_role("button", name="초대").click()
    expect(coordinator.locator(".flash--success")).to_contain_text("초대했습니다.")
    guest_row = invitations.get_by_role("row").filter(has_text=GUEST_AGENCY_NAME)
    expect(guest_row).to_contain_text("응답 전")

    # The agency's worker answers the RSVP with the keyboard: Space on the radio, Tab to the button.
    worker.goto(conference_url + "/plan")
    expect(worker.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(worker.locator("#invite-form")).to_have_count(0)
    rsvp = worker.get_by_role("group", name=f"{GUEST_AGENCY_NAME} 참석 여부 알리기")
    accept = rsvp.get_by_role("radio", name="참석", exact=True)
    accept.focus()
    worker.keyboard.press("Space")
    expect(accept).to_be_checked()
    _press_tab_until(worker, "el.tagName === 'BUTTON' && el.textContent.trim() === '알리기'")
    worker.keyboard.press("Enter")
    expect(worker.locator(".flash--success")).to_contain_text("참석 여부를 알렸습니다.")
    worker_invitations = worker.get_by_role("table", name="초대 목록")
    expect(worker_invitations.get_by_role("row").filter(has_text=GUEST_AGENCY_NAME)).to_contain_text("참석")
    expect(worker_invitations.get_by_role("row").filter(has_text=GUEST_AGENCY_NAME)).not_to_contain_text(
        "응답 전"
    )

    # ... and proposes an item for a case the agency owns or leads.
    propose = worker.locator("#propose-form")
    propose.get_by_label("안건 제목").fill(PROPOSED)
    propose.get_by_label("사례 (우리 기관 사례)").select_option(str(case_id))
    propose.get_by_label("시간(분)").fill("15")
    propose.get_by_role("button", name="제안").click()
    expect(worker.locator(".flash--success")).to_contain_text("안건을 제안했습니다.")
    expect(worker.get_by_role("table", name="안건 목록")).to_contain_text(PROPOSED)

    # The coordinator sees the RSVP and the proposal, adds the automatic draft and edits the item.
    coordinator.reload()
    expect(guest_row).to_contain_text("참석")
    expect(guest_row).not_to_contain_text("응답 전")
    agenda = coordinator.get_by_role("table", name="안건 목록")
    item_row = agenda.locator("tbody tr").filter(has_text=PROPOSED)
    expect(item_row.get_by_role("cell").nth(STATUS_CELL)).to_have_text("초안")
    coordinator.get_by_role("button", name="자동 안건 초안 만들기").click()
    expect(coordinator.locator(".flash--success")).to_contain_text("자동 안건 초안에")
    item_id = (item_row.get_attribute("id") or "").removeprefix("item-")
    assert item_id.isdigit(), item_id
    item_row.get_by_text("고치기", exact=True).focus()
    coordinator.keyboard.press("Enter")  # opens the <details> editor from the keyboard
    title_field = coordinator.locator(f"#item-{item_id}-title")
    expect(title_field).to_be_visible()
    title_field.fill(EDITED)
    coordinator.locator(f"#item-{item_id}-time").fill("20")
    coordinator.locator(f"#item-{item_id}-time").press("Enter")
    expect(coordinator.locator(".flash--success")).to_contain_text("안건을 고쳤습니다.")
    edited_row = coordinator.locator(f"#item-{item_id}")
    expect(edited_row.get_by_role("rowheader")).to_contain_text(EDITED)
    expect(edited_row).to_contain_text("20분")

    approve = coordinator.get_by_role("button", name="안건 확정")
    approve.focus()
    coordinator.keyboard.press("Enter")
    expect(coordinator.locator(".flash--success")).to_contain_text("안건을 확정했습니다.")
    expect(facts).to_contain_text("확정됨")
    expect(edited_row.get_by_role("cell").nth(STATUS_CELL)).to_have_text("확정")

    # The worker sees the approved agenda and, the window being open, the briefing packet.
    worker.reload()
    expect(worker.locator(".plan__facts")).to_contain_text("확정됨")
    worker_row = worker.get_by_role("table", name="안건 목록").locator("tbody tr").filter(has_text=EDITED)
    expect(worker_row.get_by_role("cell").nth(STATUS_CELL)).to_have_text("확정")
    expect(worker_row).to_contain_text("20분")
    worker.locator("#briefing-link").click()
    expect(worker.get_by_role("heading", level=1)).to_have_text("사전자료")
    expect(worker.locator("#briefing-closed")).to_have_count(0)
    expect(worker.get_by_text(f"받는 기관: {GUEST_AGENCY_NAME}")).to_be_visible()
    packet = worker.get_by_role("region", name=re.compile(r"^\d+\. " + re.escape(EDITED) + "$"))
    expect(packet).to_be_visible()
    # The packet names the case by its number, never by its row id.
    expect(packet).to_contain_text(_case_number(live_server, case_id))
    expect(packet).not_to_contain_text(f"#{case_id}")
    expect(packet).to_contain_text("20분")
    expect(worker.get_by_role("link", name="사전자료 PDF 내려받기")).to_be_visible()


def test_coordinator_downloads_a_dashboard_table_as_csv_with_the_keyboard(
    chromium: Any, live_server: LiveServer
) -> None:
    coordinator = _sign_in(chromium, live_server, COORDINATOR)
    try:
        _export_csv(coordinator, live_server=live_server)
    finally:
        coordinator.context.close()


def _export_csv(page: Any, *, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + "/dashboards/")
    expect(page).to_have_url(re.compile(r"/dashboards/district/\d+"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("한빛구 대시보드")
    first_table = page.get_by_role("table").first
    expect(first_table.locator("caption")).to_contain_text("사례관리 대상자 의뢰·선정 현황")

    # From the period form's button, Tab forward to the first per-table export link.
    page.get_by_role("button", name="보기").focus()
    _press_tab_until(page, "el.tagName === 'A' && el.getAttribute('href').includes('/export/')")
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("href", re.compile(r"/export/selection\.csv"))
    expect(focused).to_have_accessible_name(re.compile(r"^CSV"))
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = download.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "사례관리 대상자 의뢰·선정 현황", rows[0]
    assert rows[0][1].startswith("한빛구 · "), rows[0]
    assert len(rows) > 1, rows
    assert rows[1][0], rows[1]  # the column headings follow the title line
