"""Retention: destroy a case's personal records 5 years after closure or 미선정, and log it without PII."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import sqlalchemy as sa

from cases.models import (
    Attachment,
    CapacityAssessment,
    Case,
    CaseEvaluation,
    CaseEvent,
    CaseStage,
    Client,
    ClosureReview,
    CounsellingLog,
    CrisisRating,
    DestructionLog,
    DongMeetingDecision,
    Escalation,
    FollowUpPlan,
    Household,
    IntakeRecord,
    Need,
    SelectionDecision,
    ServiceCheck,
    ServicePlan,
)
from hamkke import audit
from hamkke.db import db
from hamkke.time import now_utc

logger = logging.getLogger(__name__)

RETENTION_YEARS = 5
#: what a destroyed name reads as (the row stays so statistics and foreign keys hold)
DESTROYED = "(파기됨)"
#: case records removed whole; their counts go to the destruction log
RECORD_MODELS: tuple[Any, ...] = (
    IntakeRecord,
    Need,
    CrisisRating,
    SelectionDecision,
    ServiceCheck,
    ServicePlan,
    CounsellingLog,
    ClosureReview,
    FollowUpPlan,
    Escalation,
    DongMeetingDecision,
    CapacityAssessment,
    CaseEvaluation,
)


def retention_ends(ended_on: date) -> date:
    """Return the day a record ended on ``ended_on`` becomes due for destruction (5 years on)."""
    try:
        return ended_on.replace(year=ended_on.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        return ended_on.replace(year=ended_on.year + RETENTION_YEARS, day=28)


def _anonymise_client(client: Client) -> None:
    for column in Client.__table__.columns:
        if column.info.get("pii") and column.name != "name":
            setattr(client, column.name, column.default.arg if column.default is not None else None)
    client.name = DESTROYED
    client.mark_deleted()


def purge_case(case: Case, files: list[str]) -> dict[str, int]:
    """Destroy one case's personal records; return counts per table (flushes; the caller commits)."""
    counts: dict[str, int] = {}
    for model in RECORD_MODELS:
        rows = db.session.scalars(sa.select(model).where(model.case_id == case.id)).all()
        if rows:
            counts[model.__tablename__] = len(rows)
        for row in rows:
            db.session.delete(row)
    attachments = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id)).all()
    if attachments:
        counts[Attachment.__tablename__] = len(attachments)
    for attachment in attachments:
        files.append(attachment.storage_key)
        db.session.delete(attachment)
    events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    for event in events:
        # The timeline keeps its skeleton (what happened when) for statistics; the words go.
        event.note = None
    case.referrer = None
    # The household's people go only when no other case of theirs is still inside its retention.
    others = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Case)
        .where(Case.household_id == case.household_id, Case.id != case.id, Case.purged_at.is_(None))
    )
    if not others:
        household = db.session.get(Household, case.household_id)
        if household is not None:
            household.composition = None
            household.characteristics = []
            household.main_client_reason = None
            household.mark_deleted()
            for client in household.members:
                _anonymise_client(client)
            counts["clients"] = len(household.members)
    case.purged_at = now_utc()
    db.session.flush()
    return counts


def purge_expired_records(today: date) -> tuple[int, list[str]]:
    """Purge every case whose retention ended by ``today``; return how many and the files to remove.

    Idempotent: purged cases carry ``purged_at`` and are skipped on the next run.
    """
    candidates = db.session.scalars(
        sa.select(Case)
        .where(
            Case.purged_at.is_(None),
            Case.stage.in_([CaseStage.closed, CaseStage.not_selected]),
            Case.closed_on.is_not(None),
        )
        .order_by(Case.id)
    ).all()
    # closed_on is the day of 종결; a case closed through 사후관리 kept records until its 종결확정,
    # so its retention runs from the later of the two.
    confirmed: dict[int, date] = {
        case_id: day
        for case_id, day in db.session.execute(
            sa.select(FollowUpPlan.case_id, sa.func.max(FollowUpPlan.outcome_on))
            .where(FollowUpPlan.case_id.in_([case.id for case in candidates]))
            .group_by(FollowUpPlan.case_id)
        ).tuples()
        if day is not None
    }
    files: list[str] = []
    purged = 0
    for case in candidates:
        assert case.closed_on is not None  # noqa: S101 -- filtered above
        ended_on = max(case.closed_on, confirmed.get(case.id, case.closed_on))
        if retention_ends(ended_on) > today:
            continue
        counts = purge_case(case, files)
        db.session.add(
            DestructionLog(
                case_id=case.id,
                owning_agency_id=case.owning_agency_id,
                basis=case.stage.value,
                ended_on=ended_on,
                counts=counts,
            )
        )
        audit.record("case.purged", obj=case, agency_id=case.owning_agency_id, data={"counts": counts})
        purged += 1
    db.session.flush()
    if purged:
        logger.info("Retention purge destroyed the records of %s cases", purged)
    return purged, files
