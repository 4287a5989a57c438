"""사례관리 욕구조사지 (활용서식2): record a survey with its domain sums and risk flag computed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from agencies.models import Person
from cases.models import Case, NeedsSurvey
from cases.needs_survey import ITEMS_BY_CODE, SupportRow, support_grid, survey_result
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
