"""Who may see and act on a referral; checked per object.

* A referral is visible to active members of the sending and the receiving agency, and to the
  district coordinator (who is escalated to when it is overdue). Drafts only to the sending agency.
* The sending side (sender's agency, case roles) sends, cancels, revokes and re-routes.
* The receiving side (receiving agency's case workers, supervisors, admins) confirms receipt,
  accepts, rejects, starts and completes.
* A referral to an outside organisation (no account) has no receiving side in the app: the sender
  records the organisation's answers (회신 기록) for it.
* Creating a referral from a case: case worker or supervisor of the case's owning or lead agency.
* Everyone else gets 404: they may not know the referral exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agencies.access import active_memberships, is_coordinator_of, roles_in
from agencies.models import Agency, Person, StaffRole
from cases.models import Case
from hamkke.errors import NotFound, PermissionDenied
from referrals.models import Referral, ReferralStatus

Side = Literal["sender", "receiver"]


@dataclass(frozen=True)
class AgencySystem:
    """An agency's own system acting through the API (an OAuth2 client of that agency)."""

    agency: Agency
    api_client_id: int


#: who acts on a referral: a signed-in person, or an agency's system through the API
Actor = Person | AgencySystem


def actor_person_id(actor: Actor | None) -> int | None:
    """Return the acting person's ID (None for an agency system or the scheduler)."""
    return actor.id if isinstance(actor, Person) else None


#: roles that act on referrals for their agency (an auditor or adviser only looks)
ACTING_ROLES = frozenset({StaffRole.case_worker, StaffRole.supervisor, StaffRole.agency_admin})


def is_member(person: Person | None, agency_id: int) -> bool:
    """Tell whether the person has an active membership in the (active) agency."""
    return any(membership.agency_id == agency_id for membership in active_memberships(person))


def can_act_for(person: Person | None, agency: Agency) -> bool:
    """Tell whether the person may act on referrals for ``agency``."""
    return bool(roles_in(person, agency) & ACTING_ROLES)


def can_view(person: Actor | None, referral: Referral) -> bool:
    """Tell whether the person (or agency system) may see the referral."""
    if isinstance(person, AgencySystem):
        return person.agency.id == referral.sending_agency_id or (
            person.agency.id == referral.receiving_agency_id and referral.status != ReferralStatus.draft
        )
    if is_member(person, referral.sending_agency_id):
        return True
    if referral.status == ReferralStatus.draft:
        return False
    receiving = referral.receiving_agency_id
    return (receiving is not None and is_member(person, receiving)) or is_coordinator_of(
        person, referral.district_id
    )


def side_of(person: Actor | None, referral: Referral) -> Side | None:
    """Return which side the person may act for on this referral (None: neither)."""
    if isinstance(person, AgencySystem):
        if not person.agency.is_active:
            return None
        if person.agency.id == referral.sending_agency_id:
            return "sender"
        return "receiver" if can_view(person, referral) else None
    if can_act_for(person, referral.sending_agency):
        return "sender"
    receiving = referral.receiving_agency
    if referral.status != ReferralStatus.draft and receiving is not None and can_act_for(person, receiving):
        return "receiver"
    return None


def acting_side(referral: Referral, side: Side) -> Side:
    """Return who makes a move of ``side``: for an outside organisation the sender records its answers."""
    return "sender" if referral.is_external else side


def can_refer_from_case(person: Person | None, case: Case) -> Agency | None:
    """Return the agency the person refers a case for (owning or lead agency), or None if they may not."""
    for membership in active_memberships(person):
        if membership.agency_id in {case.owning_agency_id, case.lead_agency_id} and (
            membership.role_set & {StaffRole.case_worker, StaffRole.supervisor}
        ):
            return membership.agency
    return None


def require_view(person: Actor | None, referral: Referral | None) -> Referral:
    """Return the referral if the person may see it; otherwise NotFound."""
    if referral is None or not can_view(person, referral):
        raise NotFound("의뢰를 찾을 수 없습니다.", english="Referral not found.")
    return referral


def require_side(person: Actor | None, referral: Referral, side: Side) -> None:
    """Refuse unless the person acts for ``side`` of the referral."""
    require_view(person, referral)
    side = acting_side(referral, side)
    if side_of(person, referral) != side:
        who = "의뢰한 기관" if side == "sender" else "의뢰받은 기관"
        raise PermissionDenied(
            f"{who}의 담당자만 할 수 있습니다.", english=f"Only the {side} side may do this."
        )
