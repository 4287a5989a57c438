"""자활사정지 (필수서식3): every choice from its list, amounts and ranks checked, the sheet printed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Case, CaseStage, SelfSufficiencyAssessment
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit


@pytest.fixture
def worker_client(client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit) -> FlaskClient:
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return client


def _sheet(token: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "counselled_on": today_local().isoformat(),
        "duration": "le60",
        "method": "office",
        "main_complaint": "일을 하고 싶은데 어디서부터 시작할지 모르겠어요",
        "industry_1": "물류",
        "industry_2": "조리",
        "transport": "bus",
        "max_commute_minutes": "40",
        "desired_monthly_pay": "180",
        "employment_type": "part_time",
        "part_time_days_per_month": "20",
        "part_time_hours_per_week": "25",
        "tenure": "monthly",
        "deposit": "300",
        "monthly_rent": "35",
        "public_assistance_income": "62",
        "debt_total": "1200",
        "credit_status": "rehabilitation",
        "domain_1": "economy",
        "domain_2": "vocational",
        "agreed_path": "social_employment",
        **changes,
    }


@pytest.mark.embedded
def test_the_sheet_is_recorded_and_printed(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.assessment)
    db.session.commit()
    url = f"/cases/{case.id}/self-assessment"
    assert url in worker_client.get(f"/cases/{case.id}").get_data(as_text=True)
    answer = worker_client.post(url, data=_sheet(page_csrf_token(worker_client, url)))
    assert answer.status_code == 303, answer.get_data(as_text=True)[:400]
    db.session.remove()
    stored = db.session.scalars(sa.select(SelfSufficiencyAssessment)).one()
    assert stored.desired_industries == ["물류", "조리"]
    assert stored.need_domains == ["economy", "vocational"]
    assert (stored.part_time_days_per_month, stored.debt_total) == (20, 1200)
    printed = worker_client.get(f"{url}/print").get_data(as_text=True)
    assert "필수서식 3" in printed
    assert "1순위 경제(부채, 신용회복, 파산 등)" in printed
    assert "자활기업 취업" in printed
    assert "세전 월 180만원 이상" in printed


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"max_commute_minutes": "200"}, "max_commute_minutes", "10분부터 180분"),
        ({"employment_type": "regular"}, "part_time_days_per_month", "단시간일 때만"),
        ({"industry_1": "", "industry_2": "조리"}, "industry_1", "1순위부터 차례로"),
        ({"domain_2": "economy"}, "domain_2", "두 번"),
        ({"agreed_path": "other"}, "agreed_path_other", "내용을 적어"),
        ({"deposit": "-5"}, "deposit", "0 이상"),
        ({"main_complaint": " "}, "main_complaint", ""),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(
    changes: dict[str, str],
    field: str,
    message: str,
    worker_client: FlaskClient,
    create_case: Callable[..., Case],
    db: Any,
) -> None:
    case = create_case(CaseStage.assessment)
    db.session.commit()
    url = f"/cases/{case.id}/self-assessment"
    answer = worker_client.post(url, data=_sheet(page_csrf_token(worker_client, url), **changes))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert f'id="{field}-error"' in text
    assert message in text
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SelfSufficiencyAssessment)) == 0
