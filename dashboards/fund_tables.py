"""The case fund (사례관리사업비) on the district and dong dashboards: one table, figures from funds.queries.

A row per dong (and the 합계) on the district dashboard, the dong's own row on its dashboard: the
year's 사업비, what requests hold (pending, approved, spent) and its share, the spend and the households
helped in the period, and the requests waiting for a 결재.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from agencies.models import District
from dashboards.scopes import Period, Scope
from dashboards.tables import Column, Ratio, Table
from funds.queries import fund_panel
from hamkke.db import db

#: the table's headings, marked for translation (the page translates them, the exports stay Korean)
LABELS = (
    _l("사례관리사업비 집행"),
    _l("사업비 예산"),
    _l("신청·승인·집행액"),
    _l("사용률"),
    _l("기간 집행액"),
    _l("지원 가구"),
    _l("결재 대기"),
)


def fund_table(scope: Scope, period: Period) -> Table:
    """Return the fund table of a district or dong scope (a row per dong, the 합계 for the district)."""
    district = db.session.get(District, scope.district_id)
    dongs = [
        dong
        for dong in (district.dongs if district is not None else [])
        if (scope.kind == "dong" and dong.id == scope.object_id)
        or (scope.kind == "district" and (scope.region_id is None or dong.region_id == scope.region_id))
    ]
    table = Table(
        key="fund",
        title="사례관리사업비 집행",
        columns=[
            Column("동", "text"),
            Column("사업비 예산", "won"),
            Column("신청·승인·집행액", "won"),
            Column("사용률", "rate"),
            Column("기간 집행액", "won"),
            Column("지원 가구"),
            Column("결재 대기"),
        ],
        note=(
            f"{period.year}년 사례사업비 예산 대비 신청·승인·집행액(반려 제외)과, "
            "이 기간에 집행한 금액과 가구. "
            "결재 대기는 동 내부결재·구 결재를 기다리는 신청입니다."
        ),
        chart="bar",
        chart_columns=(5,),
    )
    totals = [0, 0, 0, 0, 0]
    for dong in dongs:
        assert district is not None  # noqa: S101 -- the dongs came from it
        panel = fund_panel(district, period.year, period.start, period.end, dong_id=dong.id)
        table.body.append(
            [
                dong.name,
                panel.budget,
                panel.held,
                Ratio(panel.held, panel.budget),
                panel.spent_quarter,
                panel.households_quarter,
                panel.pending,
            ]
        )
        for index, value in enumerate(
            (panel.budget, panel.held, panel.spent_quarter, panel.households_quarter, panel.pending)
        ):
            totals[index] += value
    if scope.kind == "district" and dongs:
        budget, held, spent, households, pending = totals
        table.body.append(["합계", budget, held, Ratio(held, budget), spent, households, pending])
    return table
