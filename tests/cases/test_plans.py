"""Plans that hold a real plan: the ISP per domain (3 goals at most), the IAP's horizons and versions,
conference proposals accepted or declined, 활용서식9, the print pages — over HTTP, read back apart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from agencies.models import AgencyType
from cases.models import Case, CaseStage, ServicePlan
from cases.models.selfplans import IndividualActionPlan, PlanKind, PlanProposal, ProposalStatus
from cases.queries.plans import has_agreed_iap, has_agreed_isp
from cases.services.proposals import receive_isp_items
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit


@pytest.fixture
def fresh(db: Any) -> Callable[[], Session]:
    """Read back from the rows, nothing cached: the test's data lives in one outer transaction (rolled
    back afterwards) that another connection cannot see, so the reads expire the session's cache first."""

    def session() -> Session:
        db.session.expire_all()
        return db.session

    return session


@pytest.fixture
def jahwal_case(
    client: FlaskClient,
    login_as: Callable[..., Any],
    case_kit: CaseKit,
    create_case: Callable[..., Case],
    db: Any,
) -> Case:
    """A case of a 지역자활센터 in the planning stage, its worker signed in."""
    case = create_case(CaseStage.planning)
    case_kit.dong_centre.type = AgencyType.self_sufficiency_centre
    db.session.commit()
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return case


def _error(page: str, field_id: str) -> str:
    marker = f'<p class="field__error" id="{field_id}-error">'
    assert marker in page, field_id
    start = page.index(marker) + len(marker)
    return page[start : page.index("</p>", start)]


def _goal(row: int, domain: str, *, start: int = 0, end: int = 90, **extra: str) -> dict[str, str]:
    today = today_local()
    values = {
        f"g{row}_domain": domain,
        f"g{row}_participant_words": f"제 말로는 {row}번이 제일 급해요",
        f"g{row}_statement": f"목표 {row}",
        f"g{row}_target_on": (today + timedelta(days=300)).isoformat(),
        f"g{row}_service": f"서비스 {row}",
        f"g{row}_provider_name": "정신건강복지센터",
        f"g{row}_quantity": "주 1회",
        f"g{row}_starts_on": (today + timedelta(days=start)).isoformat(),
        f"g{row}_ends_on": (today + timedelta(days=end)).isoformat(),
        f"g{row}_intensity": "집중",
    }
    values.update({f"g{row}_{name}": value for name, value in extra.items()})
    return values


def _post_plan(client: FlaskClient, case: Case, *goals: dict[str, str], **fields: str) -> Any:
    token = page_csrf_token(client, f"/cases/{case.id}/plan")
    data = {"csrf_token": token, "horizon_months": "60", "client_role": "매일 사업단에 나가기"}
    for goal in goals:
        data.update(goal)
    data.update(fields)
    return client.post(f"/cases/{case.id}/plan", data=data)


def _plan_count(fresh: Callable[[], Session], case: Case) -> int:
    return fresh().scalar(
        sa.select(sa.func.count()).select_from(ServicePlan).where(ServicePlan.case_id == case.id)
    )


@pytest.mark.embedded
def test_three_goals_per_domain_are_kept_with_words_services_and_periods(
    client: FlaskClient, jahwal_case: Case, fresh: Callable[[], Session]
) -> None:
    goals = [_goal(1, "work"), _goal(2, "work"), _goal(3, "work", end=1500), _goal(4, "welfare")]

    response = _post_plan(client, jahwal_case, *goals, agreed_on=today_local().isoformat())

    assert response.status_code == 303
    plan = fresh().scalars(sa.select(ServicePlan).where(ServicePlan.case_id == jahwal_case.id)).one()
    assert plan.kind == PlanKind.jahwal
    assert plan.horizon_months == 60  # the seed-000 ISP runs up to 5 years, no 12-month cap
    assert [(g.support_domain.value, g.rank) for g in plan.goals] == [
        ("work", 1),
        ("work", 2),
        ("work", 3),
        ("welfare", 1),
    ]
    assert plan.goals[0].participant_words == "제 말로는 1번이 제일 급해요"
    assert [len(g.services) for g in plan.goals] == [1, 1, 1, 1]
    long_service = plan.goals[2].services[0]
    assert (long_service.ends_on - long_service.starts_on).days == 1500
    assert has_agreed_isp(jahwal_case.id)
    page = client.get(f"/cases/{jahwal_case.id}").get_data(as_text=True)
    assert "“제 말로는 4번이 제일 급해요”" in page


@pytest.mark.embedded
def test_a_fourth_goal_in_a_domain_is_refused_at_its_row_and_nothing_saved(
    client: FlaskClient, jahwal_case: Case, fresh: Callable[[], Session]
) -> None:
    goals = [_goal(row, "work") for row in range(1, 5)]

    response = _post_plan(client, jahwal_case, *goals)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _error(page, "g4_domain") == "근로 지원 영역의 목표는 3개까지입니다."
    assert 'value="목표 4"' not in page or "목표 4</textarea>" in page  # the input comes back
    assert _plan_count(fresh, jahwal_case) == 0


@pytest.mark.embedded
def test_a_service_ending_before_it_starts_is_refused_at_its_end_date(
    client: FlaskClient, jahwal_case: Case, fresh: Callable[[], Session]
) -> None:
    response = _post_plan(client, jahwal_case, _goal(1, "work"), _goal(2, "welfare", start=30, end=10))

    assert response.status_code == 422
    assert _error(response.get_data(as_text=True), "g2_ends_on") == "실행기간의 종료일이 시작일보다 빠릅니다."
    assert _plan_count(fresh, jahwal_case) == 0


@pytest.mark.embedded
def test_the_participants_words_are_required_on_the_self_sufficiency_plan(
    client: FlaskClient, jahwal_case: Case, fresh: Callable[[], Session]
) -> None:
    response = _post_plan(client, jahwal_case, _goal(1, "work", participant_words=""))

    assert response.status_code == 422
    assert "참여자의 제시된 욕구" in _error(response.get_data(as_text=True), "g1_participant_words")
    assert _plan_count(fresh, jahwal_case) == 0


def _iap(token: str, **fields: str) -> dict[str, str]:
    today = today_local()
    data = {
        "csrf_token": token,
        "counselled_on": today.isoformat(),
        "security_type": "조건부수급자",
        "work_team": "청소사업단",
        "weaknesses": "아침에 일어나기 힘들어요",
        "strengths": "손재주가 좋아요",
        "short_term_goal": "한 달 지각 3회 미만",
        "short_term_target_on": (today + timedelta(days=300)).isoformat(),
        "long_term_goal": "일반 취업이 가능할 만큼 회복하기",
        "long_term_target_on": (today + timedelta(days=1700)).isoformat(),
        "target_path": "general_employment",
        "help_wanted": "허리 통증으로 1시간마다 10분 휴식",
        "written_by_participant": "y",
        "agreed_on": today.isoformat(),
    }
    data.update(fields)
    return data


@pytest.mark.embedded
def test_iap_horizons_are_one_and_five_years_and_a_revision_keeps_the_old_version(
    client: FlaskClient, jahwal_case: Case, fresh: Callable[[], Session]
) -> None:
    url = f"/cases/{jahwal_case.id}/iap"
    token = page_csrf_token(client, url)
    today = today_local()
    too_far = client.post(
        url, data=_iap(token, short_term_target_on=(today + timedelta(days=400)).isoformat())
    )
    assert too_far.status_code == 422
    assert _error(too_far.get_data(as_text=True), "short_term_target_on").startswith("단기목표는")
    beyond = client.post(
        url, data=_iap(token, long_term_target_on=(today + timedelta(days=1900)).isoformat())
    )
    assert _error(beyond.get_data(as_text=True), "long_term_target_on").startswith("장기목표는")
    assert fresh().scalar(sa.select(sa.func.count()).select_from(IndividualActionPlan)) == 0

    assert client.post(url, data=_iap(token)).status_code == 303
    unexplained = client.post(url, data=_iap(token, long_term_goal="자활기업 창업"))
    assert _error(unexplained.get_data(as_text=True), "revision_reason") == "변경 사유를 입력해 주세요."
    revised = client.post(
        url,
        data=_iap(
            token, long_term_goal="자활기업 창업", target_path="jahwal_startup", revision_reason="재사정"
        ),
    )
    assert revised.status_code == 303

    versions = fresh().scalars(sa.select(IndividualActionPlan).order_by(IndividualActionPlan.version)).all()
    assert [(v.version, v.long_term_goal) for v in versions] == [
        (1, "일반 취업이 가능할 만큼 회복하기"),
        (2, "자활기업 창업"),
    ]
    assert has_agreed_iap(jahwal_case.id)
    history = client.get(f"/cases/{jahwal_case.id}/plans/history").get_data(as_text=True)
    assert "장기목표: 일반 취업이 가능할 만큼 회복하기 → 자활기업 창업" in history
    assert "목표경로: 일반기업 취업 → 자활기업 창업" in history
    first = client.get(f"/cases/{jahwal_case.id}/print/iap?version=1").get_data(as_text=True)
    assert "필수서식 4" in first
    assert "일반 취업이 가능할 만큼 회복하기" in first
    assert "●일반기업 취업" in first
    assert client.get(f"/cases/{jahwal_case.id}/print/iap?version=9").status_code == 404


def _delivery_case(case_kit: CaseKit, create_case: Callable[..., Case], db: Any) -> Case:
    case = create_case(CaseStage.delivery)
    db.session.commit()
    return case


@pytest.mark.embedded
def test_an_accepted_proposal_makes_a_new_version_with_the_service(
    client: FlaskClient,
    login_as: Callable[..., Any],
    case_kit: CaseKit,
    create_case: Callable[..., Case],
    db: Any,
    fresh: Callable[[], Session],
) -> None:
    case = _delivery_case(case_kit, create_case, db)
    (proposal,) = receive_isp_items(
        case.id,
        role_assignment_id=999,
        agency_id=case_kit.team.id,
        items=[{"service": "정신건강 상담", "quantity": "주 1회", "duration": "3개월", "intensity": "집중"}],
        actor=case_kit.coordinator,
    )
    db.session.commit()
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    assert "정신건강 상담" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    url = f"/cases/{case.id}/proposals/{proposal.id}"
    token = page_csrf_token(client, url)
    unchosen = client.post(url, data={"csrf_token": token, "decision": "accept", "goal_id": ""})
    assert unchosen.status_code == 422
    goal_id = fresh().scalars(sa.select(ServicePlan).where(ServicePlan.case_id == case.id)).one().goals[0].id

    accepted = client.post(url, data={"csrf_token": token, "decision": "accept", "goal_id": str(goal_id)})

    assert accepted.status_code == 303
    reader = fresh()
    plans = reader.scalars(
        sa.select(ServicePlan).where(ServicePlan.case_id == case.id).order_by(ServicePlan.version)
    ).all()
    assert [p.version for p in plans] == [1, 2]
    assert [s.name for s in plans[0].services] == ["긴급 주거비"]  # the old version stays as it was
    assert [s.name for s in plans[1].services] == ["긴급 주거비", "정신건강 상담"]
    added = plans[1].services[1]
    assert added.provider_agency_id == case_kit.team.id
    assert added.proposal_id == proposal.id
    stored = reader.get(PlanProposal, proposal.id)
    assert stored.status == ProposalStatus.accepted
    assert stored.accepted_plan_id == plans[1].id
    assert (
        client.post(url, data={"csrf_token": token, "decision": "decline", "reason": "늦게"}).status_code
        == 409
    )
    assert plans[1].agreed_on is None  # the changed plan needs the participant's signature again
    agreement = f"/cases/{case.id}/plans/{plans[1].id}/agreement"
    signed = client.post(agreement, data={"csrf_token": token, "agreed_on": today_local().isoformat()})
    assert signed.status_code == 303
    assert fresh().get(ServicePlan, plans[1].id).agreed_on == today_local()
    again = client.post(agreement, data={"csrf_token": token, "agreed_on": today_local().isoformat()})
    assert again.status_code == 422


@pytest.mark.embedded
def test_a_declined_proposal_keeps_its_reason_and_leaves_the_plan(
    client: FlaskClient,
    login_as: Callable[..., Any],
    case_kit: CaseKit,
    create_case: Callable[..., Case],
    db: Any,
    fresh: Callable[[], Session],
) -> None:
    case = _delivery_case(case_kit, create_case, db)
    (proposal,) = receive_isp_items(
        case.id,
        role_assignment_id=998,
        agency_id=case_kit.team.id,
        items=[{"service": "식품 지원"}],
        actor=case_kit.coordinator,
    )
    db.session.commit()
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    url = f"/cases/{case.id}/proposals/{proposal.id}"
    token = page_csrf_token(client, url)
    empty = client.post(url, data={"csrf_token": token, "decision": "decline", "reason": ""})
    assert empty.status_code == 422
    assert _error(empty.get_data(as_text=True), "reason") == "꼭 입력해 주세요."

    declined = client.post(
        url, data={"csrf_token": token, "decision": "decline", "reason": "이미 푸드뱅크 이용 중"}
    )

    assert declined.status_code == 303
    reader = fresh()
    stored = reader.get(PlanProposal, proposal.id)
    assert (stored.status, stored.decline_reason) == (ProposalStatus.declined, "이미 푸드뱅크 이용 중")
    assert _plan_count(fresh, case) == 1
    assert "이미 푸드뱅크 이용 중" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_another_agency_cannot_open_a_cases_proposal(
    client: FlaskClient,
    login_as: Callable[..., Any],
    case_kit: CaseKit,
    create_case: Callable[..., Case],
    db: Any,
) -> None:
    case = _delivery_case(case_kit, create_case, db)
    (proposal,) = receive_isp_items(
        case.id,
        role_assignment_id=997,
        agency_id=case_kit.team.id,
        items=[{"service": "상담"}],
        actor=case_kit.coordinator,
    )
    db.session.commit()
    login_as(case_kit.coordinator, agency_id=case_kit.team.id)

    assert client.get(f"/cases/{case.id}/proposals/{proposal.id}").status_code in {403, 404}


@pytest.mark.embedded
def test_execution_check_and_evaluation_sheet_print(
    client: FlaskClient,
    login_as: Callable[..., Any],
    case_kit: CaseKit,
    create_case: Callable[..., Case],
    db: Any,
    fresh: Callable[[], Session],
) -> None:
    case = _delivery_case(case_kit, create_case, db)
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    service_id = (
        fresh().scalars(sa.select(ServicePlan).where(ServicePlan.case_id == case.id)).one().services[0].id
    )
    url = f"/cases/{case.id}/services/{service_id}/check"
    token = page_csrf_token(client, url)
    future = (today_local() + timedelta(days=2)).isoformat()
    assert client.post(url, data={"csrf_token": token, "checked_on": future}).status_code == 422
    assert (
        client.post(
            url, data={"csrf_token": token, "checked_on": today_local().isoformat(), "note": "주 1회 방문 중"}
        ).status_code
        == 303
    )
    service = fresh().scalars(sa.select(ServicePlan).where(ServicePlan.case_id == case.id)).one().services[0]
    assert service.checked_on == today_local()
    assert service.checked_by_id == case_kit.worker.id

    scores = {
        f"{score}_{key}": "0"
        for key in ("iap_short", "iap_long", "work1", "work2", "work3", "welfare1", "welfare2", "welfare3")
        for score in ("participant", "worker", "external", "achievement")
    }
    rows = {
        "goal_iap_short": "지각 줄이기",
        "achievement_iap_short": "9",
        "goal_welfare3": "부채 조정",
        "achievement_welfare3": "11",
    }
    bad = client.post(
        f"/cases/{case.id}/evaluation",
        data={"csrf_token": token, "evaluated_on": today_local().isoformat(), **scores, **rows},
    )
    assert bad.status_code == 422  # 11 is not a choice of a /10 score
    rows["achievement_welfare3"] = "7"
    saved = client.post(
        f"/cases/{case.id}/evaluation",
        data={
            "csrf_token": token,
            "evaluated_on": today_local().isoformat(),
            "affiliation": "청소사업단",
            **scores,
            **rows,
        },
    )
    assert saved.status_code == 303
    sheet = client.get(f"/cases/{case.id}/print/evaluation").get_data(as_text=True)
    assert "활용서식 9" in sheet
    assert "사례관리 평가 Ⅲ. ISP 부분 - 복지서비스 지원" in sheet
    assert "부채 조정" in sheet
    assert "청소사업단" in sheet
    isp = client.get(f"/cases/{case.id}/print/isp").get_data(as_text=True)
    assert "긴급 주거비" in isp
    assert "서비스제공계획(ISP)" in isp
