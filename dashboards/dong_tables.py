"""The dong dashboard's own tables: visits, 내부판정회의 decisions, escalations to the 구청."""

from __future__ import annotations

import sqlalchemy as sa

from agencies.models import Agency, AgencyType
from cases.models import (
    Case,
    ContactMethod,
    CounsellingLog,
    CounsellingMethod,
    DongMeeting,
    DongMeetingDecision,
    Escalation,
    EscalationStatus,
    IntakeRecord,
    SelectionOutcome,
    case_number,
)
from dashboards.scopes import Period, Scope, case_scope
from dashboards.tables import Column, Table
from hamkke.db import db

#: escalations listed on the dong dashboard at most
ESCALATION_LIST_LIMIT = 200


# --- dong ------------------------------------------------------------------------------------------


def dong_activity(scope: Scope, period: Period) -> list[Table]:
    """The dong centre's visits, 내부판정회의 decisions, and escalations with their status."""
    centre = scope.dong_agency_id
    return [_visits(scope, period), _decisions(centre, period), *_escalations(centre, period)]


def _visits(scope: Scope, period: Period) -> Table:
    """Households newly taken in, and home visits at intake and in the counselling logs."""
    own_cases = sa.select(Case.id).where(case_scope(scope))
    # A group visit is one session with a log per case: the sessions are counted, each once.
    visit_logs = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(CounsellingLog.session_id))).where(
            CounsellingLog.case_id.in_(own_cases),
            CounsellingLog.method == CounsellingMethod.face_visit,
            CounsellingLog.contacted_on.between(period.start, period.end),
        )
    )
    visit_intakes = db.session.scalar(
        sa.select(sa.func.count()).where(
            IntakeRecord.case_id.in_(own_cases),
            IntakeRecord.method == ContactMethod.home_visit,
            IntakeRecord.counselled_on.between(period.start, period.end),
        )
    )
    opened = db.session.scalar(
        sa.select(sa.func.count()).where(case_scope(scope), Case.opened_on.between(period.start, period.end))
    )
    visits = Table(
        key="visits",
        title="발굴·방문",
        columns=[Column("방문·접수 종류", "text"), Column("건수")],
        body=[
            ["새로 접수한 가구", int(opened or 0)],
            ["초기상담 방문", int(visit_intakes or 0)],
            ["점검 방문(상담일지, 집단 방문은 1회)", int(visit_logs or 0)],
        ],
        chart="bar",
    )
    return visits


def _decisions(centre: int | None, period: Period) -> Table:
    """The 내부판정회의 held in the period and their decisions by outcome."""
    meetings = db.session.execute(
        sa.select(DongMeetingDecision.outcome, sa.func.count())
        .join(DongMeeting, DongMeeting.id == DongMeetingDecision.meeting_id)
        .where(
            DongMeeting.agency_id == (centre or 0),
            DongMeeting.held_on.between(period.start, period.end),
        )
        .group_by(DongMeetingDecision.outcome)
    ).all()
    held = db.session.scalar(
        sa.select(sa.func.count()).where(
            DongMeeting.agency_id == (centre or 0), DongMeeting.held_on.between(period.start, period.end)
        )
    )
    by_outcome = {outcome: int(count) for outcome, count in meetings}
    decisions = Table(
        key="dong_decisions",
        title="내부판정회의 판정",
        columns=[Column("판정", "text"), Column("가구 수")],
        body=[[outcome.label, by_outcome.get(outcome, 0)] for outcome in SelectionOutcome],
        note=f"이 기간 내부판정회의 {int(held or 0)}회.",
        chart="bar",
    )
    decisions.body.append(["합계", sum(by_outcome.values())])
    return decisions


def _escalations(centre: int | None, period: Period) -> tuple[Table, Table]:
    """The centre's escalations to the 구청 by status, and the latest of them by case number."""
    statuses = db.session.execute(
        sa.select(Escalation.status, sa.func.count())
        .where(
            Escalation.from_agency_id == (centre or 0),
            Escalation.submitted_on.between(period.start, period.end),
        )
        .group_by(Escalation.status)
    ).all()
    by_status = {status: int(count) for status, count in statuses}
    escalations = Table(
        key="dong_escalations",
        title="구청 의뢰 처리 상태",
        columns=[Column("상태", "text"), Column("건수")],
        body=[[status.label, by_status.get(status, 0)] for status in EscalationStatus],
        chart="bar",
    )
    listed = db.session.execute(
        sa.select(
            Case.id,
            Case.opened_on,
            Escalation.submitted_on,
            Escalation.urgency,
            Escalation.status,
            Escalation.decided_on,
            Escalation.placement,
        )
        .join(Case, Case.id == Escalation.case_id)
        .where(
            Escalation.from_agency_id == (centre or 0),
            Escalation.submitted_on.between(period.start, period.end),
        )
        .order_by(Escalation.submitted_on.desc(), Escalation.id.desc())
        .limit(ESCALATION_LIST_LIMIT)
    ).all()
    escalation_list = Table(
        key="dong_escalation_list",
        title="구청 의뢰 목록",
        columns=[
            Column("사례번호", "text"),
            Column("의뢰일", "text"),
            Column("긴급도", "text"),
            Column("상태", "text"),
            Column("처리일", "text"),
            Column("배정", "text"),
        ],
        body=[
            [
                case_number(opened, case_id),
                submitted.isoformat(),
                urgency.label,
                status.label,
                decided.isoformat() if decided else "",
                placement.label if placement else "",
            ]
            for case_id, opened, submitted, urgency, status, decided, placement in listed
        ],
        note=f"최근 {ESCALATION_LIST_LIMIT}건까지. 사례번호만 보여 줍니다(대상자 정보 없음).",
    )
    return escalations, escalation_list


def dong_centre_of(dong_id: int) -> int | None:
    """Return the id of the dong's 주민센터 agency, if the network has one."""
    return db.session.scalar(
        sa.select(Agency.id)
        .where(Agency.dong_id == dong_id, Agency.type == AgencyType.dong_centre)
        .order_by(Agency.id)
        .limit(1)
    )
