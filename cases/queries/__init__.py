"""Reads of the cases domain: caseload lists and counts with non-personal facts only.

Lists return IDs, stages, dates and clocks; a name appears only where the page asks the consent
gate for it, so another agency's list never carries personal data. The case page's facts are
built in `cases.queries.case_page`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agencies.models import Agency, AgencyType, District, Dong
from cases import deadlines
from cases.models import (
    Case,
    CaseIntensity,
    CaseStage,
    CaseType,
    CounsellingLog,
    Escalation,
    EscalationStatus,
)
from hamkke.db import db
from hamkke.paging import Page, clamp, paginate


@dataclass(frozen=True)
class Caseload:
    """A case worker's open cases, and whether the intensive ones pass the limit of 20."""

    total: int
    intensive: int

    @property
    def over_limit(self) -> bool:
        """Tell whether the worker carries more intensive cases than seed 000's 20."""
        return self.intensive > deadlines.INTENSIVE_CASELOAD_LIMIT


def caseload_of(worker_id: int) -> Caseload:
    """Count a case worker's open cases and the intensive (집중 or 위기) ones among them."""
    open_stages = [stage for stage in CaseStage if stage.is_open]
    rows = db.session.execute(
        sa.select(Case.intensity, sa.func.count())
        .where(Case.case_worker_id == worker_id, Case.stage.in_(open_stages), Case.is_deleted.is_(False))
        .group_by(Case.intensity)
    ).all()
    counts = {intensity: int(count) for intensity, count in rows}
    return Caseload(
        total=sum(counts.values()),
        intensive=counts.get(CaseIntensity.intensive, 0) + counts.get(CaseIntensity.crisis, 0),
    )


@dataclass(frozen=True)
class CaseFilters:
    """Caseload filters."""

    stage: CaseStage | None = None
    case_type: CaseType | None = None
    intensity: CaseIntensity | None = None
    dong_id: int | None = None
    agency_id: int | None = None
    overdue_only: bool = False
    #: without a stage filter, closed and 미선정 cases are listed only when asked for
    include_closed: bool = False


@dataclass(frozen=True)
class CaseFacts:
    """The non-personal facts of a case that any list may carry (IDs, stage, classification, dates)."""

    id: int
    number: str
    stage: CaseStage
    case_type: CaseType
    intensity: CaseIntensity
    opened_on: date
    closed_on: date | None
    dong_id: int | None
    owning_agency_id: int
    lead_agency_id: int | None
    case_worker_id: int | None

    @classmethod
    def of(cls, case: Case) -> CaseFacts:
        """Copy the facts out of a case row."""
        return cls(
            case.id,
            case.number,
            case.stage,
            case.case_type,
            case.intensity,
            case.opened_on,
            case.closed_on,
            case.dong_id,
            case.owning_agency_id,
            case.lead_agency_id,
            case.case_worker_id,
        )


@dataclass(frozen=True)
class CaseRow:
    """One line of a caseload: facts only, no personal data."""

    case: CaseFacts
    clocks: list[deadlines.Clock]
    overdue: bool
    next_contact_on: date | None
    escalation_status: EscalationStatus | None


def profile_of(agency: Agency) -> dict[str, tuple[int, str]]:
    """Return the deadline profile for cases owned by ``agency`` (its district's settings)."""
    district = db.session.get(District, agency.district_id)
    return deadlines.profile_for(
        district.settings if district else None,
        self_sufficiency=agency.type == AgencyType.self_sufficiency_centre,
    )


def last_contacts(case_ids: list[int]) -> dict[int, date]:
    """Return each case's latest counselling-log date."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        sa.select(CounsellingLog.case_id, sa.func.max(CounsellingLog.contacted_on))
        .where(CounsellingLog.case_id.in_(case_ids))
        .group_by(CounsellingLog.case_id)
    ).all()
    return {int(case_id): day for case_id, day in rows if day is not None}


def query_visible_cases(agency_id: int, *, person_id: int, coordinator: bool) -> sa.Select[tuple[Case]]:
    """Return the cases an agency's staff list: owned or led by it, or assigned to the person.

    A coordinator of a district team also lists the cases escalated to it (not returned).
    """
    condition = sa.or_(
        Case.owning_agency_id == agency_id, Case.lead_agency_id == agency_id, Case.case_worker_id == person_id
    )
    if coordinator:
        escalated = sa.select(Escalation.case_id).where(
            Escalation.to_agency_id == agency_id, Escalation.status != EscalationStatus.returned
        )
        condition = sa.or_(condition, Case.id.in_(escalated))
    return (
        sa.select(Case)
        .where(condition, Case.is_deleted.is_(False))
        .order_by(Case.opened_on.desc(), Case.id.desc())
    )


#: rows per caseload page
CASELOAD_PAGE_SIZE = 50


def _caseload_rows(cases: list[Case], filters: CaseFilters, today: date) -> list[CaseRow]:
    contacts = last_contacts([case.id for case in cases])
    escalations: dict[int, EscalationStatus] = {}
    if cases:
        for case_id, status in db.session.execute(
            sa.select(Escalation.case_id, Escalation.status)
            .where(Escalation.case_id.in_([case.id for case in cases]))
            .order_by(Escalation.id)
        ):
            escalations[case_id] = status  # ordered by id: the latest escalation wins
    profiles: dict[int, dict[str, tuple[int, str]]] = {}
    rows: list[CaseRow] = []
    for case in cases:
        if case.owning_agency_id not in profiles:
            owner = db.session.get(Agency, case.owning_agency_id)
            profiles[case.owning_agency_id] = profile_of(owner) if owner else deadlines.DEFAULT_PROFILE
        clocks = deadlines.case_clocks(case, profiles[case.owning_agency_id], today)
        overdue = deadlines.is_overdue(clocks)
        if filters.overdue_only and not overdue:
            continue
        next_contact = (
            deadlines.next_contact_due(case.intensity, contacts.get(case.id), case.opened_on)
            if case.stage in {CaseStage.delivery, CaseStage.follow_up}
            else None
        )
        rows.append(CaseRow(CaseFacts.of(case), clocks, overdue, next_contact, escalations.get(case.id)))
    return rows


def list_caseload(
    agency: Agency,
    *,
    person_id: int,
    coordinator: bool,
    filters: CaseFilters,
    today: date,
    page: int = 1,
    per_page: int | None = None,
) -> Page[CaseRow]:
    """Return one page of the acting agency's filtered caseload with clocks and the next contact due.

    Open cases only unless a stage is chosen or closed ones are asked for; a page past the end shows
    the last page.
    """
    select = query_visible_cases(agency.id, person_id=person_id, coordinator=coordinator)
    if filters.stage is not None:
        select = select.where(Case.stage == filters.stage)
    elif not filters.include_closed:
        select = select.where(Case.stage.in_([stage for stage in CaseStage if stage.is_open]))
    if filters.case_type is not None:
        select = select.where(Case.case_type == filters.case_type)
    if filters.intensity is not None:
        select = select.where(Case.intensity == filters.intensity)
    if filters.dong_id is not None:
        select = select.where(Case.dong_id == filters.dong_id)
    if filters.agency_id is not None:
        select = select.where(Case.owning_agency_id == filters.agency_id)
    per_page = per_page or CASELOAD_PAGE_SIZE
    if filters.overdue_only:
        # Overdue is a clock computed from each case's dates and its district's profile, not a column:
        # the matching cases are all clocked, and the page is cut from the overdue ones.
        rows = _caseload_rows(list(db.session.scalars(select)), filters, today)
        page = clamp(page, len(rows), per_page)
        return Page(rows[(page - 1) * per_page : page * per_page], len(rows), page, per_page)
    return paginate(
        select,
        page=page,
        per_page=per_page,
        fetch=lambda limited: _caseload_rows(list(db.session.scalars(limited)), filters, today),
    )


def list_escalations(agency_id: int, *, incoming: bool) -> list[Escalation]:
    """Return escalations sent by (or, for a district team, sent to) an agency, newest first."""
    column = Escalation.to_agency_id if incoming else Escalation.from_agency_id
    return list(
        db.session.scalars(
            sa.select(Escalation)
            .where(column == agency_id)
            .order_by(Escalation.submitted_on.desc(), Escalation.id.desc())
        )
    )


def cases_awaiting_judgment(agency_id: int) -> list[Case]:
    """Return the dong's cases in 선정 without an escalation under review (for the 내부판정회의)."""
    under_review = sa.select(Escalation.case_id).where(Escalation.status == EscalationStatus.submitted)
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(
                Case.owning_agency_id == agency_id,
                Case.stage == CaseStage.selection,
                Case.is_deleted.is_(False),
                Case.id.not_in(under_review),
            )
            .order_by(Case.id)
        )
    )


@dataclass(frozen=True)
class AcceptedEscalation:
    """Non-personal facts of an accepted escalation, for a conference's draft agenda."""

    escalation_id: int
    case_id: int
    from_agency_id: int
    case_worker_id: int | None
    urgency: str
    placement: str


def accepted_escalations(
    district_id: int, *, placement: str, region_id: int | None = None
) -> list[AcceptedEscalation]:
    """Return accepted escalations of a district placed on a conference type (optionally one 권역's dongs)."""
    query = (
        sa.select(Escalation, Case.case_worker_id)
        .join(Case, Case.id == Escalation.case_id)
        .join(Agency, Agency.id == Escalation.to_agency_id)
        .where(
            Agency.district_id == district_id,
            Escalation.status == EscalationStatus.accepted,
            Escalation.placement == placement,
            Case.is_deleted.is_(False),
        )
    )
    if region_id is not None:
        query = query.join(Dong, Dong.id == Case.dong_id).where(Dong.region_id == region_id)
    return [
        AcceptedEscalation(
            escalation_id=escalation.id,
            case_id=escalation.case_id,
            from_agency_id=escalation.from_agency_id,
            case_worker_id=case_worker_id,
            urgency=str(escalation.urgency),
            placement=str(escalation.placement),
        )
        for escalation, case_worker_id in db.session.execute(query.order_by(Escalation.id)).all()
    ]
