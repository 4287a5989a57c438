"""Who may see and change what in the district network; checked per object, never by role alone.

Rules (ASVS 8.1.1: documented function- and data-level rules):

* Every predicate denies ``None`` and disabled people.
* A role counts only through an *active* membership of an *active* agency. Roles are per
  agency: agency_admin of agency A gives nothing in agency B.
* A session opened through an identity provider acts only for the agencies bound to THAT
  provider: memberships in agencies that trust another provider count for nothing in it, so a
  provider can never lend anyone the rights a person holds in an agency that does not trust it.
* **Network member** of a district: holds an active membership with at least one role other
  than 자문위원 (advisor) in an active agency of that district. Advisors are conference guests
  only; they do not browse the directory or staff lists. 감사 (auditor) is a network member with
  read-only rights: it sees what members see and changes nothing.
* **Coordinator** of a district: holds the coordinator role in an active 구청 통합사례관리팀
  (``district_team``) agency of that district. The role only counts there, so an admin of a private
  agency cannot make themselves district coordinator by granting it at home (the service also
  refuses such grants).
* Directory and agency pages: network members of the district see active agencies; coordinators
  see every agency of their district in any state; an agency's own active members see it while it
  is still joining (pending agreement).
* Staff contact lists: network members of the district, for active agencies only.
* Managing an agency (staff, roles, API clients): agency_admin of THAT agency, while it is active.
* Accepting the 업무협약: agency_admin of that agency while it awaits the agreement.
* Network administration (inviting agencies, identity providers, suspending and reactivating
  agencies): coordinator of the district. The break-glass account (``hamkke agencies
  create-break-glass``, docs/deploy.md) may invite, re-issue and revoke invitations and manage
  identity providers in every district, and nothing else: agencies/signin/break_glass.py confines its
  sessions to those pages, audits each request and ends the session after an hour.
* Disabling or re-enabling a person platform-wide: a coordinator of the districts of every
  agency the person belongs to, or the agency_admin of every agency the person belongs to
  (pending or active memberships). Nobody disables themselves. A person who belongs to two
  agencies cannot be shut out by the admin of only one of them; that admin removes the person
  from their own agency instead.

Answer 404 rather than 403 when the actor may not even know the object exists (§2.7).
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from flask import g, has_app_context

from agencies.models import (
    Agency,
    AgencyStatus,
    AgencyType,
    ApiClient,
    District,
    IdentityProvider,
    Invitation,
    Membership,
    MembershipStatus,
    Person,
    StaffRole,
)
from hamkke.db import db
from hamkke.errors import NotFound, PermissionDenied

AgencyPermission = Literal["view", "view_staff", "manage", "accept_agreement", "change_status"]
DistrictPermission = Literal["view_directory", "manage_network"]

#: roles that make someone a member of the network (everything except the guest-only advisor)
NETWORK_ROLES = frozenset(set(StaffRole) - {StaffRole.advisor})


def _is_usable(person: Person | None) -> bool:
    return person is not None and person.is_active


def session_provider_id(person: Person | None) -> int | None:
    """Return the identity provider that authenticated this request's session of ``person``, if any.

    None outside a request, for another person's rights, and for sessions opened without a
    provider (break-glass, test helpers): those are not narrowed.
    """
    if person is None or not has_app_context():
        return None
    record = g.get("user_session") or g.get("pending_session")
    if record is None or record.person_id != person.id:
        return None
    return record.identity_provider_id


def active_memberships(person: Person | None) -> list[Membership]:
    """Return the person's active memberships in active agencies (none for a disabled person).

    Within a session opened through an identity provider, only agencies bound to that provider count.
    """
    if person is None or not person.is_active:
        return []
    provider_id = session_provider_id(person)
    return [
        membership
        for membership in person.memberships
        if membership.status == MembershipStatus.active
        and membership.agency.status == AgencyStatus.active
        and (provider_id is None or membership.agency.identity_provider_id == provider_id)
    ]


def roles_in(person: Person | None, agency: Agency) -> frozenset[StaffRole]:
    """Return the roles the person holds in ``agency`` now (empty unless member and agency active)."""
    for membership in active_memberships(person):
        if membership.agency_id == agency.id:
            return membership.role_set
    return frozenset()


def is_network_member(person: Person | None, district_id: int) -> bool:
    """Tell whether the person is a (non-guest) member of the district's network."""
    return any(
        membership.agency.district_id == district_id and membership.role_set & NETWORK_ROLES
        for membership in active_memberships(person)
    )


def is_coordinator_of(person: Person | None, district_id: int) -> bool:
    """Tell whether the person is a 통합사례관리 조정자 of the district (via its district team)."""
    return any(
        membership.agency.district_id == district_id
        and membership.agency.type == AgencyType.district_team
        and StaffRole.coordinator in membership.role_set
        for membership in active_memberships(person)
    )


def can_view_directory(person: Person | None, district: District) -> bool:
    """Tell whether the person may search the district's agency directory."""
    return is_network_member(person, district.id)


def is_break_glass_admin(person: Person | None) -> bool:
    """Tell whether the person is the active break-glass administrator (network pages only)."""
    return person is not None and person.is_active and person.is_break_glass


def can_manage_network(person: Person | None, district: District) -> bool:
    """Tell whether the person may invite agencies and manage identity providers of the district."""
    return is_coordinator_of(person, district.id) or is_break_glass_admin(person)


def _joining_member(person: Person | None, agency: Agency) -> Membership | None:
    # The first admin of an agency that is still joining: active membership, agency not active yet.
    if person is None or not person.is_active or agency.status != AgencyStatus.pending_agreement:
        return None
    provider_id = session_provider_id(person)
    if provider_id is not None and agency.identity_provider_id != provider_id:
        return None
    for membership in person.memberships:
        if membership.agency_id == agency.id and membership.status == MembershipStatus.active:
            return membership
    return None


def can_view_agency(person: Person | None, agency: Agency) -> bool:
    """Tell whether the person may see the agency's page."""
    if not _is_usable(person):
        return False
    if agency.is_active and is_network_member(person, agency.district_id):
        return True
    if is_coordinator_of(person, agency.district_id):
        return True
    return _joining_member(person, agency) is not None


def can_view_staff_contacts(person: Person | None, agency: Agency) -> bool:
    """Tell whether the person may see the agency's staff contact list (network members only)."""
    return agency.is_active and is_network_member(person, agency.district_id)


def can_manage_agency(person: Person | None, agency: Agency) -> bool:
    """Tell whether the person is agency_admin of THIS (active) agency: staff, roles, API clients."""
    return StaffRole.agency_admin in roles_in(person, agency)


def can_accept_agreement(person: Person | None, agency: Agency) -> bool:
    """Tell whether the person may accept the 업무협약 for the agency (its admin, while joining)."""
    membership = _joining_member(person, agency)
    return membership is not None and StaffRole.agency_admin in membership.role_set


def can_change_agency_status(person: Person | None, agency: Agency) -> bool:
    """Tell whether the person may suspend or reactivate the agency (a coordinator of its district)."""
    return is_coordinator_of(person, agency.district_id)


def can_manage_person(actor: Person | None, target: Person) -> bool:
    """Tell whether ``actor`` may disable or re-enable ``target`` platform-wide (see module rules)."""
    if actor is None or not actor.is_active or actor.id == target.id:
        return False
    memberships = [m for m in target.memberships if m.status != MembershipStatus.removed]
    if not memberships:
        return False
    if all(is_coordinator_of(actor, m.agency.district_id) for m in memberships):
        return True
    return all(can_manage_agency(actor, m.agency) for m in memberships)


def can_manage_identity_provider(person: Person | None, provider: IdentityProvider) -> bool:
    """Tell whether the person may edit the provider (a coordinator of the district that registered it)."""
    if provider.district_id is None:
        return False
    return is_coordinator_of(person, provider.district_id) or is_break_glass_admin(person)


def can_use_identity_provider(person: Person | None, provider: IdentityProvider, district: District) -> bool:
    """Tell whether a coordinator may bind the provider to a new agency of ``district``."""
    if not can_manage_network(person, district) or not provider.is_active:
        return False
    return provider.district_id is None or provider.district_id == district.id


# --- load and authorize -------------------------------------------------------------------------

_AGENCY_CHECKS = {
    "view": can_view_agency,
    "view_staff": can_view_staff_contacts,
    "manage": can_manage_agency,
    "accept_agreement": can_accept_agreement,
    "change_status": can_change_agency_status,
}

_AGENCY_DENIED = {
    "view": "이 기관을 볼 권한이 없습니다.",
    "view_staff": "이 기관의 직원 연락처를 볼 권한이 없습니다.",
    "manage": "이 기관을 관리할 권한이 없습니다. 기관관리자만 할 수 있습니다.",
    "accept_agreement": "업무협약 동의는 가입 중인 기관의 기관관리자만 할 수 있습니다.",
    "change_status": "기관의 참여 정지·재개는 구청 통합사례관리 조정자만 할 수 있습니다.",
}


def get_agency_for(person: Person | None, code: str, permission: AgencyPermission = "view") -> Agency:
    """Load an agency by code and check ``permission``; raise NotFound or PermissionDenied."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == code))
    if agency is None or not can_view_agency(person, agency):
        raise NotFound("기관을 찾을 수 없습니다.", english="No such agency.")
    if not _AGENCY_CHECKS[permission](person, agency):
        raise PermissionDenied(_AGENCY_DENIED[permission], english="You may not do this for this agency.")
    return agency


def get_district_for(person: Person | None, district_id: int, permission: DistrictPermission) -> District:
    """Load a district and check ``permission`` (directory or network administration)."""
    district = db.session.get(District, district_id)
    administers = (
        permission == "manage_network" and district is not None and can_manage_network(person, district)
    )
    if district is None or not (administers or can_view_directory(person, district)):
        raise NotFound("지역을 찾을 수 없습니다.", english="No such district.")
    if permission == "manage_network" and not can_manage_network(person, district):
        raise PermissionDenied(
            "기관 초대와 인증 서버 설정은 구청 통합사례관리 조정자만 할 수 있습니다.",
            english="Only the district coordinator may do this.",
        )
    return district


def get_membership_for(person: Person | None, membership_id: int) -> Membership:
    """Load a membership the person may manage (agency_admin of its agency)."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or not can_view_agency(person, membership.agency):
        raise NotFound("직원을 찾을 수 없습니다.", english="No such member.")
    if not can_manage_agency(person, membership.agency):
        raise PermissionDenied(
            "이 기관의 직원을 관리할 권한이 없습니다.", english="You may not manage this staff."
        )
    return membership


def get_person_for(actor: Person | None, person_id: int) -> Person:
    """Load a person the actor may disable or re-enable."""
    target = db.session.get(Person, person_id)
    if target is None or not any(
        can_view_agency(actor, m.agency) for m in target.memberships if m.status != MembershipStatus.removed
    ):
        raise NotFound("사람을 찾을 수 없습니다.", english="No such person.")
    if not can_manage_person(actor, target):
        raise PermissionDenied(
            "계정 사용 중지는 구청 조정자 또는 이 사람이 속한 모든 기관의 기관관리자만 할 수 있습니다.",
            english="Only a coordinator or the admin of every agency of this person may do this.",
        )
    return target


def get_api_client_for(person: Person | None, api_client_id: int) -> ApiClient:
    """Load an API client the person may manage (agency_admin of the client's agency)."""
    client = db.session.get(ApiClient, api_client_id)
    if client is None or not can_view_agency(person, client.agency):
        raise NotFound("API 클라이언트를 찾을 수 없습니다.", english="No such API client.")
    if not can_manage_agency(person, client.agency):
        raise PermissionDenied("이 기관의 API 클라이언트를 관리할 권한이 없습니다.", english="Not allowed.")
    return client


def get_identity_provider_for(person: Person | None, provider_id: int) -> IdentityProvider:
    """Load an identity provider the person may edit (coordinator of its district)."""
    provider = db.session.get(IdentityProvider, provider_id)
    if provider is None or not can_manage_identity_provider(person, provider):
        raise NotFound("인증 서버 설정을 찾을 수 없습니다.", english="No such identity provider.")
    return provider


def get_invitation_for(person: Person | None, invitation_id: int) -> Invitation:
    """Load an invitation the person may manage (coordinator of its district)."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not is_coordinator_of(person, invitation.district_id):
        raise NotFound("초대를 찾을 수 없습니다.", english="No such invitation.")
    return invitation
