"""The named field groups of a client record, which the consent gate shares or withholds as units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: what a withheld value shows instead, everywhere
OUT_OF_SCOPE = "동의 범위 밖"


@dataclass(frozen=True)
class FieldGroup:
    """One group: Korean label, whether it is sensitive (separate consent), and what it covers."""

    code: str
    label: str
    sensitive: bool
    #: ``Client`` columns in the group
    columns: tuple[str, ...] = ()
    #: case records (tables) in the group, shown per case
    relations: tuple[str, ...] = ()


FIELD_GROUPS: dict[str, FieldGroup] = {
    group.code: group
    for group in (
        FieldGroup(
            "basic",
            "기본정보",
            sensitive=False,
            columns=("name", "sex", "birth_date", "phone", "address", "emergency_contact"),
        ),
        # Unique identifiers need their own consent or a statute, and are shown only masked.
        FieldGroup("unique_id", "고유식별정보", sensitive=True, columns=("rrn_masked", "rrn_legal_basis")),
        FieldGroup(
            "household",
            "가구정보",
            sensitive=False,
            columns=("relationship_to_head", "lives_together"),
            relations=("households",),
        ),
        FieldGroup(
            "economic",
            "경제상황",
            sensitive=False,
            columns=("benefit_category", "monthly_income", "debt_amount", "debt_reason", "housing"),
        ),
        FieldGroup(
            "health",
            "건강정보",
            sensitive=True,
            columns=("physical_health", "mental_health", "disability", "addiction"),
        ),
        FieldGroup("family", "가족관계", sensitive=False, columns=("family_relations",)),
        FieldGroup(
            "needs",
            "욕구사정",
            sensitive=False,
            relations=("case_needs", "case_capacity_assessments", "case_attachments"),
        ),
        FieldGroup("crisis", "위기도", sensitive=False, relations=("case_crisis_ratings",)),
        FieldGroup(
            "counselling",
            "상담기록",
            sensitive=False,
            relations=("case_intake_records", "case_counselling_logs", "case_closure_reviews"),
        ),
        FieldGroup(
            "service_history",
            "서비스이력",
            sensitive=False,
            relations=("case_service_plans", "case_service_checks", "case_evaluations"),
        ),
    )
}


def group_of_column(column: str) -> str | None:
    """Return the group code a ``Client`` column belongs to, if any."""
    for group in FIELD_GROUPS.values():
        if column in group.columns:
            return group.code
    return None


#: Korean labels of the client columns the groups cover, for every page, packet and letter
COLUMN_LABELS: dict[str, str] = {
    "name": "성명",
    "sex": "성별",
    "birth_date": "생년월일",
    "phone": "연락처",
    "address": "주소",
    "emergency_contact": "비상연락처",
    "rrn_masked": "주민등록번호",
    "rrn_legal_basis": "처리 근거",
    "relationship_to_head": "가구주와의 관계",
    "lives_together": "동거 여부",
    "benefit_category": "급여 구분",
    "monthly_income": "월 소득",
    "debt_amount": "부채",
    "debt_reason": "부채 사유",
    "housing": "주거",
    "physical_health": "신체 건강",
    "mental_health": "정신 건강",
    "disability": "장애",
    "addiction": "중독",
    "family_relations": "가족관계",
}
#: columns kept in 만원 (ten thousand won)
_MANWON = frozenset({"monthly_income", "debt_amount"})
#: yes/no columns in words that read as a sentence on a letter
_YES_NO: dict[str, tuple[str, str]] = {"lives_together": ("함께 삶", "따로 삶")}


def column_label(column: str) -> str:
    """Return the Korean label of a client column (the column's own name only for an unknown one)."""
    return COLUMN_LABELS.get(column, column)


def display_value(column: str, value: object) -> str:
    """Return a client value as a person reads it: no True/False, None or ISO codes on a page or letter."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        yes, no = _YES_NO.get(column, ("예", "아니요"))
        return yes if value else no
    if isinstance(value, date):
        return value.strftime("%Y. %m. %d.")
    if column in _MANWON and isinstance(value, int):
        return f"{value:,}만원"
    label = getattr(value, "label", None)
    return str(label) if label is not None else str(value)
