"""자활사정지 (필수서식3): validate the sheet as a whole and record it; nothing is saved on a refusal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from agencies.models import Person
from cases import self_assessment as sheet
from cases.models import Case
from cases.models.self_assessment import SelfSufficiencyAssessment
from cases.services.common import _event, _optional, _past, _text
from hamkke.db import db
from hamkke.errors import ValidationFailed

#: the largest amount the sheet takes, 만원 (₩100억): beyond it a figure is a typing slip
MAX_AMOUNT = 1_000_000
#: the amount fields of the sheet (만원)
AMOUNTS = (
    "desired_monthly_pay",
    "deposit",
    "monthly_rent",
    "maintenance_fee",
    *sheet.INCOME_LINES,
    "monthly_spending",
    "debt_total",
)
#: choice field → (its choices, the field holding "기타" in words, or None)
CHOICES: dict[str, tuple[dict[str, str], str | None]] = {
    "transport": (sheet.TRANSPORT, "transport_other"),
    "employment_type": (sheet.EMPLOYMENT_TYPES, None),
    "housing_type": (sheet.HOUSING_TYPES, "housing_type_other"),
    "housing_stability": (sheet.HOUSING_STABILITY, "housing_stability_other"),
    "tenure": (sheet.TENURES, "tenure_other"),
    "credit_status": (sheet.CREDIT, "credit_status_other"),
    "agreed_path": (sheet.PATHS, "agreed_path_other"),
}


def _choice(values: Mapping[str, Any], name: str, cleaned: dict[str, Any]) -> None:
    choices, other = CHOICES[name]
    code = values.get(name) or None
    if code is not None and code not in choices:
        raise ValidationFailed("목록에서 골라 주세요.", field=name)
    cleaned[name] = code
    if other is not None:
        text = _optional(values.get(other), other, "기타 내용", limit=100)
        if code == "other" and not text:
            raise ValidationFailed("'기타'를 골랐으면 내용을 적어 주세요.", field=other)
        cleaned[other] = text if code == "other" else None


def _number(values: Mapping[str, Any], name: str, low: int, high: int, message: str) -> int | None:
    number = values.get(name)
    if number is None:
        return None
    if not low <= number <= high:
        raise ValidationFailed(message, field=name)
    return int(number)


def _ranked(
    items: Sequence[str | None], name: str, limit: int, allowed: Mapping[str, str] | None
) -> list[str]:
    """Keep a ranked list in order: no gap before a later rank, no repeat, known codes only."""
    texts = [(item or "").strip() for item in items]
    while texts and not texts[-1]:
        texts.pop()
    if "" in texts:
        raise ValidationFailed(
            "순위를 비우지 말고 1순위부터 차례로 적어 주세요.", field=f"{name}_{texts.index('') + 1}"
        )
    for rank, text in enumerate(texts, start=1):
        if (allowed is not None and text not in allowed) or len(text) > 100:
            raise ValidationFailed(
                "목록에서 골라 주세요." if allowed else "100자 이내로 적어 주세요.", field=f"{name}_{rank}"
            )
        if text in texts[: rank - 1]:
            raise ValidationFailed("같은 항목을 두 번 고를 수 없습니다.", field=f"{name}_{rank}")
    return texts[:limit]


def _work_wishes(values: Mapping[str, Any], cleaned: dict[str, Any]) -> None:
    """근로여건/욕구: commute within the sheet's range, part-time days and hours only for 단시간."""
    low, high = sheet.COMMUTE_MINUTES
    cleaned["max_commute_minutes"] = _number(
        values, "max_commute_minutes", low, high, f"최대 이동가능 거리는 {low}분부터 {high}분까지 적습니다."
    )
    part_time = cleaned["employment_type"] == "part_time"
    for name, high_value, label in (
        ("part_time_days_per_month", 31, "월 근무일"),
        ("part_time_hours_per_week", 52, "주 근무시간"),
    ):
        if values.get(name) is not None and not part_time:
            raise ValidationFailed(f"{label}은 고용형태가 단시간일 때만 적습니다.", field=name)
        cleaned[name] = _number(values, name, 1, high_value, f"{label}은 1부터 {high_value}까지 적습니다.")


def record_self_assessment(
    case: Case, *, actor: Person, agency_id: int | None, counselled_on: date, values: Mapping[str, Any]
) -> SelfSufficiencyAssessment:
    """Record a 자활사정지: every choice from its list, amounts in range, ranks without gaps."""
    cleaned: dict[str, Any] = {"counselled_on": _past(counselled_on, "counselled_on", "상담일자")}
    for name, choices in (("duration", sheet.DURATIONS), ("method", sheet.METHODS)):
        if values.get(name) not in choices:
            raise ValidationFailed("목록에서 골라 주세요.", field=name)
        cleaned[name] = values[name]
    cleaned["main_complaint"] = _text(values.get("main_complaint"), "main_complaint", "참여자 주요 호소내용")
    for name in CHOICES:
        _choice(values, name, cleaned)
    _work_wishes(values, cleaned)
    for name in AMOUNTS:
        cleaned[name] = _number(values, name, 0, MAX_AMOUNT, "0 이상, 100만 만원 이하로 적어 주세요.")
    cleaned["desired_industries"] = _ranked(
        [values.get(f"industry_{n}") for n in (1, 2, 3)], "industry", 3, None
    )
    cleaned["main_spending"] = _ranked([values.get(f"spending_{n}") for n in (1, 2, 3)], "spending", 3, None)
    ranks = range(1, len(sheet.NEED_DOMAINS) + 1)
    cleaned["need_domains"] = _ranked(
        [values.get(f"domain_{n}") for n in ranks], "domain", 10, sheet.NEED_DOMAINS
    )
    for name, label in (
        ("debt_cause", "부채사유"),
        ("participation_opinion", "자활사업 참여여부 결정"),
        ("other_notes", "기타 특이사항"),
    ):
        cleaned[name] = _optional(values.get(name), name, label)
    record = SelfSufficiencyAssessment(case_id=case.id, counsellor_id=actor.id, **cleaned)
    db.session.add(record)
    db.session.flush()
    _event(case, "self_assessment", actor=actor, agency_id=agency_id, data={"record_id": record.id})
    return record
