"""Reads of the case fund: what a household and a dong still have, the queues, the quarterly settlement.

Every figure is in integer won. A request holds its amount (what was paid, once spent) against the
household's cap and the dong's 사업비 from the moment it is asked for until it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from agencies.models import District, Dong, Region
from funds.models import (
    CAP_SETTING,
    DEFAULT_HOUSEHOLD_CAP,
    HOLDING_STATUSES,
    FundBudget,
    FundPurpose,
    FundRequest,
    FundRequestStatus,
)
from hamkke.db import db
from hamkke.paging import Page, paginate

#: what a request holds: the paid amount once spent, else the asked total
_HELD = sa.func.coalesce(FundRequest.spent_amount, FundRequest.total)


def household_cap(district: District) -> int:
    """Return the district's per-household yearly cap in won (₩500,000 unless the coordinator set one)."""
    value = (district.settings or {}).get(CAP_SETTING)
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_HOUSEHOLD_CAP


def household_held(household_id: int, fiscal_year: int) -> int:
    """Return what the household's requests of the year hold: approved, pending and spent."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(_HELD), 0)).where(
            FundRequest.household_id == household_id,
            FundRequest.fiscal_year == fiscal_year,
            FundRequest.status.in_(HOLDING_STATUSES),
        )
    )
    return int(total or 0)


def dong_budget(district_id: int, dong_id: int, fiscal_year: int) -> FundBudget | None:
    """Return the dong's budget of the year, if the coordinator set one."""
    return db.session.scalars(
        sa.select(FundBudget).where(
            FundBudget.district_id == district_id,
            FundBudget.dong_id == dong_id,
            FundBudget.fiscal_year == fiscal_year,
        )
    ).first()


def dong_held(dong_id: int, fiscal_year: int) -> int:
    """Return what the dong's requests of the year hold against its 사업비."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(_HELD), 0)).where(
            FundRequest.dong_id == dong_id,
            FundRequest.fiscal_year == fiscal_year,
            FundRequest.status.in_(HOLDING_STATUSES),
        )
    )
    return int(total or 0)


def budgets_of(district_id: int, fiscal_year: int) -> list[FundBudget]:
    """Return the district's budgets of the year: its own line first, then the dongs in 권역 order."""
    return list(
        db.session.scalars(
            sa.select(FundBudget)
            .outerjoin(Dong, Dong.id == FundBudget.dong_id)
            .outerjoin(Region, Region.id == Dong.region_id)
            .where(FundBudget.district_id == district_id, FundBudget.fiscal_year == fiscal_year)
            .order_by(FundBudget.dong_id.is_not(None), Region.position, Dong.position, FundBudget.id)
        )
    )


def requests_page(
    *,
    district_id: int,
    agency_id: int | None,
    statuses: frozenset[FundRequestStatus] | None,
    page: int,
    per_page: int = 25,
) -> Page[FundRequest]:
    """Page through the requests of a district (or one dong centre), newest first."""
    statement = sa.select(FundRequest).where(FundRequest.district_id == district_id)
    if agency_id is not None:
        statement = statement.where(FundRequest.agency_id == agency_id)
    if statuses:
        statement = statement.where(FundRequest.status.in_(statuses))
    return paginate(statement.order_by(FundRequest.id.desc()), page=page, per_page=per_page)


def requests_of_case(case_id: int) -> list[FundRequest]:
    """Return a case's requests, newest first."""
    return list(
        db.session.scalars(
            sa.select(FundRequest).where(FundRequest.case_id == case_id).order_by(FundRequest.id.desc())
        )
    )


def awaiting_decision(*, dong_agency_ids: set[int], district_ids: set[int]) -> list[FundRequest]:
    """Return the requests waiting for this person: 동 결재 of their centres, 구 결재 of their districts."""
    clauses = []
    if dong_agency_ids:
        clauses.append(
            sa.and_(
                FundRequest.agency_id.in_(dong_agency_ids),
                FundRequest.status == FundRequestStatus.requested,
            )
        )
    if district_ids:
        clauses.append(
            sa.and_(
                FundRequest.district_id.in_(district_ids),
                FundRequest.status == FundRequestStatus.dong_approved,
            )
        )
    if not clauses:
        return []
    return list(db.session.scalars(sa.select(FundRequest).where(sa.or_(*clauses)).order_by(FundRequest.id)))


# --- the quarterly settlement --------------------------------------------------------------------


def quarter_bounds(fiscal_year: int, quarter: int) -> tuple[date, date]:
    """Return the first and last local day of a quarter."""
    first = date(fiscal_year, 3 * (quarter - 1) + 1, 1)
    last = date(fiscal_year + 1, 1, 1) if quarter == 4 else date(fiscal_year, 3 * quarter + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def granted_by(project_amount: int, quarter: int) -> int:
    """Return the 사업비 granted (교부) up to the quarter: a quarter each, the remainder with the fourth."""
    return project_amount if quarter >= 4 else project_amount * quarter // 4


@dataclass
class SettlementRow:
    """One dong's line of the settlement (or the 합계 line)."""

    name: str
    budget: int = 0
    granted: int = 0
    by_purpose: dict[FundPurpose, int] = field(default_factory=lambda: dict.fromkeys(FundPurpose, 0))
    spent_quarter: int = 0
    spent_to_date: int = 0
    households: int = 0

    @property
    def remaining(self) -> int:
        """Budget left after everything spent up to the quarter's end."""
        return self.budget - self.spent_to_date


@dataclass
class Settlement:
    """분기 정산: per dong budget, 교부, spent per purpose, households helped, remaining, and the 합계."""

    district_name: str
    fiscal_year: int
    quarter: int
    start: date
    end: date
    #: one line per dong, in 권역 order
    lines: list[SettlementRow]
    total: SettlementRow


def _spent(condition: Any, start: date, end: date) -> list[tuple[int, FundPurpose, int, int]]:
    """(dong, purpose, households, amount) spent in the interval, for the dongs the condition keeps."""
    rows = db.session.execute(
        sa.select(
            FundRequest.dong_id,
            FundRequest.purpose,
            sa.func.count(sa.distinct(FundRequest.household_id)),
            sa.func.coalesce(sa.func.sum(FundRequest.spent_amount), 0),
        )
        .where(
            condition,
            FundRequest.status == FundRequestStatus.spent,
            FundRequest.spent_on >= start,
            FundRequest.spent_on <= end,
        )
        .group_by(FundRequest.dong_id, FundRequest.purpose)
    ).all()
    return [(int(r[0]), FundPurpose(r[1]), int(r[2]), int(r[3])) for r in rows]


def _households(condition: Any, start: date, end: date) -> dict[int | None, int]:
    """Distinct households paid in the interval, per dong and (key None) over all the dongs."""
    base = sa.select(FundRequest.dong_id, FundRequest.household_id).where(
        condition,
        FundRequest.status == FundRequestStatus.spent,
        FundRequest.spent_on >= start,
        FundRequest.spent_on <= end,
    )
    per_dong: dict[int | None, set[int]] = {}
    for dong_id, household_id in db.session.execute(base).tuples():
        per_dong.setdefault(int(dong_id), set()).add(int(household_id))
        per_dong.setdefault(None, set()).add(int(household_id))
    return {key: len(value) for key, value in per_dong.items()}


def settlement(
    district: District, fiscal_year: int, quarter: int, *, dong_id: int | None = None
) -> Settlement:
    """Compute the quarter's settlement of the district (every dong) or of one dong."""
    start, end = quarter_bounds(fiscal_year, quarter)
    dongs = [dong for dong in district.dongs if dong_id is None or dong.id == dong_id]
    ordered = sorted(dongs, key=lambda dong: (dong.region.position, dong.position))
    condition = FundRequest.district_id == district.id
    if dong_id is not None:
        condition = sa.and_(condition, FundRequest.dong_id == dong_id)
    budgets = {budget.dong_id: budget for budget in budgets_of(district.id, fiscal_year)}
    rows = {dong.id: SettlementRow(dong.name) for dong in ordered}
    for dong in ordered:
        budget = budgets.get(dong.id)
        if budget is not None:
            rows[dong.id].budget = budget.project_amount
            rows[dong.id].granted = granted_by(budget.project_amount, quarter)
    for spent_dong, purpose, _count, amount in _spent(condition, start, end):
        if spent_dong in rows:
            rows[spent_dong].by_purpose[purpose] += amount
            rows[spent_dong].spent_quarter += amount
    for spent_dong, _purpose, _count, amount in _spent(condition, date(fiscal_year, 1, 1), end):
        if spent_dong in rows:
            rows[spent_dong].spent_to_date += amount
    households = _households(condition, start, end)
    for dong_key, row in rows.items():
        row.households = households.get(dong_key, 0)
    total = SettlementRow("합계")
    for row in rows.values():
        total.budget += row.budget
        total.granted += row.granted
        total.spent_quarter += row.spent_quarter
        total.spent_to_date += row.spent_to_date
        for purpose, amount in row.by_purpose.items():
            total.by_purpose[purpose] += amount
    total.households = households.get(None, 0)
    return Settlement(district.name, fiscal_year, quarter, start, end, list(rows.values()), total)


@dataclass(frozen=True)
class FundPanel:
    """The dashboard's figures of a district or a dong for one quarter."""

    budget: int
    held: int
    spent_quarter: int
    households_quarter: int
    pending: int

    @property
    def used_percent(self) -> float | None:
        """Share of the 사업비 held by requests (approved, pending, spent), in percent."""
        return None if self.budget == 0 else round(100 * self.held / self.budget, 1)


def fund_panel(
    district: District, fiscal_year: int, start: date, end: date, *, dong_id: int | None = None
) -> FundPanel:
    """Return the year's budget and what is held, the spend and households of start–end, pending 결재."""
    condition = FundRequest.district_id == district.id
    budget_condition = sa.and_(
        FundBudget.district_id == district.id,
        FundBudget.fiscal_year == fiscal_year,
        FundBudget.dong_id.is_not(None),
    )
    if dong_id is not None:
        condition = sa.and_(condition, FundRequest.dong_id == dong_id)
        budget_condition = sa.and_(budget_condition, FundBudget.dong_id == dong_id)
    budget = int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(FundBudget.project_amount), 0)).where(budget_condition)
        )
        or 0
    )
    held = int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(_HELD), 0)).where(
                condition, FundRequest.fiscal_year == fiscal_year, FundRequest.status.in_(HOLDING_STATUSES)
            )
        )
        or 0
    )
    spent = sum(amount for *_rest, amount in _spent(condition, start, end))
    pending = int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                condition,
                FundRequest.status.in_((FundRequestStatus.requested, FundRequestStatus.dong_approved)),
            )
        )
        or 0
    )
    return FundPanel(budget, held, spent, _households(condition, start, end).get(None, 0), pending)
