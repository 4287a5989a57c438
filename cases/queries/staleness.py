"""Stale cases: three months of refusal or lost contact, or a service plan past its period.

Seeds 000 and 001 close a case after three months or more of 서비스 거부 or 연락두절; a plan whose
period has ended needs a re-plan or a closure review. Both are computed in SQL over the 상담일지
(their monitoring finding records a refusal or a lost contact) and the agreed plans, so a list of
the district's stale cases costs two queries whatever its size. No personal data is read here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from cases import deadlines
from cases.models import Case, CaseStage, CounsellingLog, MonitoringFinding, ServicePlan, case_number
from hamkke.db import db
from notifications.digest import AgencyDigest

#: how long a refusal or a lost contact lasts before the case is stale (seed 001: 연락두절 3개월 이상)
STALE_MONTHS = 3
#: findings of a 상담일지 that record no real contact: the client refused, or could not be reached
NO_CONTACT_FINDINGS = (MonitoringFinding.refused, MonitoringFinding.moved_or_lost_contact)
#: stages in which a refusal or lost contact makes a case stale (상담일지 are written there, and the
#: case is neither under closure review nor closed)
CONTACT_STAGES = (CaseStage.assessment, CaseStage.planning, CaseStage.delivery)


class StaleReason(enum.StrEnum):
    """Why a case is stale."""

    refusal = "refusal"
    lost_contact = "lost_contact"
    plan_ended = "plan_ended"

    @property
    def label(self) -> str:
        """Korean description of the reason."""
        return {
            "refusal": f"대상자의 서비스 거부가 {STALE_MONTHS}개월 이상 계속됨",
            "lost_contact": f"연락두절이 {STALE_MONTHS}개월 이상 계속됨",
            "plan_ended": "서비스제공계획 기간이 끝남",
        }[self.value]

    @property
    def episode(self) -> str:
        """The episode a notification is sent once for: refusal and lost contact are one episode."""
        return "plan" if self == StaleReason.plan_ended else "contact"


@dataclass(frozen=True)
class StaleFinding:
    """One reason a case is stale and the day it began (the first refusal, or the plan's last day)."""

    reason: StaleReason
    since: date

    @property
    def text(self) -> str:
        """The notice line shown to staff: the reason and since when."""
        if self.reason == StaleReason.plan_ended:
            return f"{self.reason.label} ({self.since:%Y-%m-%d} 종료)"
        return f"{self.reason.label} ({self.since:%Y-%m-%d}부터)"


@dataclass
class StaleCase:
    """A stale case's non-personal facts and why it is stale."""

    case_id: int
    opened_on: date
    stage: CaseStage
    owning_agency_id: int
    lead_agency_id: int | None
    case_worker_id: int | None
    dong_id: int | None
    findings: list[StaleFinding] = field(default_factory=list)

    @property
    def number(self) -> str:
        """The case number people read."""
        return case_number(self.opened_on, self.case_id)

    @property
    def since(self) -> date:
        """The earliest day one of its reasons began."""
        return min(finding.since for finding in self.findings)

    @property
    def text(self) -> str:
        """Every reason in one line."""
        return " · ".join(finding.text for finding in self.findings)

    @property
    def can_start_review(self) -> bool:
        """Tell whether the workflow lets a closure review start from the case's stage."""
        return self.stage == CaseStage.delivery


def _date_value(day: date) -> sa.ColumnElement[Any]:
    """A date bound for comparison with stored and computed dates on either dialect."""
    # SQLite keeps dates as ISO text and date() returns text: compare text with text there.
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.literal(day.isoformat())
    return sa.literal(day, sa.Date)


def _months_after(column: Any, months: Any) -> sa.ColumnElement[date]:
    """A date column plus a number of months taken from another column (the plan's horizon)."""
    if db.session.get_bind().dialect.name == "sqlite":
        shifted: sa.ColumnElement[Any] = sa.func.date(column, "+" + sa.cast(months, sa.String) + " months")
    else:
        shifted = sa.cast(column + sa.func.make_interval(0, months), sa.Date)
    return sa.type_coerce(shifted, sa.Date)


def _scoped(
    select: sa.Select[Any],
    *,
    case_ids: list[int] | None,
    agency_id: int | None,
    worker_id: int | None,
    condition: sa.ColumnElement[bool] | None,
) -> sa.Select[Any]:
    select = select.where(Case.is_deleted.is_(False), Case.purged_at.is_(None))
    if condition is not None:
        select = select.where(condition)
    if case_ids is not None:
        select = select.where(Case.id.in_(case_ids))
    if agency_id is not None:
        select = select.where(sa.or_(Case.owning_agency_id == agency_id, Case.lead_agency_id == agency_id))
    if worker_id is not None:
        select = select.where(Case.case_worker_id == worker_id)
    return select


_FACTS = (
    Case.id,
    Case.opened_on,
    Case.stage,
    Case.owning_agency_id,
    Case.lead_agency_id,
    Case.case_worker_id,
    Case.dong_id,
)


def _no_contact_rows(today: date, **scope: Any) -> list[sa.Row[Any]]:
    """Cases whose refusal or lost contact since their last real contact began 3 months ago or more."""
    real = (
        sa.select(CounsellingLog.case_id, sa.func.max(CounsellingLog.contacted_on).label("last_real"))
        .where(CounsellingLog.finding.not_in(NO_CONTACT_FINDINGS))
        .group_by(CounsellingLog.case_id)
        .subquery()
    )
    refused_on = sa.case(
        (CounsellingLog.finding == MonitoringFinding.refused, CounsellingLog.contacted_on), else_=sa.null()
    )
    episode = (
        sa.select(
            CounsellingLog.case_id,
            sa.func.min(CounsellingLog.contacted_on).label("since"),
            sa.func.min(refused_on).label("refused_since"),
        )
        .outerjoin(real, real.c.case_id == CounsellingLog.case_id)
        .where(
            CounsellingLog.finding.in_(NO_CONTACT_FINDINGS),
            # only the refusals and failed contacts after the last real contact make up the episode
            sa.or_(real.c.last_real.is_(None), CounsellingLog.contacted_on > real.c.last_real),
        )
        .group_by(CounsellingLog.case_id)
        .subquery()
    )
    cutoff = deadlines.add_period(today, -STALE_MONTHS, "months")
    select = (
        sa.select(*_FACTS, episode.c.since, episode.c.refused_since)
        .join(episode, episode.c.case_id == Case.id)
        .where(Case.stage.in_(CONTACT_STAGES), episode.c.since <= cutoff)
    )
    return list(db.session.execute(_scoped(select, **scope)).all())


def _plan_ended_rows(today: date, **scope: Any) -> list[sa.Row[Any]]:
    """Cases in 실행·점검 whose latest agreed plan's period (agreed day + horizon) ended before today."""
    latest = (
        sa.select(sa.func.max(ServicePlan.id).label("plan_id"))
        .where(ServicePlan.agreed_on.is_not(None))
        .group_by(ServicePlan.case_id)
        .subquery()
    )
    ends_on = _months_after(ServicePlan.agreed_on, ServicePlan.horizon_months)
    select = (
        sa.select(*_FACTS, ends_on.label("ends_on"))
        .join(ServicePlan, ServicePlan.case_id == Case.id)
        .join(latest, latest.c.plan_id == ServicePlan.id)
        .where(Case.stage == CaseStage.delivery, ends_on < _date_value(today))
    )
    return list(db.session.execute(_scoped(select, **scope)).all())


def _as_date(value: Any) -> date:
    """A date from a result column (SQLite may hand back the ISO text of a computed date)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def stale_cases(
    today: date,
    *,
    case_ids: list[int] | None = None,
    agency_id: int | None = None,
    worker_id: int | None = None,
    condition: sa.ColumnElement[bool] | None = None,
) -> list[StaleCase]:
    """Return the stale cases as of ``today`` (optionally of some cases, an agency or a worker).

    ``condition`` is any further SQL condition on the case (a dashboard's scope). Ordered by the day
    they became stale, oldest first.
    """
    scope = {"case_ids": case_ids, "agency_id": agency_id, "worker_id": worker_id, "condition": condition}
    found: dict[int, StaleCase] = {}

    def entry(row: sa.Row[Any]) -> StaleCase:
        if row[0] not in found:
            found[row[0]] = StaleCase(*row[:7])
        return found[row[0]]

    for row in _no_contact_rows(today, **scope):
        since, refused_since = _as_date(row.since), row.refused_since
        reason = StaleReason.refusal if refused_since is not None else StaleReason.lost_contact
        entry(row).findings.append(StaleFinding(reason, since))
    for row in _plan_ended_rows(today, **scope):
        entry(row).findings.append(StaleFinding(StaleReason.plan_ended, _as_date(row.ends_on)))
    return sorted(found.values(), key=lambda stale: (stale.since, stale.case_id))


def staleness_of(case_id: int, today: date) -> StaleCase | None:
    """Return why one case is stale as of ``today``, or None when it is not."""
    found = stale_cases(today, case_ids=[case_id])
    return found[0] if found else None


def add_stale_cases_to_digest(digest: AgencyDigest, today: date) -> None:
    """Fill the weekly digest with the agency's cases due for a closure review (number and reason)."""
    digest.stale_cases = [
        (stale.number, stale.text, stale.case_id) for stale in stale_cases(today, agency_id=digest.agency.id)
    ]
