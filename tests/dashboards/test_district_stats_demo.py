"""The demo district's statistics: coded 가구유형 leave fewer households in 기타, and the roster,
training, low-income and per-dong tables carry figures."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.district_records import LowIncomeCount, StaffPosition, TrainingRecord
from agencies.models import Agency, District, Membership, Person
from cases.models import Case, CaseStage, Household, HouseholdProblemType
from demo.district import load_demo
from hamkke.time import today_local
from tests.dashboards.test_views import page_tables

#: seed 004's four named types: the old free-text table put every other text into 기타·미분류
SEED_TYPES = ("알코올·정신질환", "장애·질병", "아동학대·가정폭력", "경제적 어려움")


@pytest.mark.embedded
def test_demo_codes_leave_fewer_households_in_other(db: Any, client: FlaskClient, login_as: Any) -> None:
    load_demo()
    db.session.commit()
    district = db.session.scalar(sa.select(District).where(District.code == "hanbit"))
    assert district is not None
    selected = sa.select(Case.household_id).where(
        Case.selected_on.is_not(None), Case.stage != CaseStage.not_selected
    )
    households = db.session.scalars(sa.select(Household).where(Household.id.in_(selected))).all()
    assert len(households) >= 20
    before = sum(1 for household in households if household.household_type not in SEED_TYPES)
    after = sum(1 for household in households if household.problem_type in (None, HouseholdProblemType.other))
    assert before >= 5
    assert after < before
    assert all(household.composition_type is not None for household in households)
    # Reference data, posts and training as a district keeps them.
    dongs = len(district.dongs)
    year = today_local().year
    counts = db.session.scalars(
        sa.select(LowIncomeCount.year).where(LowIncomeCount.district_id == district.id)
    )
    assert sorted(counts) == sorted([year - 1] * dongs + [year] * dongs)
    positions = set(
        db.session.scalars(sa.select(Membership.position).where(Membership.position.is_not(None)))
    )
    assert {StaffPosition.integrated_case_manager, StaffPosition.welfare_planner} <= positions
    trainings = db.session.scalars(
        sa.select(TrainingRecord).where(TrainingRecord.district_id == district.id)
    ).all()
    assert len(trainings) == 10
    assert len({record.held_on.year for record in trainings}) >= 2

    coordinator = db.session.scalar(sa.select(Person).where(Person.email == "kim.coordinator@hanbit.go.kr"))
    team = db.session.scalar(sa.select(Agency).where(Agency.code == "hanbit-gu-team"))
    assert coordinator is not None
    assert team is not None
    login_as(coordinator, agency_id=team.id)
    page = client.get(f"/dashboards/district/{district.id}?period={year - 1}")
    assert page.status_code == 200
    tables = page_tables(page.get_data(as_text=True))
    flow = tables["district_flow"]
    assert flow[-1][0] == "합계"
    assert int(flow[-1][1]) >= 20  # discovered households over the year
    rate = tables["discovery_rate"]
    assert rate[-1][3].endswith("%")
    roster = client.get(f"/dashboards/district/{district.id}/roster")
    assert roster.status_code == 200
    assert "통합사례관리사" in roster.get_data(as_text=True)
    assert "이혜진" in roster.get_data(as_text=True)
