"""Demo 상담일지 and 위기도: filled 필수서식7 entries, a group session, and ratings with their items.

Each open demo case with an assigned worker gets two individual entries of different methods and types;
every worker with several such cases of one agency holds one group session (집단상담) with up to three of
them, recorded once and counted once; each case in 사정 or 실행·점검 gets a 위기도 rating scored item by
item. Cases whose logs record a refusal or a lost contact (the stale demo cases) are left as they are,
so their staleness stays what the stale demo shows. Everything is written through the services.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import time, timedelta

import sqlalchemy as sa

from agencies.models import Person
from cases import services
from cases.models import (
    LOG_STAGES,
    Case,
    CaseStage,
    CounsellingArea,
    CounsellingLog,
    CounsellingMethod,
    CounsellingType,
    CrisisItem,
    MonitoringChannel,
    MonitoringFinding,
)
from cases.queries.staleness import NO_CONTACT_FINDINGS
from cases.services.counselling import LogEntry
from hamkke.db import db
from hamkke.time import today_local

#: (days ago, start, method, area, type, minutes, place, purpose, content, result)
ENTRIES: tuple[
    tuple[int, time, CounsellingMethod, CounsellingArea, CounsellingType, int, str, str, str, str], ...
] = (
    (
        12,
        time(10, 0),
        CounsellingMethod.face_visit,
        CounsellingArea.client,
        CounsellingType.welfare_housing,
        60,
        "대상자 자택",
        "주거 상황 확인과 주거급여 신청 안내",
        "월세 체납 상황을 함께 정리하고 주거급여 신청서를 같이 작성함. 처음보다 표정이 밝아지고 "
        "'이제 좀 숨이 쉬어진다'고 말함.",
        "주거급여 신청서 제출, 다음 방문에서 결과 확인하기로 함",
    ),
    (
        4,
        time(14, 30),
        CounsellingMethod.phone_out,
        CounsellingArea.family,
        CounsellingType.welfare_medical,
        20,
        "주민센터 상담실",
        "병원 진료 동행 일정 조율",
        "딸과 통화하여 다음 주 내과 진료에 동행할 수 있는지 확인함. 딸이 평일 오전에 시간을 낼 수 있다고 함.",
        "진료 동행은 딸이 하기로 함, 사례관리자는 진료 결과를 전화로 확인",
    ),
)
#: the group session: (days ago, start, minutes, place, purpose, content, result)
GROUP = (
    7,
    time(15, 0),
    120,
    "주민센터 2층 교육실",
    "자조모임: 가계부 쓰기와 부채 상담 안내",
    "집단 교육으로 가계부 쓰는 법을 함께 연습하고, 채무조정 상담 기관을 안내함. 참여자들이 서로의 "
    "절약 방법을 나누며 적극적으로 참여함.",
    "다음 모임까지 한 주 가계부 써 오기로 함",
)
#: item scores of the demo ratings (a total of 14: 보통), by item
SCORES: dict[CrisisItem, int] = {
    CrisisItem.safety: 0,
    CrisisItem.health: 3,
    CrisisItem.daily_living: 2,
    CrisisItem.family: 1,
    CrisisItem.social: 2,
    CrisisItem.economy: 3,
    CrisisItem.education: 0,
    CrisisItem.employment: 2,
    CrisisItem.living_environment: 1,
    CrisisItem.rights: 0,
}
GROUP_SIZE = 3


def _open_cases() -> list[Case]:
    """Open cases with a worker where a 상담일지 may be written, the stale demo cases left out."""
    no_contact = sa.select(CounsellingLog.case_id).where(CounsellingLog.finding.in_(NO_CONTACT_FINDINGS))
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(
                Case.case_worker_id.is_not(None),
                Case.stage.in_(LOG_STAGES),
                Case.is_deleted.is_(False),
                Case.id.not_in(no_contact),
            )
            .order_by(Case.id)
        )
    )


def _individual(case: Case, worker: Person) -> None:
    today = today_local()
    for days_ago, start, method, area, kind, minutes, place, purpose, content, result in ENTRIES:
        services.record_session(
            [case],
            LogEntry(
                contacted_on=today - timedelta(days=days_ago),
                starts_at=start,
                method=method,
                area=area,
                counselling_type=kind,
                minutes=minutes,
                place=place,
                participant_names="본인" if area == CounsellingArea.client else "본인의 딸",
                purpose=purpose,
                content=content,
                result=result,
                worker_opinion="생활 안정에 대한 의지가 보임" if area == CounsellingArea.client else None,
                channel=MonitoringChannel.regular_contact,
                finding=MonitoringFinding.on_track,
            ),
            actor=worker,
            agency_id=case.owning_agency_id,
        )


def _group(cases: list[Case], worker: Person) -> None:
    days_ago, start, minutes, place, purpose, content, result = GROUP
    services.record_session(
        cases,
        LogEntry(
            contacted_on=today_local() - timedelta(days=days_ago),
            starts_at=start,
            method=CounsellingMethod.face_office,
            area=CounsellingArea.client,
            counselling_type=CounsellingType.welfare_debt,
            minutes=minutes,
            place=place,
            participant_names="본인",
            purpose=purpose,
            content=content,
            result=result,
            remarks="집단상담: 실제 시간 한 번으로 셈",
        ),
        actor=worker,
        agency_id=cases[0].owning_agency_id,
    )


def load_demo_counselling() -> int:
    """Write the demo's 상담일지, group sessions and 위기도 ratings; return how many sessions."""
    cases = _open_cases()
    by_worker: dict[tuple[int, int], list[Case]] = defaultdict(list)
    sessions = 0
    for case in cases:
        worker = db.session.get(Person, case.case_worker_id)
        if worker is None:
            continue
        _individual(case, worker)
        sessions += len(ENTRIES)
        by_worker[(worker.id, case.owning_agency_id)].append(case)
        if case.stage in (CaseStage.assessment, CaseStage.delivery):
            services.rate_crisis(
                case,
                actor=worker,
                agency_id=case.owning_agency_id,
                rated_on=today_local() - timedelta(days=5),
                scores=SCORES,
                life_safety=False,
                notes="건강과 경제 영역의 위기가 높음. 한 달 뒤 다시 조사.",
            )
    for (worker_id, _agency_id), group in by_worker.items():
        worker = db.session.get(Person, worker_id)
        if worker is not None and len(group) > 1:
            _group(group[:GROUP_SIZE], worker)
            sessions += 1
    db.session.flush()
    return sessions
