"""Who may see and do what in a conference, and the consent seam for case data shown in the room."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa

from agencies.access import active_memberships, is_coordinator_of, roles_in
from agencies.models import Agency, Person, StaffRole
from cases.models import Case, Client
from conference.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Conference,
    ConferenceInvitation,
    InvitationRole,
    ItemStatus,
    RoleAssignment,
    Rsvp,
)
from consents.gate import view_client
from consents.sharing import conference_sharing_allowed
from hamkke.db import db
from hamkke.errors import NotFound, PermissionDenied

ConferencePermission = Literal["view", "chair", "minute", "manage"]
#: roles of the host agency that may schedule conferences and prepare their agenda
ORGANIZER_ROLES = frozenset({StaffRole.coordinator, StaffRole.supervisor, StaffRole.agency_admin})

#: the current 비밀유지 서약 text; a new wording gets a new key, accepted versions stay on record
PLEDGE_TEXTS: dict[str, str] = {
    "2026-11": (
        "본인은 통합사례회의에서 알게 된 대상자와 가구의 개인정보 및 사례 내용을 회의 목적 외에 "
        "이용하거나 제3자에게 누설하지 않으며, 회의 자료를 복제·촬영·반출하지 않겠습니다. "
        "이를 위반할 경우 「개인정보 보호법」 및 「사회보장급여법」에 따른 책임을 지겠습니다."
    )
}
CURRENT_PLEDGE_VERSION = "2026-11"


def agency_ids_of(person: Person | None) -> frozenset[int]:
    """Return the agencies the person is an active member of."""
    return frozenset(membership.agency_id for membership in active_memberships(person))


def is_invited(person: Person | None, conference: Conference) -> bool:
    """Tell whether the person is invited: by name, as a deputy, or through an invited agency."""
    if person is None:
        return False
    if person.id in (conference.chair_id, conference.recorder_id):
        return True
    agencies = agency_ids_of(person)
    for invitation in conference.invitations:
        if invitation.person_id == person.id or invitation.deputy_id == person.id:
            return True
        if invitation.person_id is None and invitation.agency_id in agencies:
            return True
    return conference.host_agency_id in agencies


def invitation_for(person: Person, conference: Conference, agency_id: int) -> ConferenceInvitation | None:
    """Return the invitation under which the person attends for the agency, if any."""
    for invitation in conference.invitations:
        if invitation.person_id == person.id or invitation.deputy_id == person.id:
            return invitation
    for invitation in conference.invitations:
        if invitation.person_id is None and invitation.agency_id == agency_id:
            return invitation
    return None


def attendance_of(person: Person | None, conference: Conference) -> Attendance | None:
    """Return the person's check-in at the conference, if they checked in."""
    if person is None:
        return None
    return db.session.scalar(
        sa.select(Attendance).where(
            Attendance.conference_id == conference.id, Attendance.person_id == person.id
        )
    )


def is_chair(person: Person | None, conference: Conference) -> bool:
    """Tell whether the person chairs the conference now."""
    return person is not None and conference.chair_id == person.id


def can_edit_minutes(
    person: Person | None, conference: Conference, *, attendance: Attendance | None = None
) -> bool:
    """Chair, recorder, and attendees the chair allowed may co-edit the SOAP minutes.

    ``attendance``: the person's check-in when the caller has it loaded already (a socket event).
    """
    if person is None:
        return False
    if person.id in (conference.chair_id, conference.recorder_id):
        return True
    if attendance is None or attendance.person_id != person.id or attendance.conference_id != conference.id:
        attendance = attendance_of(person, conference)
    return attendance is not None and attendance.may_edit_minutes and not attendance.is_guest


def has_current_pledge(attendance: Attendance | None) -> bool:
    """Tell whether the attendee accepted the current pledge text (older versions must be re-accepted)."""
    return attendance is not None and attendance.pledge_version == CURRENT_PLEDGE_VERSION


def get_conference_for(
    person: Person | None, conference_id: int, permission: ConferencePermission = "view"
) -> Conference:
    """Load a conference the person may reach; NotFound hides it from outsiders, PermissionDenied refuses."""
    conference = db.session.get(Conference, conference_id)
    if conference is None or not is_invited(person, conference):
        raise NotFound("회의를 찾을 수 없습니다.", english="The conference does not exist.")
    if permission == "chair" and not is_chair(person, conference):
        raise PermissionDenied("회의 진행자만 할 수 있습니다.", english="Only the chair may do this.")
    if permission == "minute" and not can_edit_minutes(person, conference):
        raise PermissionDenied("회의록을 작성할 권한이 없습니다.", english="You may not edit the minutes.")
    if permission == "manage" and not can_manage(person, conference):
        raise PermissionDenied(
            "회의 진행자나 조정자만 할 수 있습니다.", english="Only the chair or a coordinator may do this."
        )
    return conference


def can_schedule(person: Person | None, agency: Agency) -> bool:
    """Coordinators, supervisors and agency administrators schedule conferences their agency hosts."""
    return bool(roles_in(person, agency) & ORGANIZER_ROLES)


def require_can_schedule(person: Person | None, agency: Agency) -> None:
    """Refuse (403) a person who may not schedule conferences hosted by ``agency``."""
    if not can_schedule(person, agency):
        raise PermissionDenied(
            "회의를 잡을 권한이 없습니다.",
            english="Only coordinators, supervisors or admins schedule conferences.",
        )


def acting_agency_of(person: Person, agency_id: int | None) -> Agency:
    """Return the agency the person acts for in this session; 403 when there is none of theirs."""
    agency = db.session.get(Agency, agency_id) if agency_id else None
    if agency is None or agency.id not in agency_ids_of(person):
        raise PermissionDenied("소속 기관을 골라 주세요.", english="Choose your acting agency.")
    return agency


def attending_agency_id(person: Person, conference: Conference, acting_agency_id: int | None) -> int:
    """The agency the person attends for: the session's acting agency, or their guest invitation's."""
    if acting_agency_id is not None:
        return acting_agency_id
    invitation = invitation_for(person, conference, -1)
    if invitation is None:
        raise PermissionDenied("참석할 기관을 고르세요.")
    return invitation.agency_id


def get_attendance_for(person: Person, conference: Conference) -> Attendance:
    """Return the person's attendance of the conference; 403 if they did not attend."""
    attendance = attendance_of(person, conference)
    if attendance is None:
        raise PermissionDenied("참석하지 않은 회의입니다.")
    return attendance


def get_pledged_attendance_for(person: Person, conference: Conference) -> Attendance:
    """Return the person's attendance once they accepted the current pledge; 403 before that."""
    attendance = attendance_of(person, conference)
    if attendance is None or not has_current_pledge(attendance):
        raise PermissionDenied("서약한 참석자만 회의록을 받을 수 있습니다.")
    return attendance


def can_manage(person: Person | None, conference: Conference) -> bool:
    """The chair, an organizer of the host agency, or a district coordinator prepares the conference."""
    if person is None:
        return False
    if is_chair(person, conference):
        return True
    host = db.session.get(Agency, conference.host_agency_id)
    if host is not None and can_schedule(person, host):
        return True
    return is_coordinator_of(person, conference.district_id)


def invited_agency_ids(conference: Conference) -> frozenset[int]:
    """Return the agencies invited as members (host included); guests' agencies are not among them."""
    invited = {conference.host_agency_id}
    invited.update(
        invitation.agency_id
        for invitation in conference.invitations
        if invitation.role == InvitationRole.member and invitation.rsvp != Rsvp.declined
    )
    return frozenset(invited)


def may_answer_invitation(person: Person | None, invitation: ConferenceInvitation) -> bool:
    """The invited person answers a personal invitation; any member of the agency answers an agency's."""
    if person is None:
        return False
    if invitation.person_id is not None:
        return invitation.person_id == person.id
    return invitation.agency_id in agency_ids_of(person)


def get_invitation_for(person: Person | None, invitation_id: int) -> ConferenceInvitation:
    """Load an invitation the person may answer; anything else is hidden (404)."""
    invitation = db.session.get(ConferenceInvitation, invitation_id)
    if invitation is None or not may_answer_invitation(person, invitation):
        raise NotFound("초대를 찾을 수 없습니다.", english="The invitation does not exist.")
    return invitation


def get_action_for(person: Person | None, action_id: int) -> ActionItem:
    """Load an action item for a member of its owner agency or a manager of its conference (else 404)."""
    action = db.session.get(ActionItem, action_id)
    if action is None:
        raise NotFound("실행과제를 찾을 수 없습니다.", english="The action item does not exist.")
    conference = get_conference_for(person, action.conference_id)
    if action.owner_agency_id not in agency_ids_of(person) and not can_manage(person, conference):
        raise NotFound("실행과제를 찾을 수 없습니다.", english="The action item does not exist.")
    return action


def get_item_for(
    person: Person | None, item_id: int, permission: ConferencePermission = "view"
) -> AgendaItem:
    """Load an agenda item through its conference's permission (items inherit it)."""
    item = db.session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("안건을 찾을 수 없습니다.", english="The agenda item does not exist.")
    get_conference_for(person, item.conference_id, permission)
    return item


def attending_agency_ids(conference: Conference) -> frozenset[int]:
    """Return the agencies with someone checked in (the recipients of a conference-sharing grant)."""
    return frozenset(attendance.agency_id for attendance in conference.attendances)


#: the gate's conference-sharing answers of the current publishing block, per (client, conference, day)
_sharing_answers: ContextVar[dict[tuple[int, int, date | None], bool] | None] = ContextVar(
    "conference_sharing_answers", default=None
)


@contextlib.contextmanager
def one_sharing_decision_per_case() -> Iterator[None]:
    """Within the block, ask the gate once per case whether it may go into the conference's room.

    For one event's fan-out to every agency room: an open item's answer does not depend on the
    receiving agency, so asking it again per room only repeats the same queries. The answers live
    only as long as the block (one publication), never across a consent change.
    """
    if _sharing_answers.get() is not None:
        yield  # an outer block already holds the answers of this publication
        return
    token = _sharing_answers.set({})
    try:
        yield
    finally:
        _sharing_answers.reset(token)


def conference_sharing_consented(case: Case, conference: Conference, on: date | None = None) -> bool:
    """Tell whether the case's main client's data may go into this conference's room (SOAP text, actions).

    The disclosure gate decides (``consents.sharing.conference_sharing_allowed``): the conference keeps
    no consent rule of its own, so the under-14 signer rule, a consent ending with its case, and
    처리정지 apply here exactly as on every page.
    """
    answers = _sharing_answers.get()
    key = (case.main_client_id, conference.id, on)
    if answers is not None and key in answers:
        return answers[key]
    client = db.session.get(Client, case.main_client_id)
    allowed = client is not None and conference_sharing_allowed(
        client, conference_id=conference.id, district_id=conference.district_id, on=on
    )
    if answers is not None:
        answers[key] = allowed
    return allowed


def agency_has_role_in_case(agency_id: int, case: Case) -> bool:
    """Owner, lead, or an agency given a role in a conference keeps seeing the case after the item closes."""
    if agency_id in (case.owning_agency_id, case.lead_agency_id):
        return True
    return (
        db.session.scalar(
            sa.select(RoleAssignment.id).where(
                RoleAssignment.case_id == case.id, RoleAssignment.agency_id == agency_id
            )
        )
        is not None
    )


def may_see_item_case(item: AgendaItem, agency_id: int, *, is_guest: bool = False) -> bool:
    """Tell whether an agency's attendees may see the item's case data now.

    Owner always; others only while the item is open and the client consented to conference
    sharing, and afterwards only agencies with a role in the case. Guests see only an open item.
    """
    if item.case_id is None:
        return item.status == ItemStatus.open or not is_guest
    case = db.session.get(Case, item.case_id)
    if case is None:
        return False
    if not is_guest and agency_id == case.owning_agency_id:
        return True
    if item.status == ItemStatus.open:
        return conference_sharing_consented(case, item.conference)
    if is_guest:
        return False
    return agency_has_role_in_case(agency_id, case) and conference_sharing_consented(case, item.conference)


def case_panel_for(
    item: AgendaItem, person: Person, agency_id: int, *, is_guest: bool = False, channel: str = "socket"
) -> dict[str, Any]:
    """Return the case panel of an item for one agency: consent-filtered through the gate, or redacted."""
    panel: dict[str, Any] = {"item_id": item.id, "case_id": item.case_id, "visible": False}
    if item.case_id is None or not may_see_item_case(item, agency_id, is_guest=is_guest):
        return panel
    case = db.session.get(Case, item.case_id)
    if case is None:
        return panel
    panel.update(
        visible=True, stage=case.stage.label, case_type=str(case.case_type), intensity=str(case.intensity)
    )
    try:
        view = view_client(
            case.main_client,
            person,
            purpose="conference_sharing",
            acting_agency_id=agency_id,
            channel=channel,
            context={
                "case_id": case.id,
                "conference_id": item.conference_id,
                "attending_agency_ids": sorted(attending_agency_ids(item.conference)),
            },
        )
    except (NotFound, PermissionDenied):
        # The gate decides per field group; refusing the client leaves only the case's process facts.
        panel["client_name"] = None
        panel["groups"] = []
        return panel
    panel["client_name"] = view.name
    panel["groups"] = sorted(view.visible_groups)
    return panel


def may_change_action(person: Person | None, action: ActionItem) -> bool:
    """Members of the owner agency and the assignee work an action item (mark it in progress or done)."""
    if person is None:
        return False
    return action.owner_agency_id in agency_ids_of(person) or action.assignee_id == person.id


def may_view_action(person: Person | None, action: ActionItem) -> bool:
    """Those who work the item, and the district's coordinators (read-only), see it on the actions page."""
    if may_change_action(person, action):
        return True
    conference = db.session.get(Conference, action.conference_id)
    return conference is not None and is_coordinator_of(person, conference.district_id)


def get_tracked_action_for(person: Person | None, action_id: int, *, change: bool = False) -> ActionItem:
    """Load an action item for its page: hidden (404) from outsiders, read-only (403) for coordinators."""
    action = db.session.get(ActionItem, action_id)
    if action is None or not may_view_action(person, action):
        raise NotFound("실행과제를 찾을 수 없습니다.", english="The action item does not exist.")
    if change and not may_change_action(person, action):
        raise PermissionDenied(
            "담당 기관이나 담당자만 실행과제를 바꿀 수 있습니다.",
            english="Only the owner agency or the assignee may change the action.",
        )
    return action
