"""Demo referrals: a few cases referred to the district's services, at every step of the loop."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from agencies.models import Agency, AgencyType, Person, Service
from cases.models import Case
from hamkke.db import db
from hamkke.time import today_local
from referrals import access, disclosure, services
from referrals.models import Referral, RejectionReason

#: what the demo referrals ask for, in the words of the 활용서식6 form
DEMO_CONTENT = (
    (
        "혼자 지내며 식사를 자주 거름",
        "밑반찬·도시락 지원",
        "영양 부족과 우울감",
        "긴급지원 생계비(지난달)",
        "오전 방문 선호",
    ),
    (
        "월세 체납으로 퇴거 위기",
        "주거 상담과 긴급 주거비",
        "주거 불안",
        "주거급여 신청 중",
        "집주인과 갈등 있음",
    ),
    (
        "자녀 방과후 돌봄 공백",
        "아동 방과후 프로그램",
        "양육 부담",
        "드림스타트 상담 1회",
        "평일 18시 이후 연락",
    ),
    ("실직 후 구직 의욕 저하", "취업 상담·자활 근로", "소득 단절", "없음", "면접 동행 희망"),
    (
        "음주 문제로 가족 갈등",
        "정신건강 상담 연계",
        "알코올 의존 의심",
        "보건소 상담 1회",
        "본인 동의 하에 연계",
    ),
    (
        "어르신 낙상 후 거동 불편",
        "노인 맞춤돌봄",
        "일상생활 어려움",
        "장기요양 등급 신청 전",
        "보호자 연락 가능",
    ),
)


def load_demo_referrals(limit: int = 6) -> int:
    """Create referrals from demo cases to other agencies' services in varied states; return the count."""
    cases = db.session.scalars(
        sa.select(Case).where(Case.case_worker_id.is_not(None), Case.is_deleted.is_(False)).order_by(Case.id)
    ).all()
    targets = db.session.scalars(
        sa.select(Service)
        .join(Agency, Service.agency_id == Agency.id)
        .where(
            Service.is_active, Agency.type != AgencyType.dong_centre, Agency.type != AgencyType.district_team
        )
        .order_by(Service.id)
    ).all()
    made = 0
    for case in cases:
        if made >= limit or not targets:
            break
        worker = db.session.get(Person, case.case_worker_id)
        service = targets[made % len(targets)]
        receivers = services.agency_staff(service.agency)
        if worker is None or access.can_refer_from_case(worker, case) is None or not receivers:
            continue
        reason, wanted, problem, history, notes = DEMO_CONTENT[made % len(DEMO_CONTENT)]
        # Share only what the client consented to give this agency (often nothing in the demo).
        groups = tuple(
            sorted(disclosure.consented_field_groups(case.main_client, service.agency) & {"basic"})
        )
        referral = services.create_referral(
            case,
            actor=worker,
            receiving_agency=service.agency,
            service=service,
            content=services.ReferralContent(reason, wanted, problem, history, notes, groups),
            eligibility_override_reason="데모: 담당자가 이용요건을 확인함",
        )
        services.send_referral(referral, actor=worker)
        _advance(referral, receivers[0], made)
        made += 1
    db.session.flush()
    return made


def _advance(referral: Referral, receiver: Person, step: int) -> None:
    """Move a demo referral along so every state of the loop appears once."""
    if step == 0:
        # Overdue: sent long ago and never answered, so lists show "기한 지남".
        referral.response_due_on = today_local() - timedelta(days=3)
    elif step == 1:
        services.mark_received(referral, actor=receiver)
    elif step == 2:
        services.accept(referral, actor=receiver, note="다음 주 첫 방문")
    elif step == 3:
        services.accept(referral, actor=receiver)
        services.start(referral, actor=receiver)
    elif step == 4:
        services.accept(referral, actor=receiver)
        services.complete(
            referral,
            actor=receiver,
            outcome="주 2회 서비스 제공 시작",
            result_report="3개월 제공 후 재평가 예정",
        )
    else:
        services.reject(
            referral, actor=receiver, reason=RejectionReason.capacity_full, note="이번 달 정원 마감"
        )
