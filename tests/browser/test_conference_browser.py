"""A three-agency conference in three browsers: open an item, decide the lead, assign roles, write SOAP,
turn a P line into an action item, close, and download the minutes PDF."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser


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


def _enter(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.get_by_role("button", name="체크인").click()
    page.get_by_label("위 내용을 읽었으며 서약합니다.").check()
    page.get_by_role("button", name="서약하고 입장").click()
    expect(page.locator("#connection")).to_have_text("연결됨")


def _prepare(live_server: LiveServer) -> tuple[int, int, dict[str, int]]:
    """Give the first item's client a conference-sharing consent; return conference, item and agency ids."""
    from agencies.models import Agency, Person
    from cases.models import Case
    from conference.models import Conference
    from consents.models import (
        Consent,
        ConsentGrant,
        ConsentMethod,
        ConsentPurpose,
        RecipientKind,
        SignerCapacity,
    )
    from consents.policy import notice_hash
    from hamkke.db import db

    with live_server.app.app_context():
        conference = db.session.scalar(sa.select(Conference))
        assert conference is not None
        item = conference.items[0]
        case = db.session.get(Case, item.case_id)
        assert case is not None
        recorder = db.session.scalar(sa.select(Person).where(Person.email == "kim.coordinator@hanbit.go.kr"))
        assert recorder is not None
        text = "통합사례회의 공유 동의"
        consent = Consent(
            client_id=case.main_client_id,
            agency_id=case.owning_agency_id,
            case_id=case.id,
            signer_capacity=SignerCapacity.self,
            signer_name="본인",
            method=ConsentMethod.signed_in_person,
            recorded_by_id=recorder.id,
            signed_on=date(2026, 1, 1),
            valid_from=date(2026, 1, 1),
            notice_version="2026-11",
            notice_text=text,
            notice_sha256=notice_hash(text),
        )
        consent.grants.append(
            ConsentGrant(
                purpose=ConsentPurpose.conference_sharing,
                recipient_kind=RecipientKind.network,
                district_id=conference.district_id,
                field_groups=["basic", "needs"],
                notice_recipient="네트워크",
                notice_purpose="통합사례회의",
                notice_items="기본정보",
                notice_retention="종결 시까지",
                notice_refusal="거부 가능",
            )
        )
        db.session.add(consent)
        db.session.commit()
        codes = {"welfare": "hanbit-welfare", "dong": "dong-solnae"}
        ids = {
            key: db.session.scalar(sa.select(Agency.id).where(Agency.code == code))
            for key, code in codes.items()
        }
        result = (conference.id, item.id, {key: int(value or 0) for key, value in ids.items()})
        db.session.remove()
    return result


def test_three_agencies_hold_a_conference_and_download_the_minutes(
    chromium: Any, live_server: LiveServer
) -> None:

    conference_id, item_id, agencies = _prepare(live_server)
    url = f"{live_server.url}/conferences/{conference_id}"
    pages = [_sign_in(chromium, live_server, name) for name in ("김조정", "이복지", "최사례")]
    try:
        _hold_meeting(*pages, url=url, item_id=item_id, agencies=agencies)
    finally:
        for page in pages:
            page.context.close()


def _hold_meeting(
    chair: Any, dong: Any, welfare: Any, *, url: str, item_id: int, agencies: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    for page in (chair, dong, welfare):
        _enter(page, url)

    # Chair controls are the chair's alone (the hidden attribute wins over the toolbar's display).
    expect(chair.get_by_role("button", name="회의 시작")).to_be_visible()
    for page in (dong, welfare):
        expect(page.locator("#chair-tools")).to_be_hidden()
        expect(page.get_by_role("button", name="회의 시작")).to_be_hidden()
    chair.get_by_role("button", name="회의 시작").click()
    chair.locator(f'.agenda__item[data-item-id="{item_id}"] .agenda__open').click()
    for page in (chair, dong, welfare):
        expect(page.locator(f'.agenda__item[data-item-id="{item_id}"]')).to_contain_text("진행 중")
        expect(page.locator(".case-client")).to_be_visible()
    for page in (dong, welfare):
        expect(page.locator("#item-controls")).to_be_hidden()
        expect(page.locator("#lead-form")).to_be_hidden()
        expect(page.get_by_role("button", name="합의로 닫기")).to_be_hidden()
    # Agenda titles are dark text, not the buttons' white.
    title_colour = chair.locator(".agenda__pick").first.evaluate("node => getComputedStyle(node).color")
    assert title_colour != "rgb(255, 255, 255)"

    # At 발표 only the next stage and 재회의 are offered; 합의로 닫기 waits for 합의 and says so.
    expect(chair.locator("#stage-current")).to_have_text("발표")
    expect(chair.get_by_role("button", name="합의로 닫기")).to_be_hidden()
    expect(chair.locator("#stage-hint")).to_contain_text("합의 단계")
    expect(chair.locator("#stage-back")).to_be_hidden()

    # A refused action is shown visibly, in Korean, with its reason.
    chair.get_by_label("결정 사유").fill("후보 없이 결정")
    chair.get_by_role("button", name="주 사례관리기관 결정").click()
    expect(chair.get_by_role("alert")).to_contain_text("후보 기관 중에서 고르세요")
    chair.get_by_role("button", name="알림 닫기").click()
    expect(chair.locator("#room-alert")).to_be_hidden()

    chair.get_by_label("선정 방법").select_option("conference_decision")
    chair.locator(f"#candidate-{agencies['welfare']}").check()
    chair.locator(f"#candidate-{agencies['dong']}").check()
    chair.get_by_label("결정 기관").select_option(str(agencies["welfare"]))
    chair.get_by_label("결정 사유").fill("주 호소문제 서비스 제공기관")
    chair.get_by_role("button", name="주 사례관리기관 결정").click()
    for page in (dong, welfare):
        expect(page.locator(".lead-result")).to_contain_text("한빛종합사회복지관")

    chair.locator("#role-agency").select_option(str(agencies["dong"]))
    chair.locator("#role-resp").fill("주거 점검과 긴급지원 연계")
    chair.get_by_label("서비스").fill("긴급지원")
    chair.get_by_label("양", exact=True).fill("1회")
    chair.get_by_label("기간").fill("1개월")
    chair.get_by_label("강도").fill("집중")
    chair.get_by_role("button", name="역할 배정").click()
    for page in (dong, welfare):
        expect(page.locator("#roles")).to_contain_text("주거 점검과 긴급지원 연계")

    chair.locator("#soap-S").fill("대상자는 월세 체납을 걱정함")
    chair.locator("#soap-P").fill("주거 점검\n정신건강 상담 연계")
    chair.locator("#soap-P").blur()
    expect(chair.locator("#soap-status")).to_have_text("저장됨")
    expect(welfare.locator("#soap-P")).to_have_value("주거 점검\n정신건강 상담 연계")

    chair.locator("#action-line").select_option("주거 점검")
    chair.locator("#action-owner").select_option(str(agencies["dong"]))
    chair.locator("#action-due").fill("2099-01-31")
    chair.get_by_role("button", name="실행과제 만들기").click()
    expect(dong.locator("#actions")).to_contain_text("주거 점검")

    for stage, label in (("discuss", "논의"), ("agree", "합의")):
        chair.get_by_role("button", name=f"다음 단계: {label}").click()
        # Wait for the server's state: the next event must carry the item's new version.
        expect(chair.locator(f'.agenda__item[data-item-id="{item_id}"]')).to_have_attribute(
            "data-stage", stage
        )
    chair.get_by_role("button", name="합의로 닫기").click()
    expect(welfare.locator(f'.agenda__item[data-item-id="{item_id}"]')).to_contain_text("합의")
    chair.get_by_role("button", name=re.compile("회의 종료")).click()
    expect(dong.locator("#conference-status")).to_have_text("종료")

    with welfare.expect_download() as download_info:
        welfare.get_by_role("link", name="회의록 PDF").click()
    pdf = download_info.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
