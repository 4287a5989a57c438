"""A 지역자활센터 worker walks one participant through the 자활 track from the case page, with links and
buttons only: 참여 결정 → 사정 → (refused: no 종결보고서) → 필수서식6 → 게이트웨이 종결 → 사업단 배치,
then opens the printed form. The result is read through a second connection."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

WORKER = "강자활"
PARTICIPANT = "윤지호"


def _case(live_server: LiveServer) -> tuple[int, str]:
    """Return the id and number of the demo participant the test walks (at intake, plan agreed)."""
    from cases.models import Case, Client
    from hamkke.db import db

    with live_server.app.app_context():
        clients = db.session.scalars(sa.select(Client)).all()
        client = next(c for c in clients if c.name == PARTICIPANT)
        case = db.session.scalars(sa.select(Case).where(Case.main_client_id == client.id)).one()
        found = case.id, case.number
        db.session.remove()
    return found


def _sign_in(chromium: Any, live_server: LiveServer) -> Any:
    from playwright.sync_api import expect

    context = chromium.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("banner").get_by_role("link", name="로그인", exact=True).click()
    page.get_by_role("main").get_by_role("link", name=WORKER, exact=True).click()
    page.locator("button.hinted").click()
    expect(page.locator(".account__name")).to_have_text(WORKER)
    return page


def test_a_worker_walks_a_participant_through_the_track(
    chromium: Any, live_server: LiveServer, database: sa.Engine
) -> None:
    from playwright.sync_api import expect

    case_id, number = _case(live_server)
    page = _sign_in(chromium, live_server)
    try:
        page.goto(live_server.url + "/cases/")
        page.get_by_role("link", name=number).first.click()
        expect(page).to_have_url(re.compile(rf"/cases/{case_id}$"))
        panel = page.locator("#jahwal")
        expect(panel.get_by_role("heading", level=2)).to_have_text("자활 과정 (게이트웨이·사업단)")
        expect(panel.locator("#jahwal-status")).to_have_text("주민")

        panel.locator("#jahwal-move-decide_participation").get_by_role("button").click()
        expect(panel.locator("#jahwal-status")).to_have_text("참여자")
        expect(panel.locator("#jahwal-state")).to_have_text("게이트웨이 (사정·교육·현장학습)")
        panel.get_by_role("button", name="사정 완료, 계획 수립으로").click()
        expect(panel.locator("#jahwal-state")).to_have_text("계획 수립 (IAP·ISP)")

        # 게이트웨이 종결 without the 필수서식6 report is refused, next to the panel.
        panel.get_by_role("button", name="게이트웨이 종결").click()
        expect(page.locator("#jahwal-error")).to_contain_text(
            "게이트웨이 종결보고서(필수서식6)를 먼저 작성해 주세요."
        )

        page.locator("#jahwal").get_by_role("link", name="필수서식6 게이트웨이 종결보고서 작성").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("필수서식6 게이트웨이 종결보고서")
        page.get_by_label("작성자", exact=True).fill(WORKER)
        page.get_by_label("조건부수급자(생계급여)").check()
        page.get_by_label("소속사업단명").fill("한빛 청소사업단")
        page.get_by_label("수립", exact=True).check()
        page.get_by_label("자활근로사업단", exact=True).check()
        page.get_by_label("사업단명", exact=True).fill("한빛 청소사업단")
        page.get_by_label("참여자 종결의견").fill("사업단에서 꾸준히 일하고 싶어요.")
        page.get_by_label("사례관리사 종결의견").fill("현장학습 성실, 사업단 배치 적합.")
        page.get_by_role("button", name="저장").click()
        expect(page).to_have_url(re.compile(rf"/cases/{case_id}(#jahwal)?$"))

        panel = page.locator("#jahwal")
        panel.get_by_role("button", name="게이트웨이 종결").click()
        expect(panel.locator("#jahwal-state")).to_have_text("게이트웨이 종결")
        panel.get_by_role("link", name="사업단 배치").click()
        page.get_by_label("사업단명").fill("한빛 청소사업단")
        page.get_by_role("button", name="저장").click()
        panel = page.locator("#jahwal")
        expect(panel.locator("#jahwal-state")).to_have_text("사업단 참여 (실행·점검)")
        expect(panel).to_contain_text("사업단 이동 → 재계획")

        panel.get_by_role("link", name="인쇄").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("게이트웨이 종결보고서")
        expect(page.locator("body")).to_contain_text(PARTICIPANT)
        expect(page.locator("body")).to_contain_text("필수서식6")
    finally:
        page.context.close()

    with database.connect() as connection:
        state = connection.execute(
            sa.text("SELECT state FROM case_selfsufficiency_tracks WHERE case_id = :id"), {"id": case_id}
        ).scalar_one()
        team = connection.execute(
            sa.text(
                "SELECT p.team_name FROM case_work_team_placements p"
                " JOIN case_selfsufficiency_tracks t ON t.id = p.track_id WHERE t.case_id = :id"
            ),
            {"id": case_id},
        ).scalar_one()
    assert (state, team) == ("placed", "한빛 청소사업단")
