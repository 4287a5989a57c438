"""Seed 001's 초기상담기록지 over HTTP: the referrer, what was tried, the service history, and its print."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Case, CaseStage, IntakeRecord
from cases.models.interview import PriorService
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit

pytestmark = pytest.mark.embedded


@pytest.fixture
def counselling_case(
    client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit, create_case: Callable[..., Case]
) -> Case:
    case = create_case(CaseStage.initial_counselling)
    case_kit.consent(case)
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return case


def intake_form(token: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "collection_basis": "consent",
        "counselled_on": today_local().isoformat(),
        "method": "home_visit",
        "main_complaint": "밥을 제대로 못 먹어요",
        "facts": "월세 2개월 체납",
        "referrer_type": "이웃",
        "referrer_name": "통장 박순례",
        "referrer_contact": "010-3333-4444",
        "referral_motive": "며칠째 불이 꺼져 있어 걱정됨",
        "referrer_services": "반찬 나눔",
        "prior_approaches": "문 앞에 두고 감, 잘 드심",
        "informal_support": "교회 구역 모임",
        "desired_change": "끼니 걱정 없이 지내기",
        "assigned_department": "맞춤형복지팀",
        "assigned_worker": "동담당",
        "prior_services-0-service": "노인맞춤돌봄",
        "prior_services-0-provider": "시험복지관",
        "prior_services-0-period": "2023-01~2023-12",
        "prior_services-0-stop_reason": "이사",
        "prior_services-0-result": "안부 확인 유지",
    }


def test_the_intake_record_keeps_the_referrer_and_the_service_history(
    client: FlaskClient, counselling_case: Case, db: Any
) -> None:
    url = f"/cases/{counselling_case.id}/intake"
    page = client.get(url).get_data(as_text=True)
    assert "기본면접기록지" not in page, "the 초기상담 page must not claim to be 필수서식 1"
    response = client.post(url, data=intake_form(page_csrf_token(client, url)))
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    record = db.session.scalar(sa.select(IntakeRecord).where(IntakeRecord.case_id == counselling_case.id))
    assert (record.referrer_type, record.referrer_name, record.assigned_department) == (
        "이웃",
        "통장 박순례",
        "맞춤형복지팀",
    )
    services = db.session.scalars(
        sa.select(PriorService).where(PriorService.intake_record_id == record.id)
    ).all()
    assert [(s.service, s.stop_reason) for s in services] == [("노인맞춤돌봄", "이사")]
    printed = client.get(f"/cases/{counselling_case.id}/print/intake-record")
    assert printed.status_code == 200
    html = printed.get_data(as_text=True)
    for text in (
        "초기상담기록지",
        "통장 박순례",
        "노인맞춤돌봄",
        "일반 사례관리 대상자",
        counselling_case.number,
    ):
        assert text in html, text


def test_a_service_row_without_its_service_is_refused_and_nothing_saved(
    client: FlaskClient, counselling_case: Case, db: Any
) -> None:
    url = f"/cases/{counselling_case.id}/intake"
    data = {**intake_form(page_csrf_token(client, url)), "prior_services-0-service": ""}
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert 'id="prior_services-0-service-error"' in response.get_data(as_text=True)
    count = (
        sa.select(sa.func.count())
        .select_from(IntakeRecord)
        .where(IntakeRecord.case_id == counselling_case.id)
    )
    assert db.session.scalar(count) == 0
