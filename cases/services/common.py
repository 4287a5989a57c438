"""Shared pieces of the case services: the small validators, the timeline event and the staff check."""

from __future__ import annotations

from datetime import date
from typing import Any

from agencies.access import active_memberships
from agencies.models import Membership, Person, StaffRole
from cases.models import Case, CaseEvent, CaseStage
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import today_local

#: records are destroyed this long after closure or 미선정 (PIPA; seed 000 L684)
RETENTION_YEARS = 5
MAX_TEXT = 4000


def _text(
    value: str | None, field_name: str, label: str, limit: int = MAX_TEXT, *, required: bool = True
) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ValidationFailed(f"{with_particle(label, '을')} 입력해 주세요.", field=field_name)
    if len(cleaned) > limit:
        raise ValidationFailed(
            f"{with_particle(label, '은')} {limit}자 이내로 적어 주세요.", field=field_name
        )
    return cleaned


def _optional(value: str | None, field_name: str, label: str, limit: int = MAX_TEXT) -> str | None:
    return _text(value, field_name, label, required=False, limit=limit) or None


def _past(day: date | None, field_name: str, label: str) -> date:
    if day is None:
        raise ValidationFailed(f"{with_particle(label, '을')} 입력해 주세요.", field=field_name)
    if day > today_local():
        raise ValidationFailed(f"{with_particle(label, '은')} 미래일 수 없습니다.", field=field_name)
    return day


def _event(
    case: Case,
    kind: str,
    *,
    actor: Person,
    agency_id: int | None,
    note: str | None = None,
    action: str | None = None,
    from_stage: CaseStage | None = None,
    to_stage: CaseStage | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        kind=kind,
        actor_id=actor.id,
        agency_id=agency_id,
        note=note,
        action=action,
        from_stage=from_stage.value if from_stage else None,
        to_stage=to_stage.value if to_stage else None,
    )
    db.session.add(event)
    db.session.flush()
    # The audit row carries codes and IDs only; the reason text stays on the case record.
    audit.record(
        f"case.{kind}" if kind != "transition" else f"case.transition.{action}",
        actor_id=actor.id,
        agency_id=agency_id,
        obj=case,
        data={
            "event_id": event.id,
            **({"from": event.from_stage, "to": event.to_stage} if action else {}),
            **(data or {}),
        },
    )
    return event


def _require_stage(case: Case, *stages: CaseStage, what: str) -> None:
    if case.stage not in stages:
        names = ", ".join(stage.label for stage in stages)
        raise InvalidTransition(
            f"'{case.stage.label}' 단계에서는 {with_particle(what, '을')} 기록할 수 없습니다. "
            f"({names} 단계에서 합니다.)",
            english=f"Cannot record {what} in stage {case.stage.value}.",
        )


def _staff_of(person_id: int, agency_ids: set[int | None], role: StaffRole) -> Person | None:
    person = db.session.get(Person, person_id)
    if person is None:
        return None
    for membership in active_memberships(person):
        if membership.agency_id in agency_ids and role in membership.role_set:
            return person
    return None


def membership_of(person: Person, agency_id: int | None) -> Membership | None:
    """Return the person's active membership in an agency, if any."""
    return next((m for m in active_memberships(person) if m.agency_id == agency_id), None)
