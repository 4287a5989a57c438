"""The named field groups of a client record, which the consent gate shares or withholds as units."""

from __future__ import annotations

from dataclasses import dataclass

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
