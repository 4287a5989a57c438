"""The agency dashboard's "action needed" lists: the agency's own work that is waiting or late.

These lists name clients, so names come only through the disclosure gate (one access-log row per
client shown); a client the gate withholds appears by case number only. Each list is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases import deadlines
from cases.models import Case, CaseStage, Client, CounsellingLog, ServicePlan, case_number
from cases.queries.staleness import stale_cases
from conference.models import UNFINISHED_ACTION_STATUSES, ActionItem
from consents.gate import view_clients
from consents.models import AccessChannel, Consent, ConsentRevocation
from hamkke.db import db
from referrals.models import AWAITING_RESPONSE, Referral

#: at most this many rows per list (the full lists live on the referrals and cases pages)
LIST_LIMIT = 50
#: consents ending within this many days are listed
CONSENT_WARNING_DAYS = 30
#: a contact due within this many days is listed as due
CONTACT_WARNING_DAYS = 3


@dataclass
class NeededItem:
    """One line of an action-needed list: no personal data except the gate-checked ``subject``."""

    case_id: int | None
    case_number: str
    detail: str
    due_on: date | None
    overdue: bool
    client_id: int | None = None
    #: the client's name as the gate allowed it, else "대상자 #<id>"
    subject: str = ""
    #: where to act: ``referral``, ``case``, ``consent``, or ``stale`` (a case whose closure review
    #: starts with one click)
    target: str = "case"
    target_id: int | None = None


@dataclass
class ActionNeeded:
    """The five lists of the agency dashboard, first on the page."""

    referrals: list[NeededItem] = field(default_factory=list)
    actions: list[NeededItem] = field(default_factory=list)
    monitoring: list[NeededItem] = field(default_factory=list)
    consents: list[NeededItem] = field(default_factory=list)
    #: cases stale for refusal, lost contact or an ended plan: a closure review is due
    stale: list[NeededItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Count every item waiting."""
        return len(self.all_items())

    def all_items(self) -> list[NeededItem]:
        """Every item of the five lists."""
        return [*self.referrals, *self.actions, *self.monitoring, *self.consents, *self.stale]


def _numbers(case_ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(sa.select(Case.id, Case.opened_on).where(Case.id.in_(case_ids))).tuples().all()
    return {case_id: case_number(opened, case_id) for case_id, opened in rows}


def action_needed(agency: Agency, person: Person, *, today: date) -> ActionNeeded:
    """Collect the agency's waiting referrals, late actions, due contacts and reviews, ending consents."""
    needed = ActionNeeded()
    for referral in db.session.scalars(
        sa.select(Referral)
        .where(Referral.receiving_agency_id == agency.id, Referral.status.in_(AWAITING_RESPONSE))
        .order_by(Referral.response_due_on.is_(None), Referral.response_due_on, Referral.id)
        .limit(LIST_LIMIT)
    ):
        due = referral.response_due_on
        needed.referrals.append(
            NeededItem(
                referral.case_id,
                "",
                f"{referral.sending_agency.name} → {referral.service.name if referral.service else '서비스'}",
                due,
                due is not None and due < today,
                client_id=referral.client_id,
                target="referral",
                target_id=referral.id,
            )
        )
    for action in db.session.scalars(
        sa.select(ActionItem)
        .where(
            ActionItem.owner_agency_id == agency.id,
            ActionItem.status.in_(UNFINISHED_ACTION_STATUSES),
            ActionItem.due_on < today,
        )
        .order_by(ActionItem.due_on, ActionItem.id)
        .limit(LIST_LIMIT)
    ):
        text = action.text if len(action.text) <= 60 else action.text[:59] + "…"
        needed.actions.append(NeededItem(action.case_id, "", text, action.due_on, True, target="case"))
    _monitoring(agency, today, needed)
    _consents(agency, today, needed)
    _stale(agency, today, needed)
    _label(needed, person, agency)
    return needed


def _monitoring(agency: Agency, today: date, needed: ActionNeeded) -> None:
    """Own delivery cases whose next contact is due (cadence by intensity) or whose plan period ended."""
    own = sa.or_(Case.owning_agency_id == agency.id, Case.lead_agency_id == agency.id)
    last_contact = (
        sa.select(CounsellingLog.case_id, sa.func.max(CounsellingLog.contacted_on).label("last"))
        .group_by(CounsellingLog.case_id)
        .subquery()
    )
    horizon = (
        sa.select(ServicePlan.case_id, sa.func.max(ServicePlan.horizon_months).label("months"))
        .where(ServicePlan.agreed_on.is_not(None))
        .group_by(ServicePlan.case_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Case.id,
            Case.intensity,
            Case.opened_on,
            Case.plan_agreed_on,
            last_contact.c.last,
            horizon.c.months,
        )
        .outerjoin(last_contact, last_contact.c.case_id == Case.id)
        .outerjoin(horizon, horizon.c.case_id == Case.id)
        .where(own, Case.is_deleted.is_(False), Case.stage == CaseStage.delivery)
        .order_by(Case.id)
    ).all()
    items: list[NeededItem] = []
    for case_id, intensity, opened_on, plan_on, last, months in rows:
        contact_due = deadlines.next_contact_due(intensity, last, opened_on)
        if contact_due <= today + timedelta(days=CONTACT_WARNING_DAYS):
            items.append(
                NeededItem(
                    case_id,
                    "",
                    f"{intensity.label} 사례 점검(모니터링) 예정",
                    contact_due,
                    contact_due < today,
                )
            )
        if plan_on is not None and months:
            review_due = deadlines.add_period(plan_on, int(months), "months")
            if review_due <= today + timedelta(days=CONSENT_WARNING_DAYS):
                items.append(
                    NeededItem(
                        case_id, "", "계획 기간 종료: 재사정·계획 재수립", review_due, review_due < today
                    )
                )
    items.sort(key=lambda item: (item.due_on or today, item.case_id or 0))
    needed.monitoring = items[:LIST_LIMIT]


def _stale(agency: Agency, today: date, needed: ActionNeeded) -> None:
    """Own cases stale for 3 months of refusal or lost contact, or an ended plan (oldest first)."""
    for stale in stale_cases(today, agency_id=agency.id)[:LIST_LIMIT]:
        needed.stale.append(
            NeededItem(
                stale.case_id,
                "",
                stale.text,
                None,
                True,
                target="stale" if stale.can_start_review else "case",
                target_id=stale.case_id,
            )
        )


def _consents(agency: Agency, today: date, needed: ActionNeeded) -> None:
    """Consents the agency collected that end within the warning window and are not withdrawn."""
    revoked = sa.select(ConsentRevocation.consent_id).where(ConsentRevocation.grant_id.is_(None))
    rows = db.session.execute(
        sa.select(Consent.id, Consent.client_id, Consent.case_id, Consent.valid_until)
        .where(
            Consent.agency_id == agency.id,
            Consent.valid_until.between(today, today + timedelta(days=CONSENT_WARNING_DAYS)),
            Consent.id.not_in(revoked),
        )
        .order_by(Consent.valid_until, Consent.id)
        .limit(LIST_LIMIT)
    ).all()
    for consent_id, client_id, case_id, valid_until in rows:
        needed.consents.append(
            NeededItem(
                case_id,
                "",
                "동의 유효기간 만료 예정: 재동의 필요",
                valid_until,
                False,
                client_id=client_id,
                target="consent",
                target_id=consent_id,
            )
        )


def _label(needed: ActionNeeded, person: Person, agency: Agency) -> None:
    """Fill case numbers, and client names through the gate (each disclosure is logged)."""
    items = needed.all_items()
    case_ids = {item.case_id for item in items if item.case_id is not None}
    numbers = _numbers(case_ids)
    main_clients: dict[int, int] = dict(
        db.session.execute(sa.select(Case.id, Case.main_client_id).where(Case.id.in_(case_ids)))
        .tuples()
        .all()
    )
    for item in items:
        if item.case_id is not None:
            item.case_number = numbers.get(item.case_id, "")
            if item.client_id is None:
                item.client_id = main_clients.get(item.case_id)
    client_ids = sorted({item.client_id for item in items if item.client_id is not None})
    clients = db.session.scalars(sa.select(Client).where(Client.id.in_(client_ids))).all()
    views = view_clients(
        clients,
        person,
        purpose="case_management",
        acting_agency_id=agency.id,
        channel=AccessChannel.page,
        reason="대시보드 조치 필요 목록",
    )
    names = {view.client_id: view.name for view in views}
    for item in items:
        if item.client_id is not None:
            # A name the gate withheld is not replaced by the row id: the case number already names it.
            item.subject = names.get(item.client_id, "이름 비공개 대상자")
