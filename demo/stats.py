"""The demo district's statistics data: coded 가구유형, staff posts, low-income counts, 민관 교육.

Run after the cases and the history exist. Household codes follow each household's demo type (its
free text); the make-up (가구 구성) a type does not say is drawn from a fixed random sequence, as
in a district where both columns of seed 004's table are filled in. Training is recorded through
the services, so every record is validated and audited like one a coordinator types.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TypeVar

import sqlalchemy as sa

from agencies import district_services
from agencies.district_records import StaffPosition, TrainingAudience
from agencies.models import (
    Agency,
    AgencySector,
    AgencyType,
    District,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    StaffRole,
)
from cases.models import Household, HouseholdComposition, HouseholdProblemType
from hamkke.db import db
from hamkke.time import now_utc, today_local

T = TypeVar("T")
P, C = HouseholdProblemType, HouseholdComposition
#: demo type (free text) → (main difficulty or None to draw, make-up or None to draw)
DEMO_CODES: dict[str, tuple[HouseholdProblemType | None, HouseholdComposition | None]] = {
    "알코올·정신질환": (P.alcohol_mental, None),
    "장애·질병": (P.disability_illness, None),
    "아동학대·가정폭력": (P.abuse_violence, None),
    "경제적 어려움": (P.economic, None),
    "독거노인": (None, C.elderly_alone),
    "한부모": (P.economic, None),
}
#: make-ups drawn for a type that does not say one (weights roughly as a dong centre sees them)
COMPOSITION_DRAW = (
    (C.general, 5),
    (C.elderly_alone, 4),
    (C.single_mother, 3),
    (C.disabled, 3),
    (C.elderly_couple, 2),
    (C.grandparent, 1),
    (C.multicultural, 1),
    (C.single_father, 1),
    (C.other, 1),
)
PROBLEM_DRAW = ((P.economic, 5), (P.disability_illness, 4), (P.alcohol_mental, 1), (P.other, 1))
#: (course, organiser, audience, hours, month offset back from this month) — ten over two years, as
#: seed 004 lists (사례관리 기본교육, 실무자 교육, 찾아가는 동주민센터 교육 …)
TRAININGS = (
    (
        "민관이 함께하는 현장중심의 사례관리 기본교육",
        "한빛구청 희망복지지원단",
        TrainingAudience.private,
        6.0,
        20,
    ),
    ("찾아가는 동주민센터 민간기관 실무자 교육", "한빛구청 복지정책과", TrainingAudience.private, 3.0, 16),
    ("맞춤형급여 이해와 사회사업 글쓰기", "서울시복지재단", TrainingAudience.dong_centre, 4.0, 14),
    ("통합사례관리 전문성 강화 과정", "보건복지부 중앙교육", TrainingAudience.district_office, 14.0, 12),
    ("위기가구 초기상담 실무", "한빛구청 희망복지지원단", TrainingAudience.dong_centre, 3.0, 10),
    ("사례관리 슈퍼비전 스터디", "한빛구청 희망복지지원단", TrainingAudience.district_office, 2.0, 7),
    ("실무자 소진 예방 워크숍", "한빛종합사회복지관", TrainingAudience.private, 4.0, 5),
    ("정신건강 위기 개입 교육", "한빛구정신건강복지센터", TrainingAudience.district_office, 3.0, 3),
    ("공공 사례관리 역량강화 교육", "서울시복지재단", TrainingAudience.dong_centre, 6.0, 2),
    ("민관 사례관리 실무자 교육", "한빛구청 희망복지지원단", TrainingAudience.private, 3.0, 1),
)


def _draw(rng: random.Random, options: tuple[tuple[T, int], ...]) -> T:
    values = [value for value, _ in options]
    return rng.choices(values, weights=[weight for _, weight in options])[0]


def _code_households(rng: random.Random, district: District) -> int:
    """Give every demo household of the district its two codes; return how many were coded."""
    agencies = sa.select(Agency.id).where(Agency.district_id == district.id)
    households = db.session.scalars(
        sa.select(Household).where(Household.owning_agency_id.in_(agencies)).order_by(Household.id)
    ).all()
    for household in households:
        problem, composition = DEMO_CODES.get(household.household_type or "", (None, None))
        if household.household_type == "한부모":
            composition = C.single_mother if rng.random() < 0.8 else C.single_father
        drawn_problem = _draw(rng, PROBLEM_DRAW)
        drawn_composition = _draw(rng, COMPOSITION_DRAW)
        household.problem_type = problem or drawn_problem
        household.composition_type = composition or drawn_composition
    return len(households)


def _position_staff(district: District) -> dict[StaffPosition, list[Person]]:
    """Give the district's case-management staff their posts; return the people per post."""
    rows = db.session.execute(
        sa.select(Membership, Agency.type, Agency.sector)
        .join(Agency, Agency.id == Membership.agency_id)
        .where(Agency.district_id == district.id, Membership.status == MembershipStatus.active)
        .order_by(Membership.id)
    ).all()
    staff: dict[StaffPosition, list[Person]] = {}
    dong_workers = 0
    for membership, agency_type, sector in rows:
        roles = membership.role_set
        position: StaffPosition | None = None
        if "복지플래너" in (membership.title or ""):
            position = StaffPosition.welfare_planner
        elif StaffRole.coordinator in roles:
            position = StaffPosition.public_case_officer
        elif StaffRole.case_worker in roles and agency_type == AgencyType.district_team:
            position = StaffPosition.integrated_case_manager
        elif StaffRole.case_worker in roles and agency_type == AgencyType.dong_centre:
            # Seoul's dong centres have 복지플래너 beside the 사례관리 담당 공무원.
            dong_workers += 1
            position = (
                StaffPosition.welfare_planner if dong_workers % 2 else StaffPosition.public_case_officer
            )
        elif StaffRole.case_worker in roles:
            position = (
                StaffPosition.private_case_manager
                if sector == AgencySector.private
                else StaffPosition.public_case_officer
            )
        if position is not None:
            membership.position = position
            staff.setdefault(position, []).append(membership.person)
    return staff


def _add_case_managers(district: District) -> list[Person]:
    """The district team's 통합사례관리사 of seed 004 (contract staff, several dongs each)."""
    team = db.session.scalar(
        sa.select(Agency).where(Agency.district_id == district.id, Agency.type == AgencyType.district_team)
    )
    if team is None:
        return []
    people = []
    granted = now_utc() - timedelta(days=400)
    for index, name in enumerate(("이혜진", "최율미", "윤란경")):
        person = Person(name=name, email=f"case.manager{index + 1}@hanbit.go.kr")
        membership = Membership(
            person=person,
            agency=team,
            status=MembershipStatus.active,
            title="통합사례관리사",
            position=StaffPosition.integrated_case_manager,
        )
        membership.roles.append(MembershipRole(role=StaffRole.case_worker, granted_at=granted))
        db.session.add_all([person, membership])
        people.append(person)
    db.session.flush()
    return people


def _low_income(rng: random.Random, district: District, coordinator: Person) -> int:
    """Each dong's 기초생활수급 and 차상위 households for last year and this year."""
    this_year = today_local().year
    saved = 0
    for dong in district.dongs:
        basic = rng.randint(500, 1400)
        near = rng.randint(250, 700)
        for year in (this_year - 1, this_year):
            district_services.save_low_income_count(
                district, dong_id=dong.id, year=year, basic=basic, near=near, actor=coordinator
            )
            basic, near = basic + rng.randint(-40, 60), near + rng.randint(-30, 40)
            saved += 1
    return saved


def _trainings(rng: random.Random, district: District, coordinator: Person, staff: list[Person]) -> int:
    """Ten 민관 교육 over two years; the latest of the roster come short of three this year."""
    today = today_local()
    for course, organiser, audience, hours, back in TRAININGS:
        index = today.year * 12 + today.month - 1 - back
        held = date(index // 12, index % 12 + 1, min(today.day, 28))
        people = [person.id for person in staff if rng.random() < 0.6]
        district_services.save_training(
            district,
            district_services.TrainingInput(
                course_name=course,
                held_on=held,
                organiser=organiser,
                audience=audience,
                hours=hours,
                outsider_count=rng.randint(0, 30),
                participant_ids=people,
            ),
            actor=coordinator,
        )
    return len(TRAININGS)


def load_demo_stats(seed: int = 2026) -> dict[str, int]:
    """Add the demo district's coded households, posts, low-income counts and trainings (flushes only)."""
    district = db.session.scalar(sa.select(District).where(District.code == "hanbit"))
    if district is None:
        return {}
    rng = random.Random(seed)
    coordinator = db.session.scalar(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .join(Agency, Agency.id == Membership.agency_id)
        .where(Agency.district_id == district.id, MembershipRole.role == StaffRole.coordinator)
        .order_by(Person.id)
        .limit(1)
    )
    if coordinator is None:
        return {}
    coded = _code_households(rng, district)
    _add_case_managers(district)
    staff = _position_staff(district)
    roster = [person for people in staff.values() for person in people]
    counts = _low_income(rng, district, coordinator)
    trainings = _trainings(rng, district, coordinator, roster)
    db.session.flush()
    return {"coded_households": coded, "roster": len(roster), "low_income": counts, "trainings": trainings}
