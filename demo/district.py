"""The demo district 한빛구 (fictional): 3 권역, 12 dongs, 25 agencies, staff, cases and a conference."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from agencies.models import (
    Agency,
    AgencySector,
    AgencyStatus,
    AgencyType,
    District,
    Dong,
    IdentityProvider,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    Region,
    Service,
    StaffRole,
)
from cases.models import Case, CaseStage
from conference.models import (
    AgendaItem,
    Conference,
    ConferenceInvitation,
    ConferenceKind,
    ConferenceRule,
    ItemSource,
    ItemStatus,
    Rsvp,
)
from demo.cadences import load_demo_cadences
from demo.cases import load_demo_cases
from demo.consents import load_demo_consents
from demo.counselling import load_demo_counselling
from demo.funds import load_demo_funds
from demo.history import load_demo_history
from demo.intake_forms import load_demo_intake_forms
from demo.network import load_demo_network
from demo.plans import load_demo_plans
from demo.referrals import load_demo_referrals
from demo.selfsufficiency import load_demo_selfsufficiency
from demo.stale import load_demo_stale_cases
from demo.stats import load_demo_stats
from demo.surveys import load_demo_needs_surveys
from devidp.accounts import DEMO_ACCOUNTS
from hamkke.config import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from hamkke.crypto import encrypt_text
from hamkke.db import db
from hamkke.time import SEOUL, now_utc, today_local

AGREEMENT_VERSION = "2026-1"

REGIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "north",
        "1권역(북부)",
        (("solnae", "솔내동"), ("garam", "가람동"), ("nuri", "누리동"), ("byeolbit", "별빛동")),
    ),
    (
        "central",
        "2권역(중부)",
        (("hanul", "한울동"), ("mir", "미르동"), ("dasom", "다솜동"), ("ara", "아라동")),
    ),
    (
        "south",
        "3권역(남부)",
        (("bada", "바다동"), ("pureun", "푸른동"), ("saebom", "새봄동"), ("onnuri", "온누리동")),
    ),
)

#: (code, name, type, sector, regions served (codes; empty = whole district), services)
AGENCIES: tuple[
    tuple[str, str, AgencyType, AgencySector, tuple[str, ...], tuple[tuple[str, str, str], ...]], ...
] = (
    (
        "hanbit-gu-team",
        "한빛구청 희망복지지원단",
        AgencyType.district_team,
        AgencySector.public,
        (),
        (("통합사례관리", "사례관리", "고난도·위기 가구"), ("긴급지원 연계", "경제", "위기 사유 발생 가구")),
    ),
    (
        "hanbit-welfare",
        "한빛종합사회복지관",
        AgencyType.community_welfare_centre,
        AgencySector.private,
        ("north",),
        (
            ("밑반찬 배달", "돌봄", "독거 어르신·장애인 가구"),
            ("아동 방과후 교실", "교육", "초등학생"),
            ("사례관리", "사례관리", "1권역 주민"),
        ),
    ),
    (
        "garam-welfare",
        "가람종합사회복지관",
        AgencyType.community_welfare_centre,
        AgencySector.private,
        ("central", "south"),
        (("주거환경 개선", "주거", "저소득 가구"), ("사례관리", "사례관리", "2·3권역 주민")),
    ),
    (
        "hanbit-jahwal",
        "한빛지역자활센터",
        AgencyType.self_sufficiency_centre,
        AgencySector.private,
        (),
        (("자활근로사업단", "고용", "조건부 수급자·차상위"), ("자활사례관리", "사례관리", "자활참여자")),
    ),
    (
        "hanbit-mental-health",
        "한빛구정신건강복지센터",
        AgencyType.mental_health_centre,
        AgencySector.public,
        (),
        (("정신건강 상담", "정신건강", "구민 누구나"), ("중독 관리", "정신건강", "알코올 등 중독 문제")),
    ),
    (
        "hanbit-elderly",
        "한빛노인종합복지관",
        AgencyType.elderly_welfare_centre,
        AgencySector.private,
        (),
        (("노인맞춤돌봄", "돌봄", "65세 이상 돌봄 필요 어르신"),),
    ),
    (
        "hanbit-disability",
        "한빛장애인종합복지관",
        AgencyType.disability_welfare_centre,
        AgencySector.private,
        (),
        (("장애인 활동지원", "돌봄", "등록 장애인"),),
    ),
    (
        "hanbit-dreamstart",
        "한빛구 드림스타트",
        AgencyType.dream_start,
        AgencySector.public,
        (),
        (("아동 통합서비스", "아동", "0~12세 취약계층 아동"),),
    ),
    (
        "hanbit-family",
        "한빛구가족센터",
        AgencyType.family_centre,
        AgencySector.private,
        (),
        (("가족상담", "가족", "구민 가족"), ("다문화가족 통번역", "가족", "결혼이민자 가족")),
    ),
    (
        "hanbit-dementia",
        "한빛구치매안심센터",
        AgencyType.dementia_centre,
        AgencySector.public,
        (),
        (("치매 조기검진", "건강", "60세 이상"),),
    ),
    (
        "hanbit-youth",
        "한빛구청소년상담복지센터",
        AgencyType.youth_counselling_centre,
        AgencySector.private,
        (),
        (("청소년 상담", "정신건강", "9~24세"),),
    ),
    (
        "hanbit-child-protection",
        "한빛아동보호전문기관",
        AgencyType.child_protection_agency,
        AgencySector.private,
        (),
        (("아동학대 사례관리", "아동", "학대 피해 아동 가정"),),
    ),
    (
        "hanbit-police",
        "한빛경찰서 여성청소년과",
        AgencyType.police,
        AgencySector.public,
        (),
        (("학대예방경찰관(APO)", "안전", "학대·가정폭력 위험 가구"),),
    ),
)


def database_is_empty() -> bool:
    """Tell whether no district exists yet (the demo loads only into an empty database)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(District)) == 0


def load_demo(seed: int = 20261122) -> dict[str, str]:
    """Create the demo district; return what it made and what to show once (flushes; the caller commits)."""
    rng = random.Random(seed)
    district = District(code="hanbit", name="한빛구", settings={})
    db.session.add(district)
    regions, dongs = _add_demo_places(district)
    agencies = _add_demo_agencies(rng, district, regions, dongs)
    db.session.flush()

    people = _add_demo_people(agencies)
    households, cases = _add_demo_cases(rng, agencies, dongs, people)
    stale = load_demo_stale_cases(agencies, people, seed + 1)
    households, cases = households + stale, cases + stale + load_demo_plans(agencies, people)
    households, cases = households + stale, cases + stale
    cases += load_demo_selfsufficiency(agencies["hanbit-jahwal"], people.get("demo-selfsuff-worker"))
    conference = _add_demo_conference(
        district, regions["north"], agencies["hanbit-gu-team"], people.get("demo-coordinator")
    )
    db.session.flush()
    consents = load_demo_consents(conference) if conference else 0
    shown = load_demo_network()
    referrals = load_demo_referrals()
    _add_demo_history()
    load_demo_needs_surveys(seed + 2)
    load_demo_counselling()
    load_demo_intake_forms()
    fund_requests = load_demo_funds()
    counts = {
        "권역": len(regions),
        "동": len(dongs),
        "기관": len(agencies),
        "직원": len(people),
        "가구": households,
        "사례": cases,
        "회의": 1 if conference else 0,
        "의뢰": referrals,
        "동의": consents,
        "사업비 신청": fund_requests,
    }
    return {**{key: str(value) for key, value in counts.items()}, **shown}


def _add_demo_places(district: District) -> tuple[dict[str, Region], dict[str, Dong]]:
    """Add the district's 권역 and their dongs, by code."""
    dongs: dict[str, Dong] = {}
    regions: dict[str, Region] = {}
    for position, (region_code, region_name, dong_list) in enumerate(REGIONS):
        region = Region(district=district, code=region_code, name=region_name, position=position)
        regions[region_code] = region
        for dong_position, (dong_code, dong_name) in enumerate(dong_list):
            dongs[dong_code] = Dong(
                district=district, region=region, code=dong_code, name=dong_name, position=dong_position
            )
    return regions, dongs


def _add_demo_agencies(
    rng: random.Random, district: District, regions: dict[str, Region], dongs: dict[str, Dong]
) -> dict[str, Agency]:
    """Add the agencies with their services, and a 주민센터 for every dong, on the development provider."""
    provider = IdentityProvider(
        name="한빛구 개발용 통합 계정 (개발 전용)",
        issuer=current_app.config["DEVIDP_URL"],
        client_id=DEV_CLIENT_ID,
        client_secret_encrypted=encrypt_text(DEV_CLIENT_SECRET),
        allowed_email_domains=[],
        claim_rule={"claim": "hamkke_agency", "equals_agency_code": True},
    )
    accepted_at = now_utc() - timedelta(days=60)
    agencies: dict[str, Agency] = {}

    def add_agency(
        code: str, name: str, kind: AgencyType, sector: AgencySector, dong: Dong | None = None
    ) -> Agency:
        agency = Agency(
            district=district,
            code=code,
            name=name,
            type=kind,
            sector=sector,
            status=AgencyStatus.active,
            dong=dong,
            identity_provider=provider,
            phone=f"02-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
            address=f"서울특별시 한빛구 {dong.name if dong else '한빛로'} {rng.randint(1, 200)}",
            agreement_version=AGREEMENT_VERSION,
            agreement_accepted_at=accepted_at,
        )
        agencies[code] = agency
        db.session.add(agency)
        return agency

    for code, name, kind, sector, served, services in AGENCIES:
        agency = add_agency(code, name, kind, sector)
        agency.regions = [regions[r] for r in served] if served else list(regions.values())
        for service_name, category, eligibility in services:
            agency.services.append(
                Service(
                    name=service_name,
                    category=category,
                    eligibility=eligibility,
                    contact=agency.phone,
                    area="전 구" if not served else "권역 내",
                )
            )
    for dong in dongs.values():
        centre = add_agency(
            f"dong-{dong.code}", f"{dong.name} 주민센터", AgencyType.dong_centre, AgencySector.public, dong
        )
        centre.regions = [dong.region]
        centre.dongs = [dong]
        centre.services.append(
            Service(
                name="맞춤형 복지상담·방문",
                category="사례관리",
                eligibility=f"{dong.name} 주민",
                contact=centre.phone,
                area=dong.name,
            )
        )
    return agencies


def _add_demo_history() -> dict[str, int]:
    """Add two years of past cases, conferences and referrals, the statistics' codes, series and 자문단."""
    history = load_demo_history()
    # The statistics codes every household the history added, so it runs after it.
    return {**history, **load_demo_stats(), **load_demo_cadences()}


def _add_demo_people(agencies: dict[str, Agency]) -> dict[str, Person]:
    granted_at = now_utc() - timedelta(days=59)
    people: dict[str, Person] = {}
    for account in DEMO_ACCOUNTS:
        if account.agency_code not in agencies:
            # An invitee: the onboarding demo invites their agency; they join by accepting.
            continue
        person = Person(name=account.name, email=account.email)
        membership = Membership(
            person=person,
            agency=agencies[account.agency_code],
            status=MembershipStatus.active,
            title=account.description,
        )
        membership.roles.append(MembershipRole(role=StaffRole(account.role), granted_at=granted_at))
        db.session.add_all([person, membership])
        people[account.subject] = person
    # Every dong centre and agency gets a case worker so lists are never empty in the demo.
    for code, agency in agencies.items():
        if any(account.agency_code == code and account.role == "case_worker" for account in DEMO_ACCOUNTS):
            continue
        person = Person(name=f"{agency.name[:4]} 담당자", email=f"worker.{code}@demo.hanbit.example")
        membership = Membership(
            person=person, agency=agency, status=MembershipStatus.active, title="사례관리자"
        )
        membership.roles.append(MembershipRole(role=StaffRole.case_worker, granted_at=granted_at))
        db.session.add_all([person, membership])
        people[f"worker-{code}"] = person
    db.session.flush()
    return people


def _add_demo_cases(
    rng: random.Random, agencies: dict[str, Agency], dongs: dict[str, Dong], people: dict[str, Person]
) -> tuple[int, int]:
    """Create households and cases at every stage, a 내부판정회의 and escalations (see demo.cases)."""
    return load_demo_cases(rng, agencies, dongs, people)


def _second_wednesday_after(day: date) -> date:
    first = day.replace(day=1)
    while True:
        first_wednesday = first + timedelta(days=(2 - first.weekday()) % 7)
        candidate = first_wednesday + timedelta(days=7)
        if candidate > day:
            return candidate
        first = (first + timedelta(days=32)).replace(day=1)


def _add_demo_conference(
    district: District, region: Region, host: Agency, chair: Person | None
) -> Conference:
    """Add the region's recurring rule and its next meeting, ready to start (invitations, approved agenda)."""
    meeting_day = _second_wednesday_after(today_local())
    starts = datetime.combine(meeting_day, time(14, 0), tzinfo=SEOUL)
    # The recorder (서기) is another member of the host team, so the chair can hand over if they leave.
    recorder_id = db.session.scalar(
        sa.select(Membership.person_id)
        .where(Membership.agency_id == host.id, Membership.person_id != (chair.id if chair else 0))
        .order_by(Membership.id)
    )
    # Cases of the region that a conference would discuss: planning, delivery or closure review.
    cases = db.session.scalars(
        sa.select(Case)
        .join(Dong, Dong.id == Case.dong_id)
        .where(
            Dong.region_id == region.id,
            Case.stage.in_([CaseStage.planning, CaseStage.delivery, CaseStage.closure_review]),
        )
        .order_by(Case.id)
        .limit(3)
    ).all()
    demo_agency_codes = {account.agency_code for account in DEMO_ACCOUNTS}
    invited = {
        agency.id
        for agency in db.session.scalars(
            sa.select(Agency).where(Agency.district_id == district.id, Agency.code.in_(demo_agency_codes))
        )
    } | {case.owning_agency_id for case in cases}
    invited.discard(host.id)
    rule = ConferenceRule(
        district_id=district.id,
        region_id=region.id,
        host_agency_id=host.id,
        title=f"{region.name} 정기 통합사례회의",
        week_of_month=2,
        weekday=2,
        start_minute=14 * 60,
        place="한빛구청 별관 3층 회의실",
        chair_id=chair.id if chair else None,
        recorder_id=recorder_id,
        agency_ids=sorted(invited),
    )
    db.session.add(rule)
    db.session.flush()
    conference = Conference(
        district_id=district.id,
        region_id=region.id,
        kind=ConferenceKind.regional,
        title=f"{region.name} {meeting_day.month}월 정기 통합사례회의",
        starts_at=starts,
        place="한빛구청 별관 3층 회의실",
        host_agency_id=host.id,
        chair_id=chair.id if chair else None,
        recorder_id=recorder_id,
        rule_id=rule.id,
        agenda_approved_at=now_utc(),
        # The briefing packets are readable in the demo from today until the meeting.
        briefing_days=max(3, (meeting_day - today_local()).days + 1),
    )
    db.session.add(conference)
    db.session.flush()
    _add_invitations_and_agenda(conference, sorted(invited), cases)
    return conference


def _add_invitations_and_agenda(conference: Conference, ordered: list[int], cases: Sequence[Case]) -> None:
    """Invite the agencies (every RSVP state shown) and put the cases on the approved agenda."""
    # Most invited agencies have answered; one sends a deputy and the last has not answered yet, so the
    # planning page shows every RSVP state.
    for index, agency_id in enumerate(ordered):
        invitation = ConferenceInvitation(conference_id=conference.id, agency_id=agency_id)
        if index < len(ordered) - 1:
            invitation.rsvp = Rsvp.accepted
            invitation.responded_at = now_utc()
        if index == 1:
            deputy_id = db.session.scalar(
                sa.select(Membership.person_id)
                .where(Membership.agency_id == agency_id)
                .order_by(Membership.id.desc())
            )
            if deputy_id is not None:
                invitation.rsvp = Rsvp.delegated
                invitation.deputy_id = deputy_id
        db.session.add(invitation)
    for position, case in enumerate(cases):
        db.session.add(
            AgendaItem(
                conference_id=conference.id,
                case_id=case.id,
                position=position,
                title=f"사례 {case.number} 통합 서비스 계획과 역할 분담",
                source=ItemSource.review_due
                if case.stage == CaseStage.closure_review
                else ItemSource.proposed,
                proposed_by_agency_id=case.owning_agency_id,
                presenter_id=case.case_worker_id,
                time_box_minutes=20,
                status=ItemStatus.approved,
            )
        )
