"""The district's roster of case-management staff with caseloads and training; the trainings held.

The roster lists 통합사례관리사, 복지플래너 and the other posts, each with their open cases and
their 민관 교육 this year. Staff figures name staff, never clients. A person is on the roster
through an active membership of an agency of the district whose post (``Membership.position``) is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agencies.district_records import StaffPosition, TrainingParticipant, TrainingRecord
from agencies.models import Agency, Membership, MembershipStatus, Person
from cases.models import Case, CaseIntensity, CaseStage
from dashboards.scopes import Period
from dashboards.tables import Column, Table
from hamkke.db import db

#: seed 004: 통합사례관리사 take part in outside training at least three times a year
TRAINING_MINIMUM = 3
#: open stages a worker carries (사후관리 follows the closure and is not a caseload)
CARRIED_STAGES = tuple(stage for stage in CaseStage if stage.is_open and stage != CaseStage.follow_up)
_POSITION_ORDER = {position: index for index, position in enumerate(StaffPosition)}


@dataclass
class RosterRow:
    """One staff member on the roster."""

    person_id: int
    name: str
    position: StaffPosition
    agency: str
    caseload: dict[CaseIntensity, int]
    trainings: int
    hours: float

    @property
    def open_cases(self) -> int:
        """All open cases the person carries as 담당 사례관리자."""
        return sum(self.caseload.values())

    @property
    def below_minimum(self) -> bool:
        """Fewer trainings this year than seed 004's three."""
        return self.trainings < TRAINING_MINIMUM


def roster(district_id: int, *, today: date) -> list[RosterRow]:
    """The roster rows of a district: post, agency, open cases by intensity, trainings this year."""
    members = db.session.execute(
        sa.select(Person.id, Person.name, Membership.position, Agency.name)
        .join(Membership, Membership.person_id == Person.id)
        .join(Agency, Agency.id == Membership.agency_id)
        .where(
            Agency.district_id == district_id,
            Membership.status == MembershipStatus.active,
            Membership.position.is_not(None),
            Person.is_active.is_(True),
        )
        .order_by(Person.name, Person.id)
    ).all()
    district_agencies = sa.select(Agency.id).where(Agency.district_id == district_id)
    loads: dict[int, dict[CaseIntensity, int]] = {}
    for worker_id, intensity, count in db.session.execute(
        sa.select(Case.case_worker_id, Case.intensity, sa.func.count())
        .where(
            Case.is_deleted.is_(False),
            Case.stage.in_(CARRIED_STAGES),
            Case.owning_agency_id.in_(district_agencies),
        )
        .group_by(Case.case_worker_id, Case.intensity)
    ):
        if worker_id is not None:
            loads.setdefault(int(worker_id), {})[intensity] = int(count)
    trained = {
        int(person_id): (int(count), float(hours or 0))
        for person_id, count, hours in db.session.execute(
            sa.select(
                TrainingParticipant.person_id,
                sa.func.count(sa.distinct(TrainingRecord.id)),
                sa.func.sum(TrainingRecord.hours),
            )
            .join(TrainingRecord, TrainingRecord.id == TrainingParticipant.training_id)
            .where(
                TrainingRecord.district_id == district_id,
                TrainingRecord.held_on.between(date(today.year, 1, 1), date(today.year, 12, 31)),
            )
            .group_by(TrainingParticipant.person_id)
        )
    }
    rows: dict[int, RosterRow] = {}
    for person_id, name, position, agency in members:
        # Someone with posts in two agencies appears once, under the first post in the roster's order.
        existing = rows.get(int(person_id))
        if existing is not None and _POSITION_ORDER[existing.position] <= _POSITION_ORDER[position]:
            continue
        count, hours = trained.get(int(person_id), (0, 0.0))
        rows[int(person_id)] = RosterRow(
            int(person_id), str(name), position, str(agency), loads.get(int(person_id), {}), count, hours
        )
    return sorted(rows.values(), key=lambda row: (_POSITION_ORDER[row.position], row.name, row.person_id))


def roster_table(district_id: int, *, today: date) -> Table:
    """The roster as a dashboard table (the district page, exports and the monthly report)."""
    table = Table(
        key="roster",
        title="통합사례관리 인력 현황",
        columns=[
            Column("이름", "text"),
            Column("직위", "text"),
            Column("소속", "text"),
            Column("담당 사례"),
            *(Column(intensity.label) for intensity in CaseIntensity),
            Column("올해 교육"),
            Column("교육 기준 미달", "text"),
        ],
        note=(
            "담당 사례 = 주 사례관리자(담당)로 진행 중인 사례(사후관리 제외), 개입 강도별로 나눕니다. "
            "교육 = 올해 참여한 민관 교육 횟수. "
            f"seed 004는 연 {TRAINING_MINIMUM}회 이상 외부 교육 참여를 정합니다."
        ),
        row_sums=((3, (4, 5, 6)),),
    )
    for row in roster(district_id, today=today):
        table.body.append(
            [
                row.name,
                row.position.label,
                row.agency,
                row.open_cases,
                *(row.caseload.get(intensity, 0) for intensity in CaseIntensity),
                row.trainings,
                "미달" if row.below_minimum else "",
            ]
        )
    return table


def trainings_in(district_id: int, start: date, end: date) -> list[tuple[TrainingRecord, int]]:
    """The district's trainings held between two days, newest first, with their network participants."""
    counts = (
        sa.select(TrainingParticipant.training_id, sa.func.count().label("people"))
        .group_by(TrainingParticipant.training_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(TrainingRecord, sa.func.coalesce(counts.c.people, 0))
        .outerjoin(counts, counts.c.training_id == TrainingRecord.id)
        .where(TrainingRecord.district_id == district_id, TrainingRecord.held_on.between(start, end))
        .order_by(TrainingRecord.held_on.desc(), TrainingRecord.id.desc())
    ).all()
    return [(record, int(people)) for record, people in rows]


def training_table(district_id: int, period: Period) -> Table:
    """민관 교육 held in the period: course, day, organiser, audience, hours and participants."""
    table = Table(
        key="trainings",
        title="민관 실무자 교육",
        columns=[
            Column("교육명", "text"),
            Column("교육일자", "text"),
            Column("주관", "text"),
            Column("교육대상", "text"),
            Column("시간", "text"),
            Column("망 내 참여자"),
            Column("외부 참여자"),
            Column("참여자 수"),
        ],
        note="참여자 수 = 네트워크 구성원 참여자 + 외부 참여자(인원만 기록).",
        row_sums=((7, (5, 6)),),
    )
    for record, people in trainings_in(district_id, period.start, period.end):
        table.body.append(
            [
                record.course_name,
                record.held_on.isoformat(),
                record.organiser,
                record.audience.label,
                f"{record.hours:g}시간",
                people,
                record.outsider_count,
                people + record.outsider_count,
            ]
        )
    return table
