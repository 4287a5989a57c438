"""The quarterly settlement's figures by hand: quarters apart, one household twice, an unspent approval."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cases.models import Case
from dashboards.tables import Column, cell_text
from funds.models import FundBudget, FundPurpose, FundRequest, FundRequestStatus, PayeeKind
from funds.queries import granted_by, settlement
from tests.fixtures.cases import CaseKit

pytestmark = pytest.mark.embedded


def _request(
    db: Any, kit: CaseKit, case: Case, purpose: FundPurpose, amount: int, spent_on: date | None
) -> None:
    db.session.add(
        FundRequest(
            district_id=kit.district.id,
            dong_id=kit.dong_centre.dong_id,
            agency_id=kit.dong_centre.id,
            case_id=case.id,
            household_id=case.household_id,
            fiscal_year=2026,
            purpose=purpose,
            payee_kind=PayeeKind.card,
            total=amount,
            status=FundRequestStatus.spent if spent_on else FundRequestStatus.approved,
            requested_by_id=kit.worker.id,
            requested_on=date(2026, 1, 5),
            spent_on=spent_on,
            spent_amount=amount if spent_on else None,
        )
    )


def test_settlement_by_quarter(db: Any, case_kit: CaseKit) -> None:
    first, second = case_kit.open(), case_kit.open()
    dong_id = case_kit.dong_centre.dong_id
    db.session.add(
        FundBudget(
            district_id=case_kit.district.id,
            dong_id=dong_id,
            fiscal_year=2026,
            operating_amount=2_000_000,
            project_amount=4_000_000,
            national_share=50,
            city_share=25,
            district_share=25,
        )
    )
    _request(db, case_kit, first, FundPurpose.medical, 120_000, date(2026, 2, 10))
    _request(db, case_kit, second, FundPurpose.living, 300_000, date(2026, 5, 3))
    _request(db, case_kit, second, FundPurpose.living, 80_000, date(2026, 5, 20))
    _request(db, case_kit, first, FundPurpose.education, 50_000, None)  # approved, not yet paid
    db.session.flush()

    q1 = settlement(case_kit.district, 2026, 1)
    [row] = q1.lines
    assert (row.budget, row.granted, row.spent_quarter, row.spent_to_date) == (
        4_000_000,
        1_000_000,
        120_000,
        120_000,
    )
    assert (row.households, row.remaining) == (1, 3_880_000)
    assert row.by_purpose[FundPurpose.medical] == 120_000

    q2 = settlement(case_kit.district, 2026, 2, dong_id=dong_id)
    [row] = q2.lines
    assert (row.granted, row.spent_quarter, row.spent_to_date) == (2_000_000, 380_000, 500_000)
    assert row.by_purpose[FundPurpose.living] == 380_000
    assert row.by_purpose[FundPurpose.education] == 0
    # Two payments to one household count it once.
    assert (row.households, row.remaining) == (1, 3_500_000)
    assert (q2.total.spent_to_date, q2.total.remaining, q2.total.households) == (500_000, 3_500_000, 1)
    assert (q2.start, q2.end) == (date(2026, 4, 1), date(2026, 6, 30))


def test_grants_and_money_cells() -> None:
    assert [granted_by(4_000_001, quarter) for quarter in (1, 2, 3, 4)] == [
        1_000_000,
        2_000_000,
        3_000_000,
        4_000_001,
    ]
    assert cell_text(130_000, Column("사업비", "won"), suppress=True) == "₩130,000"
    assert cell_text(3, Column("가구"), suppress=True) == "5 미만"
