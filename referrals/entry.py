"""Ways into a referral from anywhere: the cases one may refer from, and the referral list's order and pages.

A referral is always written for a case (its main client is the one referred), so "새 의뢰" on the
list and "이 기관에 의뢰" in the directory first ask which case; only cases the person may refer from
(``access.can_refer_from_case``: a case worker or supervisor of the owning or lead agency, an open
case) are offered, so the form that follows can succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import sqlalchemy as sa

from agencies.access import active_memberships
from agencies.models import Person, StaffRole
from cases.models import Case, CaseStage
from hamkke.db import db
from referrals.models import Referral

#: referrals per page of the list
PAGE_SIZE = 25
#: the orders the list offers, by their query-string value
Order = Literal["action", "due", "newest", "oldest"]
ORDERS: tuple[Order, ...] = ("action", "due", "newest", "oldest")
#: how many cases the picker lists (a worker's open caseload is far smaller)
PICKER_LIMIT = 300
_FAR_FUTURE = date(9999, 12, 31)


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


@dataclass(frozen=True)
class ReferralPage:
    """One page of the referral list."""

    items: list[Referral]
    page: int
    pages: int
    total: int


def paginate(
    referrals: Sequence[Referral], *, order: Order, page: int, needs_action: Callable[[Referral], bool]
) -> ReferralPage:
    """Sort the agency's referrals by ``order`` and return page ``page`` (clamped to the last page)."""
    keys: dict[Order, Callable[[Referral], tuple[object, ...]]] = {
        "action": lambda r: (not needs_action(r), r.response_due_on or _FAR_FUTURE, -r.id),
        "due": lambda r: (r.response_due_on or _FAR_FUTURE, -r.id),
        "newest": lambda r: (-r.id,),
        "oldest": lambda r: (r.id,),
    }
    ordered = sorted(referrals, key=keys[order])
    pages = max(1, -(-len(ordered) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PAGE_SIZE
    return ReferralPage(items=ordered[start : start + PAGE_SIZE], page=page, pages=pages, total=len(ordered))
