"""The named field groups of a client record, which the consent gate shares or withholds as units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

#: what a withheld value shows instead, everywhere
OUT_OF_SCOPE = "동의 범위 밖"


def N_(text: str) -> str:  # noqa: N802 -- Babel's marker name: extracted, translated where shown
    """Mark a label for translation without translating it here (this module is plain data)."""
    return text


@dataclass(frozen=True)
class FieldGroup:
    """One group: Korean label, whether it is sensitive (separate consent), and what it covers.

    The labels of the group's columns and referral texts live here once; pages, letters, the API and
    exports all read them from the group (templates pass them through ``_()`` for English).
    """

    code: str
    label: str
    sensitive: bool
    #: ``Client`` columns in the group
    columns: tuple[str, ...] = ()
    #: case records (tables) in the group, shown per case
    relations: tuple[str, ...] = ()
    #: free-text fields of a referral (활용서식6) written about the client that belong to this group
    referral_texts: tuple[str, ...] = ()
    #: Korean label of each column and referral text of the group
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def label_of(self, name: str) -> str:
        """Return the Korean label of one of the group's columns or referral texts."""
        return self.labels[name]


FIELD_GROUPS: dict[str, FieldGroup] = {
    group.code: group
    for group in (
        FieldGroup(
            "basic",
            N_("기본정보"),
            sensitive=False,
            columns=("name", "sex", "birth_date", "phone", "address", "emergency_contact"),
            relations=("case_basic_interviews",),
            labels=MappingProxyType(
                {
                    "name": N_("성명"),
                    "sex": N_("성별"),
                    "birth_date": N_("생년월일"),
                    "phone": N_("연락처"),
                    "address": N_("주소"),
                    "emergency_contact": N_("비상연락처"),
                }
            ),
        ),
        # Unique identifiers need their own consent or a statute, and are shown only masked.
        FieldGroup(
            "unique_id",
            N_("고유식별정보"),
            sensitive=True,
            columns=("rrn_masked", "rrn_legal_basis"),
            labels=MappingProxyType({"rrn_masked": N_("주민등록번호"), "rrn_legal_basis": N_("처리 근거")}),
        ),
        FieldGroup(
            "household",
            N_("가구정보"),
            sensitive=False,
            columns=("relationship_to_head", "lives_together"),
            relations=("households",),
            labels=MappingProxyType(
                {"relationship_to_head": N_("가구주와의 관계"), "lives_together": N_("동거 여부")}
            ),
        ),
        FieldGroup(
            "economic",
            N_("경제상황"),
            sensitive=False,
            columns=("benefit_category", "monthly_income", "debt_amount", "debt_reason", "housing"),
            relations=("case_interview_benefits", "case_employment_confirmations"),
            labels=MappingProxyType(
                {
                    "benefit_category": N_("보장구분"),
                    "monthly_income": N_("월 소득(만원)"),
                    "debt_amount": N_("부채(만원)"),
                    "debt_reason": N_("부채 사유"),
                    "housing": N_("주거"),
                }
            ),
        ),
        FieldGroup(
            "health",
            N_("건강정보"),
            sensitive=True,
            columns=("physical_health", "mental_health", "disability", "addiction"),
            # The 욕구조사지 asks about illness, drinking and thoughts of dying: shared only as health data.
            relations=("case_needs_surveys", "case_interview_health"),
            labels=MappingProxyType(
                {
                    "physical_health": N_("신체건강"),
                    "mental_health": N_("정신건강"),
                    "disability": N_("장애"),
                    "addiction": N_("중독"),
                }
            ),
        ),
        FieldGroup(
            "family",
            N_("가족관계"),
            sensitive=False,
            columns=("family_relations",),
            relations=("case_interview_family",),
            labels=MappingProxyType({"family_relations": N_("가족관계")}),
        ),
        # A referral's reason and the services asked for state the client's needs: they go with 욕구사정.
        FieldGroup(
            "needs",
            N_("욕구사정"),
            sensitive=False,
            # The 자활사정지 is the 자활 participant's needs assessment as a whole (money included).
            relations=(
                "case_needs",
                "case_capacity_assessments",
                "case_attachments",
                "case_self_sufficiency_assessments",
                "case_field_learning_evaluations",
            ),
            referral_texts=("reason", "requested_services"),
            labels=MappingProxyType(
                {"reason": N_("의뢰사유"), "requested_services": N_("대상자 요구 서비스")}
            ),
        ),
        FieldGroup("crisis", N_("위기도"), sensitive=False, relations=("case_crisis_ratings",)),
        # The main complaint and remarks come from counselling; a timeline note is a counselling record.
        FieldGroup(
            "counselling",
            N_("상담기록"),
            sensitive=False,
            relations=(
                "case_intake_records",
                "case_counselling_logs",
                "case_closure_reviews",
                "case_closure_reports",
                "case_follow_up_plans",
                "case_events",
            ),
            referral_texts=("main_problem", "notes"),
            labels=MappingProxyType({"main_problem": N_("참여자 주호소문제"), "notes": N_("기타 특이사항")}),
        ),
        FieldGroup(
            "service_history",
            N_("서비스이력"),
            sensitive=False,
            relations=(
                "case_service_plans",
                "case_service_checks",
                "case_evaluations",
                "case_satisfaction_surveys",
                "case_intake_prior_services",
                "case_action_plans",
                "case_plan_proposals",
                "case_gateway_closure_reports",
            ),
            referral_texts=("service_history",),
            labels=MappingProxyType({"service_history": N_("기존 서비스 이력")}),
        ),
        # A bank account (기본면접기록지) is shared only on its own consent: it can move money.
        FieldGroup(
            "account",
            N_("계좌정보"),
            sensitive=True,
            relations=("case_interview_accounts",),
        ),
        # Work history, licences, training and schooling (기본면접기록지 취·창업 경험, 자격증 및 교육훈련).
        FieldGroup(
            "career",
            N_("취업·교육이력"),
            sensitive=False,
            relations=(
                "case_interview_careers",
                "case_interview_licences",
                "case_interview_trainings",
                "case_interview_schooling",
            ),
        ),
    )
}

#: every referral free-text field, in the order of the form (활용서식6), with the group it belongs to
REFERRAL_TEXT_GROUPS: dict[str, str] = {
    name: next(group.code for group in FIELD_GROUPS.values() if name in group.referral_texts)
    for name in ("reason", "requested_services", "main_problem", "service_history", "notes")
}


def column_label(name: str) -> str:
    """Return the Korean label of a ``Client`` column or referral text (from its field group)."""
    for group in FIELD_GROUPS.values():
        if name in group.labels:
            return group.labels[name]
    raise KeyError(name)


def group_of_column(column: str) -> str | None:
    """Return the group code a ``Client`` column belongs to, if any."""
    for group in FIELD_GROUPS.values():
        if column in group.columns:
            return group.code
    return None


#: columns kept in 만원 (ten thousand won)
_MANWON = frozenset({"monthly_income", "debt_amount"})
#: yes/no columns in words that read as a sentence on a letter
_YES_NO: dict[str, tuple[str, str]] = {"lives_together": ("함께 삶", "따로 삶")}


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
