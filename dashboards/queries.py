"""Aggregates of the dashboards: every figure is a SQL COUNT/SUM with GROUP BY over indexed columns.

Personal data never enters here: the queries read IDs, stages, dates and household types only.
Medians are taken from a per-value histogram the database returns (a small result set), since
SQLite has no percentile function.

The period and scope live in ``dashboards.scopes``, the dialect helpers in ``dashboards.sql``, the
conference tables in ``dashboards.conference_tables`` and the dong's own in ``dashboards.dong_tables``;
this module keeps the case, escalation, referral and caseload tables and assembles the dashboards,
and its namespace still offers every table function (callers and tests use ``queries.<table>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from agencies.models import Agency, District, Dong, Person, Region
from cases import deadlines
from cases.models import (
    Case,
    CaseIntensity,
    CaseStage,
    Escalation,
    EscalationStatus,
    EscalationUrgency,
)
from dashboards.conference_tables import action_items, conferences_by_region, special_sessions
from dashboards.district_statistics import district_statistics
from dashboards.dong_tables import dong_activity
from dashboards.fund_tables import fund_table
from dashboards.household_tables import households_by_type
from dashboards.scopes import Period, Scope, case_scope
from dashboards.selfsufficiency_tables import selfsufficiency_tables
from dashboards.sql import (
    count_if,
    date_literal,
    due_date,
    elapsed_hours,
    median_of,
)
from dashboards.stale_tables import stale_by_dong
from dashboards.tables import Column, Measure, Ratio, Table, suppressed
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.time import today_local
from referrals.models import Referral, ReferralStatus

OPEN_STAGES = tuple(stage for stage in CaseStage if stage.is_open)
#: open stages before 종결: 사후관리 follows the closure and is not 미종결
UNCLOSED_STAGES = tuple(stage for stage in OPEN_STAGES if stage != CaseStage.follow_up)

# --- 1. the seed-004 selection table --------------------------------------------------------------

_SELECTED = sa.and_(Case.selected_on.is_not(None), Case.stage != CaseStage.not_selected)
_CONDITIONS = {
    "selected": _SELECTED,
    "in_progress": sa.and_(_SELECTED, Case.stage.in_(UNCLOSED_STAGES)),
    # 종결 is decided when a case enters 사후관리: those count as closed here
    "closed": sa.and_(_SELECTED, Case.stage.in_([CaseStage.closed, CaseStage.follow_up])),
    "not_selected": Case.stage == CaseStage.not_selected,
    "service_link": sa.and_(Case.stage == CaseStage.closed, Case.selected_on.is_(None)),
}


def _month_label(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def selection_table(scope: Scope, period: Period) -> Table:
    """의뢰 · 선정(진행/종결) · 미선정 · 서비스연계 per month of the period, as in seed 004's first table."""
    year = sa.extract("year", Case.opened_on)
    month = sa.extract("month", Case.opened_on)
    rows = db.session.execute(
        sa.select(
            year,
            month,
            sa.func.count(),
            *(count_if(condition) for condition in _CONDITIONS.values()),
        )
        .where(case_scope(scope), Case.opened_on.between(period.start, period.end))
        .group_by(year, month)
    ).all()
    by_month = {(int(r[0]), int(r[1])): [int(v) for v in r[2:]] for r in rows}
    table = Table(
        key="selection",
        title="사례관리 대상자 의뢰·선정 현황",
        columns=[
            Column("해당 월", "text"),
            Column("의뢰(접수)"),
            Column("선정 소계"),
            Column("선정 진행"),
            Column("선정 종결"),
            Column("미선정"),
            Column("서비스연계"),
            Column("판정 전"),
        ],
        note=(
            "접수일 기준. 선정=사례관리 대상 선정, 서비스연계=서비스연계 후 종료, "
            "판정 전=아직 선정 결과가 없는 사례. 선정 종결에는 사후관리 중인 사례가 들어갑니다."
        ),
        chart="line",
        chart_columns=(1, 2, 5, 6),
        # 의뢰 = 선정 + 미선정 + 서비스연계 + 판정 전, and 선정 = 진행 + 종결
        row_sums=((1, (2, 5, 6, 7)), (2, (3, 4))),
    )
    totals = [0] * 6
    for key in period.months:
        received, selected, in_progress, closed, not_selected, service_link = by_month.get(key, [0] * 6)
        pending = received - selected - not_selected - service_link
        values = [received, selected, in_progress, closed, not_selected, service_link]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        table.body.append([_month_label(*key), *values, pending])
    if len(period.months) > 1:
        table.body.append(["합계", *totals, totals[0] - totals[1] - totals[4] - totals[5]])
    return table


# --- 2. households by type: dashboards.household_tables ------------------------------------------


# --- 3. long-unclosed cases -----------------------------------------------------------------------


def long_unclosed(scope: Scope, period: Period) -> Table:
    """Cases still open at the period's end, by the year they were opened (seed 004 '장기 미종결').

    A case in 사후관리 was closed (종결) when it entered it: it is counted in a column of its own,
    never as 미종결.
    """
    year = sa.extract("year", Case.opened_on)
    unclosed = Case.stage.in_(UNCLOSED_STAGES)
    rows = db.session.execute(
        sa.select(
            year,
            count_if(unclosed),
            count_if(sa.and_(unclosed, Case.intensity != CaseIntensity.simple)),
            count_if(Case.stage == CaseStage.follow_up),
        )
        .where(case_scope(scope), Case.stage.in_(OPEN_STAGES), Case.opened_on <= period.end)
        .group_by(year)
        .order_by(year)
    ).all()
    cutoff = period.end - timedelta(days=365)
    table = Table(
        key="long_unclosed",
        title="미종결 사례 (접수 연도별)",
        columns=[
            Column("접수 연도", "text"),
            Column("미종결"),
            Column("집중·위기"),
            Column("사후관리 중(종결)"),
        ],
        note=(
            f"{period.end:%Y-%m-%d} 현재 종결되지 않은 사례. "
            f"{cutoff:%Y-%m-%d} 이전 접수분은 1년 넘게 진행 중입니다. "
            "사후관리 중인 사례는 종결된 사례로, 따로 셉니다."
        ),
        chart="bar",
        chart_columns=(1,),
    )
    for y, count, intensive, follow_up in rows:
        table.body.append([f"{int(y)}년", int(count), int(intensive), int(follow_up)])
    return table


# --- 4. escalations by dong with deadline compliance ----------------------------------------------


def _clock_specs(scope: Scope) -> list[tuple[str, tuple[int, str], Any, Any, sa.ColumnElement[bool]]]:
    """The cases issue's clocks as (code, spec, start column, done expression, applies-when)."""
    district = db.session.get(District, scope.district_id)
    profile = deadlines.profile_for(district.settings if district else None, self_sufficiency=False)
    specs: list[tuple[str, tuple[int, str], Any, Any, sa.ColumnElement[bool]]] = []
    if "referral_to_intake" in profile:
        specs.append(
            (
                "referral_to_intake",
                profile["referral_to_intake"],
                Case.referred_on,
                Case.counselling_started_on,
                Case.referred_on.is_not(None),
            )
        )
    specs.append(
        ("intake_to_assessment", profile["intake_to_assessment"], Case.opened_on, Case.assessed_on, sa.true())
    )
    classified = sa.case((Case.classified_on >= Case.conference_on, Case.classified_on), else_=sa.null())
    specs.append(
        (
            "conference_to_classification",
            profile["conference_to_classification"],
            Case.conference_on,
            classified,
            Case.conference_on.is_not(None),
        )
    )
    specs.append(
        ("intake_to_plan", profile["intake_to_plan"], Case.opened_on, Case.plan_agreed_on, sa.true())
    )
    return specs


def escalations_by_dong(scope: Scope, period: Period, *, today: date | None = None) -> Table:
    """Escalations (구청 의뢰) per dong, their status, and how the escalated cases keep their clocks."""
    today = today or today_local()
    sent = sa.and_(
        Escalation.submitted_on.between(period.start, period.end),
        Escalation.case_id.in_(sa.select(Case.id).where(case_scope(scope))),
    )
    status_rows = db.session.execute(
        sa.select(
            Case.dong_id,
            sa.func.count(),
            count_if(Escalation.urgency == EscalationUrgency.urgent),
            count_if(Escalation.status == EscalationStatus.submitted),
            count_if(Escalation.status == EscalationStatus.accepted),
            count_if(Escalation.status == EscalationStatus.returned),
        )
        .join(Case, Case.id == Escalation.case_id)
        .where(sent)
        .group_by(Case.dong_id)
    ).all()
    escalated_cases = sa.select(Escalation.case_id).where(sent)
    clocks: dict[int | None, list[int]] = {}
    today_value = date_literal(today)
    for _code, spec, start, done, applies in _clock_specs(scope):
        due = due_date(start, spec)
        is_open = Case.stage.in_(OPEN_STAGES)
        done_value = done
        rows = db.session.execute(
            sa.select(
                Case.dong_id,
                count_if(sa.and_(done.is_not(None), done_value <= due)),
                count_if(sa.and_(done.is_not(None), done_value > due)),
                count_if(sa.and_(done.is_(None), is_open, today_value <= due)),
                count_if(sa.and_(done.is_(None), is_open, today_value > due)),
            )
            .where(Case.id.in_(escalated_cases), applies, start.is_not(None))
            .group_by(Case.dong_id)
        ).all()
        for dong_id, *values in rows:
            bucket = clocks.setdefault(dong_id, [0, 0, 0, 0])
            for index, value in enumerate(values):
                bucket[index] += int(value)
    names = _dong_names(scope.district_id)
    table = Table(
        key="escalations",
        title="동별 구청 의뢰(고난도)와 기한 준수",
        columns=[
            Column("동", "text"),
            Column("의뢰 건수"),
            Column("긴급"),
            Column("검토 중"),
            Column("구청 접수"),
            Column("반려"),
            Column("기한 내 완료"),
            Column("기한 후 완료"),
            Column("진행 중(기한 전)"),
            Column("기한 지남"),
            Column("기한 준수율", "rate"),
        ],
        note="기한은 사례 업무의 시계(접수→사정, 사례회의→유형 분류, 접수→계획)를 구 설정대로 따집니다.",
        chart="bar",
        chart_columns=(1,),
        row_sums=((1, (3, 4, 5)),),
    )
    totals = [0] * 9
    for dong_id, *values in sorted(status_rows, key=lambda r: names.get(r[0], ("~", 0))[1]):
        met, late, running, overdue = clocks.get(dong_id, [0, 0, 0, 0])
        numbers = [int(v) for v in values] + [met, late, running, overdue]
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
        table.body.append(
            [names.get(dong_id, ("(동 미지정)", 0))[0], *numbers, Ratio(met, met + late + overdue)]
        )
    if table.body:
        table.body.append(["합계", *totals, Ratio(totals[5], totals[5] + totals[6] + totals[8])])
    return table


def _dong_names(district_id: int) -> dict[int | None, tuple[str, int]]:
    rows = db.session.execute(
        sa.select(Dong.id, Dong.name, Region.position, Dong.position)
        .join(Region, Region.id == Dong.region_id)
        .where(Dong.district_id == district_id)
    ).all()
    return {row[0]: (row[1], row[2] * 1000 + row[3]) for row in rows}


# --- 6. referrals --------------------------------------------------------------------------------


def referral_stats(scope: Scope, period: Period) -> Table:
    """Per receiving agency: referrals received, answered, accepted, acceptance rate, median response."""
    start, end = period.utc_bounds()
    clauses: list[sa.ColumnElement[bool]] = [
        Referral.district_id == scope.district_id,
        Referral.sent_at >= start,
        Referral.sent_at < end,
    ]
    if scope.kind == "agency":
        clauses.append(Referral.receiving_agency_id == scope.object_id)
    elif scope.kind == "dong" and scope.dong_agency_id is not None:
        clauses.append(Referral.receiving_agency_id == scope.dong_agency_id)
    elif scope.region_id is not None:
        clauses.append(Referral.case_id.in_(sa.select(Case.id).where(case_scope(scope))))
    answered = Referral.responded_at.is_not(None)
    rows = db.session.execute(
        sa.select(
            Referral.receiving_agency_id,
            sa.func.count(),
            count_if(answered),
            count_if(sa.and_(answered, Referral.status != ReferralStatus.rejected)),
            count_if(Referral.status == ReferralStatus.rejected),
        )
        .where(*clauses)
        .group_by(Referral.receiving_agency_id)
    ).all()
    hours = elapsed_hours(Referral.sent_at, Referral.responded_at)
    histogram_rows = db.session.execute(
        sa.select(Referral.receiving_agency_id, hours, sa.func.count())
        .where(*clauses, answered)
        .group_by(Referral.receiving_agency_id, hours)
    ).all()
    histograms: dict[int, list[tuple[int, int]]] = {}
    for agency_id, value, count in histogram_rows:
        histograms.setdefault(agency_id, []).append((int(value), int(count)))
    agency_names: dict[int, str] = dict(
        db.session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_([r[0] for r in rows])))
        .tuples()
        .all()
    )
    table = Table(
        key="referrals",
        title="기관별 의뢰 수락률과 회신 시간",
        columns=[
            Column("받은 기관", "text"),
            Column("받은 의뢰"),
            Column("회신"),
            Column("수락 건수"),
            Column("거절 건수"),
            Column("수락률", "rate"),
            Column("회신 시간 중앙값", "measure", "시간"),
        ],
        note="이 기간에 보낸 의뢰. 수락률 = 수락 / 회신(수락+거절). 회신 시간 = 의뢰 발송부터 수락·거절까지.",
        chart="bar",
        chart_columns=(5,),
        row_sums=((2, (3, 4)),),
    )
    for agency_id, total, answered_count, accepted, rejected in sorted(
        rows, key=lambda r: agency_names.get(r[0], "")
    ):
        median = median_of(histograms.get(agency_id, []))
        table.body.append(
            [
                agency_names.get(agency_id, str(agency_id)),
                int(total),
                int(answered_count),
                int(accepted),
                int(rejected),
                Ratio(int(accepted), int(answered_count)),
                Measure(median, int(answered_count)),
            ]
        )
    return table


# --- 7. caseload per worker -----------------------------------------------------------------------


def caseload(scope: Scope) -> Table:
    """Open cases per case worker now, the intensive (집중·위기) ones, and who is over the cap."""
    intensive = Case.intensity.in_([CaseIntensity.intensive, CaseIntensity.crisis])
    rows = db.session.execute(
        sa.select(Person.id, Person.name, sa.func.count(), count_if(intensive))
        .join(Person, Person.id == Case.case_worker_id)
        .where(case_scope(scope), Case.stage.in_(OPEN_STAGES))
        .group_by(Person.id, Person.name)
        .order_by(sa.func.count().desc(), Person.name)
    ).all()
    limit = deadlines.INTENSIVE_CASELOAD_LIMIT
    table = Table(
        key="caseload",
        title="사례관리자별 담당 사례",
        columns=[
            Column("사례관리자", "text"),
            Column("진행 중 사례"),
            Column("집중·위기 사례"),
            Column(f"집중 상한({limit}) 초과", "text"),
        ],
        note=f"집중 사례는 사례관리자 1인당 약 {limit}건이 상한입니다(seed 000).",
        chart="bar",
        chart_columns=(2,),
    )
    for _person_id, name, total, intensive_count in rows:
        table.body.append([name, int(total), int(intensive_count), "초과" if intensive_count > limit else ""])
    return table


# --- the dashboards -------------------------------------------------------------------------------


def dashboard_tables(scope: Scope, period: Period, *, today: date | None = None) -> list[Table]:
    """Every table of the scope's dashboard for the period, in page order, suppressed for outsiders.

    Suppression happens here, at the source, so the page, charts, CSV, XLSX and the PDF all show
    the same withheld cells.
    """
    tables = _dashboard_tables(scope, period, today=today or today_local())
    return [suppressed(table) for table in tables] if scope.suppress else tables


def _dashboard_tables(scope: Scope, period: Period, *, today: date) -> list[Table]:
    if scope.kind == "dong":
        tables = dong_activity(scope, period)
        tables.append(selection_table(scope, period))
        tables.append(escalations_by_dong(scope, period, today=today))
        tables += district_statistics(scope, period, today=today)
        tables.append(fund_table(scope, period))
        return tables
    types, monthly = households_by_type(scope, period)
    tables = [selection_table(scope, period), types, monthly, long_unclosed(scope, period)]
    if scope.kind == "district":
        tables.append(escalations_by_dong(scope, period, today=today))
        tables.append(stale_by_dong(scope, today=today))
        tables.append(fund_table(scope, period))
    tables += [
        conferences_by_region(scope, period),
        special_sessions(scope, period),
        action_items(scope, period, today=today),
        referral_stats(scope, period),
        caseload(scope),
    ]
    if scope.kind == "district":
        tables += district_statistics(scope, period, today=today)
    return tables + selfsufficiency_tables(scope, today=today)


def find_table(tables: Sequence[Table], key: str) -> Table | None:
    """Return the table named ``key`` (export URLs name tables by key)."""
    return next((table for table in tables if table.key == key), None)


def district_dashboard(district_id: int, period_code: str | None = None) -> list[Table]:
    """Compute the district dashboard's tables without a request (for benchmarks and the shell).

    The page itself is ``GET /dashboards/district/<district_id>?period=<code>`` for the district's
    coordinator acting for its 희망복지지원단; this runs the same queries.
    """
    district = db.session.get(District, district_id)
    if district is None:
        raise ValidationFailed("구를 찾을 수 없습니다.", field="district", english="No such district.")
    scope = Scope("district", district.id, district.id, district.name, suppress=True)
    return dashboard_tables(scope, Period.parse(period_code))
