"""Demo 필수서식 1 기본면접기록지 and 초기상담기록지 (seed 001) details, filled for 솔내동's open cases.

So that a person opening the demo finds the forms filled in as a worker would: a 기본면접기록지 for the
first open cases of the 솔내동 demo worker, and the referrer and service history on their 초기상담 records.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from agencies.models import Agency, AgencyType, Dong, Person
from cases.models import Case, CaseStage, IntakeRecord
from cases.models.interview import PriorService
from cases.services.interview import InterviewInput, save_basic_interview
from hamkke.db import db
from hamkke.time import today_local

#: how many 솔내동 cases get a filled 기본면접기록지
FILLED = 3

#: one worked example per filled case: (participation, route, composition, traits, family, careers)
EXAMPLES = (
    (
        "신규참여",
        "지자체 의뢰",
        "한부모+자녀",
        ("한부모가구",),
        ({"relation": "본인", "age": 42, "sex": "여", "occupation": "무직"}, {"relation": "자", "age": 13}),
        (
            {
                "kind": "취업",
                "organisation": "한빛마트",
                "employment_type": "단시간근로자",
                "monthly_amount": 110,
            },
        ),
    ),
    (
        "재참여",
        "본인요청",
        "독신가구",
        ("1인가구", "장애인가구"),
        ({"relation": "본인", "age": 58, "sex": "남", "occupation": "무직"},),
        (
            {
                "kind": "자활",
                "organisation": "한빛 청소사업단",
                "duties": "건물 청소",
                "end_reason": "건강 악화",
            },
            {
                "kind": "취업",
                "organisation": "솔내물류",
                "employment_type": "일일근로자",
                "monthly_amount": 160,
            },
        ),
    ),
    (
        "신규참여",
        "타기관의뢰",
        "3세대가구",
        ("조손가구", "다문화가구"),
        (
            {"relation": "본인", "age": 67, "sex": "여"},
            {"relation": "기타", "age": 35, "sex": "여", "occupation": "회사원", "monthly_income": 150},
            {"relation": "기타", "age": 9, "sex": "남", "occupation": "학생"},
        ),
        (),
    ),
)


def _cases() -> list[Case]:
    """The first open cases of 솔내동's dong centre, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Case)
            .join(Agency, Agency.id == Case.owning_agency_id)
            .join(Dong, Dong.id == Agency.dong_id)
            .where(
                Dong.code == "solnae",
                Agency.type == AgencyType.dong_centre,
                Case.stage.not_in((CaseStage.closed, CaseStage.not_selected)),
                Case.case_worker_id.is_not(None),
            )
            .order_by(Case.id)
            .limit(FILLED)
        )
    )


def _input(case: Case, position: int, name: str) -> InterviewInput:
    participation, route, composition, traits, family, careers = EXAMPLES[position % len(EXAMPLES)]
    counselled_on = min(case.opened_on + timedelta(days=1), today_local())
    family_rows = tuple(
        {
            "name": name if row["relation"] == "본인" else f"{name[0]}가족{index}",
            "lives_together": True,
            **row,
        }
        for index, row in enumerate(family, start=1)
    )
    return InterviewInput(
        interview={
            "counselled_on": counselled_on,
            "method": "내방",
            "participation": participation,
            "intake_route": route,
            "has_mobile_phone": True,
            "emergency_name": f"{name[0]}영희",
            "emergency_relation": "동생",
            "emergency_phone": "010-2345-6789",
            "education": "고졸",
            "centre_reason": "집에서 가깝고 주민센터에서 안내받음",
            "visit_trigger": "주민센터(동사무소)",
            "visit_reason": "일하면서 생활을 다시 세우고 싶음",
            "marital_status": "이혼" if composition == "한부모+자녀" else "미혼",
        },
        health={
            "physical_rating": "보통",
            "disease_1": "고혈압" if position else None,
            "mental_rating": "상담 및 치료필요" if position == 1 else "양호",
            "distress_symptoms": "불면, 무기력" if position == 1 else None,
            "distress_counselled": False if position == 1 else None,
            "drinks": position == 1,
            "drink_kinds": ["소주"] if position == 1 else [],
            "drinks_per_week": 3 if position == 1 else None,
            "bottles_per_session": 1 if position == 1 else None,
            "smokes": position != 2,
            "packs_per_week": 4 if position != 2 else None,
        },
        benefits={
            "is_recipient": True,
            "first_received_on": date(2021, 3, 1),
            "medical_type": "의료급여1종",
            "past_recipient": position == 1,
            "past_years": 2 if position == 1 else None,
            "past_months": 6 if position == 1 else None,
            "past_kinds": ["생계급여", "자활급여"] if position == 1 else [],
        },
        account={
            "bank_name": "한빛은행",
            "holder_name": name,
            "account_number": f"110-{300 + position}-123456",
        },
        coverage="조건부수급자(생계급여)",
        composition=composition,
        traits=traits,
        family=family_rows,
        careers=careers,
        licences=({"licence_type": "민간자격증", "name": "요양보호사", "issuer": "한빛구청"},)
        if position == 0
        else (),
        trainings=(
            {
                "started_on": date(2023, 3, 2),
                "ended_on": date(2023, 5, 30),
                "institution": "한빛직업전문학교",
                "content": "바리스타 과정",
                "completed": True,
                "hours": 60,
            },
        )
        if position != 2
        else (),
    )


def _intake_details(case: Case) -> None:
    """Give the case's 초기상담 records the referrer and a prior service (seed 001 초기상담기록지)."""
    for record in db.session.scalars(sa.select(IntakeRecord).where(IntakeRecord.case_id == case.id)):
        record.referrer_type = "공공기관"
        record.referrer_name = "솔내동 주민센터 맞춤형복지팀"
        record.referrer_contact = "02-555-0100"
        record.referral_motive = "복지 상담 중 일자리와 건강 문제가 함께 확인됨"
        record.referrer_services = "긴급 생계지원 1회"
        record.prior_approaches = "전화 안부 확인에 잘 응함"
        record.informal_support = "동생이 가끔 방문"
        record.desired_change = "안정적인 일자리"
        record.assigned_department = "맞춤형복지팀"
        db.session.add(
            PriorService(
                case_id=case.id,
                intake_record_id=record.id,
                service="푸드뱅크 식품 지원",
                provider="한빛푸드뱅크",
                period="2024-01~2024-12",
                stop_reason="지원 기간 종료",
                result="끼니 해결에 도움",
            )
        )


def load_demo_intake_forms() -> int:
    """Fill the 기본면접기록지 and 초기상담기록지 details of the first 솔내동 open cases; return how many."""
    filled = 0
    for position, case in enumerate(_cases()):
        worker = db.session.get(Person, case.case_worker_id)
        main = case.main_client
        if worker is None or main is None:
            continue
        # The demo writes its own made-up record: the name is read back to fill the family table.
        save_basic_interview(
            case, _input(case, position, main.name), actor=worker, agency_id=case.owning_agency_id
        )
        _intake_details(case)
        filled += 1
    db.session.flush()
    return filled
