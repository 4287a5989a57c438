"""A fixed district whose dashboard numbers are computed by hand in the tests (see the comments)."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from agencies.models import (
    Agency,
    AgencySector,
    AgencyStatus,
    AgencyType,
    District,
    Dong,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    Region,
    StaffRole,
)
from cases.models import (
    Case,
    CaseIntensity,
    CaseStage,
    Client,
    ConsentStatus,
    ContactMethod,
    CounsellingArea,
    CounsellingLog,
    CounsellingMethod,
    CounsellingSession,
    CounsellingType,
    DongMeeting,
    DongMeetingDecision,
    Escalation,
    EscalationStatus,
    EscalationUrgency,
    Household,
    HouseholdComposition,
    HouseholdProblemType,
    IntakeRecord,
    MonitoringChannel,
    SelectionOutcome,
)
from conference.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Attendance,
    Conference,
    ConferenceInvitation,
    ConferenceKind,
    ConferenceStatus,
)
from consents.models import Consent, ConsentMethod, SignerCapacity
from hamkke.time import today_local
from referrals.models import Referral, ReferralStatus

_numbers = itertools.count(1)

#: the day the fixed data set is judged on (clocks running or overdue)
TODAY = date(2025, 6, 30)


@dataclass
class World:
    """The fixed district: two 권역, three dongs, five agencies, staff, cases, conferences, referrals."""

    district: District
    regions: list[Region]
    dongs: list[Dong]
    team: Agency
    dong_a: Agency
    dong_b: Agency
    welfare: Agency
    mental: Agency
    coordinator: Person
    worker_a: Person
    worker_b: Person
    worker_w: Person
    outsider_coordinator: Person
    cases: dict[int, Case] = field(default_factory=dict)


def _person(db: Any, agency: Agency, role: StaffRole, name: str) -> Person:
    number = next(_numbers)
    person = Person(name=name, email=f"dash{number}@example.org")
    membership = Membership(person=person, agency=agency, status=MembershipStatus.active)
    membership.roles.append(MembershipRole(role=role, granted_at=datetime(2025, 1, 1, tzinfo=UTC)))
    db.session.add_all([person, membership])
    return person


def _agency(db: Any, district: District, name: str, kind: AgencyType, dong: Dong | None = None) -> Agency:
    agency = Agency(
        district=district,
        code=f"dash-{next(_numbers)}",
        name=name,
        type=kind,
        sector=AgencySector.public
        if kind in {AgencyType.district_team, AgencyType.dong_centre}
        else AgencySector.private,
        status=AgencyStatus.active,
        dong=dong,
    )
    db.session.add(agency)
    return agency


#: the coded 가구유형 of the fixture's free-text types (독거노인 says the make-up only)
FIXTURE_CODES: dict[str, tuple[HouseholdProblemType | None, HouseholdComposition | None]] = {
    "경제적 어려움": (HouseholdProblemType.economic, HouseholdComposition.general),
    "장애·질병": (HouseholdProblemType.disability_illness, HouseholdComposition.disabled),
    "알코올·정신질환": (HouseholdProblemType.alcohol_mental, None),
    "독거노인": (None, HouseholdComposition.elderly_alone),
}


def add_case(
    db: Any,
    owner: Agency,
    dong: Dong | None,
    *,
    opened_on: date,
    stage: CaseStage,
    selected: bool = False,
    household_type: str | None = None,
    worker: Person | None = None,
    intensity: CaseIntensity = CaseIntensity.simple,
    **facts: Any,
) -> Case:
    """Insert a case row with its household and main client, with the facts the dashboards count."""
    problem, composition = FIXTURE_CODES.get(household_type or "", (None, None))
    household = Household(
        owning_agency_id=owner.id,
        dong_id=dong.id if dong else None,
        household_type=household_type,
        problem_type=problem,
        composition_type=composition,
    )
    db.session.add(household)
    db.session.flush()
    client = Client(
        household_id=household.id,
        owning_agency_id=owner.id,
        name=f"대상자{next(_numbers)}",
        is_main_client=True,
    )
    db.session.add(client)
    db.session.flush()
    case = Case(
        household_id=household.id,
        main_client_id=client.id,
        owning_agency_id=owner.id,
        dong_id=dong.id if dong else None,
        stage=stage,
        opened_on=opened_on,
        selected_on=opened_on + timedelta(days=20) if selected else None,
        case_worker_id=worker.id if worker else None,
        intensity=intensity,
        closed_on=opened_on + timedelta(days=60)
        if stage in {CaseStage.closed, CaseStage.not_selected}
        else None,
        **facts,
    )
    db.session.add(case)
    db.session.flush()
    return case


def _utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def world(db: Any) -> World:
    """Build the fixed data set (numbers in the tests are hand-computed from these rows)."""
    district = District(code=f"dash-{next(_numbers)}", name="대시구", settings={})
    db.session.add(district)
    r1 = Region(district=district, code=f"dash-r1-{next(_numbers)}", name="1권역", position=0)
    r2 = Region(district=district, code=f"dash-r2-{next(_numbers)}", name="2권역", position=1)
    dong_a = Dong(district=district, region=r1, code=f"dash-a-{next(_numbers)}", name="가동", position=0)
    dong_b = Dong(district=district, region=r1, code=f"dash-b-{next(_numbers)}", name="나동", position=1)
    dong_c = Dong(district=district, region=r2, code=f"dash-c-{next(_numbers)}", name="다동", position=0)
    db.session.add_all([r1, r2, dong_a, dong_b, dong_c])
    db.session.flush()
    team = _agency(db, district, "대시구 희망복지지원단", AgencyType.district_team)
    centre_a = _agency(db, district, "가동 주민센터", AgencyType.dong_centre, dong_a)
    centre_b = _agency(db, district, "나동 주민센터", AgencyType.dong_centre, dong_b)
    welfare = _agency(db, district, "대시종합사회복지관", AgencyType.community_welfare_centre)
    mental = _agency(db, district, "대시정신건강복지센터", AgencyType.mental_health_centre)
    other = District(code=f"dash-{next(_numbers)}", name="다른구", settings={})
    db.session.add(other)
    db.session.flush()
    other_team = _agency(db, other, "다른구 희망복지지원단", AgencyType.district_team)
    other_centre = _agency(db, other, "다른동 주민센터", AgencyType.dong_centre)
    db.session.flush()
    w = World(
        district=district,
        regions=[r1, r2],
        dongs=[dong_a, dong_b, dong_c],
        team=team,
        dong_a=centre_a,
        dong_b=centre_b,
        welfare=welfare,
        mental=mental,
        coordinator=_person(db, team, StaffRole.coordinator, "김조정"),
        worker_a=_person(db, centre_a, StaffRole.case_worker, "가담당"),
        worker_b=_person(db, centre_b, StaffRole.case_worker, "나담당"),
        worker_w=_person(db, welfare, StaffRole.case_worker, "복지담당"),
        outsider_coordinator=_person(db, other_team, StaffRole.coordinator, "남조정"),
    )
    advisor = _person(db, team, StaffRole.advisor, "한자문")
    db.session.flush()

    # Cases of 2025 (district): Jan 1,2,7 · Feb 3,4,9 · Mar 5,6 · Apr 8. Earlier years: 10, 11, 12.
    c = w.cases
    c[1] = add_case(
        db,
        centre_a,
        dong_a,
        opened_on=date(2025, 1, 10),
        stage=CaseStage.delivery,
        selected=True,
        household_type="경제적 어려움",
        worker=w.worker_a,
        intensity=CaseIntensity.intensive,
        assessed_on=date(2025, 1, 17),
        plan_agreed_on=date(2025, 2, 20),
    )
    c[2] = add_case(
        db,
        centre_a,
        dong_a,
        opened_on=date(2025, 1, 20),
        stage=CaseStage.closed,
        selected=True,
        household_type="장애·질병",
    )
    c[3] = add_case(
        db, centre_a, dong_a, opened_on=date(2025, 2, 5), stage=CaseStage.not_selected, selected=True
    )
    c[4] = add_case(db, centre_a, dong_a, opened_on=date(2025, 2, 10), stage=CaseStage.closed)
    c[5] = add_case(
        db, centre_a, dong_a, opened_on=date(2025, 3, 3), stage=CaseStage.assessment, worker=w.worker_a
    )
    c[6] = add_case(
        db,
        centre_a,
        dong_a,
        opened_on=date(2025, 3, 15),
        stage=CaseStage.planning,
        selected=True,
        household_type="경제적 어려움",
        worker=w.worker_a,
    )
    c[7] = add_case(
        db,
        centre_b,
        dong_b,
        opened_on=date(2025, 1, 5),
        stage=CaseStage.delivery,
        selected=True,
        household_type="알코올·정신질환",
        worker=w.worker_b,
        intensity=CaseIntensity.crisis,
        assessed_on=date(2025, 1, 20),
        conference_on=date(2025, 2, 3),
        classified_on=date(2025, 2, 6),
    )
    c[8] = add_case(
        db, centre_b, dong_b, opened_on=date(2025, 4, 1), stage=CaseStage.not_selected, selected=True
    )
    c[9] = add_case(
        db,
        welfare,
        dong_c,
        opened_on=date(2025, 2, 2),
        stage=CaseStage.delivery,
        selected=True,
        household_type="독거노인",
        worker=w.worker_w,
    )
    c[10] = add_case(
        db,
        welfare,
        dong_c,
        opened_on=date(2023, 6, 1),
        stage=CaseStage.delivery,
        selected=True,
        worker=w.worker_w,
        intensity=CaseIntensity.intensive,
    )
    c[11] = add_case(
        db,
        welfare,
        dong_c,
        opened_on=date(2024, 3, 1),
        stage=CaseStage.follow_up,
        selected=True,
        worker=w.worker_w,
    )
    c[12] = add_case(db, welfare, dong_c, opened_on=date(2024, 5, 1), stage=CaseStage.closed, selected=True)
    # Another district's case: never counted here.
    add_case(
        db,
        other_centre,
        None,
        opened_on=date(2025, 1, 15),
        stage=CaseStage.delivery,
        selected=True,
        household_type="경제적 어려움",
        worker=w.worker_a,
    )

    # Escalations: 가동 sends cases 1 (urgent, accepted) and 3 (returned); 나동 sends case 7 (under review).
    for case, sender, submitted, urgency, status in (
        (c[1], centre_a, date(2025, 1, 12), EscalationUrgency.urgent, EscalationStatus.accepted),
        (c[3], centre_a, date(2025, 2, 8), EscalationUrgency.normal, EscalationStatus.returned),
        (c[7], centre_b, date(2025, 1, 8), EscalationUrgency.normal, EscalationStatus.submitted),
    ):
        db.session.add(
            Escalation(
                case_id=case.id,
                from_agency_id=sender.id,
                to_agency_id=team.id,
                reason="고난도",
                urgency=urgency,
                tried="상담",
                consent_status=ConsentStatus.third_party,
                status=status,
                submitted_by_id=w.worker_a.id,
                submitted_on=submitted,
            )
        )
    # 가동's visits: one home-visit intake, two home-visit monitoring logs (and a phone log, not a visit).
    db.session.add(
        IntakeRecord(
            case_id=c[1].id,
            counselled_on=date(2025, 1, 11),
            method=ContactMethod.home_visit,
            counsellor_id=w.worker_a.id,
            main_complaint="-",
            facts="-",
        )
    )
    db.session.add(
        IntakeRecord(
            case_id=c[2].id,
            counselled_on=date(2025, 1, 21),
            method=ContactMethod.phone,
            counsellor_id=w.worker_a.id,
            main_complaint="-",
            facts="-",
        )
    )
    for day, method in (
        (date(2025, 2, 1), CounsellingMethod.face_visit),
        (date(2025, 3, 1), CounsellingMethod.face_visit),
        (date(2025, 3, 2), CounsellingMethod.phone_out),
    ):
        session = CounsellingSession(held_on=day, method=method, minutes=30, counsellor_id=w.worker_a.id)
        db.session.add(
            CounsellingLog(
                case_id=c[1].id,
                session=session,
                contacted_on=day,
                channel=MonitoringChannel.regular_contact,
                method=method,
                area=CounsellingArea.client,
                counselling_type=CounsellingType.welfare_other,
                minutes=30,
                content="-",
                author_id=w.worker_a.id,
            )
        )
    meeting = DongMeeting(
        agency_id=centre_a.id, held_on=date(2025, 2, 7), attendees="가담당", created_by_id=w.worker_a.id
    )
    db.session.add(meeting)
    db.session.flush()
    for case, outcome in (
        (c[3], SelectionOutcome.not_selected),
        (c[1], SelectionOutcome.escalate),
        (c[6], SelectionOutcome.case_management),
    ):
        db.session.add(
            DongMeetingDecision(meeting_id=meeting.id, case_id=case.id, outcome=outcome, reason="-")
        )

    # Conferences: two held 1권역 meetings, a scheduled 2권역 one, an expanded and an urgent one,
    # a held 1권역 사례 슈퍼비전 and a scheduled (not yet held) 2권역 one.
    def conference(
        kind: ConferenceKind, region: Region | None, starts: datetime, status: ConferenceStatus
    ) -> Conference:
        item = Conference(
            district_id=district.id,
            region_id=region.id if region else None,
            kind=kind,
            title=f"{kind.label}",
            status=status,
            starts_at=starts,
            host_agency_id=team.id,
        )
        db.session.add(item)
        db.session.flush()
        return item

    c1 = conference(ConferenceKind.regional, r1, _utc(2025, 3, 12, 5), ConferenceStatus.closed)
    c2 = conference(ConferenceKind.regional, r1, _utc(2025, 4, 9, 5), ConferenceStatus.closed)
    conference(ConferenceKind.regional, r2, _utc(2025, 5, 14, 5), ConferenceStatus.scheduled)
    c4 = conference(ConferenceKind.expanded, None, _utc(2025, 6, 1, 5), ConferenceStatus.closed)
    conference(ConferenceKind.urgent, None, _utc(2025, 7, 1, 5), ConferenceStatus.closed)
    c6 = conference(ConferenceKind.supervision, r1, _utc(2025, 3, 26, 5), ConferenceStatus.closed)
    conference(ConferenceKind.supervision, r2, _utc(2025, 12, 17, 5), ConferenceStatus.scheduled)
    for conf, agencies in ((c1, (centre_a, centre_b, welfare)), (c2, (centre_a, centre_b))):
        for agency in agencies:
            db.session.add(ConferenceInvitation(conference_id=conf.id, agency_id=agency.id))
    for conf, person, agency, guest in (
        (c1, w.worker_a, centre_a, False),
        (c1, w.worker_w, welfare, False),
        (c1, advisor, team, True),
        (c2, w.worker_a, centre_a, False),
        (c4, advisor, team, True),
        (c6, advisor, team, True),
        (c6, w.worker_a, centre_a, False),
    ):
        db.session.add(
            Attendance(
                conference_id=conf.id,
                person_id=person.id,
                agency_id=agency.id,
                is_guest=guest,
                checked_in_at=conf.starts_at,
            )
        )
    item = AgendaItem(conference_id=c1.id, case_id=c[1].id, title="안건")
    db.session.add(item)
    db.session.flush()
    # ``finished`` is completed_at; updated_at is a later edit, so the old updated_at rule would
    # have counted the first item late.
    for owner, due, status, finished in (
        (centre_a, date(2025, 3, 20), ActionStatus.done, _utc(2025, 3, 19, 10)),  # on time
        (welfare, date(2025, 3, 20), ActionStatus.done, _utc(2025, 3, 20, 16)),  # 3/21 01:00 KST: late
        (centre_a, date(2025, 4, 1), ActionStatus.open, None),  # overdue
        (welfare, date(2025, 12, 1), ActionStatus.open, None),  # running
        (centre_b, date(2025, 4, 20), ActionStatus.carried, None),
    ):
        action = ActionItem(
            conference_id=c1.id,
            item_id=item.id,
            case_id=c[1].id,
            text="주거비 지원 신청",
            owner_agency_id=owner.id,
            due_on=due,
            status=status,
        )
        if finished is not None:
            action.completed_at = finished
            action.updated_at = _utc(2025, 4, 5, 1)
        db.session.add(action)

    # Referrals: five to the welfare centre (answers after 12, 36, 24, 48 hours; one unanswered),
    # one to the mental health centre (6 hours).
    for receiver, day, hours, status in (
        (welfare, 1, 12, ReferralStatus.accepted),
        (welfare, 2, 36, ReferralStatus.rejected),
        (welfare, 3, 24, ReferralStatus.in_progress),
        (welfare, 4, None, ReferralStatus.requested),
        (welfare, 5, 48, ReferralStatus.completed),
        (mental, 1, 6, ReferralStatus.accepted),
    ):
        sent = _utc(2025, 3, day, 1)
        db.session.add(
            Referral(
                case_id=c[1].id,
                client_id=c[1].main_client_id,
                district_id=district.id,
                sending_agency_id=centre_a.id,
                sender_id=w.worker_a.id,
                receiving_agency_id=receiver.id,
                status=status,
                reason="의뢰",
                requested_services="상담",
                sent_at=sent,
                responded_at=sent + timedelta(hours=hours) if hours is not None else None,
                response_due_on=date(2025, 3, day + 3),
            )
        )
    # A consent the welfare centre collected that ends in ten days (real today: the page uses it).
    notice = "동의서 안내문"
    db.session.add(
        Consent(
            client_id=c[9].main_client_id,
            agency_id=welfare.id,
            case_id=c[9].id,
            signer_capacity=SignerCapacity.self,
            signer_name="대상자",
            method=ConsentMethod.signed_in_person,
            recorded_by_id=w.worker_w.id,
            signed_on=today_local() - timedelta(days=300),
            valid_from=today_local() - timedelta(days=300),
            valid_until=today_local() + timedelta(days=10),
            notice_version="2026-1",
            notice_text=notice,
            notice_sha256=hashlib.sha256(notice.encode()).hexdigest(),
        )
    )
    db.session.flush()
    return w
