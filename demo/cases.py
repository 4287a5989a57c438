"""Demo cases: households of seed 004's types at every stage, a 내부판정회의 and escalations.

Everything is written through the services, so the demo's records pass the same guards and leave
the same timeline and audit rows as real work.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from agencies.models import Agency, Dong, Membership, MembershipRole, MembershipStatus, Person, StaffRole
from cases import consent_basis, services
from cases.consent_basis import CollectionBasis
from cases.models import (
    Case,
    CaseIntensity,
    CaseType,
    ClosureReview,
    ClosureType,
    ContactMethod,
    CounsellingArea,
    CounsellingMethod,
    CounsellingType,
    CrisisItem,
    EscalationPlacement,
    EscalationUrgency,
    FollowUpMethod,
    FollowUpOutcome,
    GoalTerm,
    MonitoringChannel,
    MonitoringFinding,
    NeedDomain,
    RiskLevel,
    SelectionOutcome,
)
from consents import gate
from consents import services as consent_services
from hamkke.db import db
from hamkke.time import now_utc, today_local

#: household types the district counts (seed 004), with a need that typically comes with them
HOUSEHOLD_TYPES: tuple[tuple[str, NeedDomain, str, str, str], ...] = (
    (
        "알코올·정신질환",
        NeedDomain.mental_health,
        "매일 음주, 끼니를 거름",
        "술 없이는 잠을 못 자요",
        "중독 치료와 일상 회복",
    ),
    (
        "장애·질병",
        NeedDomain.medical,
        "당뇨 합병증으로 거동 불편",
        "병원비가 너무 많이 나와요",
        "꾸준한 치료와 의료비 부담 완화",
    ),
    (
        "아동학대·가정폭력",
        NeedDomain.family,
        "부부 갈등 중 아동 앞 폭력",
        "애들만은 지키고 싶어요",
        "아동 안전과 가족 안정",
    ),
    (
        "경제적 어려움",
        NeedDomain.economy,
        "월세 4개월 체납, 단전 예고",
        "월세 좀 내 주세요",
        "주거 안정과 소득 회복",
    ),
    (
        "독거노인",
        NeedDomain.social,
        "이웃과 왕래 없음, 고독감 호소",
        "말할 사람이 없어요",
        "사회적 관계 회복",
    ),
    (
        "한부모",
        NeedDomain.family,
        "야간 근무로 자녀 돌봄 공백",
        "애 맡길 데가 없어요",
        "아동 돌봄과 양육 지원",
    ),
)
#: field groups the demo clients consent to the dong collecting (no health data: that needs its own consent)
COLLECTED = ("basic", "household", "economic", "family", "needs", "crisis", "counselling", "service_history")
FAMILY = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ("민수", "서연", "지훈", "영희", "철수", "순자", "정호", "미경", "하늘", "도윤", "수빈", "경자")
#: the stages cases are walked to, in turn (12 per cycle: every stage, 미선정 and 서비스연계 included)
TARGETS: tuple[str, ...] = (
    "intake_pending", "initial_counselling", "assessment", "selection", "planning", "delivery",
    "closure_review", "follow_up", "closed", "not_selected", "service_link", "delivery",
)  # fmt: skip


def _demo_grant(purpose: str, kind: str, groups: tuple[str, ...], recipient_id: int | None = None) -> Any:
    """Build one demo grant with the five notice items told."""
    return consent_services.GrantInput(
        purpose=purpose,
        recipient_kind=kind,
        field_groups=groups,
        recipient_agency_id=recipient_id,
        notice_purpose="통합사례관리 상담과 서비스 연계",
        notice_retention="사례 종결 후 5년",
        notice_refusal="거부할 수 있으며, 거부하면 사례관리 지원이 제한될 수 있습니다.",
    )


class Walker:
    """Walks one case forward as its dong's worker, writing each stage's record."""

    def __init__(
        self, rng: random.Random, centre: Agency, worker: Person, supervisor: Person, kind: tuple
    ) -> None:
        self.rng, self.centre, self.worker, self.supervisor, self.kind = rng, centre, worker, supervisor, kind
        self.today = today_local()

    def step(self, case: Case, action: str, reason: str | None = None) -> None:
        """Move the case by one transition as the worker."""
        services.transition_case(
            case, action, actor=self.worker, agency_id=self.centre.id, reason=reason or "담당자 판단"
        )

    def consent(self, case: Case) -> None:
        """Record the main client's signed consent at the first counselling, as the guideline requires.

        Collection and use by the dong, and provision to the district team for a 구청 의뢰, so the
        intake rests on a recorded consent and escalations derive their status from it.
        """
        team = consent_basis.district_team_of(case)
        grants = [_demo_grant("case_management", "collector", COLLECTED)]
        if team is not None:
            grants.append(_demo_grant("referral", "agency", ("basic", "household", "needs"), team.id))
        consent_services.record_consent(
            case.main_client,
            consent_services.ConsentInput(
                signer_capacity="self",
                signer_name=str(gate.field_values(case.main_client, ("basic",))["name"]),
                method="signed_in_person",
                signed_on=self.today - timedelta(days=2),
                valid_from=self.today - timedelta(days=2),
                case_id=case.id,
                grants=tuple(grants),
            ),
            actor=self.worker,
            agency=self.centre,
        )

    def walk(self, case: Case, target: str) -> None:
        """Record each stage and move on until ``target`` (a stage value, or ``service_link``)."""
        if target == "intake_pending":
            return
        self.step(case, "start_counselling")
        if target == "initial_counselling":
            return
        self.intake(case)
        if target == "assessment":
            return
        self.assess(case)
        if target == "selection":
            return
        if target in {"not_selected", "service_link"}:
            self.decline(case, target)
            return
        self.select(case)
        if target == "planning":
            return
        self.deliver(case)
        if target == "delivery":
            return
        self.review_closure(case)
        if target == "closure_review":
            return
        self.follow_up(case, target)

    def intake(self, case: Case) -> None:
        """Take the signed consent and the initial counselling record; start the assessment."""
        actor, agency_id, today = self.worker, self.centre.id, self.today
        _, _, phenomenon, words, _ = self.kind
        self.consent(case)
        services.record_intake(
            case,
            actor=actor,
            agency_id=agency_id,
            counselled_on=today - timedelta(days=2),
            method=ContactMethod.home_visit,
            main_complaint=words,
            facts=phenomenon,
            worker_opinion="위기 신호가 있어 사정이 필요해 보임",
            collection_basis=CollectionBasis.consent,
        )
        self.step(case, "start_assessment")

    def assess(self, case: Case) -> None:
        """Record a need and the crisis rating, and submit the assessment."""
        actor, agency_id, today = self.worker, self.centre.id, self.today
        _, domain, phenomenon, words, need = self.kind
        services.add_need(
            case,
            actor=actor,
            agency_id=agency_id,
            domain=domain,
            phenomenon=phenomenon,
            risk_level=RiskLevel.high,
            client_words=words,
            need_statement=need,
            cause="소득 중단과 건강 악화",
        )
        services.rate_crisis(
            case,
            actor=actor,
            agency_id=agency_id,
            rated_on=today,
            # one point on every item: a total of 10, 보통
            scores=dict.fromkeys(CrisisItem, 1),
            life_safety=domain == NeedDomain.family,
        )
        self.step(case, "submit_assessment")

    def decline(self, case: Case, target: str) -> None:
        """Record a 미선정 or 서비스연계 decision and close the case that way."""
        actor, agency_id, today = self.worker, self.centre.id, self.today
        outcome = SelectionOutcome.not_selected if target == "not_selected" else SelectionOutcome.service_link
        services.record_selection(
            case,
            actor=actor,
            agency_id=agency_id,
            decided_on=today,
            outcome=outcome,
            reason="일회성 지원으로 해결 가능" if target == "not_selected" else "밑반찬 배달 연계로 충분",
            alternative_services="긴급복지지원, 푸드뱅크 안내",
        )
        self.step(case, "not_select" if target == "not_selected" else "link_service_only")

    def select(self, case: Case) -> None:
        """Select the case for case management and classify it."""
        actor, agency_id, today = self.worker, self.centre.id, self.today
        services.record_selection(
            case,
            actor=actor,
            agency_id=agency_id,
            decided_on=today,
            outcome=SelectionOutcome.case_management,
            reason="복합 욕구, 자원 연계 필요",
        )
        self.step(case, "select_case_management")
        services.classify_case(
            case,
            actor=actor,
            agency_id=agency_id,
            case_type=CaseType.integrated,
            intensity=self.rng.choice([CaseIntensity.intensive, CaseIntensity.simple]),
        )

    def deliver(self, case: Case) -> None:
        """Agree the service plan, start delivery and log a home visit."""
        actor, agency_id, today = self.worker, self.centre.id, self.today
        _, domain, _, _, need = self.kind
        services.create_plan(
            case,
            actor=actor,
            agency_id=agency_id,
            horizon_months=6,
            client_role="주 1회 상담 참여, 병원 정기 방문",
            family_role="자녀: 주말 안부 전화",
            agreed_on=today,
            goals=[
                services.GoalInput(domain, GoalTerm.long, need, today + timedelta(days=170)),
                services.GoalInput(
                    domain, GoalTerm.short, "첫 달 안에 지원 신청 완료", today + timedelta(days=30)
                ),
            ],
            services=[
                services.ServiceInput("사례관리 상담", "주 1회", 6, "집중", provider_agency_id=self.centre.id)
            ],
        )
        self.step(case, "start_delivery")
        services.add_counselling_log(
            case,
            actor=actor,
            agency_id=agency_id,
            contacted_on=today,
            channel=MonitoringChannel.regular_contact,
            method=CounsellingMethod.face_visit,
            area=CounsellingArea.client,
            counselling_type=CounsellingType.welfare_other,
            minutes=50,
            content="지원 신청서 함께 작성, 표정이 밝아짐",
            worker_opinion="동기 향상",
            finding=MonitoringFinding.on_track,
        )

    def review_closure(self, case: Case) -> None:
        """Propose closure and review it (a life-safety case needs the supervisor's approval)."""
        actor, agency_id, today = self.worker, self.centre.id, self.today
        self.step(case, "propose_closure", "상황 호전으로 서비스 불필요")
        services.record_closure_review(
            case,
            actor=actor,
            agency_id=agency_id,
            reviewed_on=today,
            closure_type=ClosureType.improved,
            short_term_achievement=3,
            long_term_achievement=3,
            review_opinion="목표 달성, 사후관리 3개월",
            supervisor_id=self.supervisor.id,
            notice_given_on=today - timedelta(days=31),
            planned_closure_on=today,
        )
        if case.is_life_safety:
            review = db.session.scalars(
                sa.select(ClosureReview).where(ClosureReview.case_id == case.id)
            ).one()
            services.approve_closure(review, actor=self.supervisor, agency_id=agency_id)

    def follow_up(self, case: Case, target: str) -> None:
        """Plan the follow-up; unless it is the target, confirm it and close the case."""
        actor, agency_id, today = self.worker, self.centre.id, self.today
        services.plan_follow_up(
            case,
            actor=actor,
            agency_id=agency_id,
            method=FollowUpMethod.phone,
            starts_on=today,
            ends_on=today + timedelta(days=90),
        )
        self.step(case, "close_to_follow_up")
        if target == "follow_up":
            return
        services.record_follow_up_outcome(
            case,
            actor=actor,
            agency_id=agency_id,
            outcome=FollowUpOutcome.confirmed,
            outcome_on=today,
            note="안정 유지 확인",
        )
        self.step(case, "confirm_closure")


def supervisor_for(centre: Agency, people: dict[str, Person]) -> Person:
    """Return the dong's supervisor (the demo account in 솔내동; a generated 팀장 elsewhere)."""
    for membership in centre.memberships:
        if StaffRole.supervisor in membership.role_set:
            return membership.person
    person = Person(name=f"{centre.name[:3]} 팀장", email=f"lead.{centre.code}@demo.hanbit.example")
    membership = Membership(
        person=person, agency=centre, status=MembershipStatus.active, title="맞춤형복지팀장"
    )
    membership.roles.append(MembershipRole(role=StaffRole.supervisor, granted_at=now_utc()))
    db.session.add_all([person, membership])
    db.session.flush()
    people[f"lead-{centre.code}"] = person
    return person


def load_demo_cases(
    rng: random.Random, agencies: dict[str, Agency], dongs: dict[str, Dong], people: dict[str, Person]
) -> tuple[int, int]:
    """Create households and cases in every dong at every stage, plus escalations; return the counts."""
    today = today_local()
    households = cases = 0
    solnae_ready: list[Case] = []
    shared_person: services.ClientInput | None = None
    shared_kind = ""
    position = 0
    for index, dong in enumerate(dongs.values()):
        centre = agencies[f"dong-{dong.code}"]
        db.session.refresh(centre)
        worker = (
            people.get("demo-dong-worker")
            if dong.code == "solnae"
            else people.get(f"worker-dong-{dong.code}")
        )
        if worker is None:
            continue
        supervisor = supervisor_for(centre, people)
        extra = 3 if dong.code == "solnae" else 0  # 솔내동 shows the 내부판정회의 and escalations
        for offset in range(3 + extra):
            kind = HOUSEHOLD_TYPES[(index + offset) % len(HOUSEHOLD_TYPES)]
            target = "selection" if offset >= 3 else TARGETS[position % len(TARGETS)]
            position += 0 if offset >= 3 else 1
            name = rng.choice(FAMILY) + rng.choice(GIVEN)
            person = services.ClientInput(
                name=name,
                sex=rng.choice(("남", "여")),
                birth_date=date(rng.randint(1940, 1995), rng.randint(1, 12), rng.randint(1, 28)),
                phone=f"010-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                address=f"서울특별시 한빛구 {dong.name} {rng.randint(1, 300)}-{rng.randint(1, 30)}",
                benefit_category=rng.choice(("조건부수급자(생계급여)", "차상위", "비수급", "일반수급자")),
            )
            if dong.code == "solnae" and offset == 0:
                shared_person, shared_kind = person, kind[0]
            case = services.open_case(
                centre,
                person,
                actor=worker,
                opened_on=today - timedelta(days=rng.randint(3, 40)),
                household_type=kind[0],
                intake_route=rng.choice(list(services.IntakeRoute)),
                referrer=rng.choice(("통장", "이웃", "복지관")),
                case_worker_id=worker.id,
            )
            if kind[0] in {"한부모", "아동학대·가정폭력"}:
                services.add_household_member(
                    case,
                    services.ClientInput(
                        name=name[0] + rng.choice(GIVEN),
                        sex=rng.choice(("남", "여")),
                        birth_date=date(rng.randint(2010, 2018), 3, 15),
                        relationship_to_head="자녀",
                    ),
                    actor=worker,
                    agency_id=centre.id,
                )
            Walker(rng, centre, worker, supervisor, kind).walk(case, target)
            if offset >= 3:
                solnae_ready.append(case)
            households += 1
            cases += 1
    _add_dong_meeting(agencies, people, solnae_ready)
    if shared_person is not None and _add_shared_household(agencies, people, shared_person, shared_kind):
        households += 1
        cases += 1
    db.session.flush()
    return households, cases


def _add_shared_household(
    agencies: dict[str, Agency], people: dict[str, Person], person: services.ClientInput, kind: str
) -> bool:
    """한빛종합사회복지관 also serves 솔내동's first household, so 중복 서비스 확인 has something to find.

    The client consented to give the district network their basic details for the 통합사례회의, so the
    dong worker's check names the welfare centre and its worker.
    """
    centre, worker = agencies.get("hanbit-welfare"), people.get("demo-welfare-worker")
    if centre is None or worker is None:
        return False
    today = today_local()
    case = services.open_case(
        centre,
        person,
        actor=worker,
        opened_on=today - timedelta(days=20),
        household_type=kind,
        case_worker_id=worker.id,
    )
    consent_services.record_consent(
        case.main_client,
        consent_services.ConsentInput(
            signer_capacity="self",
            signer_name=person.name,
            method="signed_in_person",
            signed_on=today - timedelta(days=20),
            valid_from=today - timedelta(days=20),
            case_id=case.id,
            grants=(
                _demo_grant("case_management", "collector", COLLECTED),
                _demo_grant("conference_sharing", "network", ("basic",)),
            ),
        ),
        actor=worker,
        agency=centre,
    )
    return True


def _add_dong_meeting(agencies: dict[str, Agency], people: dict[str, Person], ready: list[Case]) -> None:
    """솔내동's 내부판정회의 escalates three households; the district accepts one and returns one."""
    worker, coordinator = people.get("demo-dong-worker"), people.get("demo-coordinator")
    if worker is None or coordinator is None or len(ready) < 3:
        return
    centre, team = agencies["dong-solnae"], agencies["hanbit-gu-team"]
    reasons = (
        ("저장강박으로 주거 위생 위험, 단전 예고", EscalationUrgency.urgent),
        ("알코올 의존과 아동 방임 의심, 여러 기관 개입 필요", EscalationUrgency.normal),
        ("장기 미해결 부채와 우울, 동 자원만으로 해결 어려움", EscalationUrgency.normal),
    )
    meeting = services.hold_dong_meeting(
        centre,
        actor=worker,
        held_on=today_local(),
        attendees="동장, 맞춤형복지팀장, 복지플래너 2명",
        decisions=[
            services.MeetingDecisionInput(
                case.id,
                SelectionOutcome.escalate,
                reason,
                urgency=urgency,
                tried="주민센터 상담 3회, 긴급지원 신청, 복지관 연계 시도",
            )
            for case, (reason, urgency) in zip(ready, reasons, strict=True)
        ],
    )
    escalations = sorted(
        (
            e
            for e in db.session.scalars(services.sa.select(services.Escalation))
            if e.meeting_id == meeting.id
        ),
        key=lambda e: e.id,
    )
    services.accept_escalation(
        escalations[0],
        actor=coordinator,
        agency_id=team.id,
        placement=EscalationPlacement.urgent_conference,
        note="이번 주 긴급 위기사례회의",
    )
    services.return_escalation(
        escalations[2],
        actor=coordinator,
        agency_id=team.id,
        guidance="신용회복위원회 상담을 먼저 연계한 뒤 다시 의뢰해 주세요.",
    )
