"""Who may see and work on which case; checked per object for the agency the person acts for.

Rules:

* A person acts for one agency at a time (``current_session().acting_agency_id``) and only
  through an active membership of an active agency; roles count only in that agency.
* **view** (the case page and its non-personal facts): case workers, supervisors and agency
  admins of the owning or the lead agency; the assigned case worker; the district coordinator
  while the case has an escalation to their district team.
* **edit** (records, transitions): case workers and supervisors of the owning or lead agency.
* **supervise** (closure approval, score adjustment): supervisors of the owning or lead agency.
* **decide_escalation**: coordinator of the district team the escalation was sent to.

Personal data is a separate question answered by ``consents.gate.view_client``. A case the
person may not see answers 404, so its existence is not revealed.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa

from agencies.access import active_memberships
from agencies.models import AgencyType, Person, StaffRole
from agencies.sessions import acting_agency_id
from cases.models import Case, Escalation, EscalationStatus
from hamkke.db import db
from hamkke.errors import NotFound, PermissionDenied

CasePermission = Literal["view", "edit", "supervise", "decide_escalation"]

STAFF_ROLES = frozenset({StaffRole.case_worker, StaffRole.supervisor, StaffRole.agency_admin})
EDIT_ROLES = frozenset({StaffRole.case_worker, StaffRole.supervisor})


def roles_for(person: Person | None, agency_id: int | None) -> frozenset[StaffRole]:
    """Return the person's roles in the agency they act for (empty when not an active member)."""
    if agency_id is None:
        return frozenset()
    for membership in active_memberships(person):
        if membership.agency_id == agency_id:
            return membership.role_set
    return frozenset()


def is_coordinator_for(person: Person | None, agency_id: int | None) -> bool:
    """Tell whether the person acts as coordinator of a district team agency."""
    for membership in active_memberships(person):
        if (
            membership.agency_id == agency_id
            and membership.agency.type == AgencyType.district_team
            and StaffRole.coordinator in membership.role_set
        ):
            return True
    return False


def _escalated_to(case: Case, agency_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(Escalation.id).where(
                Escalation.case_id == case.id,
                Escalation.to_agency_id == agency_id,
                Escalation.status != EscalationStatus.returned,
            )
        )
        is not None
    )


def can_on_case(
    person: Person | None, case: Case, permission: CasePermission, *, agency_id: int | None
) -> bool:
    """Tell whether ``person``, acting for ``agency_id``, has ``permission`` on ``case``."""
    if person is None or case.is_deleted:
        return False
    roles = roles_for(person, agency_id)
    in_charge = agency_id in {case.owning_agency_id, case.lead_agency_id}
    coordinator = (
        is_coordinator_for(person, agency_id) and agency_id is not None and _escalated_to(case, agency_id)
    )
    if permission == "view":
        return (
            (in_charge and bool(roles & STAFF_ROLES))
            or (bool(roles) and case.case_worker_id == person.id)
            or coordinator
        )
    if permission == "edit":
        return in_charge and bool(roles & EDIT_ROLES)
    if permission == "supervise":
        return in_charge and StaffRole.supervisor in roles
    return coordinator


def get_case_for(
    person: Person | None, case_id: int, permission: CasePermission, *, agency_id: int | None = None
) -> Case:
    """Load a case and check ``permission``; NotFound if it may not even be seen, else PermissionDenied.

    :param agency_id: the agency acted for; defaults to the current session's.
    """
    acting = agency_id if agency_id is not None else acting_agency_id()
    case = db.session.get(Case, case_id)
    if case is None or not can_on_case(person, case, "view", agency_id=acting):
        raise NotFound("사례를 찾을 수 없습니다.", english="The case does not exist.")
    if permission != "view" and not can_on_case(person, case, permission, agency_id=acting):
        raise PermissionDenied(
            "이 사례에서 이 작업을 할 권한이 없습니다.", english="Not allowed on this case."
        )
    return case


def get_escalation_for(
    person: Person | None, escalation_id: int, *, agency_id: int | None = None
) -> Escalation:
    """Load an escalation for its sending agency's staff or the receiving coordinator (else 404)."""
    acting = agency_id if agency_id is not None else acting_agency_id()
    escalation = db.session.get(Escalation, escalation_id)
    if escalation is None:
        raise NotFound("의뢰를 찾을 수 없습니다.", english="The escalation does not exist.")
    sender = acting == escalation.from_agency_id and bool(roles_for(person, acting) & STAFF_ROLES)
    receiver = acting == escalation.to_agency_id and is_coordinator_for(person, acting)
    if not (sender or receiver):
        raise NotFound("의뢰를 찾을 수 없습니다.", english="The escalation does not exist.")
    return escalation
