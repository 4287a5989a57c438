"""The agency dashboard's "action needed" lists: the agency's own work that is waiting or late.

These lists name clients, so names come only through the disclosure gate (one access-log row per
client shown); a client the gate withholds appears by case number only. The dashboard shows the first
rows of each list and its size; each list's own page shows all of it, paged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases import deadlines
from cases.models import Case, CaseStage, Client, CounsellingLog, ServicePlan, case_number
from cases.queries.staleness import stale_cases
from conference.models import UNFINISHED_ACTION_STATUSES, ActionItem
from consents.gate import view_clients
from consents.models import AccessChannel, Consent, ConsentRevocation
from hamkke.db import db
from hamkke.paging import Page, clamp, paginate
from referrals.models import AWAITING_RESPONSE, Referral

#: rows of each list on the dashboard itself; the whole list is one click away, paged
PREVIEW = 10
#: rows per page of a list's own pages
PAGE_SIZE = 25
#: the lists, by the key of their own page
NEEDED_LISTS = ("referrals", "actions", "monitoring", "consents", "stale")
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
    #: the client's name as the gate allowed it, else "이름 비공개 대상자"
    subject: str = ""
    #: where to act: ``referral``, ``case``, ``consent``, or ``stale`` (a case whose closure review
    #: starts with one click)
    target: str = "case"
    target_id: int | None = None


@dataclass
class ActionNeeded:
    """The five lists of the agency dashboard, first on the page: the first rows of each and its size."""

    referrals: list[NeededItem] = field(default_factory=list)
    actions: list[NeededItem] = field(default_factory=list)
    monitoring: list[NeededItem] = field(default_factory=list)
    consents: list[NeededItem] = field(default_factory=list)
    #: cases stale for refusal, lost contact or an ended plan: a closure review is due
    stale: list[NeededItem] = field(default_factory=list)
    #: how many items each list holds in all (its own page lists them all)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Count every item waiting."""
        return sum(self.totals.values())

    def all_items(self) -> list[NeededItem]:
        """Every item shown of the five lists."""
        return [*self.referrals, *self.actions, *self.monitoring, *self.consents, *self.stale]


@dataclass(frozen=True)
class NeededFilters:
    """How a list's own page orders and narrows it: by due date either way, overdue items only."""

    latest_first: bool = False
    overdue_only: bool = False


def _numbers(case_ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(sa.select(Case.id, Case.opened_on).where(Case.id.in_(case_ids))).tuples().all()
    return {case_id: case_number(opened, case_id) for case_id, opened in rows}


def _ordered(statement: sa.Select[Any], columns: list[Any], filters: NeededFilters) -> sa.Select[Any]:
    """Order by the due columns (then the row id, so each row has one place), either way."""
    return statement.order_by(*(column.desc() if filters.latest_first else column for column in columns))


def _referrals(agency: Agency, today: date, filters: NeededFilters) -> sa.Select[Any]:
    """Referrals the agency received and has not answered, by response deadline."""
    statement = sa.select(Referral).where(
        Referral.receiving_agency_id == agency.id, Referral.status.in_(AWAITING_RESPONSE)
    )
    if filters.overdue_only:
        statement = statement.where(Referral.response_due_on < today)
    columns = [Referral.response_due_on.is_(None), Referral.response_due_on, Referral.id]
    return _ordered(statement, columns, filters)


def _referral_item(referral: Referral, today: date) -> NeededItem:
    due = referral.response_due_on
    return NeededItem(
        referral.case_id,
        "",
        f"{referral.sending_agency.name} → {referral.service.name if referral.service else '서비스'}",
        due,
        due is not None and due < today,
        client_id=referral.client_id,
        target="referral",
        target_id=referral.id,
    )


def _actions(agency: Agency, today: date, filters: NeededFilters) -> sa.Select[Any]:
    """Conference actions the agency owns that are past due and unfinished (all of them overdue)."""
    statement = sa.select(ActionItem).where(
        ActionItem.owner_agency_id == agency.id,
        ActionItem.status.in_(UNFINISHED_ACTION_STATUSES),
        ActionItem.due_on < today,
    )
    return _ordered(statement, [ActionItem.due_on, ActionItem.id], filters)


def _action_item(action: ActionItem) -> NeededItem:
    text = action.text if len(action.text) <= 60 else action.text[:59] + "…"
    return NeededItem(action.case_id, "", text, action.due_on, True, target="case")


def _consents(agency: Agency, today: date, filters: NeededFilters) -> sa.Select[Any]:
    """Consents the agency collected that end within the warning window and are not withdrawn."""
    revoked = sa.select(ConsentRevocation.consent_id).where(ConsentRevocation.grant_id.is_(None))
    statement = sa.select(Consent.id, Consent.client_id, Consent.case_id, Consent.valid_until).where(
        Consent.agency_id == agency.id,
        Consent.valid_until.between(today, today + timedelta(days=CONSENT_WARNING_DAYS)),
        Consent.id.not_in(revoked),
    )
    if filters.overdue_only:
        # Still valid by definition: an ending consent is never overdue.
        statement = statement.where(sa.false())
    return _ordered(statement, [Consent.valid_until, Consent.id], filters)


def _consent_item(row: Any) -> NeededItem:
    consent_id, client_id, case_id, valid_until = row
    return NeededItem(
        case_id,
        "",
        "동의 유효기간 만료 예정: 재동의 필요",
        valid_until,
        False,
        client_id=client_id,
        target="consent",
        target_id=consent_id,
    )


def needed_list(
    agency: Agency, key: str, today: date, *, page: int, per_page: int, filters: NeededFilters | None = None
) -> Page[NeededItem]:
    """Return one page of one action-needed list (unnamed: :func:`name_clients` adds the names)."""
    filters = filters or NeededFilters()
    if key in ("monitoring", "stale"):
        # Due contacts and staleness are computed per case (clocks, episodes), not stored in a column:
        # the page is cut from the computed list (as the caseload's overdue view does).
        computed = _monitoring(agency, today) if key == "monitoring" else _stale(agency, today)
        items = [item for item in computed if item.overdue or not filters.overdue_only]
        if filters.latest_first:
            items.reverse()
        page = clamp(page, len(items), per_page)
        return Page(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)
    if key == "referrals":
        return paginate(
            _referrals(agency, today, filters),
            page=page,
            per_page=per_page,
            fetch=lambda limited: [_referral_item(r, today) for r in db.session.scalars(limited)],
        )
    if key == "actions":
        return paginate(
            _actions(agency, today, filters),
            page=page,
            per_page=per_page,
            fetch=lambda limited: [_action_item(action) for action in db.session.scalars(limited)],
        )
    return paginate(
        _consents(agency, today, filters),
        page=page,
        per_page=per_page,
        fetch=lambda limited: [_consent_item(row) for row in db.session.execute(limited)],
    )


def action_needed(agency: Agency, person: Person, *, today: date) -> ActionNeeded:
    """Collect the first rows and the size of each action-needed list (names through the gate)."""
    needed = ActionNeeded()
    for key in NEEDED_LISTS:
        listing = needed_list(agency, key, today, page=1, per_page=PREVIEW)
        setattr(needed, key, listing.items)
        needed.totals[key] = listing.total
    name_clients(needed.all_items(), person, agency)
    return needed


def _stale(agency: Agency, today: date) -> list[NeededItem]:
    """Own cases stale for 3 months of refusal or lost contact, or an ended plan (oldest first)."""
    return [
        NeededItem(
            stale.case_id,
            "",
            stale.text,
            None,
            True,
            target="stale" if stale.can_start_review else "case",
            target_id=stale.case_id,
        )
        for stale in stale_cases(today, agency_id=agency.id)
    ]


def _monitoring(agency: Agency, today: date) -> list[NeededItem]:
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
    return items


def name_clients(items: list[NeededItem], person: Person, agency: Agency) -> None:
    """Fill case numbers, and client names through the gate (each disclosure is logged)."""
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
