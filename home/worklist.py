"""The signed-in home page: my work, per role, each line one click from where it is done.

Escalations awaiting my decision, referrals to answer with their deadlines, action items due or
late, conferences to prepare or sign, consents ending, data-subject requests due, and for an
auditor the access log. Lines name cases by number and agencies by name only: no client data
leaves its owner here, so the home page needs no gate call and writes no access-log row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from agencies.models import Agency, AgencyType, Person, StaffRole
from cases.access import is_coordinator_for, roles_for
from cases.models import Case, Escalation, EscalationStatus
from cases.queries.selfsufficiency import overdue_tracks
from cases.queries.staleness import stale_cases
from conference.models import (
    UNFINISHED_ACTION_STATUSES,
    ActionItem,
    Attendance,
    Conference,
    ConferenceInvitation,
    ConferenceStatus,
)
from consents.access import can_handle_requests
from consents.models import Consent, ConsentRevocation, DataSubjectRequest, RequestStatus
from dashboards.access import home_scope
from hamkke.db import db
from hamkke.time import to_local
from referrals.models import Referral
from referrals.queries import RECEIVER_ACTION

#: lines per section; the section's "모두 보기" link leads to the full list
SECTION_LIMIT = 8
#: action items and consents due within this many days are listed with the late ones
SOON_DAYS = 7
CONSENT_DAYS = 30
#: conferences starting within this many days are "to prepare"
PREPARE_DAYS = 14


@dataclass(frozen=True)
class WorkLine:
    """One thing to do: what, its deadline, and the link to where it is done."""

    text: str
    url: str
    due_on: date | None = None
    overdue: bool = False


@dataclass
class WorkSection:
    """A heading, its lines and the page that lists all of them."""

    key: str
    title: object
    more_url: str
    lines: list[WorkLine] = field(default_factory=list)


def _case_numbers(case_ids: set[int]) -> dict[int, str]:
    cases = db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids))).all()
    return {case.id: case.number for case in cases}


def _escalations(person: Person, agency_id: int) -> WorkSection | None:
    if not is_coordinator_for(person, agency_id):
        return None
    section = WorkSection("escalations", _l("결정을 기다리는 구청 의뢰"), url_for("cases.escalations"))
    rows = db.session.scalars(
        sa.select(Escalation)
        .where(Escalation.to_agency_id == agency_id, Escalation.status == EscalationStatus.submitted)
        .order_by(Escalation.submitted_on, Escalation.id)
        .limit(SECTION_LIMIT)
    ).all()
    numbers = _case_numbers({row.case_id for row in rows})
    for row in rows:
        section.lines.append(
            WorkLine(
                f"사례 {numbers.get(row.case_id, '-')} · {row.urgency.label} · "
                f"{row.submitted_on:%Y-%m-%d} 접수",
                url_for("cases.escalation", escalation_id=row.id),
            )
        )
    return section


def _referrals(agency_id: int, today: date) -> WorkSection:
    section = WorkSection("referrals", _l("답하거나 결과를 알릴 의뢰"), url_for("referrals.index"))
    rows = db.session.scalars(
        sa.select(Referral)
        .where(Referral.receiving_agency_id == agency_id, Referral.status.in_(list(RECEIVER_ACTION)))
        .order_by(Referral.response_due_on.is_(None), Referral.response_due_on, Referral.id)
        .limit(SECTION_LIMIT)
    ).all()
    for referral in rows:
        service = referral.service.name if referral.service else "서비스"
        due = referral.response_due_on
        section.lines.append(
            WorkLine(
                f"{referral.sending_agency.name} → {service} · {referral.status.label}",
                url_for("referrals.detail", referral_id=referral.id),
                due,
                due is not None and due < today,
            )
        )
    return section


def _actions(agency_id: int, today: date) -> WorkSection:
    section = WorkSection("actions", _l("기한이 다가오거나 지난 실행과제"), url_for("conference.actions"))
    rows = db.session.scalars(
        sa.select(ActionItem)
        .where(
            ActionItem.owner_agency_id == agency_id,
            ActionItem.status.in_(UNFINISHED_ACTION_STATUSES),
            ActionItem.due_on <= today + timedelta(days=SOON_DAYS),
        )
        .order_by(ActionItem.due_on, ActionItem.id)
        .limit(SECTION_LIMIT)
    ).all()
    numbers = _case_numbers({row.case_id for row in rows if row.case_id is not None})
    for action in rows:
        # The action's text can hold case data: the line names the case number and the due date.
        subject = f"사례 {numbers[action.case_id]}" if action.case_id in numbers else "사례 없는 과제"
        section.lines.append(
            WorkLine(
                f"{subject}의 실행과제",
                url_for("conference.actions") + f"#action-{action.id}",
                action.due_on,
                action.due_on < today,
            )
        )
    return section


def _conferences(person: Person, agency_id: int, now: datetime) -> WorkSection:
    section = WorkSection("conferences", _l("준비하거나 서명할 통합사례회의"), url_for("conference.index"))
    invited = sa.select(ConferenceInvitation.conference_id).where(ConferenceInvitation.agency_id == agency_id)
    upcoming = db.session.scalars(
        sa.select(Conference)
        .where(
            sa.or_(Conference.id.in_(invited), Conference.host_agency_id == agency_id),
            Conference.status.in_([ConferenceStatus.scheduled, ConferenceStatus.live]),
            Conference.starts_at <= now + timedelta(days=PREPARE_DAYS),
        )
        .order_by(Conference.starts_at, Conference.id)
        .limit(SECTION_LIMIT)
    ).all()
    for conference in upcoming:
        live = conference.status == ConferenceStatus.live
        section.lines.append(
            WorkLine(
                f"{conference.title} · {'진행 중: 입장' if live else '회의 준비'}",
                url_for("conference.room" if live else "conference.plan", conference_id=conference.id),
                to_local(conference.starts_at).date(),
            )
        )
    to_sign = db.session.scalars(
        sa.select(Conference)
        .join(Attendance, Attendance.conference_id == Conference.id)
        .where(
            Attendance.person_id == person.id,
            Attendance.is_guest.is_(False),
            Attendance.signoff.is_(None),
            Conference.finalized_at.is_not(None),
            Conference.locked_at.is_(None),
        )
        .order_by(Conference.finalized_at)
        .limit(SECTION_LIMIT)
    ).all()
    for conference in to_sign:
        section.lines.append(
            WorkLine(
                f"{conference.title} · 회의록 서명 또는 이의",
                url_for("conference.room", conference_id=conference.id),
            )
        )
    return section


def _consents(person: Person, agency_id: int, today: date) -> WorkSection:
    # The dashboard lists them all; a role without a dashboard gets no "모두 보기" link.
    more = url_for("dashboards.home") if home_scope(person) is not None else ""
    section = WorkSection("consents", _l("만료가 다가온 동의"), more)
    revoked = sa.select(ConsentRevocation.consent_id).where(ConsentRevocation.grant_id.is_(None))
    rows = db.session.execute(
        sa.select(Consent.client_id, Consent.case_id, Consent.valid_until)
        .where(
            Consent.agency_id == agency_id,
            Consent.valid_until.between(today, today + timedelta(days=CONSENT_DAYS)),
            Consent.id.not_in(revoked),
        )
        .order_by(Consent.valid_until, Consent.id)
        .limit(SECTION_LIMIT)
    ).all()
    numbers = _case_numbers({row.case_id for row in rows if row.case_id is not None})
    for client_id, case_id, valid_until in rows:
        subject = f"사례 {numbers[case_id]}" if case_id in numbers else "대상자"
        section.lines.append(
            WorkLine(
                f"{subject} · 동의 만료 예정: 재동의 받기",
                url_for("consents.client_consents", client_id=client_id),
                valid_until,
            )
        )
    return section


def _stale(person: Person, agency_id: int, today: date) -> WorkSection:
    # A supervisor sees the agency's stale cases, a case worker the ones assigned to them.
    supervisor = StaffRole.supervisor in roles_for(person, agency_id)
    more = url_for("dashboards.home") if home_scope(person) is not None else ""
    section = WorkSection("stale", _l("종결 검토가 필요한 사례"), more)
    found = stale_cases(today, agency_id=agency_id, worker_id=None if supervisor else person.id)
    for stale in found[:SECTION_LIMIT]:
        section.lines.append(
            WorkLine(
                f"사례 {stale.number} · {stale.text}",
                url_for("cases.show_case", case_id=stale.case_id) + "#stale",
            )
        )
    return section


def _track_deadlines(person: Person, agency: Agency, today: date) -> WorkSection | None:
    """자활 track deadlines past due (지역자활센터): a supervisor sees the centre's, a worker their own."""
    if agency.type != AgencyType.self_sufficiency_centre:
        return None
    supervisor = StaffRole.supervisor in roles_for(person, agency.id)
    section = WorkSection("jahwal", _l("기한이 지난 자활 과정"), url_for("cases.caseload"))
    found = overdue_tracks(agency.id, today, worker_id=None if supervisor else person.id)
    for case, clock in found[:SECTION_LIMIT]:
        section.lines.append(
            WorkLine(
                f"사례 {case.number} · {clock.label}",
                url_for("cases.show_case", case_id=case.id) + "#jahwal",
                clock.due_on,
                True,
            )
        )
    return section


def _requests(agency_id: int, today: date) -> WorkSection:
    section = WorkSection("requests", _l("처리 기한이 있는 정보주체 요청"), url_for("consents.list_requests"))
    rows = db.session.scalars(
        sa.select(DataSubjectRequest)
        .where(DataSubjectRequest.agency_id == agency_id, DataSubjectRequest.status == RequestStatus.open)
        .order_by(DataSubjectRequest.due_on, DataSubjectRequest.id)
        .limit(SECTION_LIMIT)
    ).all()
    for item in rows:
        section.lines.append(
            WorkLine(
                f"{item.kind.label} 요청",
                url_for("consents.list_requests") + f"#request-{item.id}",
                item.due_on,
                item.due_on < today,
            )
        )
    return section


def my_work(person: Person, agency: Agency, *, today: date, now: datetime) -> list[WorkSection]:
    """Return the sections of work waiting for the person acting for ``agency`` (empty ones included)."""
    sections: list[WorkSection] = []
    escalations = _escalations(person, agency.id)
    if escalations is not None:
        sections.append(escalations)
    # Imported here: home.fund_work builds on this module's WorkSection (a top-level import is a cycle).
    from home.fund_work import fund_section

    funds = fund_section(person, agency)
    if funds is not None:
        sections.append(funds)
    if roles_for(person, agency.id):
        sections.extend(
            [
                _referrals(agency.id, today),
                _actions(agency.id, today),
                _conferences(person, agency.id, now),
                _consents(person, agency.id, today),
                _stale(person, agency.id, today),
            ]
        )
        track = _track_deadlines(person, agency, today)
        if track is not None:
            sections.append(track)
    if can_handle_requests(person, agency.id):
        sections.append(_requests(agency.id, today))
    return sections
