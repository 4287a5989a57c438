"""Stale cases of the demo district: 솔내동's worker finds closure reviews waiting on the dashboard.

Three households whose plans were agreed months ago: one refused further help more than three
months ago, one has not been reachable for more than three months, and one plan's period ended
last month. They are written through the services; the plan's dates are then moved back (`_back_date`).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases import services
from cases.models import (
    Case,
    CounsellingArea,
    CounsellingLog,
    CounsellingMethod,
    CounsellingType,
    MonitoringChannel,
    MonitoringFinding,
    ServicePlan,
)
from demo.cases import FAMILY, GIVEN, HOUSEHOLD_TYPES, Walker, supervisor_for
from hamkke.db import db
from hamkke.time import today_local

#: (days since opening, days since the plan was agreed, [(days ago, finding, what happened)])
SCENARIOS: tuple[tuple[int, int, tuple[tuple[int, MonitoringFinding, str], ...]], ...] = (
    (
        200,
        150,
        (
            (140, MonitoringFinding.on_track, "주거비 신청서 제출, 병원 동행"),
            (110, MonitoringFinding.refused, "방문 거절: 더 이상 상담을 원하지 않는다고 함"),
            (60, MonitoringFinding.refused, "전화로 거부 의사를 다시 확인함"),
        ),
    ),
    (
        170,
        130,
        (
            (125, MonitoringFinding.on_track, "긴급지원 생계비 수령 확인"),
            (100, MonitoringFinding.moved_or_lost_contact, "전화 불통, 방문 시 부재"),
            (70, MonitoringFinding.moved_or_lost_contact, "이웃: 이사한 것 같다고 함. 전입 여부 확인 중"),
        ),
    ),
    (
        230,
        200,
        ((10, MonitoringFinding.on_track, "목표 대부분 달성, 계획 기간이 끝나 평가 필요"),),
    ),
)


def load_demo_stale_cases(agencies: dict[str, Agency], people: dict[str, Person], seed: int) -> int:
    """Add 솔내동's three stale cases (refusal, lost contact, ended plan); return how many."""
    worker, centre = people.get("demo-dong-worker"), agencies.get("dong-solnae")
    if worker is None or centre is None:
        return 0
    # Its own random stream: the other demo content stays exactly as the main seed makes it.
    rng = random.Random(seed)
    supervisor = supervisor_for(centre, people)
    today = today_local()
    for index, (opened_ago, agreed_ago, logs) in enumerate(SCENARIOS):
        kind = HOUSEHOLD_TYPES[(index + 2) % len(HOUSEHOLD_TYPES)]
        case = services.open_case(
            centre,
            services.ClientInput(
                name=rng.choice(FAMILY) + rng.choice(GIVEN),
                sex=rng.choice(("남", "여")),
                birth_date=date(rng.randint(1940, 1985), rng.randint(1, 12), rng.randint(1, 28)),
                address=f"서울특별시 한빛구 솔내동 {rng.randint(1, 300)}-{rng.randint(1, 30)}",
            ),
            actor=worker,
            opened_on=today - timedelta(days=opened_ago),
            household_type=kind[0],
            intake_route=services.IntakeRoute.outreach,
            referrer="통장",
            case_worker_id=worker.id,
        )
        Walker(rng, centre, worker, supervisor, kind).walk(case, "delivery")
        _back_date(case, timedelta(days=agreed_ago))
        _log(case, worker, centre, today, logs)
    return len(SCENARIOS)


def _back_date(case: Case, shift: timedelta) -> None:
    """Move the agreed plan, its goals and the first visit back by ``shift`` (months of history).

    The services only accept a plan whose goals lie ahead, so the case is walked today and its dates
    are moved afterwards, as `demo.history` writes its past cases' dates.
    """
    for plan in db.session.scalars(sa.select(ServicePlan).where(ServicePlan.case_id == case.id)):
        plan.agreed_on = plan.agreed_on - shift if plan.agreed_on else None
        for goal in plan.goals:
            goal.target_on -= shift
    for log in db.session.scalars(sa.select(CounsellingLog).where(CounsellingLog.case_id == case.id)):
        log.contacted_on -= shift
    if case.plan_agreed_on is not None:
        case.plan_agreed_on -= shift
    db.session.flush()


def _log(
    case: Case,
    worker: Person,
    centre: Agency,
    today: date,
    logs: tuple[tuple[int, MonitoringFinding, str], ...],
) -> None:
    """Write the case's later 상담일지 entries (phone calls and visits) with their findings."""
    for days_ago, finding, content in logs:
        services.add_counselling_log(
            case,
            actor=worker,
            agency_id=centre.id,
            contacted_on=today - timedelta(days=days_ago),
            channel=MonitoringChannel.regular_contact,
            method=CounsellingMethod.phone_out
            if finding != MonitoringFinding.on_track
            else CounsellingMethod.face_visit,
            area=CounsellingArea.client,
            counselling_type=CounsellingType.welfare_other,
            minutes=15 if finding != MonitoringFinding.on_track else 50,
            content=content,
            finding=finding,
        )
