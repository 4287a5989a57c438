"""Writes of 필수서식 1 기본면접기록지: the interview and its sections, saved whole, audited once.

A save replaces the case's interview (one per case) and its repeated rows with what the worker sent;
세대유형 and 가구특성 are the household's own columns and 보장구분 the main client's, so the form is
where a worker keeps them (the correction request is no longer the only way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa

from agencies.models import Person
from cases.models import Case, CaseStage, Household
from cases.models.interview import (
    BasicInterview,
    InterviewAccount,
    InterviewBenefits,
    InterviewCareer,
    InterviewFamilyMember,
    InterviewHealth,
    InterviewLicence,
    InterviewSchooling,
    InterviewTraining,
)
from cases.services.common import _event, _past
from hamkke.db import Model, db
from hamkke.errors import InvalidTransition, ValidationFailed

#: the most 가구특성 the form allows
MAX_TRAITS = 4
Row = Mapping[str, Any]
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class InterviewInput:
    """What the worker sent: each section's values by column name, and the repeated rows."""

    interview: Row
    health: Row
    benefits: Row
    #: None: no account given (all three fields empty)
    account: Row | None = None
    #: 보장구분 (the main client's ``benefit_category``)
    coverage: str | None = None
    #: 세대유형 and 가구특성 (the household's columns)
    composition: str | None = None
    traits: Sequence[str] = ()
    family: Sequence[Row] = field(default_factory=tuple)
    careers: Sequence[Row] = field(default_factory=tuple)
    licences: Sequence[Row] = field(default_factory=tuple)
    trainings: Sequence[Row] = field(default_factory=tuple)
    schooling: Sequence[Row] = field(default_factory=tuple)


#: repeated tables: input attribute -> model
_ROW_MODELS: dict[str, type[Model]] = {
    "family": InterviewFamilyMember,
    "careers": InterviewCareer,
    "licences": InterviewLicence,
    "trainings": InterviewTraining,
    "schooling": InterviewSchooling,
}


def _check(data: InterviewInput, case: Case) -> None:
    """Refuse what the form's own validation should have caught (other callers: the demo, the API)."""
    if case.stage == CaseStage.closed:
        raise InvalidTransition(
            "종결된 사례의 기본면접기록지는 고칠 수 없습니다.",
            english="A closed case's interview record cannot be changed.",
        )
    day = _past(data.interview.get("counselled_on"), "counselled_on", "상담일")
    if day < case.opened_on:
        raise ValidationFailed("상담일은 접수일보다 빠를 수 없습니다.", field="counselled_on")
    if len(data.traits) > MAX_TRAITS:
        raise ValidationFailed("가구특성은 최대 4개까지 고를 수 있습니다.", field="traits")
    for name in ("family", "careers", "trainings"):
        for row in getattr(data, name):
            started, ended = row.get("started_on"), row.get("ended_on")
            if started and ended and ended < started:
                raise ValidationFailed("종료일은 시작일보다 빠를 수 없습니다.", field=name)


def _upsert(model: type[M], case: Case, values: Row) -> M:
    """Write the case's one row of ``model`` with ``values`` (created on first save)."""
    row = db.session.scalar(sa.select(model).where(model.case_id == case.id))  # type: ignore[attr-defined]
    if row is None:
        row = model(case_id=case.id)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


def _replace_rows(model: type[Model], case: Case, rows: Sequence[Row]) -> int:
    """Replace the case's rows of a repeated table with ``rows``; return how many there are now."""
    db.session.execute(sa.delete(model).where(model.case_id == case.id))  # type: ignore[attr-defined]
    for values in rows:
        db.session.add(model(case_id=case.id, **values))
    return len(rows)


def save_basic_interview(
    case: Case, data: InterviewInput, *, actor: Person, agency_id: int | None
) -> BasicInterview:
    """Save the case's 기본면접기록지 whole (validate, write every section, flush, audit one event)."""
    _check(data, case)
    interview = _upsert(BasicInterview, case, {**data.interview, "counsellor_id": actor.id})
    _upsert(InterviewHealth, case, data.health)
    _upsert(InterviewBenefits, case, data.benefits)
    if data.account is not None:
        _upsert(InterviewAccount, case, data.account)
    else:
        db.session.execute(sa.delete(InterviewAccount).where(InterviewAccount.case_id == case.id))
    household = db.session.get(Household, case.household_id)
    if household is not None:
        household.composition = data.composition or None
        household.characteristics = list(data.traits)
    main = case.main_client
    if main is not None:
        main.benefit_category = data.coverage or None
    counts = {name: _replace_rows(model, case, getattr(data, name)) for name, model in _ROW_MODELS.items()}
    db.session.flush()
    # The audit names the sections written and the row counts, never a value.
    _event(
        case,
        "basic_interview",
        actor=actor,
        agency_id=agency_id,
        data={"interview_id": interview.id, "account": data.account is not None, "rows": counts},
    )
    return interview
