"""The district's statistics per dong (seed 004): the case flow, 발굴률, expanded conferences.

The flow is 발굴 → 의뢰 → 선정 / 미선정 / 연계 → 종결; expanded conferences are counted per household.

Every figure is one SQL query grouped by dong; the definitions are written under each table and in
``FLOW_DEFINITIONS`` so the page, the exports and the monthly report explain the same numbers.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from agencies.district_records import LowIncomeCount
from agencies.models import Dong
from cases.models import Case, CaseStage, Escalation
from conference.models import AgendaItem, Conference, ConferenceKind
from dashboards.conference_tables import HELD
from dashboards.scopes import Period, Scope, case_scope
from dashboards.tables import Column, Measure, Ratio, Table
from hamkke.db import db

#: what each column counts, for one dong and the chosen period (local dates)
FLOW_DEFINITIONS = (
    ("발굴", "접수일이 기간 안인 사례의 가구 수(같은 가구는 한 번)."),
    ("의뢰", "구청(희망복지지원단)에 보낸 구청 의뢰 중 의뢰일이 기간 안인 사례 수."),
    ("선정", "사례관리 대상으로 선정한 날(선정일)이 기간 안인 사례 수."),
    ("미선정", "미선정으로 판정한 날이 기간 안인 사례 수."),
    ("연계", "선정 없이 서비스연계 후 종료한 날이 기간 안인 사례 수."),
    ("종결", "선정되었던 사례 중 종결일(사후관리 시작 또는 종결)이 기간 안인 사례 수."),
)
#: the row of cases recorded without a dong
NO_DONG = "동 미지정"
#: a dong without low-income reference data for the year
NO_REFERENCE = "기준 자료 없음"


def _dongs(scope: Scope) -> list[tuple[int, str]]:
    """The dongs a scope shows, in the district's order (one for a dong scope)."""
    statement = sa.select(Dong.id, Dong.name).where(Dong.district_id == scope.district_id)
    if scope.kind == "dong":
        statement = statement.where(Dong.id == scope.object_id)
    elif scope.region_id is not None:
        statement = statement.where(Dong.region_id == scope.region_id)
    return [
        (int(i), str(n)) for i, n in db.session.execute(statement.order_by(Dong.region_id, Dong.position))
    ]


def _per_dong(
    count: Any, *where: sa.ColumnElement[bool], scope: Scope, join: Any = None
) -> dict[int | None, int]:
    """One figure: ``count`` over the scope's cases meeting ``where``, grouped by the case's dong."""
    statement = sa.select(Case.dong_id, count)
    if join is not None:
        statement = statement.select_from(join[0]).join(Case, join[1])
    rows = db.session.execute(statement.where(case_scope(scope), *where).group_by(Case.dong_id)).all()
    return {dong_id: int(value) for dong_id, value in rows}


def flow_figures(scope: Scope, period: Period) -> list[dict[int | None, int]]:
    """The six figures of ``FLOW_DEFINITIONS`` per dong, each from its own grouped query."""
    within = period.start, period.end
    selected = sa.and_(Case.selected_on.is_not(None), Case.stage != CaseStage.not_selected)
    return [
        _per_dong(
            sa.func.count(sa.distinct(Case.household_id)), Case.opened_on.between(*within), scope=scope
        ),
        _per_dong(
            sa.func.count(sa.distinct(Escalation.case_id)),
            Escalation.submitted_on.between(*within),
            scope=scope,
            join=(Escalation, Case.id == Escalation.case_id),
        ),
        _per_dong(sa.func.count(), selected, Case.selected_on.between(*within), scope=scope),
        _per_dong(
            sa.func.count(),
            Case.stage == CaseStage.not_selected,
            Case.selected_on.between(*within),
            scope=scope,
        ),
        # 서비스연계: closed straight from 선정 without being selected (selected_on stays empty)
        _per_dong(
            sa.func.count(),
            Case.stage == CaseStage.closed,
            Case.selected_on.is_(None),
            Case.closed_on.between(*within),
            scope=scope,
        ),
        _per_dong(
            sa.func.count(),
            selected,
            Case.stage.in_([CaseStage.closed, CaseStage.follow_up]),
            Case.closed_on.between(*within),
            scope=scope,
        ),
    ]


def district_flow(scope: Scope, period: Period) -> Table:
    """A row per dong (and 합계): 발굴, 의뢰, 선정, 미선정, 연계, 종결 in the period.

    For a dong and the period (local dates), counted from the case columns the workflow sets:

    * 발굴: households of cases whose 접수일 (``opened_on``) falls in the period, each household once;
    * 의뢰: cases with a 구청 의뢰 (``Escalation``) whose 의뢰일 (``submitted_on``) falls in it;
    * 선정: cases selected for case management (``select_case_management`` sets ``selected_on``) then;
    * 미선정: cases in 미선정 whose decision day (``selected_on``, set by ``not_select``) falls in it;
    * 연계: cases closed straight from 선정 by ``link_service_only`` (closed, never selected) then;
    * 종결: selected cases whose 종결일 (``closed_on``: entering 사후관리 or closing) falls in it.
    """
    figures = flow_figures(scope, period)
    rows: list[tuple[int | None, str]] = list(_dongs(scope))
    if scope.kind == "district" and scope.region_id is None and any(None in f for f in figures):
        rows.append((None, NO_DONG))
    table = Table(
        key="district_flow",
        title="동별 발굴·의뢰·선정·연계·종결",
        columns=[Column("동", "text"), *(Column(name) for name, _ in FLOW_DEFINITIONS)],
        note=" ".join(f"{name} = {text}" for name, text in FLOW_DEFINITIONS),
        chart="bar",
        chart_columns=(1, 3, 6),
    )
    totals = [0] * len(figures)
    for dong_id, name in rows:
        values = [figure.get(dong_id, 0) for figure in figures]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        table.body.append([name, *values])
    table.body.append(["합계", *totals])
    return table


def discovery_rate(scope: Scope, period: Period) -> Table:
    """발굴률 per dong and in total: households discovered ÷ low-income households of the year."""
    discovered = flow_figures_discovered(scope, period)
    references = {
        int(dong_id): int(basic) + int(near)
        for dong_id, basic, near in db.session.execute(
            sa.select(
                LowIncomeCount.dong_id,
                LowIncomeCount.basic_livelihood_households,
                LowIncomeCount.near_poverty_households,
            ).where(LowIncomeCount.district_id == scope.district_id, LowIncomeCount.year == period.year)
        )
    }
    table = Table(
        key="discovery_rate",
        title="발굴률(저소득가구 대비)",
        columns=[
            Column("동", "text"),
            Column("저소득가구"),
            Column("발굴 가구"),
            Column("발굴률", "rate"),
            Column("저소득가구 몇 가구당 1가구", "measure", "가구당 1가구"),
        ],
        note=(
            f"발굴률 = 기간 안에 발굴(접수)한 가구 / {period.year}년 저소득가구"
            "(기초생활수급 + 차상위, 구가 입력한 기준 자료). "
            f"기준 자료가 없는 동은 '{NO_REFERENCE}'로 두고 합계에서 뺍니다. "
            "분기·월 기간은 연간 기준과 비교합니다."
        ),
    )
    total_low = total_found = 0
    for dong_id, name in _dongs(scope):
        found = discovered.get(dong_id, 0)
        low = references.get(dong_id)
        if low is None:
            table.body.append([name, NO_REFERENCE, found, NO_REFERENCE, NO_REFERENCE])
            continue
        total_low, total_found = total_low + low, total_found + found
        table.body.append([name, low, found, Ratio(found, low), _per_one(low, found)])
    table.body.append(
        ["합계", total_low, total_found, Ratio(total_found, total_low), _per_one(total_low, total_found)]
    )
    return table


def flow_figures_discovered(scope: Scope, period: Period) -> dict[int | None, int]:
    """Households discovered (접수) per dong in the period: the 발굴 figure of the flow table."""
    return _per_dong(
        sa.func.count(sa.distinct(Case.household_id)),
        Case.opened_on.between(period.start, period.end),
        scope=scope,
    )


def _per_one(low_income: int, found: int) -> Measure:
    """'N가구당 1가구' (seed 004 writes 저소득가구 188명당 1가구); no value without a discovered household."""
    return Measure(round(low_income / found, 1) if found else None, found)


def expanded_conferences(scope: Scope, period: Period) -> Table:
    """확대사례회의 per household (distinct households of the cases discussed) beside the sessions held."""
    start, end = period.utc_bounds()
    held = [
        Conference.district_id == scope.district_id,
        Conference.kind == ConferenceKind.expanded,
        Conference.status.in_(HELD),
        Conference.starts_at >= start,
        Conference.starts_at < end,
    ]
    if scope.kind == "district" and scope.region_id is not None:
        held.append(Conference.region_id == scope.region_id)
    if scope.kind == "district":
        sessions_held = sa.select(sa.func.count()).select_from(Conference).where(*held)
    else:
        # A dong or agency counts the sessions that discussed one of its cases.
        sessions_held = (
            sa.select(sa.func.count(sa.distinct(Conference.id)))
            .select_from(AgendaItem)
            .join(Conference, Conference.id == AgendaItem.conference_id)
            .join(Case, Case.id == AgendaItem.case_id)
            .where(*held, case_scope(scope))
        )
    sessions = int(db.session.scalar(sessions_held) or 0)
    households = int(
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Case.household_id)))
            .select_from(AgendaItem)
            .join(Conference, Conference.id == AgendaItem.conference_id)
            .join(Case, Case.id == AgendaItem.case_id)
            .where(*held, case_scope(scope))
        )
        or 0
    )
    return Table(
        key="expanded_conferences",
        title="확대사례회의: 가구와 회차",
        columns=[Column("가구 수"), Column("회차")],
        body=[[households, sessions]],
        note=(
            "가구 수 = 기간 안에 열린 확대사례회의에서 다룬 사례의 가구(같은 가구는 한 번). "
            "회차 = 열린(진행 중·종료) 확대사례회의 수. seed 004처럼 '5가구 10회'로 읽습니다."
        ),
    )
