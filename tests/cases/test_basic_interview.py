"""필수서식 1 기본면접기록지 over HTTP: every section saved, refused input marked and not saved, printed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Case, CaseEvent, Household
from cases.models.interview import (
    BasicInterview,
    InterviewAccount,
    InterviewBenefits,
    InterviewCareer,
    InterviewFamilyMember,
    InterviewHealth,
    InterviewTraining,
)
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit

pytestmark = pytest.mark.embedded


@pytest.fixture
def worker_client(client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit) -> FlaskClient:
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return client


def full_form(token: str) -> dict[str, Any]:
    """A filled-in form as a worker would send it (four pages, some repeated rows)."""
    return {
        "csrf_token": token,
        "counselled_on": today_local().isoformat(),
        "method": "내방",
        "participation": "재참여",
        "intake_route": "지자체 의뢰",
        "has_mobile_phone": "y",
        "emergency_name": "김영희",
        "emergency_relation": "딸",
        "emergency_phone": "010-1111-2222",
        "education": "고졸",
        "email": "minsu@example.kr",
        "bank_name": "농협",
        "holder_name": "김민수",
        "account_number": "302-1234-5678-91",
        "centre_reason": "집에서 가까워서",
        "visit_trigger": "주민센터(동사무소)",
        "visit_reason": "일자리를 찾고 싶어요",
        "physical_rating": "보통",
        "disease_1": "고혈압",
        "disability_type": "지체장애",
        "disability_grade": "5",
        "mental_rating": "상담 및 치료필요",
        "distress_symptoms": "불면",
        "distress_counselled": "상담하지않고있음",
        "drinks": "y",
        "drink_kinds": ["소주", "막걸리"],
        "drinks_per_week": "3",
        "bottles_per_session": "2",
        "smokes": "y",
        "packs_per_week": "5",
        "marital_status": "이혼",
        "composition": "한부모+자녀",
        "traits": ["한부모가구", "장애인가구"],
        "is_recipient": "y",
        "first_received_on": "2019-03",
        "coverage": "조건부수급자(생계급여)",
        "medical_type": "의료급여1종",
        "past_recipient": "y",
        "past_years": "2",
        "past_months": "6",
        "past_kinds": ["생계급여", "의료급여"],
        "family-0-relation": "본인",
        "family-0-name": "김민수",
        "family-0-age": "55",
        "family-0-sex": "남",
        "family-0-lives_together": "동거",
        "family-0-monthly_income": "60",
        "family-1-relation": "자",
        "family-1-name": "김하늘",
        "family-1-age": "17",
        "family-1-lives_together": "동거",
        "family-1-occupation": "학생",
        "careers-0-kind": "취업",
        "careers-0-started_on": "2010-01",
        "careers-0-ended_on": "2018-06",
        "careers-0-organisation": "한빛물류",
        "careers-0-employment_type": "일일근로자",
        "careers-0-monthly_amount": "180",
        "careers-0-end_reason": "허리 부상",
        "trainings-0-started_on": "2022-03-02",
        "trainings-0-ended_on": "2022-05-30",
        "trainings-0-institution": "시립직업전문학교",
        "trainings-0-completed": "미이수",
        "trainings-0-hours": "40",
        "trainings-0-dropout_reason": "건강 악화",
    }


def test_the_form_saves_every_section_and_is_audited(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case()
    url = f"/cases/{case.id}/basic-interview"
    response = worker_client.post(url, data=full_form(page_csrf_token(worker_client, url)))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    interview = db.session.scalar(sa.select(BasicInterview).where(BasicInterview.case_id == case.id))
    assert (interview.participation, interview.intake_route, interview.emergency_relation) == (
        "재참여",
        "지자체 의뢰",
        "딸",
    )
    account = db.session.scalar(sa.select(InterviewAccount).where(InterviewAccount.case_id == case.id))
    assert account.account_number == "302-1234-5678-91"
    health = db.session.scalar(sa.select(InterviewHealth).where(InterviewHealth.case_id == case.id))
    assert (health.drink_kinds, health.drinks_per_week, health.disability_grade) == (["소주", "막걸리"], 3, 5)
    assert health.distress_counselled is False
    benefits = db.session.scalar(sa.select(InterviewBenefits).where(InterviewBenefits.case_id == case.id))
    assert benefits.first_received_on.isoformat() == "2019-03-01"
    family = db.session.scalars(
        sa.select(InterviewFamilyMember).where(InterviewFamilyMember.case_id == case.id)
    ).all()
    assert [(f.relation, f.age, f.lives_together) for f in family] == [("본인", 55, True), ("자", 17, True)]
    careers = db.session.scalars(sa.select(InterviewCareer).where(InterviewCareer.case_id == case.id)).all()
    assert [(c.kind, c.monthly_amount) for c in careers] == [("취업", 180)]
    training = db.session.scalar(sa.select(InterviewTraining).where(InterviewTraining.case_id == case.id))
    assert (training.completed, training.dropout_reason) == (False, "건강 악화")
    household = db.session.get(Household, case.household_id)
    assert (household.composition, household.characteristics) == ("한부모+자녀", ["한부모가구", "장애인가구"])
    assert case.main_client.benefit_category == "조건부수급자(생계급여)"
    events = db.session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "basic_interview")
    ).all()
    assert len(events) == 1

    # Opening the page again shows what is on file; saving with one row fewer replaces the rows.
    page = worker_client.get(url).get_data(as_text=True)
    assert 'value="302-1234-5678-91"' in page
    assert 'value="김하늘"' in page
    data = full_form(page_csrf_token(worker_client, url))
    for key in [k for k in data if k.startswith("family-1-")]:
        del data[key]
    assert worker_client.post(url, data=data).status_code == 303
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(InterviewFamilyMember)
            .where(InterviewFamilyMember.case_id == case.id)
        )
        == 1
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"traits": ["1인가구", "다문화가구", "조손가구", "장애인가구", "독거노인"]}, "traits", "최대 4개"),
        ({"drinks_per_week": "8"}, "drinks_per_week", "1에서 7 사이"),
        ({"packs_per_week": "22"}, "packs_per_week", "1에서 21 사이"),
        ({"disability_grade": "7"}, "disability_grade", "1에서 6 사이"),
        ({"account_number": ""}, "account_number", "모두 적거나 모두 비워"),
        ({"drinks": ""}, "drinks", "평소 음주 있음"),
        ({"careers-0-ended_on": "2009-01"}, "careers-0-ended_on", "시작일보다 빠를 수 없습니다"),
        ({"trainings-0-dropout_reason": ""}, "trainings-0-dropout_reason", "중단사유"),
        ({"family-1-name": ""}, "family-1-name", "꼭 입력해 주세요"),
        ({"family-1-relation": ""}, "family-1-relation", "꼭 입력해 주세요"),
        ({"licences-0-name": "요양보호사"}, "licences-0-licence_type", "꼭 입력해 주세요"),
        ({"schooling-0-school": "한빛고"}, "schooling-0-degree", "꼭 입력해 주세요"),
        ({"counselled_on": "2999-01-01"}, "counselled_on", "미래일 수 없습니다"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(
    worker_client: FlaskClient,
    create_case: Callable[..., Case],
    db: Any,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    case = create_case()
    url = f"/cases/{case.id}/basic-interview"
    data = {**full_form(page_csrf_token(worker_client, url)), **change}
    response = worker_client.post(url, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    for model in (BasicInterview, InterviewHealth, InterviewAccount, InterviewFamilyMember, InterviewCareer):
        count = sa.select(sa.func.count()).select_from(model).where(model.case_id == case.id)
        assert db.session.scalar(count) == 0, model.__name__
    assert db.session.get(Household, case.household_id).characteristics == []


def test_the_printed_form_shows_what_was_saved(
    worker_client: FlaskClient, create_case: Callable[..., Case]
) -> None:
    case = create_case()
    url = f"/cases/{case.id}/basic-interview"
    assert worker_client.post(url, data=full_form(page_csrf_token(worker_client, url))).status_code == 303
    page = worker_client.get(f"/cases/{case.id}/print/basic-interview")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in (
        "필수서식 1",
        "기본면접기록지",
        case.number,
        "출력일시",
        "302-1234-5678-91",
        "한빛물류",
        "김하늘",
    ):
        assert text in html, text
    assert "주 3회" in html
    assert "미이수" in html
    assert "한부모가구, 장애인가구" in html


def test_the_case_page_links_the_form_and_its_print(
    worker_client: FlaskClient, create_case: Callable[..., Case]
) -> None:
    case = create_case()
    html = worker_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/cases/{case.id}/basic-interview"' in html
    assert f'href="/cases/{case.id}/print/basic-interview"' in html


def test_a_family_row_without_living_arrangement_lives_together_by_default(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case()
    url = f"/cases/{case.id}/basic-interview"
    data = {**full_form(page_csrf_token(worker_client, url)), "family-1-lives_together": ""}
    assert worker_client.post(url, data=data).status_code == 303
    rows = db.session.scalars(
        sa.select(InterviewFamilyMember.lives_together).where(InterviewFamilyMember.case_id == case.id)
    ).all()
    assert rows == [True, True]
