"""종결보고서 (필수서식10) and the whole 사후관리 계획서 (활용서식12): written, refused, printed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Case, CaseStage, ClosureReport, FollowUpPlan
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit


@pytest.fixture
def worker_client(client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit) -> FlaskClient:
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return client


def _report(token: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "written_on": today_local().isoformat(),
        "current_status": "자활근로 사업단 참여 후 취업",
        "closure_reason": "단기·장기 목표 달성",
        "benefit_category_at_closure": "차상위",
        "participant_opinion": "혼자서도 해 볼 수 있을 것 같다",
        **changes,
    }


@pytest.mark.embedded
def test_the_closure_report_is_written_after_closure_and_printed(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.follow_up)
    db.session.commit()
    assert f"/cases/{case.id}/closure-report" in worker_client.get(f"/cases/{case.id}").get_data(as_text=True)
    token = page_csrf_token(worker_client, f"/cases/{case.id}/closure-report")
    before_closure = (case.closed_on - timedelta(days=1)).isoformat()

    early = worker_client.post(
        f"/cases/{case.id}/closure-report", data=_report(token, written_on=before_closure)
    )
    blank = worker_client.post(f"/cases/{case.id}/closure-report", data=_report(token, closure_reason=" "))
    saved = worker_client.post(f"/cases/{case.id}/closure-report", data=_report(token))

    assert early.status_code == 422
    assert "종결일자 이후" in early.get_data(as_text=True)
    assert blank.status_code == 422
    assert 'id="closure_reason-error"' in blank.get_data(as_text=True)
    assert saved.status_code == 303
    db.session.remove()
    stored = db.session.scalars(sa.select(ClosureReport)).one()
    assert (stored.case_id, stored.benefit_category_at_closure) == (case.id, "차상위")
    printed = worker_client.get(f"/cases/{case.id}/closure-report/print").get_data(as_text=True)
    assert "필수서식 10" in printed
    assert "자활근로 사업단 참여 후 취업" in printed
    assert "혼자서도 해 볼 수 있을 것 같다" in printed


def test_no_closure_report_before_the_case_is_decided_closed(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.delivery)
    db.session.commit()
    token = page_csrf_token(worker_client, f"/cases/{case.id}/closure-report")
    answer = worker_client.post(f"/cases/{case.id}/closure-report", data=_report(token))
    assert answer.status_code == 422
    assert "종결이 결정된 뒤" in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClosureReport)) == 0


@pytest.mark.embedded
def test_the_follow_up_plan_holds_the_forms_texts_and_prints_them(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.closure_review)
    db.session.commit()
    # The fixture wrote a plan already; a second one with the texts is the one printed first.
    url = f"/cases/{case.id}/follow-up"
    today = today_local()
    answer = worker_client.post(
        url,
        data={
            "csrf_token": page_csrf_token(worker_client, url),
            "method": "home_visit",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=90)).isoformat(),
            "history_summary": "주거비 지원, 병원 동행 6회",
            "current_situation": "월세 체납 없음",
            "main_services": "분기별 전화 안부",
            "worker_opinion": "재발 위험 낮음",
        },
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    db.session.remove()
    newest = db.session.scalars(
        sa.select(FollowUpPlan).where(FollowUpPlan.case_id == case.id).order_by(FollowUpPlan.id.desc())
    ).first()
    assert newest is not None
    assert (newest.history_summary, newest.worker_opinion) == ("주거비 지원, 병원 동행 6회", "재발 위험 낮음")
    printed = worker_client.get(f"/cases/{case.id}/follow-up/print").get_data(as_text=True)
    assert "활용서식 12" in printed
    assert "월세 체납 없음" in printed
    assert "분기별 전화 안부" in printed
