"""상담일지 reads: the quick entry's defaults, the cases a group session may include, and the counts.

Only coded, non-personal columns are read here (method, area, type, place, dates, minutes); the
log's text goes through the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from agencies.models import Person
from cases.models import LOG_STAGES, Case, CounsellingLog, CounsellingSession, case_number
from hamkke.db import db


def last_entry_defaults(case_id: int, author_id: int) -> dict[str, Any]:
    """Return the worker's last 상담일지 choices for this case (method, 영역, 유형, 경로, place), or {}."""
    row = db.session.execute(
        sa.select(
            CounsellingLog.method,
            CounsellingLog.area,
            CounsellingLog.counselling_type,
            CounsellingLog.channel,
            CounsellingLog.place,
            CounsellingLog.minutes,
        )
        .where(CounsellingLog.case_id == case_id, CounsellingLog.author_id == author_id)
        .order_by(CounsellingLog.contacted_on.desc(), CounsellingLog.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return {}
    return {
        "method": row.method.value,
        "area": row.area.value,
        "counselling_type": row.counselling_type.value,
        "channel": row.channel.value,
        "place": row.place,
        "minutes": row.minutes,
    }


def group_candidates(worker_id: int, agency_id: int | None, exclude_case_id: int) -> list[tuple[int, str]]:
    """Return (id, label) of the worker's other open cases of the agency a group session may include.

    The label is the case number and stage only: the names of other cases' clients are not shown.
    """
    rows = db.session.execute(
        sa.select(Case.id, Case.opened_on, Case.stage)
        .where(
            Case.case_worker_id == worker_id,
            sa.or_(Case.owning_agency_id == agency_id, Case.lead_agency_id == agency_id),
            Case.stage.in_(LOG_STAGES),
            Case.deleted_at.is_(None),
            Case.id != exclude_case_id,
        )
        .order_by(Case.opened_on.desc(), Case.id.desc())
    )
    return [(row.id, f"{case_number(row.opened_on, row.id)} · {row.stage.label}") for row in rows]


@dataclass(frozen=True)
class SessionCounts:
    """A worker's counselling in a period: sessions counted once, their real minutes, per-case logs."""

    sessions: int
    group_sessions: int
    minutes: int
    case_logs: int


def worker_session_counts(worker_id: int, start: date, end: date) -> SessionCounts:
    """Count a worker's sessions in [start, end]: a group session once, with its minutes once."""
    sessions = db.session.execute(
        sa.select(
            sa.func.count(CounsellingSession.id),
            sa.func.count(CounsellingSession.id).filter(CounsellingSession.case_count > 1),
            sa.func.coalesce(sa.func.sum(CounsellingSession.minutes), 0),
        ).where(
            CounsellingSession.counsellor_id == worker_id,
            CounsellingSession.held_on.between(start, end),
        )
    ).one()
    case_logs = db.session.scalar(
        sa.select(sa.func.count(CounsellingLog.id))
        .join(CounsellingSession, CounsellingSession.id == CounsellingLog.session_id)
        .where(
            CounsellingSession.counsellor_id == worker_id,
            CounsellingSession.held_on.between(start, end),
        )
    )
    return SessionCounts(
        sessions=int(sessions[0]),
        group_sessions=int(sessions[1]),
        minutes=int(sessions[2]),
        case_logs=int(case_logs or 0),
    )


def case_log_count(case_id: int) -> int:
    """Count the 상담일지 of one case: a group session counts once for each case that took part."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count(CounsellingLog.id)).where(CounsellingLog.case_id == case_id)
        )
        or 0
    )


def people_names(person_ids: set[int]) -> dict[int, str]:
    """Return the names of the staff who wrote records (workers' names are no client data)."""
    if not person_ids:
        return {}
    rows = db.session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(person_ids)))
    return {row.id: row.name for row in rows}


def session_sizes(session_ids: set[int]) -> dict[int, int]:
    """Return how many cases each session covered (1 = individual, more = a group session)."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        sa.select(CounsellingSession.id, CounsellingSession.case_count).where(
            CounsellingSession.id.in_(session_ids)
        )
    )
    return {row.id: row.case_count for row in rows}
