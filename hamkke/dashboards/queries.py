"""Aggregates of the dashboards: every figure is a SQL COUNT/SUM with GROUP BY over indexed columns.

Personal data never enters here: the queries read IDs, stages, dates and household types only.
Medians are taken from a per-value histogram the database returns (a small result set), since
SQLite has no percentile function.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from agencies.models import Agency, AgencyType, District, Dong, Person, Region
from cases import deadlines
from cases.models import (
    Case,
    CaseIntensity,
    CaseStage,
    ContactMethod,
    CounsellingLog,
    DongMeeting,
    DongMeetingDecision,
    Escalation,
    EscalationStatus,
    EscalationUrgency,
    Household,
    IntakeRecord,
    SelectionOutcome,
    case_number,
)
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
from hamkke.dashboards.tables import Column, Measure, Ratio, Table, suppressed
from hamkke.db import db
from hamkke.errors import ValidationFailed
from hamkke.time import SEOUL, today_local
from referrals.models import Referral, ReferralStatus

#: seed 004's household categories; a district overrides them with settings["dashboard_household_types"]
DEFAULT_HOUSEHOLD_TYPES = ("알코올·정신질환", "장애·질병", "아동학대·가정폭력", "경제적 어려움")
OTHER_TYPE = "기타·미분류"
#: escalations listed on the dong dashboard at most
ESCALATION_LIST_LIMIT = 200
OPEN_STAGES = tuple(stage for stage in CaseStage if stage.is_open)
#: conferences that took place (a live meeting counts: it is being held)
HELD = (ConferenceStatus.live, ConferenceStatus.closed)


# --- periods -----------------------------------------------------------------------------------

PeriodKind = Literal["year", "quarter", "month"]
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    """A year, quarter or month in local (Seoul) dates; ``code`` is its URL form (2026, 2026-Q2, 2026-05)."""

    kind: PeriodKind
    year: int
    number: int = 1

    @classmethod
    def parse(cls, text: str | None, *, today: date | None = None) -> Period:
        """Read a period code; an empty one means this year. Unknown codes are refused (422)."""
        today = today or today_local()
        if not text:
            return cls("year", today.year)
        found = _PERIOD.match(text.strip())
        year = int(found.group("year")) if found else 0
        if found is None or not 2000 <= year <= today.year + 1:
            raise ValidationFailed(
                f"알 수 없는 기간입니다: '{text[:20]}'. 2026, 2026-Q2, 2026-05처럼 연·분기·월로 적어 주세요.",
                field="period",
                english="Unknown period; use a year (2026), a quarter (2026-Q2) or a month (2026-05).",
            )
        if found.group("quarter"):
            return cls("quarter", year, int(found.group("quarter")))
        if found.group("month"):
            return cls("month", year, int(found.group("month")))
        return cls("year", year)

    @property
    def code(self) -> str:
        """The URL form of the period."""
        if self.kind == "year":
            return str(self.year)
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    @property
    def label(self) -> str:
        """The Korean name of the period."""
        if self.kind == "year":
            return f"{self.year}년"
        if self.kind == "quarter":
            return f"{self.year}년 {self.number}분기"
        return f"{self.year}년 {self.number}월"

    @property
    def months(self) -> list[tuple[int, int]]:
        """The (year, month) pairs the period covers."""
        if self.kind == "year":
            return [(self.year, m) for m in range(1, 13)]
        if self.kind == "quarter":
            first = 3 * (self.number - 1) + 1
            return [(self.year, m) for m in range(first, first + 3)]
        return [(self.year, self.number)]

    @property
    def start(self) -> date:
        """First local day of the period."""
        year, month = self.months[0]
        return date(year, month, 1)

    @property
    def end(self) -> date:
        """Last local day of the period."""
        year, month = self.months[-1]
        return date(year, month, calendar.monthrange(year, month)[1])

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The period as a half-open UTC interval, for instants stored in UTC."""
        start = datetime.combine(self.start, time(0), SEOUL).astimezone(UTC)
        end = datetime.combine(self.end + timedelta(days=1), time(0), SEOUL).astimezone(UTC)
        return start, end

    def previous(self) -> Period:
        """The period of the same kind just before."""
        if self.kind == "year":
            return Period("year", self.year - 1)
        size = 4 if self.kind == "quarter" else 12
        index = self.year * size + self.number - 2
        return Period(self.kind, index // size, index % size + 1)

    def next(self) -> Period:
        """The period of the same kind just after."""
        if self.kind == "year":
            return Period("year", self.year + 1)
        size = 4 if self.kind == "quarter" else 12
        index = self.year * size + self.number
        return Period(self.kind, index // size, index % size + 1)


# --- scopes ------------------------------------------------------------------------------------

ScopeKind = Literal["district", "agency", "dong"]


@dataclass(frozen=True)
class Scope:
    """Whose numbers a dashboard shows, and whether small cells are hidden from this viewer."""

    kind: ScopeKind
    district_id: int
    object_id: int
    name: str
    #: the viewer is outside the owning agency: cells under 5 are suppressed
    suppress: bool
    #: the viewer belongs to the scope's agency: lists of people ("action needed") may be shown
    is_own: bool = False
    #: 권역 filter of the district dashboard
    region_id: int | None = None
    #: the dong centre agency of a dong scope
    dong_agency_id: int | None = None


def _agencies_of_district(district_id: int) -> sa.Select[Any]:
    return sa.select(Agency.id).where(Agency.district_id == district_id)


def _dong_ids_of_region(region_id: int) -> sa.Select[Any]:
    return sa.select(Dong.id).where(Dong.region_id == region_id)


def case_scope(scope: Scope) -> sa.ColumnElement[bool]:
    """The cases a scope counts: the district's agencies' cases, an agency's own or led cases, a dong's."""
    clauses: list[sa.ColumnElement[bool]] = [Case.is_deleted.is_(False)]
    if scope.kind == "district":
        clauses.append(Case.owning_agency_id.in_(_agencies_of_district(scope.district_id)))
        if scope.region_id is not None:
            clauses.append(Case.dong_id.in_(_dong_ids_of_region(scope.region_id)))
    elif scope.kind == "agency":
        clauses.append(
            sa.or_(Case.owning_agency_id == scope.object_id, Case.lead_agency_id == scope.object_id)
        )
    else:
        clauses.append(Case.dong_id == scope.object_id)
        clauses.append(Case.owning_agency_id.in_(_agencies_of_district(scope.district_id)))
    return sa.and_(*clauses)


# --- dialect helpers (the same SQL meaning on PostgreSQL and SQLite) ----------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _date_literal(day: date) -> sa.ColumnElement[Any]:
    # SQLite keeps dates as ISO text: compare text with text so computed dates line up.
    return sa.literal(day.isoformat()) if _dialect() == "sqlite" else sa.literal(day, sa.Date)


def _local_date(column: Any) -> sa.ColumnElement[Any]:
    """The Seoul calendar day of a UTC instant column."""
    if _dialect() == "sqlite":
        return sa.func.date(column, "+9 hours")
    return sa.cast(sa.func.timezone("Asia/Seoul", column), sa.Date)


def _add(column: Any, amount: int, unit: str) -> sa.ColumnElement[Any]:
    if _dialect() == "sqlite":
        return sa.func.date(column, f"+{amount} {unit}")
    interval = (
        sa.func.make_interval(0, amount) if unit == "months" else sa.func.make_interval(0, 0, 0, amount)
    )
    return sa.cast(column + interval, sa.Date)


def _weekday_shift(day: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Move a deadline on Saturday or Sunday to Monday, as `cases.deadlines.roll_past_weekend` does."""
    if _dialect() == "sqlite":
        dow: sa.ColumnElement[Any] = sa.cast(sa.func.strftime("%w", day), sa.Integer)
        shift = sa.case((dow == 6, "+2 days"), (dow == 0, "+1 days"), else_="+0 days")
        return sa.func.date(day, shift)
    dow = sa.extract("dow", day)
    return sa.cast(day + sa.case((dow == 6, 2), (dow == 0, 1), else_=0), sa.Date)


def _due(start: Any, spec: tuple[int, str]) -> sa.ColumnElement[Any]:
    return _weekday_shift(_add(start, spec[0], spec[1]))


def _elapsed_hours(start: Any, end: Any) -> sa.ColumnElement[Any]:
    if _dialect() == "sqlite":
        return sa.cast(sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 24), sa.Integer)
    return sa.cast(sa.func.round(sa.extract("epoch", end - start) / 3600), sa.Integer)


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def median_of(histogram: Sequence[tuple[int, int]]) -> float | None:
    """Return the median of values given as (value, count) pairs."""
    ordered = sorted((value, count) for value, count in histogram if count > 0)
    total = sum(count for _, count in ordered)
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value, count in ordered:
        for position in wanted:
            if seen <= position < seen + count:
                found.append(value)
        seen += count
    return sum(found) / len(found)


# --- 1. the seed-004 selection table --------------------------------------------------------------

_SELECTED = sa.and_(Case.selected_on.is_not(None), Case.stage != CaseStage.not_selected)
_CONDITIONS = {
    "selected": _SELECTED,
    "in_progress": sa.and_(_SELECTED, Case.stage.in_(OPEN_STAGES)),
    "closed": sa.and_(_SELECTED, Case.stage == CaseStage.closed),
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
            *(_count_if(condition) for condition in _CONDITIONS.values()),
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
            "판정 전=아직 선정 결과가 없는 사례."
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


# --- 2. households by type -----------------------------------------------------------------------


def household_categories(district_id: int) -> list[str]:
    """The household types the district counts (settings, else seed 004's), plus the catch-all."""
    district = db.session.get(District, district_id)
    configured = (district.settings or {}).get("dashboard_household_types") if district else None
    names = [str(name) for name in configured] if isinstance(configured, list) and configured else []
    return [*(names or DEFAULT_HOUSEHOLD_TYPES), OTHER_TYPE]


def households_by_type(scope: Scope, period: Period) -> tuple[Table, Table]:
    """Selected households per type (seed 004 counts the 선정 households), in total and per month."""
    categories = household_categories(scope.district_id)
    month = sa.extract("month", Case.opened_on)
    year = sa.extract("year", Case.opened_on)
    rows = db.session.execute(
        sa.select(year, month, Household.household_type, sa.func.count(sa.distinct(Case.household_id)))
        .join(Household, Household.id == Case.household_id)
        .where(case_scope(scope), _SELECTED, Case.opened_on.between(period.start, period.end))
        .group_by(year, month, Household.household_type)
    ).all()
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for y, m, kind, count in rows:
        name = kind if kind in categories else OTHER_TYPE
        bucket = counts.setdefault((int(y), int(m)), {})
        bucket[name] = bucket.get(name, 0) + int(count)
    # Households are counted once per month they were selected in; the total table sums distinct
    # households over the whole period with a second GROUP BY so a household is not counted twice.
    total_rows = db.session.execute(
        sa.select(Household.household_type, sa.func.count(sa.distinct(Case.household_id)))
        .join(Household, Household.id == Case.household_id)
        .where(case_scope(scope), _SELECTED, Case.opened_on.between(period.start, period.end))
        .group_by(Household.household_type)
    ).all()
    totals: dict[str, int] = {}
    for kind, count in total_rows:
        name = kind if kind in categories else OTHER_TYPE
        totals[name] = totals.get(name, 0) + int(count)
    total = Table(
        key="household_types",
        title="선정 가구 유형",
        columns=[Column("가구유형", "text"), Column("가구 수")],
        body=[[name, totals.get(name, 0)] for name in categories],
        note="사례관리 대상으로 선정된 가구, 유형은 구가 정한 가구 유형 분류에 따릅니다.",
        chart="bar",
    )
    total.body.append(["합계", sum(totals.values())])
    monthly = Table(
        key="household_types_monthly",
        title="월별 선정 가구 유형",
        columns=[Column("해당 월", "text"), *(Column(name) for name in categories)],
        body=[
            [_month_label(*key), *(counts.get(key, {}).get(name, 0) for name in categories)]
            for key in period.months
        ],
        chart="stacked",
    )
    return total, monthly


# --- 3. long-unclosed cases -----------------------------------------------------------------------


def long_unclosed(scope: Scope, period: Period) -> Table:
    """Cases still open at the period's end, by the year they were opened (seed 004 '장기 미종결')."""
    year = sa.extract("year", Case.opened_on)
    rows = db.session.execute(
        sa.select(year, sa.func.count(), _count_if(Case.intensity != CaseIntensity.simple))
        .where(case_scope(scope), Case.stage.in_(OPEN_STAGES), Case.opened_on <= period.end)
        .group_by(year)
        .order_by(year)
    ).all()
    cutoff = period.end - timedelta(days=365)
    table = Table(
        key="long_unclosed",
        title="미종결 사례 (접수 연도별)",
        columns=[Column("접수 연도", "text"), Column("미종결"), Column("집중·위기")],
        note=(
            f"{period.end:%Y-%m-%d} 현재 종결되지 않은 사례. "
            f"{cutoff:%Y-%m-%d} 이전 접수분은 1년 넘게 진행 중입니다."
        ),
        chart="bar",
        chart_columns=(1,),
    )
    for y, count, intensive in rows:
        table.body.append([f"{int(y)}년", int(count), int(intensive)])
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
            _count_if(Escalation.urgency == EscalationUrgency.urgent),
            _count_if(Escalation.status == EscalationStatus.submitted),
            _count_if(Escalation.status == EscalationStatus.accepted),
            _count_if(Escalation.status == EscalationStatus.returned),
        )
        .join(Case, Case.id == Escalation.case_id)
        .where(sent)
        .group_by(Case.dong_id)
    ).all()
    escalated_cases = sa.select(Escalation.case_id).where(sent)
    clocks: dict[int | None, list[int]] = {}
    today_value = _date_literal(today)
    for _code, spec, start, done, applies in _clock_specs(scope):
        due = _due(start, spec)
        is_open = Case.stage.in_(OPEN_STAGES)
        done_value = done
        rows = db.session.execute(
            sa.select(
                Case.dong_id,
                _count_if(sa.and_(done.is_not(None), done_value <= due)),
                _count_if(sa.and_(done.is_not(None), done_value > due)),
                _count_if(sa.and_(done.is_(None), is_open, today_value <= due)),
                _count_if(sa.and_(done.is_(None), is_open, today_value > due)),
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
            _count_if(came.c.agency_id.is_not(None)),
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


def special_sessions(scope: Scope, period: Period) -> Table:
    """확대사례회의, 긴급 위기사례회의 and 사례 슈퍼비전 sessions held in the period."""
    held = _conference_scope(scope, period)
    row = db.session.execute(
        sa.select(
            _count_if(Conference.kind == ConferenceKind.expanded),
            _count_if(Conference.kind == ConferenceKind.urgent),
            _count_if(Conference.kind == ConferenceKind.supervision),
            _count_if(Conference.kind == ConferenceKind.regional),
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
    finished_on = _local_date(ActionItem.completed_at)
    due = ActionItem.due_on
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            _count_if(sa.and_(done, finished_on <= due)),
            _count_if(sa.and_(done, finished_on > due)),
            _count_if(sa.and_(unfinished, ActionItem.due_on < today)),
            _count_if(sa.and_(unfinished, ActionItem.due_on >= today)),
            _count_if(ActionItem.status == ActionStatus.carried),
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
            _count_if(answered),
            _count_if(sa.and_(answered, Referral.status != ReferralStatus.rejected)),
            _count_if(Referral.status == ReferralStatus.rejected),
        )
        .where(*clauses)
        .group_by(Referral.receiving_agency_id)
    ).all()
    hours = _elapsed_hours(Referral.sent_at, Referral.responded_at)
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
        sa.select(Person.id, Person.name, sa.func.count(), _count_if(intensive))
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


# --- dong ------------------------------------------------------------------------------------------


def dong_activity(scope: Scope, period: Period) -> list[Table]:
    """The dong centre's visits, 내부판정회의 decisions, and escalations with their status."""
    centre = scope.dong_agency_id
    own_cases = sa.select(Case.id).where(case_scope(scope))
    visit_logs = db.session.scalar(
        sa.select(sa.func.count()).where(
            CounsellingLog.case_id.in_(own_cases),
            CounsellingLog.method == ContactMethod.home_visit,
            CounsellingLog.contacted_on.between(period.start, period.end),
        )
    )
    visit_intakes = db.session.scalar(
        sa.select(sa.func.count()).where(
            IntakeRecord.case_id.in_(own_cases),
            IntakeRecord.method == ContactMethod.home_visit,
            IntakeRecord.counselled_on.between(period.start, period.end),
        )
    )
    opened = db.session.scalar(
        sa.select(sa.func.count()).where(case_scope(scope), Case.opened_on.between(period.start, period.end))
    )
    visits = Table(
        key="visits",
        title="발굴·방문",
        columns=[Column("방문·접수 종류", "text"), Column("건수")],
        body=[
            ["새로 접수한 가구", int(opened or 0)],
            ["초기상담 방문", int(visit_intakes or 0)],
            ["점검 방문(상담일지)", int(visit_logs or 0)],
        ],
        chart="bar",
    )
    meetings = db.session.execute(
        sa.select(DongMeetingDecision.outcome, sa.func.count())
        .join(DongMeeting, DongMeeting.id == DongMeetingDecision.meeting_id)
        .where(
            DongMeeting.agency_id == (centre or 0),
            DongMeeting.held_on.between(period.start, period.end),
        )
        .group_by(DongMeetingDecision.outcome)
    ).all()
    held = db.session.scalar(
        sa.select(sa.func.count()).where(
            DongMeeting.agency_id == (centre or 0), DongMeeting.held_on.between(period.start, period.end)
        )
    )
    by_outcome = {outcome: int(count) for outcome, count in meetings}
    decisions = Table(
        key="dong_decisions",
        title="내부판정회의 판정",
        columns=[Column("판정", "text"), Column("가구 수")],
        body=[[outcome.label, by_outcome.get(outcome, 0)] for outcome in SelectionOutcome],
        note=f"이 기간 내부판정회의 {int(held or 0)}회.",
        chart="bar",
    )
    decisions.body.append(["합계", sum(by_outcome.values())])
    statuses = db.session.execute(
        sa.select(Escalation.status, sa.func.count())
        .where(
            Escalation.from_agency_id == (centre or 0),
            Escalation.submitted_on.between(period.start, period.end),
        )
        .group_by(Escalation.status)
    ).all()
    by_status = {status: int(count) for status, count in statuses}
    escalations = Table(
        key="dong_escalations",
        title="구청 의뢰 처리 상태",
        columns=[Column("상태", "text"), Column("건수")],
        body=[[status.label, by_status.get(status, 0)] for status in EscalationStatus],
        chart="bar",
    )
    listed = db.session.execute(
        sa.select(
            Case.id,
            Case.opened_on,
            Escalation.submitted_on,
            Escalation.urgency,
            Escalation.status,
            Escalation.decided_on,
            Escalation.placement,
        )
        .join(Case, Case.id == Escalation.case_id)
        .where(
            Escalation.from_agency_id == (centre or 0),
            Escalation.submitted_on.between(period.start, period.end),
        )
        .order_by(Escalation.submitted_on.desc(), Escalation.id.desc())
        .limit(ESCALATION_LIST_LIMIT)
    ).all()
    escalation_list = Table(
        key="dong_escalation_list",
        title="구청 의뢰 목록",
        columns=[
            Column("사례번호", "text"),
            Column("의뢰일", "text"),
            Column("긴급도", "text"),
            Column("상태", "text"),
            Column("처리일", "text"),
            Column("배정", "text"),
        ],
        body=[
            [
                case_number(opened, case_id),
                submitted.isoformat(),
                urgency.label,
                status.label,
                decided.isoformat() if decided else "",
                placement.label if placement else "",
            ]
            for case_id, opened, submitted, urgency, status, decided, placement in listed
        ],
        note=f"최근 {ESCALATION_LIST_LIMIT}건까지. 사례번호만 보여 줍니다(대상자 정보 없음).",
    )
    return [visits, decisions, escalations, escalation_list]


def dong_centre_of(dong_id: int) -> int | None:
    """Return the id of the dong's 주민센터 agency, if the network has one."""
    return db.session.scalar(
        sa.select(Agency.id)
        .where(Agency.dong_id == dong_id, Agency.type == AgencyType.dong_centre)
        .order_by(Agency.id)
        .limit(1)
    )


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
        return tables
    types, monthly = households_by_type(scope, period)
    tables = [selection_table(scope, period), types, monthly, long_unclosed(scope, period)]
    if scope.kind == "district":
        tables.append(escalations_by_dong(scope, period, today=today))
    tables += [
        conferences_by_region(scope, period),
        special_sessions(scope, period),
        action_items(scope, period, today=today),
        referral_stats(scope, period),
        caseload(scope),
    ]
    return tables


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
