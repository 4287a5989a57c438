"""Surveys of a case: the 욕구조사지 (활용서식2) and the two 만족도 평가지, their sums computed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from agencies.models import Person
from cases.models import Case, NeedsSurvey, SatisfactionSurvey
from cases.needs_survey import ITEMS_BY_CODE, SupportRow, support_grid, survey_result
from cases.satisfaction import SatisfactionKind, satisfaction_result
from cases.services.common import _event, _optional, _past
from hamkke.db import db
from hamkke.errors import ValidationFailed

#: 질환명: long enough for two diagnoses, short enough to stay a name
ILLNESS_NAME_MAX = 100


def _illness_names(names: Mapping[str, str | None]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for code, name in names.items():
        item = ITEMS_BY_CODE.get(code)
        text = (name or "").strip()
        if not text:
            continue
        if item is None or not item.asks_illness:
            raise ValidationFailed("질환명을 적는 문항이 아닙니다.", field=f"{code}_illness")
        if len(text) > ILLNESS_NAME_MAX:
            raise ValidationFailed(f"질환명은 {ILLNESS_NAME_MAX}자 이내로 적으세요.", field=f"{code}_illness")
        kept[code] = text
    return kept


def record_needs_survey(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    surveyed_on: date,
    has_school_children: bool,
    answers: Mapping[str, int],
    illness_names: Mapping[str, str | None],
    support: Mapping[str, SupportRow],
    other_requests: str | None = None,
) -> NeedsSurvey:
    """Record a 욕구조사지: every asked question answered on its scale, domains summed, risk flagged."""
    result = survey_result(answers, has_school_children=has_school_children)
    survey = NeedsSurvey(
        case_id=case.id,
        surveyed_on=_past(surveyed_on, "surveyed_on", "조사일"),
        has_school_children=has_school_children,
        answers=dict(answers),
        illness_names=_illness_names(illness_names),
        support=support_grid(support),
        other_requests=_optional(other_requests, "other_requests", "기타 요청사항")
        if has_school_children
        else None,
        domain_totals=result.domain_totals,
        risk_flag=result.risk,
        surveyed_by_id=actor.id,
    )
    db.session.add(survey)
    db.session.flush()
    _event(
        case,
        "needs_survey",
        actor=actor,
        agency_id=agency_id,
        data={"totals": result.domain_totals, "risk": result.risk},
    )
    return survey


def record_satisfaction(
    case: Case,
    *,
    actor: Person,
    agency_id: int | None,
    kind: SatisfactionKind,
    answered_on: date,
    answers: Mapping[int, int | None],
    answered_by_family: bool = False,
    comment: str | None = None,
) -> SatisfactionSurvey:
    """Record a 만족도 평가지 the participant filled in: every statement answered 1–4, averaged."""
    result = satisfaction_result(kind, answers)
    survey = SatisfactionSurvey(
        case_id=case.id,
        kind=kind.value,
        answered_on=_past(answered_on, "answered_on", "응답일"),
        answered_by_family=answered_by_family,
        scores=list(result.given),
        total=result.total,
        average=result.average,
        comment=_optional(comment, "comment", "기타 의견"),
        entered_by_id=actor.id,
    )
    db.session.add(survey)
    db.session.flush()
    _event(
        case,
        "satisfaction",
        actor=actor,
        agency_id=agency_id,
        data={"kind": kind.value, "average": result.average},
    )
    return survey
