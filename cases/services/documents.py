"""Documents and scores: attachments, the 자활역량평가표 and the 사례관리 평가서."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from flask import current_app

from agencies.models import Person, StaffRole
from cases.models import Attachment, AttachmentKind, CapacityAssessment, Case, CaseEvaluation
from cases.scores import SELF_CHECK_CODES, EvaluationRow, capacity_score, evaluation_result
from cases.services.common import _event, _optional, _past, _staff_of
from hamkke.db import db
from hamkke.errors import PermissionDenied, ValidationFailed

#: attachments: what may be uploaded and how large
ATTACHMENT_TYPES = {"application/pdf": b"%PDF", "image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8\xff"}
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


def attachment_folder() -> Path:
    """Return the folder case files are kept in: under the instance folder, outside static/."""
    folder = Path(current_app.instance_path) / "case_files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_attachment(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    kind: AttachmentKind,
    filename: str,
    content_type: str,
    data: bytes,
) -> Attachment:
    """Store a genogram, eco-map or scan (PDF, PNG, JPEG up to 5 MB, checked by content)."""
    magic = ATTACHMENT_TYPES.get(content_type)
    if magic is None:
        raise ValidationFailed("PDF, PNG, JPEG 파일만 올릴 수 있습니다.", field="file")
    if not data:
        raise ValidationFailed("빈 파일입니다.", field="file")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed("파일은 5MB 이하만 올릴 수 있습니다.", field="file")
    if not data.startswith(magic):
        # The browser's type is a claim; the first bytes are what the file is.
        raise ValidationFailed("파일 내용이 형식과 맞지 않습니다.", field="file")
    name = Path(filename or "").name.strip()[:200] or "첨부파일"
    key = secrets.token_hex(16)
    attachment = Attachment(
        case_id=case.id,
        kind=kind,
        filename=name,
        content_type=content_type,
        size=len(data),
        storage_key=key,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
    )
    db.session.add(attachment)
    db.session.flush()
    # Written before the commit so a committed row never names a missing file; if the transaction
    # rolls back, the file is an orphan that the retention purge removes (no row names it).
    (attachment_folder() / key).write_bytes(data)
    _event(case, "attachment", actor=actor, agency_id=agency_id, data={"attachment_id": attachment.id})
    return attachment


def record_capacity_assessment(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    assessed_on: date,
    answers: dict[str, str],
    worker_will: int,
    worker_employability: int,
    supervisor_adjustment: int = 0,
    self_check: Sequence[str] = (),
) -> CapacityAssessment:
    """Record a 자활역량평가표 with its total and group computed (supervisor ±5 needs the role)."""
    if (
        supervisor_adjustment
        and _staff_of(actor.id, {case.owning_agency_id, case.lead_agency_id}, StaffRole.supervisor) is None
    ):
        raise PermissionDenied("슈퍼바이저 평가점수는 슈퍼바이저만 줄 수 있습니다.")
    score = capacity_score(
        answers,
        worker_will=worker_will,
        worker_employability=worker_employability,
        supervisor_adjustment=supervisor_adjustment,
    )
    record = CapacityAssessment(
        case_id=case.id,
        assessed_on=_past(assessed_on, "assessed_on", "사정일"),
        answers=dict(answers),
        worker_will=worker_will,
        worker_employability=worker_employability,
        supervisor_adjustment=supervisor_adjustment,
        self_check=_self_check(self_check),
        total=score.total,
        group=score.group,
        assessed_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    _event(
        case, "capacity", actor=actor, agency_id=agency_id, data={"total": score.total, "group": score.group}
    )
    return record


def _self_check(ticked: Sequence[str]) -> list[str]:
    unknown = set(ticked) - set(SELF_CHECK_CODES)
    if unknown:
        raise ValidationFailed("자가 평가 체크리스트에 없는 문항입니다.", field=sorted(unknown)[0])
    return [code for code in SELF_CHECK_CODES if code in ticked]


def record_evaluation(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    evaluated_on: date,
    rows: Sequence[EvaluationRow],
    worker_opinion: str | None = None,
    affiliation: str | None = None,
) -> CaseEvaluation:
    """Record a 사례관리 평가서 with its averages computed; ≥ 8 shows a closure-review suggestion."""
    result = evaluation_result(rows)
    record = CaseEvaluation(
        case_id=case.id,
        evaluated_on=_past(evaluated_on, "evaluated_on", "평가일"),
        affiliation=_optional(affiliation, "affiliation", "참여자 소속", 100),
        rows=[row.__dict__ for row in rows],
        average_achievement=result.average_achievement,
        worker_opinion=_optional(worker_opinion, "worker_opinion", "사례관리자 의견"),
        evaluated_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    _event(
        case,
        "evaluation",
        actor=actor,
        agency_id=agency_id,
        data={"average": result.average_achievement, "suggests_closure": result.suggests_closure_review},
    )
    return record
