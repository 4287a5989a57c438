"""상담일지 (필수서식7) writes: one session, one log per case, and the 위기도 rating with its items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from agencies.models import Person
from cases.models import (
    CRISIS_SCORE_MAX,
    LOG_STAGES,
    Case,
    CaseStage,
    CounsellingArea,
    CounsellingLog,
    CounsellingMethod,
    CounsellingSession,
    CounsellingType,
    CrisisItem,
    CrisisItemScore,
    CrisisRating,
    MonitoringAction,
    MonitoringChannel,
    MonitoringFinding,
    RiskLevel,
)
from cases.services.common import _event, _optional, _past, _require_stage, _text
from cases.services.monitoring import MONITORING_ACTIONS
from hamkke.db import db
from hamkke.errors import ValidationFailed

#: a group session covers at most this many cases (a class of 30 is already a lecture)
MAX_GROUP_CASES = 30
#: 상담시간 bounds of 필수서식7
MIN_MINUTES, MAX_MINUTES = 10, 180


@dataclass(frozen=True)
class LogEntry:
    """What a worker writes in one 상담일지; a group session writes it once for several cases."""

    contacted_on: date | None
    method: CounsellingMethod
    area: CounsellingArea
    counselling_type: CounsellingType
    minutes: int
    content: str
    channel: MonitoringChannel = MonitoringChannel.regular_contact
    starts_at: time | None = None
    place: str | None = None
    participant_names: str | None = None
    purpose: str | None = None
    result: str | None = None
    worker_opinion: str | None = None
    worker_opinion_2: str | None = None
    worker_opinion_3: str | None = None
    remarks: str | None = None
    finding: MonitoringFinding = MonitoringFinding.on_track


def _log_for(case: Case, entry: LogEntry, session: CounsellingSession, author_id: int) -> CounsellingLog:
    return CounsellingLog(
        case_id=case.id,
        session=session,
        contacted_on=session.held_on,
        starts_at=entry.starts_at,
        channel=entry.channel,
        method=entry.method,
        area=entry.area,
        counselling_type=entry.counselling_type,
        minutes=entry.minutes,
        place=_optional(entry.place, "place", "상담장소", limit=200),
        participant_names=_optional(entry.participant_names, "participant_names", "참여자", limit=300),
        purpose=_optional(entry.purpose, "purpose", "상담목적"),
        content=_text(entry.content, "content", "상담내용(제공 서비스와 대상자의 변화)"),
        worker_opinion=_optional(entry.worker_opinion, "worker_opinion", "상담자 의견1"),
        worker_opinion_2=_optional(entry.worker_opinion_2, "worker_opinion_2", "상담자 의견2"),
        worker_opinion_3=_optional(entry.worker_opinion_3, "worker_opinion_3", "상담자 의견3"),
        result=_optional(entry.result, "result", "상담결과"),
        remarks=_optional(entry.remarks, "remarks", "비고"),
        finding=entry.finding,
        author_id=author_id,
    )


def record_session(
    cases: Sequence[Case], entry: LogEntry, *, actor: Person, agency_id: int | None
) -> tuple[CounsellingSession, list[tuple[CounsellingLog, MonitoringAction]]]:
    """Write one counselling session with a 상담일지 per case; the session is counted once."""
    if not cases:
        raise ValidationFailed("상담한 사례를 하나 이상 골라 주세요.", field="group_case_ids")
    if len({case.id for case in cases}) != len(cases):
        raise ValidationFailed("같은 사례를 두 번 고를 수 없습니다.", field="group_case_ids")
    if len(cases) > MAX_GROUP_CASES:
        raise ValidationFailed(
            f"집단상담은 한 번에 {MAX_GROUP_CASES}사례까지 기록합니다.", field="group_case_ids"
        )
    for case in cases:
        _require_stage(case, *LOG_STAGES, what="상담일지")
    if not MIN_MINUTES <= entry.minutes <= MAX_MINUTES:
        raise ValidationFailed("상담시간은 10분부터 180분까지입니다.", field="minutes")
    session = CounsellingSession(
        held_on=_past(entry.contacted_on, "contacted_on", "상담일"),
        method=entry.method,
        minutes=entry.minutes,
        counsellor_id=actor.id,
        agency_id=agency_id,
        case_count=len(cases),
    )
    # Build (and so validate) every log before adding anything: a refusal leaves nothing behind.
    logs = [_log_for(case, entry, session, actor.id) for case in cases]
    db.session.add(session)
    db.session.add_all(logs)
    db.session.flush()
    action = MONITORING_ACTIONS[entry.finding]
    for case, log in zip(cases, logs, strict=True):
        _event(
            case,
            "log",
            actor=actor,
            agency_id=agency_id,
            data={
                "log_id": log.id,
                "session_id": session.id,
                "finding": entry.finding.value,
                "action": action.value,
            },
        )
    return session, [(log, action) for log in logs]


def add_counselling_log(
    case: Case, *, actor: Person, agency_id: int | None, **fields: Any
) -> tuple[CounsellingLog, MonitoringAction]:
    """Write an individual 상담일지 (``fields`` are `LogEntry`'s); return it with the monitoring action."""
    _session, [(log, action)] = record_session([case], LogEntry(**fields), actor=actor, agency_id=agency_id)
    return log, action


def crisis_level(scores: Mapping[CrisisItem, int], *, life_safety: bool) -> tuple[int, RiskLevel]:
    """Return the 위기도 total and level: any item at 4 or life at stake is 위기(긴급), else by the total."""
    total = sum(scores.values())
    if life_safety or any(score == CRISIS_SCORE_MAX for score in scores.values()):
        return total, RiskLevel.critical
    if total >= 20:
        return total, RiskLevel.high
    if total >= 10:
        return total, RiskLevel.medium
    return total, RiskLevel.low


def rate_crisis(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    rated_on: date | None,
    scores: Mapping[CrisisItem, int],
    life_safety: bool,
    notes: str | None = None,
) -> CrisisRating:
    """Record a 위기도 rating from its item scores; the total and the level are computed."""
    _require_stage(case, CaseStage.assessment, CaseStage.delivery, what="위기도")
    missing = [item for item in CrisisItem if item not in scores]
    if missing:
        raise ValidationFailed(
            f"위기도 항목 '{missing[0].label}'의 점수를 골라 주세요.", field=f"item_{missing[0].value}"
        )
    for item, score in scores.items():
        if not 0 <= score <= CRISIS_SCORE_MAX:
            raise ValidationFailed(
                f"위기도 점수는 0부터 {CRISIS_SCORE_MAX}까지입니다.", field=f"item_{item.value}"
            )
    total, level = crisis_level(scores, life_safety=life_safety)
    rating = CrisisRating(
        case_id=case.id,
        rated_on=_past(rated_on, "rated_on", "조사일"),
        level=level,
        total=total,
        life_safety=life_safety,
        notes=_optional(notes, "notes", "메모"),
        rated_by_id=actor.id,
        items=[CrisisItemScore(item=item, score=scores[item]) for item in CrisisItem],
    )
    db.session.add(rating)
    if life_safety:
        # The flag only ever goes on here; lifting it is a supervisor's closure approval, not a new rating.
        case.is_life_safety = True
    db.session.flush()
    _event(
        case,
        "crisis",
        actor=actor,
        agency_id=agency_id,
        data={"level": level.value, "total": total, "life_safety": life_safety},
    )
    return rating
