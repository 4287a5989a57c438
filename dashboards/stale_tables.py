"""The district's cases due for a closure review, per dong: figures only, the lists live with the agencies.

A case is stale after three months or more of refusal or lost contact, or when its plan's period has
ended (`cases.queries.staleness`); each dong centre's dashboard lists its own with the one-click
start of the review, and the district sees how many wait in each dong.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agencies.models import Dong, Region
from cases.queries.staleness import StaleReason, stale_cases
from dashboards.scopes import Scope, case_scope
from dashboards.tables import Column, Table
from hamkke.db import db

#: the columns after the dong's name, in order
_REASONS = (StaleReason.refusal, StaleReason.lost_contact, StaleReason.plan_ended)


def stale_by_dong(scope: Scope, *, today: date) -> Table:
    """Stale cases now per dong: refusal or lost contact for 3 months or more, plans past their period."""
    counts: dict[int | None, list[int]] = {}
    for stale in stale_cases(today, condition=case_scope(scope)):
        row = counts.setdefault(stale.dong_id, [0] * (len(_REASONS) + 1))
        row[0] += 1
        for finding in stale.findings:
            row[1 + _REASONS.index(finding.reason)] += 1
    names = dict(
        db.session.execute(
            sa.select(Dong.id, Dong.name)
            .join(Region, Region.id == Dong.region_id)
            .where(Dong.district_id == scope.district_id)
            .order_by(Region.position, Dong.position)
        )
        .tuples()
        .all()
    )
    order = [*names, None]
    table = Table(
        key="stale",
        title="종결 검토가 필요한 사례 (동별)",
        columns=[
            Column("동", "text"),
            Column("사례 수"),
            Column("거부 3개월 이상"),
            Column("연락두절 3개월 이상"),
            Column("계획 기간 종료"),
        ],
        note=(
            f"{today:%Y-%m-%d} 현재. 상담일지에 거부·연락두절이 3개월 이상 이어지거나 "
            "서비스제공계획 기간이 끝난 진행 중 사례. 한 사례에 두 사유가 함께 있을 수 있습니다. "
            "각 동 대시보드에서 종결 검토를 시작합니다."
        ),
        chart="bar",
        chart_columns=(1,),
    )
    totals = [0] * (len(_REASONS) + 1)
    for dong_id in sorted(counts, key=order.index):
        values = counts[dong_id]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        table.body.append([names.get(dong_id, "(동 미지정)") if dong_id else "(동 미지정)", *values])
    if table.body:
        table.body.append(["합계", *totals])
    return table
