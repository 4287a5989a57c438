"""Dashboard tables of conferences: regular 권역 conferences, special sessions, action items."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agencies.models import Agency, Dong, Region
from conference.models import (
    UNFINISHED_ACTION_STATUSES,
    ActionItem,
    ActionStatus,
    Attendance,
    Conference,
    ConferenceInvitation,
    ConferenceKind,
    ConferenceStatus,
    InvitationRole,
)
from dashboards.scopes import Period, Scope
from dashboards.sql import (
    count_if,
    local_date,
)
from dashboards.tables import Column, Ratio, Table
from hamkke.db import db
from hamkke.time import today_local

#: conferences that took place (a live meeting counts: it is being held)
HELD = (ConferenceStatus.live, ConferenceStatus.closed)


# --- 5. conferences ------------------------------------------------------------------------------


def _conference_scope(scope: Scope, period: Period) -> sa.ColumnElement[bool]:
    start, end = period.utc_bounds()
    clauses = [
        Conference.district_id == scope.district_id,
        Conference.status.in_(HELD),
        Conference.starts_at >= start,
        Conference.starts_at < end,
    ]
    if scope.kind == "district" and scope.region_id is not None:
        clauses.append(Conference.region_id == scope.region_id)
    elif scope.kind == "agency":
        invited = sa.select(ConferenceInvitation.conference_id).where(
            ConferenceInvitation.agency_id == scope.object_id
        )
        clauses.append(sa.or_(Conference.host_agency_id == scope.object_id, Conference.id.in_(invited)))
    elif scope.kind == "dong":
        region = sa.select(Dong.region_id).where(Dong.id == scope.object_id).scalar_subquery()
        clauses.append(Conference.region_id == region)
    return sa.and_(*clauses)


def conferences_by_region(scope: Scope, period: Period) -> Table:
    """Regular 권역 conferences held, agencies that took part, and agency attendance rates."""
    held = sa.and_(_conference_scope(scope, period), Conference.kind == ConferenceKind.regional)
    counts, rates, names = _regional_figures(held)
    regions = db.session.execute(
        sa.select(Region.id, Region.name)
        .where(Region.district_id == scope.district_id)
        .order_by(Region.position)
    ).all()
    table = Table(
        key="conferences",
        title="권역별 정기 통합사례회의",
        columns=[
            Column("권역", "text"),
            Column("회의 횟수"),
            Column("참여 기관 수"),
            Column("기관 출석률", "rate"),
            Column("참여 기관", "text"),
        ],
        note=(
            "열린(진행 중·종료) 권역 정기회의. "
            "출석률 = 초대된 기관 중 한 명 이상 참석한 기관의 비율(회의별 합산)."
        ),
        chart="bar",
        chart_columns=(1, 3),
    )
    for region_id, region_name in regions:
        if scope.region_id is not None and region_id != scope.region_id:
            continue
        attended, invited_count = rates.get(region_id, (0, 0))
        agencies = names.get(region_id, [])
        table.body.append(
            [
                region_name,
                int(counts.get(region_id, 0)),
                len(agencies),
                Ratio(attended, invited_count),
                ", ".join(agencies),
            ]
        )
    return table


def _regional_figures(
    held: sa.ColumnElement[bool],
) -> tuple[dict[int | None, int], dict[int | None, tuple[int, int]], dict[int | None, list[str]]]:
    """Per 권역: conferences held, (agencies attended, agencies invited), and the names of those that came."""
    counts: dict[int | None, int] = dict(
        db.session.execute(
            sa.select(Conference.region_id, sa.func.count()).where(held).group_by(Conference.region_id)
        )
        .tuples()
        .all()
    )
    # Invited agencies per conference (agency-wide member invitations), and which of them came.
    invited = (
        sa.select(ConferenceInvitation.conference_id, ConferenceInvitation.agency_id)
        .join(Conference, Conference.id == ConferenceInvitation.conference_id)
        .where(held, ConferenceInvitation.role == InvitationRole.member)
        .distinct()
        .subquery()
    )
    came = (
        sa.select(Attendance.conference_id, Attendance.agency_id)
        .join(Conference, Conference.id == Attendance.conference_id)
        .where(held, Attendance.is_guest.is_(False))
        .distinct()
        .subquery()
    )
    rate_rows = db.session.execute(
        sa.select(
            Conference.region_id,
            sa.func.count(),
            count_if(came.c.agency_id.is_not(None)),
        )
        .select_from(invited)
        .join(Conference, Conference.id == invited.c.conference_id)
        .outerjoin(
            came,
            sa.and_(came.c.conference_id == invited.c.conference_id, came.c.agency_id == invited.c.agency_id),
        )
        .group_by(Conference.region_id)
    ).all()
    rates = {row[0]: (int(row[2]), int(row[1])) for row in rate_rows}
    participants = db.session.execute(
        sa.select(Conference.region_id, Agency.name)
        .select_from(came)
        .join(Conference, Conference.id == came.c.conference_id)
        .join(Agency, Agency.id == came.c.agency_id)
        .group_by(Conference.region_id, Agency.name)
        .order_by(Agency.name)
    ).all()
    names: dict[int | None, list[str]] = {}
    for region_id, name in participants:
        names.setdefault(region_id, []).append(name)
    return counts, rates, names


def special_sessions(scope: Scope, period: Period) -> Table:
    """확대사례회의, 긴급 위기사례회의 and 사례 슈퍼비전 sessions held in the period."""
    held = _conference_scope(scope, period)
    row = db.session.execute(
        sa.select(
            count_if(Conference.kind == ConferenceKind.expanded),
            count_if(Conference.kind == ConferenceKind.urgent),
            count_if(Conference.kind == ConferenceKind.supervision),
            count_if(Conference.kind == ConferenceKind.regional),
            sa.func.count(),
        ).where(held)
    ).one()
    labels = [
        "확대사례회의",
        "긴급 위기사례회의",
        "사례 슈퍼비전",
        "권역 정기회의",
        "전체 회의",
    ]
    return Table(
        key="sessions",
        title="확대사례회의·슈퍼비전 운영",
        columns=[Column("회의 종류", "text"), Column("횟수")],
        body=[[label, int(value)] for label, value in zip(labels, row, strict=True)],
        note="열린(진행 중·종료) 회의를 종류별로 셉니다. 슈퍼비전은 '사례 슈퍼비전' 종류로 연 회의입니다.",
        chart="bar",
    )


def action_items(scope: Scope, period: Period, *, today: date | None = None) -> Table:
    """Conference action items due in the period: done on time, late, overdue, still running."""
    today = today or today_local()
    clauses: list[sa.ColumnElement[bool]] = [ActionItem.due_on.between(period.start, period.end)]
    if scope.kind == "agency":
        clauses.append(ActionItem.owner_agency_id == scope.object_id)
    else:
        conferences = sa.select(Conference.id).where(Conference.district_id == scope.district_id)
        if scope.kind == "district" and scope.region_id is not None:
            conferences = conferences.where(Conference.region_id == scope.region_id)
        if scope.kind == "dong" and scope.dong_agency_id is not None:
            clauses.append(ActionItem.owner_agency_id == scope.dong_agency_id)
        clauses.append(ActionItem.conference_id.in_(conferences))
    # A done item without a completion instant (never, after the backfill) counts as neither.
    done = sa.and_(ActionItem.status == ActionStatus.done, ActionItem.completed_at.is_not(None))
    # Open and in progress (진행 중) are both unfinished: overdue past the due date, running before it.
    unfinished = ActionItem.status.in_(UNFINISHED_ACTION_STATUSES)
    finished_on = local_date(ActionItem.completed_at)
    due = ActionItem.due_on
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            count_if(sa.and_(done, finished_on <= due)),
            count_if(sa.and_(done, finished_on > due)),
            count_if(sa.and_(unfinished, ActionItem.due_on < today)),
            count_if(sa.and_(unfinished, ActionItem.due_on >= today)),
            count_if(ActionItem.status == ActionStatus.carried),
        ).where(*clauses)
    ).one()
    total, on_time, late, overdue, running, carried = (int(v) for v in row)
    return Table(
        key="actions",
        title="회의 실행과제 기한 내 완료",
        columns=[
            Column("기한 도래 과제"),
            Column("기한 내 완료"),
            Column("기한 후 완료"),
            Column("기한 지남(미완료)"),
            Column("진행 중(기한 전)"),
            Column("다음 회의로 이월"),
            Column("기한 내 완료율", "rate"),
        ],
        body=[[total, on_time, late, overdue, running, carried, Ratio(on_time, total - running)]],
        note=(
            "기한이 이 기간에 있는 과제. 기한 내 완료 = 완료 처리한 날(서울 기준)이 기한 이전·당일. "
            "완료율 = 기한 내 완료 / (기한 도래 과제 - 진행 중)."
        ),
        row_sums=((0, (1, 2, 3, 4, 5)),),
    )
