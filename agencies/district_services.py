"""Changes to the district's reference records: low-income counts and 민관 교육 (validate, flush, audit).

The coordinator of a district keeps these; the view checks who may, the services check what may
be saved. Nothing here commits: the request's unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from agencies.district_records import LowIncomeCount, TrainingAudience, TrainingParticipant, TrainingRecord
from agencies.models import Agency, District, Dong, Membership, MembershipStatus, Person
from hamkke import audit
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.time import today_local

#: a household count beyond this is a typing error, not a dong (the largest dongs have a few thousand)
MAX_HOUSEHOLDS = 1_000_000
#: a training day longer than this is a typing error
MAX_HOURS = 200.0


def _count(value: int | None, field_name: str, label: str) -> int:
    if value is None:
        raise ValidationFailed(
            f"{label}를 적어 주세요.", field=field_name, english=f"Enter the {field_name.replace('_', ' ')}."
        )
    if value < 0 or value > MAX_HOUSEHOLDS:
        raise ValidationFailed(
            f"{label}는 0 이상 {MAX_HOUSEHOLDS:,} 이하의 정수여야 합니다.",
            field=field_name,
            english="A household count must be a whole number from 0 up.",
        )
    return value


def save_low_income_count(
    district: District, *, dong_id: int, year: int, basic: int | None, near: int | None, actor: Person
) -> LowIncomeCount:
    """Record (or correct) a dong's low-income households for a year: 기초생활수급 and 차상위 가구 수."""
    dong = db.session.get(Dong, dong_id)
    if dong is None or dong.district_id != district.id:
        raise ValidationFailed(
            "이 구의 동을 목록에서 골라 주세요.", field="dong_id", english="Choose a dong."
        )
    if not 2000 <= year <= today_local().year + 1:
        raise ValidationFailed(
            "기준 연도는 2000년부터 내년까지입니다.", field="year", english="The year is out of range."
        )
    basic_count = _count(basic, "basic_livelihood_households", "기초생활수급 가구 수")
    near_count = _count(near, "near_poverty_households", "차상위 가구 수")
    record = db.session.scalar(
        sa.select(LowIncomeCount).where(LowIncomeCount.dong_id == dong.id, LowIncomeCount.year == year)
    )
    before = None if record is None else (record.basic_livelihood_households, record.near_poverty_households)
    if record is None:
        record = LowIncomeCount(district_id=district.id, dong_id=dong.id, year=year)
        db.session.add(record)
    record.basic_livelihood_households = basic_count
    record.near_poverty_households = near_count
    record.entered_by_id = actor.id
    db.session.flush()
    audit.record(
        "district.low_income_saved",
        actor_id=actor.id,
        obj=record,
        data={"dong_id": dong.id, "year": year, "before": before, "after": [basic_count, near_count]},
    )
    return record


@dataclass
class TrainingInput:
    """What the training form carries."""

    course_name: str
    held_on: date | None
    organiser: str
    audience: TrainingAudience | None
    hours: float | None
    outsider_count: int | None = 0
    participant_ids: list[int] = field(default_factory=list)


def network_people(district_id: int) -> list[tuple[int, str, str]]:
    """The people of the district's network who may be listed as participants: (id, name, agency)."""
    rows = db.session.execute(
        sa.select(Person.id, Person.name, sa.func.min(Agency.name))
        .join(Membership, Membership.person_id == Person.id)
        .join(Agency, Agency.id == Membership.agency_id)
        .where(
            Agency.district_id == district_id,
            Membership.status == MembershipStatus.active,
            Person.is_active.is_(True),
        )
        .group_by(Person.id, Person.name)
        .order_by(Person.name, Person.id)
    ).all()
    return [(int(i), str(n), str(a)) for i, n, a in rows]


@dataclass(frozen=True)
class _CleanTraining:
    course_name: str
    held_on: date
    organiser: str
    audience: TrainingAudience
    hours: float
    outsider_count: int
    participant_ids: list[int]


def _validated(district: District, data: TrainingInput) -> _CleanTraining:
    name, organiser = data.course_name.strip(), data.organiser.strip()
    if not name or len(name) > 200:
        raise ValidationFailed(
            "교육명을 200자 이내로 적어 주세요.", field="course_name", english="Enter the course name."
        )
    if data.held_on is None:
        raise ValidationFailed("교육일자를 적어 주세요.", field="held_on", english="Enter the date.")
    if data.held_on > today_local().replace(year=today_local().year + 1):
        raise ValidationFailed(
            "교육일자는 1년 안쪽이어야 합니다.", field="held_on", english="The date is too far ahead."
        )
    if not organiser or len(organiser) > 200:
        raise ValidationFailed(
            "주관 기관을 200자 이내로 적어 주세요.", field="organiser", english="Enter the organiser."
        )
    if data.audience is None:
        raise ValidationFailed("교육대상을 골라 주세요.", field="audience", english="Choose the audience.")
    if data.hours is None or not 0 < data.hours <= MAX_HOURS:
        raise ValidationFailed(
            f"교육 시간은 0보다 크고 {MAX_HOURS:g}시간 이하여야 합니다.",
            field="hours",
            english="Hours must be more than 0.",
        )
    if data.outsider_count is not None and data.outsider_count < 0:
        raise ValidationFailed(
            "외부 참여자 수는 0 이상이어야 합니다.", field="outsider_count", english="Must be 0 or more."
        )
    allowed = {person_id for person_id, _, _ in network_people(district.id)}
    if any(person_id not in allowed for person_id in data.participant_ids):
        raise ValidationFailed(
            "참여자는 이 구 네트워크의 사람만 고를 수 있습니다.",
            field="participant_ids",
            english="Participants must be people of this district's network.",
        )
    return _CleanTraining(
        name,
        data.held_on,
        organiser,
        data.audience,
        float(data.hours),
        data.outsider_count or 0,
        sorted(set(data.participant_ids)),
    )


def _set_participants(record: TrainingRecord, person_ids: Iterable[int]) -> None:
    wanted = set(person_ids)
    for participant in list(record.participants):
        if participant.person_id not in wanted:
            record.participants.remove(participant)
    present = {participant.person_id for participant in record.participants}
    for person_id in sorted(wanted - present):
        record.participants.append(TrainingParticipant(person_id=person_id))


def save_training(
    district: District, data: TrainingInput, *, actor: Person, record: TrainingRecord | None = None
) -> TrainingRecord:
    """Create or edit a 민관 교육 record with its network participants and outsider count."""
    clean = _validated(district, data)
    created = record is None
    if record is None:
        record = TrainingRecord(district_id=district.id, created_by_id=actor.id)
        db.session.add(record)
    record.course_name = clean.course_name
    record.held_on = clean.held_on
    record.organiser = clean.organiser
    record.audience = clean.audience
    record.hours = clean.hours
    record.outsider_count = clean.outsider_count
    _set_participants(record, clean.participant_ids)
    db.session.flush()
    audit.record(
        "district.training_created" if created else "district.training_updated",
        actor_id=actor.id,
        obj=record,
        data={
            "held_on": clean.held_on.isoformat(),
            "participants": clean.participant_ids,
            "outsiders": record.outsider_count,
        },
    )
    return record
