"""Who may see and act on the case fund; checked per object (the request's dong centre and district).

* A dong centre's case workers and team lead (supervisor) request money for their own cases; its team
  lead decides the 동 내부결재. Anyone of the centre sees its requests.
* The district coordinator (통합사례관리 조정자, acting for the 희망복지지원단) sees every request of the
  district, decides the 구 결재, sets the budgets and the per-household cap.
* A spend is recorded by the requesting centre's staff or by the coordinator, once the 구 approved.
* Everyone else gets 404: they may not know the request exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agencies.access import is_coordinator_of, roles_in
from agencies.models import Agency, AgencyType, Person, StaffRole
from cases.models import Case
from funds.models import FundRequest
from hamkke.db import db
from hamkke.errors import NotFound, PermissionDenied

#: roles of a dong centre that write requests
REQUESTING_ROLES = frozenset({StaffRole.case_worker, StaffRole.supervisor})

FundScopeKind = Literal["district", "dong"]


@dataclass(frozen=True)
class FundScope:
    """What the viewer works on: the whole district (coordinator) or one dong centre."""

    kind: FundScopeKind
    district_id: int
    agency: Agency
    #: the dong of a dong centre (None for the district)
    dong_id: int | None


def is_dong_centre(agency: Agency | None) -> bool:
    """Tell whether the agency is a dong centre with its dong set."""
    return agency is not None and agency.type == AgencyType.dong_centre and agency.dong_id is not None


def fund_scope(person: Person | None, agency: Agency | None) -> FundScope | None:
    """Return the viewer's scope when acting for ``agency``: the district, a dong centre, or None."""
    if person is None or agency is None:
        return None
    if agency.type == AgencyType.district_team and StaffRole.coordinator in roles_in(person, agency):
        return FundScope("district", agency.district_id, agency, None)
    if is_dong_centre(agency) and roles_in(person, agency) & REQUESTING_ROLES:
        return FundScope("dong", agency.district_id, agency, agency.dong_id)
    return None


def require_scope(person: Person | None, agency: Agency | None) -> FundScope:
    """Return the viewer's scope, or NotFound for anyone without one."""
    scope = fund_scope(person, agency)
    if scope is None:
        raise NotFound(
            "사례관리사업비는 동 주민센터 직원과 구 통합사례관리 조정자만 볼 수 있습니다.",
            english="The case fund is for dong centre staff and the district coordinator.",
        )
    return scope


def can_view(person: Person | None, request: FundRequest) -> bool:
    """Tell whether the person may see the request (its dong centre's staff or the coordinator)."""
    return bool(roles_in(person, request.agency)) or is_coordinator_of(person, request.district_id)


def can_decide_dong(person: Person | None, request: FundRequest) -> bool:
    """Tell whether the person is the team lead who decides the request's 동 내부결재."""
    return StaffRole.supervisor in roles_in(person, request.agency)


def can_decide_district(person: Person | None, request: FundRequest) -> bool:
    """Tell whether the person decides the request's 구 결재 (the district's coordinator)."""
    return is_coordinator_of(person, request.district_id)


def can_record_spend(person: Person | None, request: FundRequest) -> bool:
    """Tell whether the person may record the spend (the centre's staff or the coordinator)."""
    return bool(roles_in(person, request.agency) & REQUESTING_ROLES) or is_coordinator_of(
        person, request.district_id
    )


def requesting_centre(person: Person | None, agency: Agency | None, case: Case) -> Agency:
    """Return the dong centre the person requests for from this case; refuse everyone else (403)."""
    if not is_dong_centre(agency) or agency is None or not roles_in(person, agency) & REQUESTING_ROLES:
        raise PermissionDenied(
            "사례관리사업비는 동 주민센터의 사례관리 담당자나 팀장만 신청할 수 있습니다.",
            english="Only a dong centre's case worker or team lead may request the case fund.",
        )
    if agency.id not in {case.owning_agency_id, case.lead_agency_id}:
        raise PermissionDenied(
            "이 동 주민센터의 사례에만 사업비를 신청할 수 있습니다.",
            english="Only a case of this dong centre may receive its fund.",
        )
    return agency


def can_request_from_case(person: Person | None, agency_id: int | None, case: Case) -> bool:
    """Tell whether the case page offers "사례관리사업비 신청" (the request form checks the same rule)."""
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    return (
        not case.is_deleted
        and is_dong_centre(agency)
        and agency is not None
        and agency.id in {case.owning_agency_id, case.lead_agency_id}
        and bool(roles_in(person, agency) & REQUESTING_ROLES)
    )


def get_request_for(person: Person | None, request_id: int) -> FundRequest:
    """Load a request if the person may see it; otherwise NotFound."""
    request = db.session.get(FundRequest, request_id)
    if request is None or not can_view(person, request):
        raise NotFound("사업비 신청을 찾을 수 없습니다.", english="Fund request not found.")
    return request


def require_coordinator(person: Person | None, district_id: int) -> None:
    """Refuse (403) anyone but the district's coordinator: budgets and the cap are theirs to set."""
    if not is_coordinator_of(person, district_id):
        raise PermissionDenied(
            "예산과 가구당 한도는 구 통합사례관리 조정자만 정할 수 있습니다.",
            english="Only the district coordinator sets budgets and the household cap.",
        )
