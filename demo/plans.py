"""Demo plans: a 한빛지역자활센터 participant's IAP, seed-000 ISP, 실행점검 and 활용서식9.

The IAP is revised once (the first version stays readable), the ISP holds goals per support domain
and is in delivery with one service ticked, all written through the services.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases import services
from cases.models import Case, GoalTerm, ServicePlan
from cases.models.selfplans import ExecutionPhase, PlanKind, SupportDomain, TargetPath
from cases.scores import EvaluationRow
from cases.services import planning, selfplans
from demo.cases import HOUSEHOLD_TYPES, Walker, supervisor_for
from hamkke.db import db
from hamkke.time import today_local


def _action_plan(walker: Walker, case: Case) -> None:
    """The participant's IAP, then a revision after the 재사정 (the first version stays readable)."""
    today = walker.today
    first = selfplans.ActionPlanInput(
        counselled_on=today - timedelta(days=1),
        security_type="조건부수급자(생계급여)",
        work_team="한빛청소사업단",
        weaknesses="술 때문에 아침에 자주 못 일어나요. 허리가 아파요.",
        strengths="손재주가 좋고 사람들과 잘 어울려요.",
        short_term_goal="한 달 동안 사업단 지각 3회 미만",
        short_term_target_on=today + timedelta(days=300),
        long_term_goal="일반 취업이 가능할 정도로 알코올 중독에서 회복하기",
        long_term_target_on=today + timedelta(days=1700),
        target_path=TargetPath.general_employment,
        help_wanted="허리 통증으로 사업단 근무 1시간마다 10분씩 휴식을 원함",
        agreed_on=today - timedelta(days=1),
    )
    selfplans.write_action_plan(case, first, actor=walker.worker, agency_id=walker.centre.id)
    revised = selfplans.ActionPlanInput(
        **{
            **first.__dict__,
            "counselled_on": today,
            "long_term_goal": "청소 자활기업에 취업해 3년 이상 일하기",
            "target_path": TargetPath.jahwal_employment,
            "agreed_on": today,
            "revision_reason": "현장학습 후 자활기업 취업을 원함 (재사정)",
        }
    )
    selfplans.write_action_plan(case, revised, actor=walker.worker, agency_id=walker.centre.id)


def _goal(
    domain: SupportDomain, words: str, goal: str, service: str, provider: str, months: int
) -> planning.GoalInput:
    today = today_local()
    return planning.GoalInput(
        domain=None,
        term=GoalTerm.long,
        statement=goal,
        target_on=today + timedelta(days=31 * months),
        support_domain=domain,
        participant_words=words,
        services=(
            planning.ServiceInput(
                name=service,
                quantity="주 1회",
                duration_months=None,
                intensity="집중" if domain == SupportDomain.work else "보통",
                provider_name=provider,
                starts_on=today,
                ends_on=today + timedelta(days=30 * months),
            ),
        ),
    )


def _service_plan(walker: Walker, case: Case) -> None:
    """The seed-000 ISP: 근로 지원 and 복지서비스 지원, the participant's words kept as said."""
    goals = [
        _goal(
            SupportDomain.work,
            "내가 사실 술 때문에 많이 부끄러워요. 떳떳하게 돈 벌고 싶어요",
            "안정적인 사업단 참여를 위해 알코올 중독에서 벗어나기",
            "정신건강복지센터 중독 상담",
            "한빛구정신건강복지센터",
            12,
        ),
        _goal(
            SupportDomain.work,
            "운전을 배우고 싶어요",
            "1종 보통 운전면허 취득",
            "운전면허 학원 연계",
            "한빛운전학원",
            6,
        ),
        _goal(
            SupportDomain.welfare,
            "허리가 아파서 오래 못 서 있어요",
            "허리 치료 꾸준히 받기",
            "의료급여 물리치료",
            "한빛의원",
            6,
        ),
        _goal(
            SupportDomain.welfare,
            "빚 독촉 전화가 무서워요",
            "채무조정 신청하기",
            "신용회복 상담",
            "서민금융통합지원센터",
            3,
        ),
    ]
    planning.create_plan(
        case,
        actor=walker.worker,
        agency_id=walker.centre.id,
        kind=PlanKind.jahwal,
        horizon_months=60,
        client_role="매일 사업단 출근, 주 1회 상담 참여",
        family_role="딸: 월 1회 안부 전화",
        goals=goals,
        agreed_on=walker.today,
    )


def load_demo_plans(agencies: dict[str, Agency], people: dict[str, Person]) -> int:
    """Add the 자활센터 participant's plans (IAP, ISP, 실행점검, 활용서식9); return the cases added."""
    centre, worker = agencies.get("hanbit-jahwal"), people.get("demo-selfsuff-worker")
    if centre is None or worker is None:
        return 0
    rng = random.Random(20261208)
    walker = Walker(rng, centre, worker, supervisor_for(centre, people), HOUSEHOLD_TYPES[0])
    case = services.open_case(
        centre,
        services.ClientInput(
            name="박재희",
            sex="남",
            birth_date=date(1971, 4, 12),
            phone="010-3141-5926",
            address="서울특별시 한빛구 솔내동 12-3",
            benefit_category="조건부수급자(생계급여)",
        ),
        actor=worker,
        opened_on=walker.today - timedelta(days=20),
        household_type="알코올·정신질환",
        intake_route=services.IntakeRoute.local_government,
        referrer="한빛구청 자활 의뢰",
        case_worker_id=worker.id,
    )
    walker.walk(case, "planning")
    _action_plan(walker, case)
    _service_plan(walker, case)
    walker.step(case, "start_delivery")
    plan = db.session.scalars(
        sa.select(ServicePlan).where(ServicePlan.case_id == case.id).order_by(ServicePlan.version.desc())
    ).first()
    assert plan is not None  # noqa: S101 -- written just above
    planning.tick_execution(
        plan.goals[0].services[0],
        actor=worker,
        agency_id=centre.id,
        checked_on=walker.today,
        phase=ExecutionPhase.gateway,
        note="중독 상담 첫 회기 참여 확인",
    )
    services.record_evaluation(
        case,
        actor=worker,
        agency_id=centre.id,
        evaluated_on=walker.today,
        affiliation="한빛청소사업단",
        rows=[
            EvaluationRow("iap_short", "한 달 동안 사업단 지각 3회 미만", 8, 8, 7, 7),
            EvaluationRow("iap_long", "청소 자활기업에 취업해 3년 이상 일하기", 6, 7, 6, 4),
            EvaluationRow("work1", "안정적인 사업단 참여를 위해 알코올 중독에서 벗어나기", 8, 9, 8, 6),
            EvaluationRow("welfare1", "허리 치료 꾸준히 받기", 7, 8, 9, 8),
        ],
        worker_opinion="단주 의지가 높아졌으나 허리 통증으로 결근이 잦음. 물리치료 지속 필요.",
    )
    return 1
