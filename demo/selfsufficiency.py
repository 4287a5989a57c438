"""The demo's 지역자활센터: participants at different stages of the 자활 track, their forms and a course.

Written through the services like the rest of the demo: a 주민 just referred, a participant whose
assessment is overdue, one placed in a 사업단 whose 재계획 is overdue, one who left after the
gateway with a job (취업확인서), and one at intake whose plan is already agreed (the browser test
walks them through the track). The centre also has a 게이트웨이 course with its plan and result.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from agencies.models import Agency, Person
from cases import services
from cases.models import Case, IntakeRoute
from cases.models.selfsufficiency import BudgetCategory, GatewayOutcome, TeamKind
from cases.services import selfsufficiency as track
from cases.services import selfsufficiency_records as records
from demo.cases import HOUSEHOLD_TYPES, Walker
from hamkke.db import db
from hamkke.time import today_local

#: the participant the browser test walks through the track (at intake, plan already agreed)
WALK_PARTICIPANT = "윤지호"


def _open(
    centre: Agency, worker: Person, name: str, sex: str, born: int, referred_on: date, kind: int
) -> Case:
    client = services.ClientInput(
        name=name,
        sex=sex,
        birth_date=date(born, 4, 12),
        phone=f"010-55{born % 100:02d}-{1000 + kind * 111}",
        address=f"서울특별시 한빛구 솔내동 {20 + kind}-3",
        benefit_category="조건부수급자(생계급여)",
    )
    return services.open_case(
        centre,
        client,
        actor=worker,
        opened_on=referred_on,
        referred_on=referred_on,
        intake_route=IntakeRoute.local_government,
        referrer="한빛구청 자활 담당",
        household_type=HOUSEHOLD_TYPES[kind % len(HOUSEHOLD_TYPES)][0],
        case_worker_id=worker.id,
    )


def _move(
    case: Case, worker: Person, centre: Agency, action: str, on: date, reason: str | None = None
) -> None:
    track.move_track(case, action, on=on, reason=reason, actor=worker, agency_id=centre.id)


def _closure_report(case: Case, worker: Person, centre: Agency, on: date, outcome: GatewayOutcome) -> None:
    details: dict[str, object] = (
        {
            "company_name": "한빛물류",
            "industry": "운수·창고",
            "job_type": "상하차",
            "work_conditions": "주 5일, 월 210만원",
        }
        if outcome == GatewayOutcome.employment
        else {"outcome_team_name": "한빛 청소사업단", "team_type": "시장진입형"}
    )
    values: dict[str, object] = {
        "written_on": on,
        "author_name": worker.name,
        "benefit_types": ["conditional"],
        "benefit_other": None,
        "field_team_name": "한빛 청소사업단",
        "field_started_on": on - timedelta(days=30),
        "field_ended_on": on - timedelta(days=16),
        "iap_written": True,
        "closure_outcome": outcome.value,
        "dropout_reason": None,
        "dropout_other": None,
        "participant_opinion": "꾸준히 일할 수 있다는 자신감이 생겼어요.",
        "worker_opinion": "출근 규칙을 잘 지킴. 사업단에서 근로 유지 지원 필요.",
        **details,
    }
    records.record_gateway_closure_report(case, values, actor=worker, agency_id=centre.id)


def _field_learning(case: Case, worker: Person, centre: Agency, start: date) -> None:
    scores = dict.fromkeys(records.FIELD_LEARNING_ITEMS, 3) | {"fitness": 4, "positivity": 2}
    breaches = dict.fromkeys(records.BREACHES, 0) | {"breach_absence": 1}
    values: dict[str, object] = {
        "week_no": 2,
        "period_start": start,
        "period_end": start + timedelta(days=4),
        "host_name": "한빛 청소사업단",
        "evaluator_name": "한빛 청소사업단 팀장",
        "content": "사무실 청소, 분리수거, 장비 관리",
        "overall": "작업을 빨리 익히고 동료를 잘 도움. 말투가 거칠 때가 있어 의사소통 연습 필요.",
        **scores,
        **breaches,
    }
    records.record_field_learning(case, values, actor=worker, agency_id=centre.id)


def _walked(rng: random.Random, centre: Agency, worker: Person, case: Case, kind: int) -> None:
    """Walk the integrated case to 실행·점검 so it has an agreed plan (the track's guard asks for one)."""
    Walker(rng, centre, worker, worker, HOUSEHOLD_TYPES[kind % len(HOUSEHOLD_TYPES)]).walk(case, "delivery")


def _placed(rng: random.Random, centre: Agency, worker: Person, today: date) -> Case:
    case = _open(centre, worker, "한수진", "여", 1979, today - timedelta(days=190), 3)
    _walked(rng, centre, worker, case, 3)
    track.start_track(case, referred_on=case.opened_on, actor=worker, agency_id=centre.id)
    _move(case, worker, centre, "decide_participation", today - timedelta(days=188))
    _field_learning(case, worker, centre, today - timedelta(days=160))
    _move(case, worker, centre, "finish_assessment", today - timedelta(days=150))
    _closure_report(case, worker, centre, today - timedelta(days=102), GatewayOutcome.work_team)
    _move(case, worker, centre, "close_gateway", today - timedelta(days=101))
    track.place_in_team(
        case,
        team_name="한빛 청소사업단",
        team_kind=TeamKind.work_team,
        started_on=today - timedelta(days=100),
        actor=worker,
        agency_id=centre.id,
    )
    return case


def _employed(rng: random.Random, centre: Agency, worker: Person, today: date) -> Case:
    case = _open(centre, worker, "배성호", "남", 1983, today - timedelta(days=120), 4)
    _walked(rng, centre, worker, case, 4)
    track.start_track(case, referred_on=case.opened_on, actor=worker, agency_id=centre.id)
    _move(case, worker, centre, "decide_participation", today - timedelta(days=118))
    _move(case, worker, centre, "finish_assessment", today - timedelta(days=80))
    _closure_report(case, worker, centre, today - timedelta(days=40), GatewayOutcome.employment)
    _move(case, worker, centre, "close_gateway", today - timedelta(days=40))
    _move(
        case, worker, centre, "leave_after_gateway", today - timedelta(days=38), "한빛물류 취업, 1년 사후관리"
    )
    values: dict[str, object] = {
        "employer_name": "한빛물류",
        "industry": "운수·창고",
        "business_number": "123-45-67890",
        "representative": "김물류",
        "site_address": "서울특별시 한빛구 물류로 12",
        "site_phone": "02-555-0101",
        "staff_count": 35,
        "monthly_pay": 210,
        "employed_on": today - timedelta(days=38),
        "left_on": None,
        "weekly_hours": 40,
        "total_hours": 200,
        "health_insurance": True,
        "national_pension": True,
        "employment_insurance": True,
        "employment_insurance_number": "12345678900",
        "accident_insurance": True,
        "confirmer_name": "이인사",
        "confirmer_phone": "02-555-0102",
        "confirmed_on": today - timedelta(days=10),
    }
    records.record_employment_confirmation(case, values, actor=worker, agency_id=centre.id)
    return case


def _course(centre: Agency, worker: Person, today: date) -> None:
    held = today - timedelta(days=45)
    sessions = [
        records.SessionRow(time(9, 0), time(9, 30), "인사, 자기소개, 일정안내 등", "담당자", None),
        records.SessionRow(
            time(9, 30), time(11, 0), "자활사업의 역사와 철학, 센터와 사업단 소개", "기관장", None
        ),
        records.SessionRow(
            time(11, 0), time(12, 30), "국민기초생활보장법 및 자활사업 안내 (생활법률)", "실장", None
        ),
        records.SessionRow(
            time(13, 30), time(16, 30), "근로와 직업, 자기 개발 (재무·건강·분노조절)", "전문가", None
        ),
        records.SessionRow(time(16, 30), time(17, 0), "소감나누기", "담당자", None),
    ]
    budget = [
        records.BudgetRow(
            BudgetCategory.personnel, "강사비", "외부강사", None, 300000, "3시간 × 100,000원", 300000, 0
        ),
        records.BudgetRow(
            BudgetCategory.programme, "교재비", "인쇄", None, 100000, "10부 × 10,000원", 80000, 20000
        ),
    ]
    values: dict[str, object] = {
        "title": "신규참여자 역량강화 교육",
        "held_on": held,
        "starts_at": time(9, 0),
        "ends_at": time(17, 0),
        "place": "센터 교육장",
        "audience": "신규참여자 10명",
        "purpose": "- 자활사업을 이해한다.\n- 자신의 강점으로 자활의지를 높인다.",
        "expected_effects": "센터와 참여자 사이의 신뢰 형성, 자기 강점 발견",
    }
    course = records.create_course(centre, values, budget, sessions, actor=worker)
    spent = [
        records.BudgetRow(
            BudgetCategory.personnel, "강사비", "외부강사", None, 300000, "3시간 × 100,000원", 300000, 0
        ),
        records.BudgetRow(
            BudgetCategory.programme,
            "교재비",
            "인쇄",
            None,
            90000,
            "9부 × 10,000원",
            70000,
            20000,
            "센터 후원금",
        ),
    ]
    result: dict[str, object] = {
        "reported_on": held + timedelta(days=2),
        "satisfaction": "참여자 9명 응답, 평균 3.6점(4점 만점)",
        "photos": "교육 사진 6장 (센터 공유폴더 '2026 게이트웨이 교육')",
        "usage_plan": "개인별 강점을 IAP 작성에 활용",
        "worker_opinion": "분노조절 시간이 짧았다는 의견이 많음",
        "supervision": "다음 교육에 분노조절 실습 30분 추가",
        "next_title": "정서적 자활 교육",
        "next_when": "다음 분기 첫째 주",
        "next_place": "센터 교육장",
        "next_audience": "게이트웨이 참여자",
        "next_purpose": "- 감정 다루기와 대화 연습",
    }
    records.report_course(course, result, spent, sessions, actor=worker)


def load_demo_selfsufficiency(centre: Agency, worker: Person | None, seed: int = 20261208) -> int:
    """Add the 지역자활센터's participants and a course; return how many cases it opened (flushes only)."""
    if worker is None:
        return 0
    rng = random.Random(seed)
    today = today_local()
    resident = _open(centre, worker, "정다은", "여", 1988, today - timedelta(days=1), 0)
    track.start_track(resident, referred_on=resident.opened_on, actor=worker, agency_id=centre.id)
    late = _open(centre, worker, "오민재", "남", 1975, today - timedelta(days=72), 1)
    track.start_track(late, referred_on=late.opened_on, actor=worker, agency_id=centre.id)
    _move(late, worker, centre, "decide_participation", today - timedelta(days=70))
    _placed(rng, centre, worker, today)
    _employed(rng, centre, worker, today)
    walk = _open(centre, worker, WALK_PARTICIPANT, "남", 1990, today - timedelta(days=2), 2)
    _walked(rng, centre, worker, walk, 2)
    track.start_track(walk, referred_on=walk.opened_on, actor=worker, agency_id=centre.id)
    _course(centre, worker, today)
    db.session.flush()
    return 5
