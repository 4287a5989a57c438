"""Ways into a referral: the cases one may refer from, and the referral list's order and pages (in SQL).

A referral is always written for a case (its main client is the one referred), so "새 의뢰" on the
list and "이 기관에 의뢰" in the directory first ask which case; only cases the person may refer from
(``access.can_refer_from_case``: a case worker or supervisor of the owning or lead agency, an open
case) are offered, so the form that follows can succeed.
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, aliased, selectinload

from agencies.access import active_memberships
from agencies.models import Person, StaffRole
from cases.models import Case, CaseStage
from hamkke.db import db
from hamkke.paging import Page, paginate
from referrals.models import Referral, ReferralStatus
from referrals.queries import RECEIVER_ACTION, SENDER_ACTION, Box

#: referrals per page of the list
PAGE_SIZE = 25
#: the orders the list offers, by their query-string value
Order = Literal["action", "due", "newest", "oldest"]
ORDERS: tuple[Order, ...] = ("action", "due", "newest", "oldest")
#: how many cases the picker lists (a worker's open caseload is far smaller)
PICKER_LIMIT = 300


def referrable_cases(person: Person) -> list[Case]:
    """Return the open cases the person may refer from, newest first."""
    agency_ids = [
        membership.agency_id
        for membership in active_memberships(person)
        if membership.role_set & {StaffRole.case_worker, StaffRole.supervisor}
    ]
    if not agency_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(
                sa.or_(Case.owning_agency_id.in_(agency_ids), Case.lead_agency_id.in_(agency_ids)),
                Case.is_deleted.is_(False),
                Case.stage.not_in([CaseStage.closed, CaseStage.not_selected]),
            )
            .order_by(Case.opened_on.desc(), Case.id.desc())
            .limit(PICKER_LIMIT)
        )
    )


def parse_order(raw: str | None) -> Order:
    """Return the list order asked for; the default puts what needs action first."""
    return next((order for order in ORDERS if order == raw), "action")


def _needs_action(box: Box) -> sa.ColumnElement[bool]:
    """The SQL twin of ``queries.needs_action``: the agency on the ``box`` side has something to do."""
    if box == "received":
        return Referral.status.in_(list(RECEIVER_ACTION))
    rerouted = aliased(Referral)
    # A refusal needs the sender's action until they re-route it.
    not_rerouted = ~sa.exists().where(rerouted.rerouted_from_id == Referral.id)
    return sa.or_(
        Referral.status.in_(list(SENDER_ACTION - {ReferralStatus.rejected})),
        sa.and_(Referral.status == ReferralStatus.rejected, not_rerouted),
    )


def _order_by(order: Order, box: Box) -> list[sa.ColumnElement[Any] | InstrumentedAttribute[Any]]:
    """Return the ORDER BY of each order, ending with the row id so every row has one place."""
    due_last = Referral.response_due_on.is_(None)
    orders: dict[Order, list[sa.ColumnElement[Any] | InstrumentedAttribute[Any]]] = {
        "action": [
            sa.case((_needs_action(box), 0), else_=1),
            due_last,
            Referral.response_due_on,
            Referral.id.desc(),
        ],
        "due": [due_last, Referral.response_due_on, Referral.id.desc()],
        "newest": [Referral.id.desc()],
        "oldest": [Referral.id.asc()],
    }
    return orders[order]


def referral_page(
    agency_id: int, box: Box, *, order: Order, status: ReferralStatus | None, page: int
) -> Page[Referral]:
    """Return one page of the agency's received or sent referrals, sorted and cut in SQL."""
    column = Referral.receiving_agency_id if box == "received" else Referral.sending_agency_id
    statement = (
        sa.select(Referral)
        .where(column == agency_id)
        .options(
            selectinload(Referral.sending_agency),
            selectinload(Referral.receiving_agency),
            selectinload(Referral.service),
        )
        .order_by(*_order_by(order, box))
    )
    if box == "received":
        # A draft is the sender's own until it is sent.
        statement = statement.where(Referral.status != ReferralStatus.draft)
    if status is not None:
        statement = statement.where(Referral.status == status)
    return paginate(statement, page=page, per_page=PAGE_SIZE)
