"""The 자활 track over HTTP: the panel's steps, guards refused with a Korean 422 and nothing saved,
deadlines against hand-computed dates, and the forms 필수서식6, 활용서식5, 11 and 3/4 with print pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Agency, AgencyType, Person
from cases import services
from cases.models import Case, ServicePlan
from cases.models.selfsufficiency import (
    EducationCourse,
    EmploymentConfirmation,
    FieldLearningEvaluation,
    GatewayClosureReport,
    SelfSufficiencyTrack,
    TrackStep,
    WorkTeamPlacement,
)
from cases.queries.selfsufficiency import track_clocks
from cases.services import selfsufficiency as track_services
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token

pytestmark = pytest.mark.embedded


@dataclass
class Centre:
    """A 지역자활센터 with a signed-in case worker and one referred case."""

    agency: Agency
    worker: Person
    case: Case
    http: FlaskClient


@pytest.fixture
def centre(
    client: FlaskClient,
    db: Any,
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
    login_as: Callable[..., Any],
) -> Centre:
    agency = create_agency(name="시험지역자활센터", type=AgencyType.self_sufficiency_centre)
    worker = create_person(agency=agency, name="강자활")
    case = services.open_case(
        agency,
        services.ClientInput(
            name="윤지호", sex="남", birth_date=date(1990, 4, 12), address="한빛구 솔내동 1"
        ),
        actor=worker,
        opened_on=today_local() - timedelta(days=2),
        case_worker_id=worker.id,
    )
    db.session.commit()
    login_as(worker, agency_id=agency.id)
    return Centre(agency, worker, case, client)


def _count(db: Any, model: Any) -> int:
    db.session.expire_all()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _post(centre: Centre, path: str, data: dict[str, Any]) -> Any:
    token = page_csrf_token(centre.http, f"/cases/{centre.case.id}")
    return centre.http.post(path, data={"csrf_token": token, **data})


def _move(centre: Centre, action: str, **extra: str) -> Any:
    data = {"action": action, "effective_on": today_local().isoformat(), **extra}
    return _post(centre, f"/cases/{centre.case.id}/jahwal/move", data)


def _agree_plan(db: Any, centre: Centre) -> None:
    # Test setup: the IAP/ISP is another helper's form; the track only asks whether one is agreed.
    db.session.add(
        ServicePlan(
            case_id=centre.case.id,
            horizon_months=12,
            client_role="사업단 출근",
            agreed_on=today_local(),
            created_by_id=centre.worker.id,
        )
    )
    db.session.commit()


GATEWAY_REPORT = {
    "written_on": "",
    "author_name": "강자활",
    "benefit_types": ["conditional", "medical"],
    "field_team_name": "한빛 청소사업단",
    "field_started_on": "",
    "field_ended_on": "",
    "iap_written": "yes",
    "closure_outcome": "work_team",
    "outcome_team_name": "한빛 청소사업단",
    "team_type": "시장진입형",
    "participant_opinion": "꾸준히 일하고 싶어요",
    "worker_opinion": "출근 규칙을 잘 지킴",
}


def _report(centre: Centre, **changes: Any) -> Any:
    today = today_local()
    data = {
        **GATEWAY_REPORT,
        "written_on": today.isoformat(),
        "field_started_on": (today - timedelta(days=10)).isoformat(),
        "field_ended_on": (today - timedelta(days=3)).isoformat(),
        **changes,
    }
    path = f"/cases/{centre.case.id}/jahwal/gateway-closure"
    token = page_csrf_token(centre.http, path)
    return centre.http.post(path, data={"csrf_token": token, **data})


def test_the_panel_walks_the_track_from_intake_to_a_work_team(centre: Centre, db: Any) -> None:
    page = centre.http.get(f"/cases/{centre.case.id}").get_data(as_text=True)
    assert "자활 과정 (게이트웨이·사업단)" in page
    assert "자활 과정 시작" in page

    referred = (today_local() - timedelta(days=2)).isoformat()
    started = _post(centre, f"/cases/{centre.case.id}/jahwal/start", {"referred_on": referred})
    assert started.status_code == 303
    page = centre.http.get(f"/cases/{centre.case.id}").get_data(as_text=True)
    assert '<strong id="jahwal-status">주민</strong>' in page
    assert "참여 결정, 게이트웨이 시작" in page

    assert _move(centre, "decide_participation").status_code == 303
    page = centre.http.get(f"/cases/{centre.case.id}").get_data(as_text=True)
    assert '<strong id="jahwal-status">참여자</strong>' in page
    assert _move(centre, "finish_assessment").status_code == 303

    # 게이트웨이 종결 needs an agreed IAP/ISP: refused, nothing saved.
    steps = _count(db, TrackStep)
    refused = _move(centre, "close_gateway")
    assert refused.status_code == 422
    assert "IAP·ISP가 합의되어야 게이트웨이를 종결할 수 있습니다" in refused.get_data(as_text=True)
    assert _count(db, TrackStep) == steps
    _agree_plan(db, centre)
    refused = _move(centre, "close_gateway")
    assert refused.status_code == 422
    assert "게이트웨이 종결보고서(필수서식6)를 먼저 작성해 주세요" in refused.get_data(as_text=True)

    reported = _report(centre)
    assert reported.status_code == 303, reported.get_data(as_text=True)[:2000]
    assert _move(centre, "close_gateway").status_code == 303
    path = f"/cases/{centre.case.id}/jahwal/placement"
    token = page_csrf_token(centre.http, path)
    placed = centre.http.post(
        path,
        data={
            "csrf_token": token,
            "team_name": "한빛 청소사업단",
            "team_kind": "work_team",
            "started_on": today_local().isoformat(),
        },
    )
    assert placed.status_code == 303
    db.session.expire_all()
    track = db.session.scalars(sa.select(SelfSufficiencyTrack)).one()
    assert track.state.value == "placed"
    assert track.participant_since == today_local()
    assert [step.action for step in track.steps] == [
        "start",
        "decide_participation",
        "finish_assessment",
        "close_gateway",
        "place",
    ]
    assert track.current_placement is not None
    assert track.current_placement.team_name == "한빛 청소사업단"
    page = centre.http.get(f"/cases/{centre.case.id}").get_data(as_text=True)
    assert "재계획 시작 (IAP·ISP 재수립)" in page
    assert "사업단 이동 → 재계획" in page


def test_a_placement_before_the_gateway_ends_is_refused_and_nothing_saved(centre: Centre, db: Any) -> None:
    track_services.start_track(
        centre.case, referred_on=today_local(), actor=centre.worker, agency_id=centre.agency.id
    )
    track_services.move_track(
        centre.case,
        "decide_participation",
        on=today_local(),
        reason=None,
        actor=centre.worker,
        agency_id=centre.agency.id,
    )
    db.session.commit()
    path = f"/cases/{centre.case.id}/jahwal/placement"
    token = page_csrf_token(centre.http, path)
    response = centre.http.post(
        path,
        data={
            "csrf_token": token,
            "team_name": "한빛 청소사업단",
            "team_kind": "work_team",
            "started_on": today_local().isoformat(),
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "게이트웨이를 종결하기 전에는 사업단에 배치할 수 없습니다." in text
    assert 'id="started_on-error"' in text
    assert _count(db, WorkTeamPlacement) == 0
    db.session.expire_all()
    assert db.session.scalars(sa.select(SelfSufficiencyTrack)).one().state.value == "gateway"


def test_a_step_dated_before_the_previous_one_is_refused(centre: Centre, db: Any) -> None:
    track_services.start_track(
        centre.case, referred_on=today_local(), actor=centre.worker, agency_id=centre.agency.id
    )
    db.session.commit()
    early = (today_local() - timedelta(days=5)).isoformat()
    response = _move(centre, "decide_participation", effective_on=early)
    assert response.status_code == 422
    assert "앞 단계의 날짜" in response.get_data(as_text=True)
    assert _count(db, TrackStep) == 1


def test_deadlines_run_from_the_referral_and_the_gateway_start(centre: Centre, db: Any) -> None:
    # Friday 2026-01-02 + 3 days = Monday 01-05; gateway start 01-05 + 2 months = Thursday 03-05;
    # + 3 months = Sunday 04-05, which moves to Monday 04-06.
    track_services.start_track(
        centre.case, referred_on=date(2026, 1, 2), actor=centre.worker, agency_id=centre.agency.id
    )
    track_services.move_track(
        centre.case,
        "decide_participation",
        on=date(2026, 1, 7),
        reason=None,
        actor=centre.worker,
        agency_id=centre.agency.id,
    )
    db.session.commit()
    track = db.session.scalars(sa.select(SelfSufficiencyTrack)).one()
    clocks = {clock.code: clock for clock in track_clocks(track, date(2026, 3, 10))}
    assert (clocks["referral_to_intake"].due_on, clocks["referral_to_intake"].state) == (
        date(2026, 1, 5),
        "late",
    )
    assert clocks["gateway_to_assessment"].due_on == date(2026, 3, 9)  # 03-07 is a Saturday
    assert clocks["gateway_to_assessment"].state == "overdue"
    assert clocks["gateway_to_plan"].due_on == date(2026, 4, 7)
    page = centre.http.get(f"/cases/{centre.case.id}").get_data(as_text=True)
    assert "게이트웨이 시작 → 사정 완료" in page
    assert "(기한 2026-03-09)" in page
    assert "(기한 2026-04-07)" in page
    assert "기한 후 완료 2026-01-07" in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closure_outcome": "employment", "outcome_team_name": ""}, "company_name"),
        ({"closure_outcome": "dropout"}, "dropout_reason"),
        ({"field_ended_on": "2020-01-01"}, "field_ended_on"),
        ({"benefit_types": []}, "benefit_types"),
        ({"written_on": "2999-01-01"}, "written_on"),
    ],
)
def test_a_gateway_report_with_bad_input_is_refused_next_to_the_field(
    centre: Centre, db: Any, changes: dict[str, Any], field: str
) -> None:
    response = _report(centre, **changes)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count(db, GatewayClosureReport) == 0


def _field_learning(centre: Centre, **changes: Any) -> Any:
    today = today_local()
    data: dict[str, Any] = {
        "week_no": "2",
        "period_start": (today - timedelta(days=4)).isoformat(),
        "period_end": today.isoformat(),
        "host_name": "한빛 청소사업단",
        "evaluator_name": "박팀장",
        "content": "분리수거",
        "overall": "성실함",
        **dict.fromkeys(
            (
                "fitness",
                "understanding",
                "initiative",
                "punctuality",
                "kindness",
                "diligence",
                "cooperation",
                "listening",
                "positivity",
            ),
            "3",
        ),
        **dict.fromkeys(
            (
                "breach_hygiene",
                "breach_rough",
                "breach_drinking",
                "breach_absence",
                "breach_property",
                "breach_theft",
                "breach_conflict",
                "breach_complaint",
            ),
            "0",
        ),
        **changes,
    }
    path = f"/cases/{centre.case.id}/jahwal/field-learning"
    token = page_csrf_token(centre.http, path)
    return centre.http.post(path, data={"csrf_token": token, **data})


def test_field_learning_scores_are_totalled_and_out_of_range_refused(centre: Centre, db: Any) -> None:
    bad = _field_learning(centre, fitness="5")
    assert bad.status_code == 422
    assert 'id="fitness-error"' in bad.get_data(as_text=True)
    backwards = _field_learning(centre, period_end="2020-01-01")
    assert backwards.status_code == 422
    assert _count(db, FieldLearningEvaluation) == 0

    assert _field_learning(centre, positivity="1").status_code == 303
    record = db.session.scalars(sa.select(FieldLearningEvaluation)).one()
    assert record.score_total == 25  # 8 × 3 + 1: the pass mark
    printed = centre.http.get(f"/cases/{centre.case.id}/jahwal/field-learning/{record.id}/print")
    text = printed.get_data(as_text=True)
    assert printed.status_code == 200
    assert "활용서식5" in text
    assert "자활사업단 현장학습 평가서" in text
    assert "25점 /36점 · 적합" in text
    assert "윤지호" in text


def test_employment_confirmation_checks_dates_and_prints(centre: Centre, db: Any) -> None:
    path = f"/cases/{centre.case.id}/jahwal/employment"
    data = {
        "employer_name": "한빛물류",
        "industry": "운수·창고",
        "representative": "김물류",
        "monthly_pay": "210",
        "employed_on": "2026-10-01",
        "left_on": "2026-09-01",
        "weekly_hours": "40",
        "employment_insurance": "y",
        "employment_insurance_number": "12345678900",
        "confirmer_name": "이인사",
        "confirmer_phone": "02-555-0102",
        "confirmed_on": today_local().isoformat(),
    }
    token = page_csrf_token(centre.http, path)
    refused = centre.http.post(path, data={"csrf_token": token, **data})
    assert refused.status_code == 422
    assert 'id="left_on-error"' in refused.get_data(as_text=True)
    assert _count(db, EmploymentConfirmation) == 0

    saved = centre.http.post(path, data={"csrf_token": token, **data, "left_on": ""})
    assert saved.status_code == 303
    record = db.session.scalars(sa.select(EmploymentConfirmation)).one()
    text = centre.http.get(f"/cases/{centre.case.id}/jahwal/employment/{record.id}/print").get_data(
        as_text=True
    )
    assert "활용서식11" in text
    assert "취업확인서" in text
    assert "상기인은 ( 2026 )년 ( 10 )월 ( 1 )일부터" in text
    assert "남(○)" in text


def test_a_course_plan_and_result_print_their_tables(centre: Centre, db: Any) -> None:
    token = page_csrf_token(centre.http, "/cases/jahwal/courses/new")
    data = {
        "csrf_token": token,
        "title": "신규참여자 역량강화 교육",
        "held_on": "2026-11-05",
        "starts_at": "09:00",
        "ends_at": "17:00",
        "place": "교육장",
        "audience": "신규참여자 10명",
        "purpose": "자활사업 이해",
        "expected_effects": "강점 발견",
        "budget-0-category": "personnel",
        "budget-0-item": "강사비",
        "budget-0-amount": "300000",
        "budget-0-requested": "200000",
        "budget-0-own_share": "50000",
        "sessions-0-starts_at": "09:00",
        "sessions-0-ends_at": "09:30",
        "sessions-0-content": "인사",
        "sessions-0-person": "담당자",
    }
    refused = centre.http.post("/cases/jahwal/courses/new", data=data)
    assert refused.status_code == 422
    assert "신청금액과 자부담을 더하면 계와 같아야 합니다." in refused.get_data(as_text=True)
    assert _count(db, EducationCourse) == 0
    saved = centre.http.post("/cases/jahwal/courses/new", data={**data, "budget-0-own_share": "100000"})
    assert saved.status_code == 303
    course = db.session.scalars(sa.select(EducationCourse)).one()
    text = centre.http.get(f"/cases/jahwal/courses/{course.id}/print/plan").get_data(as_text=True)
    assert "활용서식3" in text
    assert "교육계획서" in text
    assert "2026년 11월 5일(목) 09:00~17:00" in text
    assert "30분" in text
    assert "66.7" in text
    form = centre.http.get(f"/cases/jahwal/courses/{course.id}/result").get_data(as_text=True)
    assert 'value="인사"' in form
    assert centre.http.get(f"/cases/jahwal/courses/{course.id}/print/result").status_code == 404


def test_the_track_is_only_for_a_self_sufficiency_centre(
    client: FlaskClient, login_as: Callable[..., Any], create_case: Callable[..., Case], case_kit: Any
) -> None:
    case = create_case()
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "자활 과정 (게이트웨이·사업단)" not in page
    assert client.get(f"/cases/{case.id}/jahwal/gateway-closure").status_code == 404
    assert client.get("/cases/jahwal/courses").status_code == 404
