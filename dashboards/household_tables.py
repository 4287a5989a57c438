"""Households counted by seed 004's two coded typologies: 주된 어려움 and 가구 구성.

Each household carries one code of each (``cases.models.household_codes``); a household nobody
has classified yet is counted as 미분류, apart from 기타 (classified, but none of the named types).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cases.models import Case, CaseStage, Household, HouseholdComposition, HouseholdProblemType
from dashboards.scopes import Period, Scope, case_scope
from dashboards.tables import Column, Table
from hamkke.db import db

#: the row of households no one has coded yet
UNCODED = "미분류"
#: selected for case management (미선정 keeps the decision day in selected_on, so it is excluded)
SELECTED = sa.and_(Case.selected_on.is_not(None), Case.stage != CaseStage.not_selected)

_NOTE = (
    "사례관리 대상으로 선정된 가구(접수일 기준, 가구당 한 번). 기타 = 분류했으나 정해진 유형이 아닌 가구, "
    "미분류 = 아직 유형을 고르지 않은 가구."
)


def _selected_households(scope: Scope, period: Period) -> list[sa.ColumnElement[bool]]:
    return [case_scope(scope), SELECTED, Case.opened_on.between(period.start, period.end)]


def _by_code(scope: Scope, period: Period, column: Any) -> dict[str | None, int]:
    rows = db.session.execute(
        sa.select(column, sa.func.count(sa.distinct(Case.household_id)))
        .join(Household, Household.id == Case.household_id)
        .where(*_selected_households(scope, period))
        .group_by(column)
    ).all()
    return {(str(code) if code is not None else None): int(count) for code, count in rows}


def _typology_table(
    key: str, title: str, labels: list[tuple[str, str]], counts: dict[str | None, int]
) -> Table:
    table = Table(
        key=key,
        title=title,
        columns=[Column("가구유형", "text"), Column("가구 수")],
        body=[[label, counts.get(code, 0)] for code, label in labels],
        note=_NOTE,
        chart="bar",
    )
    table.body.append([UNCODED, counts.get(None, 0)])
    table.body.append(["합계", sum(counts.values())])
    return table


def households_by_type(scope: Scope, period: Period) -> tuple[Table, Table]:
    """Selected households by main difficulty (seed 004's first typology), in total and per month."""
    counts = _by_code(scope, period, Household.problem_type)
    labels = [(member.value, member.label) for member in HouseholdProblemType]
    total = _typology_table("household_types", "선정 가구 유형(주된 어려움)", labels, counts)
    year = sa.extract("year", Case.opened_on)
    month = sa.extract("month", Case.opened_on)
    rows = db.session.execute(
        sa.select(year, month, Household.problem_type, sa.func.count(sa.distinct(Case.household_id)))
        .join(Household, Household.id == Case.household_id)
        .where(*_selected_households(scope, period))
        .group_by(year, month, Household.problem_type)
    ).all()
    monthly_counts: dict[tuple[int, int], dict[str | None, int]] = {}
    for y, m, code, count in rows:
        bucket = monthly_counts.setdefault((int(y), int(m)), {})
        bucket[str(code) if code is not None else None] = int(count)
    codes: list[str | None] = [member.value for member in HouseholdProblemType]
    codes.append(None)
    monthly = Table(
        key="household_types_monthly",
        title="월별 선정 가구 유형(주된 어려움)",
        columns=[
            Column("해당 월", "text"),
            *(Column(member.label) for member in HouseholdProblemType),
            Column(UNCODED),
        ],
        body=[
            [f"{y}-{m:02d}", *(monthly_counts.get((y, m), {}).get(code, 0) for code in codes)]
            for y, m in period.months
        ],
        chart="stacked",
    )
    return total, monthly


def households_by_composition(scope: Scope, period: Period) -> Table:
    """Selected households by make-up (seed 004's second typology: 독거노인, 한부모, 조손 …)."""
    counts = _by_code(scope, period, Household.composition_type)
    labels = [(member.value, member.label) for member in HouseholdComposition]
    return _typology_table("household_compositions", "선정 가구 유형(가구 구성)", labels, counts)
