"""A dong worker takes a household from intake to 구청 의뢰 in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser


def _sign_in_as_dong_worker(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + "/")
    page.get_by_role("banner").get_by_role("link", name="로그인", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="이복지", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(live_server.idp.url) + r"/authorize\?"))
    page.locator("button.hinted").click()
    expect(page.locator(".account__name")).to_have_text("이복지")


def _save_refused(page: Any) -> None:
    """Press 저장 on a form that will be refused, and wait until its answer has replaced it inline."""
    from playwright.sync_api import expect

    with page.expect_response(lambda response: response.request.method == "POST" and response.status == 422):
        page.get_by_role("button", name="저장").click()
    # Typing before the answer lands would be overwritten by it: wait until no form is on its way.
    expect(page.locator("form[aria-busy='true']")).to_have_count(0)


def test_dong_worker_goes_from_intake_to_escalation(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    _sign_in_as_dong_worker(page, live_server)
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="사례", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("사례 목록")

    # 접수/발굴
    page.get_by_role("link", name="사례 접수", exact=True).click()
    page.get_by_label("이름", exact=True).fill("홍길순")
    page.get_by_label("접수경로").select_option(label="대상자발굴")
    page.get_by_label("의뢰자·발굴 경로 (이웃, 통장, 기관 등)").fill("통장")
    page.get_by_role("button", name="저장").click()
    # The 중복 서비스 확인 answers next; with a name only there is nothing lawful to match on.
    expect(page.get_by_role("heading", level=1)).to_contain_text("다른 기관 이용 확인")
    expect(page.get_by_role("alert")).to_contain_text("사례 접수는 저장되었습니다")
    page.get_by_role("link", name="사례로 돌아가기").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("홍길순")
    expect(page.locator(".stage-path [aria-current='step']")).to_have_text("접수/발굴")

    # 초기상담: a missing 주 호소 is refused next to its field, then saved
    page.get_by_role("button", name="초기상담 시작").click()
    page.get_by_role("link", name="초기상담 기록").click()
    page.get_by_label("상담유형").select_option(label="방문")
    page.get_by_label("사실 기록 (객관적, 공유 가능한 내용)").fill("겨울철 난방비 체납, 혼자 거주")
    _save_refused(page)
    complaint = page.get_by_label("주 호소 (대상자의 말 그대로)")
    expect(complaint).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#main_complaint-error")).to_contain_text("꼭 입력해 주세요")
    complaint.fill("추워서 잠을 못 자요")
    page.get_by_label("상담자 의견 (사실과 구분)").fill("고립감이 커 보임")
    # No consent is on file yet: the intake is refused until a ground is chosen; a 주민센터 cites its statute.
    _save_refused(page)
    expect(page.get_by_label("개인정보 수집 근거")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("개인정보 수집 근거").select_option(label="법령상 근거 (공공기관의 소관 업무)")
    page.get_by_label("근거 법령과 조항", exact=False).fill("사회보장급여법 제42조의2")
    page.get_by_role("button", name="저장").click()
    expect(page.locator(".flash--success")).to_contain_text("초기상담 기록")

    # 욕구·위기도 사정
    page.get_by_role("button", name="사정 시작").click()
    page.get_by_role("link", name="욕구사정 추가").click()
    page.get_by_label("욕구영역").select_option(label="주거환경")
    page.get_by_label("현상", exact=True).fill("난방 중단")
    page.get_by_label("위험도").select_option(label="높음")
    page.get_by_label("요구 (대상자의 말 그대로)").fill("보일러 좀 고쳐 주세요")
    page.get_by_label("욕구 (합의한 필요)").fill("안전한 겨울 주거")
    page.get_by_role("button", name="저장").click()
    page.get_by_role("link", name="위기도 조사", exact=True).click()
    # Ten items scored 2 (보통) add up to 20: the level 높음 is computed, never chosen.
    items = page.locator("select[name^='item_']")
    expect(items).to_have_count(10)
    for index in range(10):
        items.nth(index).select_option("2")
    page.get_by_role("button", name="저장").click()
    page.get_by_role("button", name="선정으로").click()
    expect(page.locator(".stage-path [aria-current='step']")).to_have_text("선정")

    # 구청 의뢰 (고난도)
    page.get_by_role("link", name="구청 의뢰 (고난도)").click()
    page.get_by_label("의뢰 사유").fill("고립과 난방 중단, 동 자원만으로 해결 어려움")
    page.get_by_label("긴급도").select_option(label="긴급(위기)")
    page.get_by_label("지금까지 한 개입").fill("긴급지원 신청, 복지관 연계 시도")
    # The consent status is derived from the records, shown, never chosen.
    expect(page.get_by_role("main")).to_contain_text("동의 없음")
    page.get_by_role("button", name="저장").click()
    expect(page.get_by_role("region", name="구청 의뢰")).to_contain_text("구청 검토 중")

    page.goto(live_server.url + "/cases/escalations")
    expect(page.get_by_role("table")).to_contain_text("긴급(위기)")
    expect(page.get_by_role("table")).to_contain_text("구청 검토 중")
