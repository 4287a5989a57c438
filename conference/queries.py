"""Reads of conferences: the live payloads (shared and per agency) and lists for pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from agencies.access import is_coordinator_of
from agencies.models import Agency, AgencyStatus, Membership, MembershipStatus, Person, Region
from cases.models import Case, CaseStage
from cases.queries.plans import proposal_fates
from conference import access
from conference.models import (
    LEAD_METHOD_LABELS,
    UNFINISHED_ACTION_STATUSES,
    ActionItem,
    ActionStatus,
    AgendaItem,
    Attendance,
    Conference,
    ConferenceInvitation,
    ConferenceKind,
    ConferenceStatus,
    ItemStatus,
    LeadDecision,
    RoleAssignment,
)
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.paging import Page, paginate


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def agency_names(agency_ids: Sequence[int]) -> dict[int, str]:
    """Return the names of agencies by id."""
    if not agency_ids:
        return {}
    rows = db.session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_(set(agency_ids)))).all()
    return {row.id: row.name for row in rows}


def consent_flags(conference: Conference) -> dict[int, bool]:
    """Return, per case item, whether the client consented to sharing with this conference."""
    flags: dict[int, bool] = {}
    for item in conference.items:
        if item.case_id is None:
            continue
        case = db.session.get(Case, item.case_id)
        flags[item.id] = case is not None and access.conference_sharing_consented(case, conference)
    return flags


def roles_board(conference: Conference) -> list[dict[str, Any]]:
    """Return the roles board: agency, lead or partner, responsibilities and ISP items, per item."""
    item_ids = [item.id for item in conference.items]
    if not item_ids:
        return []
    assignments = db.session.scalars(
        sa.select(RoleAssignment).where(RoleAssignment.item_id.in_(item_ids)).order_by(RoleAssignment.id)
    ).all()
    names = agency_names([a.agency_id for a in assignments])
    # The fate of each ISP item on the case's plan (status only: a decline's reason is the case's record).
    fates = proposal_fates(a.id for a in assignments)
    return [
        {
            "id": a.id,
            "item_id": a.item_id,
            "agency_id": a.agency_id,
            "agency_name": names.get(a.agency_id, ""),
            "role": str(a.role),
            "responsibilities": a.responsibilities,
            "isp_items": a.isp_items,
            "isp_fates": fates.get(a.id, []),
            "due_on": _iso(a.due_on),
        }
        for a in assignments
    ]


def item_summary(item: AgendaItem, *, consent_ok: bool) -> dict[str, Any]:
    """Return one agenda item as every attendee sees it: flow, stage, timer; no case data."""
    return {
        "id": item.id,
        "title": item.title,
        "case_id": item.case_id,
        "status": str(item.status),
        "stage": str(item.stage),
        "outcome": str(item.outcome) if item.outcome else None,
        "version": item.version,
        "source": str(item.source),
        "time_box_minutes": item.time_box_minutes,
        "timer_started_at": _iso(item.timer_started_at),
        "presenter_id": item.presenter_id,
        "consent_ok": consent_ok,
    }


def _item_consent_ok(conference: Conference, item: AgendaItem) -> bool:
    if item.case_id is None:
        return True
    case = db.session.get(Case, item.case_id)
    return case is not None and access.conference_sharing_consented(case, conference)


def item_summaries(conference: Conference, items: Sequence[AgendaItem] | None = None) -> list[dict[str, Any]]:
    """Return the summaries of the given (default: all active) items of the conference."""
    chosen = conference.items if items is None else items
    return [
        item_summary(item, consent_ok=_item_consent_ok(conference, item))
        for item in chosen
        if item.status != ItemStatus.withdrawn
    ]


def attendee_entries(conference: Conference, attendances: Sequence[Attendance]) -> list[dict[str, Any]]:
    """Return the attendees' presence rows (name, agency, present, hand, pledge, may edit minutes)."""
    people = {
        person.id: person.name
        for person in db.session.scalars(
            sa.select(Person).where(Person.id.in_([a.person_id for a in attendances] or [0]))
        )
    }
    names = agency_names([a.agency_id for a in attendances])
    return [
        {
            "person_id": a.person_id,
            "name": people.get(a.person_id, ""),
            "agency_id": a.agency_id,
            "agency_name": names.get(a.agency_id, ""),
            "present": a.connections > 0,
            "is_guest": a.is_guest,
            "pledged": access.has_current_pledge(a),
            "hand_raised_at": _iso(a.hand_raised_at),
            "may_edit_minutes": a.may_edit_minutes
            or a.person_id in (conference.chair_id, conference.recorder_id),
        }
        for a in sorted(attendances, key=lambda a: a.checked_in_at)
    ]


def conference_header(conference: Conference) -> dict[str, Any]:
    """Return the meeting-wide fields: title, status, chair, recorder, finalized."""
    return {
        "title": conference.title,
        "status": str(conference.status),
        "chair_id": conference.chair_id,
        "recorder_id": conference.recorder_id,
        "finalized": conference.finalized_at is not None,
    }


def conference_payload(conference: Conference) -> dict[str, Any]:
    """Return the state every checked-in attendee may see: agenda, flow, presence, roles; no case data.

    Sent whole only to a (re)connecting socket and on ``sync``; changes go out as ``conference_delta``.
    """
    return {
        "conference_id": conference.id,
        "revision": conference.revision,
        **conference_header(conference),
        "items": item_summaries(conference),
        "attendees": attendee_entries(conference, list(conference.attendances)),
        "roles": roles_board(conference),
    }


def conference_delta(
    conference: Conference,
    *,
    header: bool = False,
    items: Sequence[AgendaItem] | None = None,
    attendances: Sequence[Attendance] | None = None,
    roles: bool = False,
    soap: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a small room-wide change: only the named parts, never case data (no gate call).

    The browser merges each part into its state: items and attendees by id, the roles board whole,
    ``soap`` only tells which section of which item reached which version (its text goes per agency).
    """
    delta: dict[str, Any] = {"conference_id": conference.id, "revision": conference.revision}
    if header:
        delta["conference"] = conference_header(conference)
    if items is not None:
        delta["items"] = item_summaries(conference, items)
    if attendances is not None:
        delta["attendees"] = attendee_entries(conference, attendances)
    if roles:
        delta["roles"] = roles_board(conference)
    if soap is not None:
        delta["soap"] = soap
    return delta


def item_data(
    conference: Conference,
    item: AgendaItem,
    *,
    sections: Sequence[str] | None = None,
    actions: bool = False,
    lead: bool = False,
) -> dict[str, Any]:
    """Return a change to one item's minutes (some SOAP sections), actions or lead decisions; no panel.

    Only for rooms whose agency may see the item's case (``access.may_see_item_case``); the panel with
    the client's data goes through the gate in ``agency_payload`` when it changes.
    """
    data: dict[str, Any] = {
        "conference_id": conference.id,
        "revision": conference.revision,
        "item_id": item.id,
    }
    if sections is not None:
        data["soap"] = {
            s.section: {"text": s.text, "version": s.version} for s in item.sections if s.section in sections
        }
    if actions:
        data["actions"] = [_action(action) for action in _actions_of(item)]
    if lead:
        data["lead"] = [_decision(decision) for decision in _decisions_of(item)]
    return data


def _case_data(conference: Conference, viewer: Attendance, person: Person, channel: str) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for item in conference.items:
        if item.status in (ItemStatus.withdrawn, ItemStatus.draft):
            continue
        visible = access.may_see_item_case(item, viewer.agency_id, is_guest=viewer.is_guest)
        entry: dict[str, Any] = {"visible": visible}
        if visible:
            entry["panel"] = access.case_panel_for(
                item, person, viewer.agency_id, is_guest=viewer.is_guest, channel=channel
            )
            entry["soap"] = {s.section: {"text": s.text, "version": s.version} for s in item.sections}
            entry["actions"] = [_action(action) for action in _actions_of(item)]
            entry["lead"] = [_decision(decision) for decision in _decisions_of(item)]
        items[str(item.id)] = entry
    return {
        "conference_id": conference.id,
        "revision": conference.revision,
        "agency_id": viewer.agency_id,
        "items": items,
    }


def _actions_of(item: AgendaItem) -> Sequence[ActionItem]:
    return db.session.scalars(
        sa.select(ActionItem).where(ActionItem.item_id == item.id).order_by(ActionItem.id)
    ).all()


def _decisions_of(item: AgendaItem) -> Sequence[LeadDecision]:
    return db.session.scalars(
        sa.select(LeadDecision).where(LeadDecision.item_id == item.id).order_by(LeadDecision.id)
    ).all()


def _action(action: ActionItem) -> dict[str, Any]:
    return {
        "id": action.id,
        "text": action.text,
        "owner_agency_id": action.owner_agency_id,
        "assignee_id": action.assignee_id,
        "due_on": _iso(action.due_on),
        "referral_id": action.referral_id,
        # A referral needs a case: the room offers "의뢰 만들기" only when there is one.
        "has_case": action.case_id is not None,
        "status": str(action.status),
    }


def _decision(decision: LeadDecision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "method": str(decision.method),
        "method_label": LEAD_METHOD_LABELS[decision.method],
        "candidate_agency_ids": decision.candidate_agency_ids,
        "votes": decision.votes,
        "chosen_agency_id": decision.chosen_agency_id,
        "objections": decision.objections,
        "rationale": decision.rationale,
        "effective_on": _iso(decision.effective_on),
    }


def agency_payload(conference: Conference, viewer: Attendance, *, channel: str = "socket") -> dict[str, Any]:
    """Return case data for one agency's pledged attendees, filtered by consent and role.

    ``channel`` is what the access log records: ``socket`` for live payloads, ``api`` for state.json.
    """
    person = db.session.get(Person, viewer.person_id)
    if person is None or not access.has_current_pledge(viewer):
        return {
            "conference_id": conference.id,
            "revision": conference.revision,
            "agency_id": viewer.agency_id,
            "items": {},
        }
    return _case_data(conference, viewer, person, channel)


def guest_payload(conference: Conference, guest: Attendance) -> dict[str, Any]:
    """Return case data for a guest (자문위원): only what the chair has open right now."""
    return agency_payload(conference, guest)


#: conferences per page of the list
CONFERENCES_PAGE_SIZE = 25
#: the list's orders by their query value: the latest meeting first, or the earliest
CONFERENCE_ORDERS = ("newest", "oldest")


@dataclass(frozen=True)
class ConferenceFilters:
    """What the conference list shows: a status (None: all but cancelled), a kind, words of the title."""

    status: ConferenceStatus | None = None
    kind: ConferenceKind | None = None
    title: str = ""
    order: str = "newest"


def reachable_by(person: Person) -> sa.ColumnElement[bool]:
    """The SQL twin of ``access.is_invited``: chair, recorder, invited by name or as deputy, or by agency."""
    agencies = list(access.agency_ids_of(person))
    invited = sa.exists().where(
        ConferenceInvitation.conference_id == Conference.id,
        sa.or_(
            ConferenceInvitation.person_id == person.id,
            ConferenceInvitation.deputy_id == person.id,
            sa.and_(ConferenceInvitation.person_id.is_(None), ConferenceInvitation.agency_id.in_(agencies)),
        ),
    )
    return sa.or_(
        Conference.chair_id == person.id,
        Conference.recorder_id == person.id,
        Conference.host_agency_id.in_(agencies),
        invited,
    )


def conference_page(person: Person, filters: ConferenceFilters, *, page: int) -> Page[Conference]:
    """Return one page of the conferences the person may reach, filtered and sorted in SQL."""
    statement = sa.select(Conference).where(reachable_by(person))
    if filters.status is None:
        statement = statement.where(Conference.status != ConferenceStatus.cancelled)
    else:
        statement = statement.where(Conference.status == filters.status)
    if filters.kind is not None:
        statement = statement.where(Conference.kind == filters.kind)
    if filters.title:
        # Words of a title, not a pattern: % and _ typed by a person match themselves.
        statement = statement.where(Conference.title.icontains(filters.title, autoescape=True))
    if filters.order == "oldest":
        statement = statement.order_by(Conference.starts_at.asc(), Conference.id.asc())
    else:
        statement = statement.order_by(Conference.starts_at.desc(), Conference.id.desc())
    return paginate(statement, page=page, per_page=CONFERENCES_PAGE_SIZE)


@dataclass(frozen=True)
class StaffChoice:
    """A person one may pick (chair, recorder, presenter, deputy): id, name and agency."""

    id: int
    name: str
    agency_id: int


def staff_of(agency_ids: Sequence[int]) -> dict[int, list[StaffChoice]]:
    """Return the active members of the agencies, per agency, by name."""
    staff: dict[int, list[StaffChoice]] = {agency_id: [] for agency_id in agency_ids}
    if not agency_ids:
        return staff
    rows = db.session.execute(
        sa.select(Person.id, Person.name, Membership.agency_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.agency_id.in_(list(agency_ids)),
            Membership.status == MembershipStatus.active,
            Person.is_active.is_(True),
        )
        .order_by(Person.name, Person.id)
    ).all()
    for row in rows:
        staff[row.agency_id].append(StaffChoice(row.id, row.name, row.agency_id))
    return staff


def regions_of(district_id: int) -> list[Region]:
    """Return the district's 권역 for the scheduling form."""
    return list(
        db.session.scalars(sa.select(Region).where(Region.district_id == district_id).order_by(Region.id))
    )


def district_agencies(district_id: int) -> list[Agency]:
    """Return the active agencies of a district, by name (invitation and referral choices)."""
    return list(
        db.session.scalars(
            sa.select(Agency)
            .where(Agency.district_id == district_id, Agency.status == AgencyStatus.active)
            .order_by(Agency.name)
        )
    )


def district_staff(district_id: int) -> dict[int, list[StaffChoice]]:
    """Return the active members of every active agency of a district (the invitation's person picker)."""
    return staff_of([agency.id for agency in district_agencies(district_id)])


def person_names(conference: Conference) -> dict[int, str]:
    """Return the names of the people a planning page mentions (chair, recorder, invitees, presenters)."""
    ids = {conference.chair_id, conference.recorder_id}
    ids.update(i.person_id for i in conference.invitations)
    ids.update(i.deputy_id for i in conference.invitations)
    ids.update(item.presenter_id for item in conference.items)
    wanted = [person_id for person_id in ids if person_id is not None]
    if not wanted:
        return {}
    return {
        row.id: row.name
        for row in db.session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(wanted)))
    }


def proposable_cases(agency_id: int | None) -> list[Case]:
    """Return the open cases an agency owns or leads (ids and stages are shown, no personal data)."""
    if agency_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(
                sa.or_(Case.owning_agency_id == agency_id, Case.lead_agency_id == agency_id),
                Case.is_deleted.is_(False),
                Case.stage != CaseStage.closed,
            )
            .order_by(Case.id)
            .limit(300)
        )
    )


def actions_of_conference(conference: Conference) -> list[ActionItem]:
    """Return the conference's action items in creation order."""
    return list(
        db.session.scalars(
            sa.select(ActionItem).where(ActionItem.conference_id == conference.id).order_by(ActionItem.id)
        )
    )


@dataclass(frozen=True)
class TrackedAction:
    """One row of the actions page: the item, where it came from, and what the viewer may do with it."""

    action: ActionItem
    conference: Conference
    item: AgendaItem
    owner_name: str
    assignee_name: str | None
    overdue: bool
    may_change: bool
    #: the viewer may open the conference's pages (invited), so the row links there
    may_open_conference: bool


#: filters of the actions page: unfinished (open and in progress), done, or everything
ACTION_FILTERS = ("open", "done", "all")
#: rows per page of the actions page (the unfinished ones come first)
ACTIONS_PAGE_SIZE = 50


def tracked_actions(
    person: Person, agency_id: int, *, status: str, today: date, page: int = 1, per_page: int | None = None
) -> Page[TrackedAction]:
    """Return a page of the actions of the agency or assigned to the person (a coordinator: the district's).

    Unfinished items come first, then by due date; ``status`` must be one of ``ACTION_FILTERS`` (422).
    The page is cut in SQL; every row is on exactly one page (the order ends with the row id).
    """
    if status not in ACTION_FILTERS:
        raise ValidationFailed(
            "보기 조건은 진행 중, 완료, 전체 가운데 하나입니다.",
            field="status",
            english="The filter is open, done or all.",
        )

    agency = db.session.get(Agency, agency_id)
    mine = sa.or_(ActionItem.owner_agency_id == agency_id, ActionItem.assignee_id == person.id)
    query = sa.select(ActionItem, Conference, AgendaItem).join(
        Conference, Conference.id == ActionItem.conference_id
    )
    query = query.join(AgendaItem, AgendaItem.id == ActionItem.item_id)
    if agency is not None and is_coordinator_of(person, agency.district_id):
        query = query.where(sa.or_(mine, Conference.district_id == agency.district_id))
    else:
        query = query.where(mine)
    unfinished = ActionItem.status.in_(UNFINISHED_ACTION_STATUSES)
    if status == "open":
        query = query.where(unfinished)
    elif status == "done":
        query = query.where(ActionItem.status == ActionStatus.done)
    rank = sa.case((unfinished, 0), else_=1)
    return paginate(
        query.order_by(rank, ActionItem.due_on, ActionItem.id),
        page=page,
        per_page=per_page or ACTIONS_PAGE_SIZE,
        fetch=lambda limited: _tracked_rows(person, db.session.execute(limited).tuples().all(), today),
    )


def _tracked_rows(
    person: Person, rows: Sequence[tuple[ActionItem, Conference, AgendaItem]], today: date
) -> list[TrackedAction]:
    """Name the owners and assignees of a page of actions and say what the viewer may do with each."""
    names = agency_names([action.owner_agency_id for action, _, _ in rows])
    assignee_ids = {action.assignee_id for action, _, _ in rows if action.assignee_id is not None}
    people: dict[int, str] = {}
    if assignee_ids:
        found = db.session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(assignee_ids)))
        people = {row.id: row.name for row in found}
    result = []
    for action, conference, item in rows:
        result.append(
            TrackedAction(
                action=action,
                conference=conference,
                item=item,
                owner_name=names.get(action.owner_agency_id, ""),
                assignee_name=people.get(action.assignee_id) if action.assignee_id else None,
                overdue=action.status in UNFINISHED_ACTION_STATUSES and action.due_on < today,
                may_change=access.may_change_action(person, action),
                may_open_conference=access.is_invited(person, conference),
            )
        )
    return result
