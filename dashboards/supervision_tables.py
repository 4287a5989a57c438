"""슈퍼비전·자문단 운영, quarter by quarter: the district's answer to seed 004's main shortfall.

Seed 004 found supervision weak (one session in a year) and set it quarterly (3·6·9·12월), with the
자문단 meeting as often. For each quarter of the chosen period the table shows the sessions held, the
cases advised and the advisers who came, and whether the quarter had its supervision at all.
"""

from __future__ import annotations

import sqlalchemy as sa

from conference.models import AdviserAttendance, Conference, ConferenceKind, SupervisionAdvice
from dashboards.conference_tables import HELD
from dashboards.scopes import Period, Scope
from dashboards.tables import Cell, Column, Table
from hamkke.db import db

#: the cell of a quarter that had no supervision session
MISSING = "없음"
#: the cell of a quarter that had one or more
HELD_MARK = "열림"


def _quarters(period: Period) -> list[Period]:
    """The quarters the period touches (a month gives its quarter, a year its four)."""
    numbers = sorted({(month - 1) // 3 + 1 for _, month in period.months})
    return [Period("quarter", period.year, number) for number in numbers]


def _held(scope: Scope, quarter: Period, kind: ConferenceKind) -> list[sa.ColumnElement[bool]]:
    start, end = quarter.utc_bounds()
    return [
        Conference.district_id == scope.district_id,
        Conference.kind == kind,
        Conference.status.in_(HELD),
        Conference.starts_at >= start,
        Conference.starts_at < end,
    ]


def _count(query: sa.Select[tuple[int]]) -> int:
    return int(db.session.scalar(query) or 0)


def supervision_by_quarter(scope: Scope, period: Period) -> Table:
    """Per quarter: supervision and 자문단 sessions held, cases advised, advisers present."""
    body: list[list[Cell]] = []
    for quarter in _quarters(period):
        supervision = _held(scope, quarter, ConferenceKind.supervision)
        advisory = _held(scope, quarter, ConferenceKind.advisory)
        either = sa.or_(sa.and_(*supervision), sa.and_(*advisory))
        sessions = _count(sa.select(sa.func.count()).select_from(Conference).where(*supervision))
        panels = _count(sa.select(sa.func.count()).select_from(Conference).where(*advisory))
        advised = _count(
            sa.select(sa.func.count(sa.distinct(SupervisionAdvice.case_id)))
            .join(Conference, Conference.id == SupervisionAdvice.conference_id)
            .where(either)
        )
        advisers = _count(
            sa.select(sa.func.count(sa.distinct(AdviserAttendance.adviser_id)))
            .join(Conference, Conference.id == AdviserAttendance.conference_id)
            .where(either, AdviserAttendance.present.is_(True))
        )
        # Written with their units: counts of meetings are not counts of people, and the district
        # dashboard's small-cell suppression (for people) must not blank them.
        body.append(
            [
                f"{quarter.year}년 {quarter.number}분기",
                f"{sessions}회",
                f"{panels}회",
                f"{advised}건",
                f"{advisers}명",
                HELD_MARK if sessions else MISSING,
            ]
        )
    return Table(
        key="supervision",
        title="슈퍼비전·자문단 운영 (분기별)",
        columns=[
            Column("분기", "text"),
            Column("슈퍼비전", "text"),
            Column("자문단 회의", "text"),
            Column("자문 받은 사례", "text"),
            Column("참석 자문위원", "text"),
            Column("분기 슈퍼비전", "text"),
        ],
        body=body,
        note=(
            "슈퍼비전·자문단 회의 = 분기 안에 열린(진행 중·종료) 회의 수. 자문 받은 사례 = 그 회의에서 "
            "자문을 기록한 사례(같은 사례는 한 번). 참석 자문위원 = 출석으로 기록된 자문단 위원(같은 위원은 "
            "한 번). seed 004는 슈퍼비전을 분기마다(3·6·9·12월) 열도록 정했습니다."
        ),
    )
