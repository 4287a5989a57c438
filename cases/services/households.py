"""Households, clients and cases: registering a household, its members, main client, worker and type."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from agencies.models import Agency, AgencySector, Person, StaffRole
from cases.models import (
    Case,
    CaseIntensity,
    CaseStage,
    CaseType,
    Client,
    Household,
    HouseholdComposition,
    HouseholdProblemType,
    IntakeRoute,
)
from cases.services.common import _event, _optional, _past, _staff_of, _text
from hamkke.crypto import encrypt_text
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.time import today_local

RRN_PATTERN = re.compile(r"^\d{6}-?[1-8]\d{6}$")


@dataclass(frozen=True)
class ClientInput:
    """The 기본정보 (and optional groups) of one household member, as typed on the intake form."""

    name: str = field(repr=False)
    sex: str | None = None
    birth_date: date | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)
    relationship_to_head: str | None = None
    rrn: str | None = field(default=None, repr=False)
    rrn_legal_basis: str | None = None
    benefit_category: str | None = None
    physical_health: str | None = field(default=None, repr=False)
    mental_health: str | None = field(default=None, repr=False)


def _build_client(
    household: Household, agency: Agency, data: ClientInput, *, prefix: str = "", head: bool = False
) -> Client:
    birth = data.birth_date
    if birth is not None and birth > today_local():
        raise ValidationFailed("생년월일은 미래일 수 없습니다.", field=f"{prefix}birth_date")
    if data.sex not in (None, "", "남", "여"):
        raise ValidationFailed("성별은 남 또는 여로 고릅니다.", field=f"{prefix}sex")
    client = Client(
        household=household,
        owning_agency_id=agency.id,
        name=_text(data.name, f"{prefix}name", "이름", limit=100),
        sex=data.sex or None,
        birth_date=birth,
        phone=_optional(data.phone, f"{prefix}phone", "연락처", 40),
        address=_optional(data.address, f"{prefix}address", "주소", 300),
        # The main client heads the household unless the form said otherwise.
        relationship_to_head=_optional(data.relationship_to_head, f"{prefix}relationship_to_head", "관계", 30)
        or ("본인" if head else None),
        benefit_category=_optional(data.benefit_category, f"{prefix}benefit_category", "보장구분", 60),
        physical_health=_optional(data.physical_health, f"{prefix}physical_health", "신체건강"),
        mental_health=_optional(data.mental_health, f"{prefix}mental_health", "정신건강"),
    )
    rrn = (data.rrn or "").strip()
    if rrn:
        # 주민등록번호 needs a statute (PIPA 제24조의2): only a public agency, and only with the basis named.
        if agency.sector != AgencySector.public:
            raise ValidationFailed("민간기관은 주민등록번호를 저장할 수 없습니다.", field=f"{prefix}rrn")
        basis = _optional(data.rrn_legal_basis, f"{prefix}rrn_legal_basis", "법적 근거", 200)
        if basis is None:
            raise ValidationFailed(
                "주민등록번호를 저장하려면 처리 근거 법령을 적어야 합니다.", field=f"{prefix}rrn_legal_basis"
            )
        if not RRN_PATTERN.match(rrn):
            raise ValidationFailed("주민등록번호 형식(000000-0000000)을 확인해 주세요.", field=f"{prefix}rrn")
        client.rrn_encrypted = encrypt_text(rrn.replace("-", ""))
        client.rrn_legal_basis = basis
    return client


def open_case(
    agency: Agency,
    main_client: ClientInput,
    *,
    actor: Person,
    opened_on: date,
    intake_route: IntakeRoute | None = None,
    referred_on: date | None = None,
    referrer: str | None = None,
    household_type: str | None = None,
    problem_type: HouseholdProblemType | None = None,
    composition_type: HouseholdComposition | None = None,
    dong_id: int | None = None,
    case_worker_id: int | None = None,
) -> Case:
    """Register a found or referred household (접수/발굴): household, main client and case."""
    opened = _past(opened_on, "opened_on", "접수일")
    if referred_on is not None and (referred_on > opened or referred_on > today_local()):
        raise ValidationFailed("의뢰일은 접수일보다 늦을 수 없습니다.", field="referred_on")
    if case_worker_id is not None and _staff_of(case_worker_id, {agency.id}, StaffRole.case_worker) is None:
        raise ValidationFailed("담당자는 이 기관의 사례관리자여야 합니다.", field="case_worker_id")
    household = Household(
        owning_agency_id=agency.id,
        dong_id=dong_id if dong_id is not None else agency.dong_id,
        household_type=_optional(household_type, "household_type", "가구 유형", 60),
        problem_type=problem_type,
        composition_type=composition_type,
    )
    client = _build_client(household, agency, main_client, head=True)
    client.is_main_client = True
    case = Case(
        household=household,
        main_client=client,
        owning_agency_id=agency.id,
        case_worker_id=case_worker_id,
        dong_id=household.dong_id,
        stage=CaseStage.intake_pending,
        opened_on=opened,
        referred_on=referred_on,
        intake_route=intake_route,
        referrer=_optional(referrer, "referrer", "의뢰자", 200),
    )
    db.session.add_all([household, client, case])
    db.session.flush()
    _event(case, "opened", actor=actor, agency_id=agency.id, to_stage=CaseStage.intake_pending)
    return case


def add_household_member(case: Case, data: ClientInput, *, actor: Person, agency_id: int | None) -> Client:
    """Add a member to the case's household (each member may become a client elsewhere too)."""
    agency = db.session.get(Agency, case.owning_agency_id)
    assert agency is not None  # noqa: S101 -- a foreign key guarantees it
    client = _build_client(case.household, agency, data)
    db.session.add(client)
    db.session.flush()
    _event(case, "member_added", actor=actor, agency_id=agency_id, data={"client_id": client.id})
    return client


def choose_main_client(
    case: Case, client: Client, *, actor: Person, agency_id: int | None, reason: str
) -> None:
    """Make ``client`` the household's main client (주요 클라이언트), with the strategic reason."""
    if client.household_id != case.household_id:
        raise ValidationFailed("이 가구의 구성원만 주요 클라이언트로 정할 수 있습니다.", field="client_id")
    why = _text(reason, "reason", "선정 이유")
    for member in case.household.members:
        member.is_main_client = member.id == client.id
    case.household.main_client_reason = why
    case.main_client_id = client.id
    db.session.flush()
    _event(case, "main_client", actor=actor, agency_id=agency_id, data={"client_id": client.id})


def assign_case_worker(case: Case, worker_id: int, *, actor: Person, agency_id: int | None) -> None:
    """Give the case to a case worker of the owning or lead agency."""
    if _staff_of(worker_id, {case.owning_agency_id, case.lead_agency_id}, StaffRole.case_worker) is None:
        raise ValidationFailed(
            "담당자는 이 사례를 맡은 기관의 사례관리자여야 합니다.", field="case_worker_id"
        )
    case.case_worker_id = worker_id
    db.session.flush()
    _event(case, "assigned", actor=actor, agency_id=agency_id, data={"case_worker_id": worker_id})


def classify_case(
    case: Case, *, actor: Person, agency_id: int | None, case_type: CaseType, intensity: CaseIntensity
) -> None:
    """Set the case type (위기/일반/통합) and intensity (단순/집중/위기) and start their cadence."""
    case.case_type = case_type
    case.intensity = intensity
    case.classified_on = today_local()
    db.session.flush()
    _event(
        case,
        "classified",
        actor=actor,
        agency_id=agency_id,
        data={"case_type": case_type.value, "intensity": intensity.value},
    )
