"""Forms built from a sheet's catalogue (욕구조사지, 만족도 평가지, 자활사정지): form and sheet agree."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, Optional

from cases import self_assessment as sheet
from cases.forms import CaseForm, Fieldsets, _date, _text, pairs
from cases.needs_survey import (
    DOMAINS,
    SCALES,
    SUPPORT_KINDS,
    SUPPORT_PEOPLE,
    SURVEY_ITEMS,
    SupportRow,
)
from cases.satisfaction import SCALE as SATISFACTION_SCALE
from cases.satisfaction import STATEMENTS, SatisfactionKind


def _answer_field(label: str, scale: str) -> SelectField:
    # Optional at the form: the children's questions may stay blank; the service names what is missing.
    return SelectField(
        label,
        choices=pairs(
            [("", "고르세요"), *((str(score), f"{score}점 {text}") for score, text in SCALES[scale])]
        ),
        validators=[Optional()],
    )


def needs_survey_form_class() -> type[CaseForm]:
    """Build the 욕구조사지 form: one choice per question, the illness names, the support grid."""
    fields: dict[str, Any] = {
        "surveyed_on": _date("조사일"),
        "has_school_children": BooleanField("초·중·고 자녀가 있음 (자녀교육 문항에 답합니다)"),
    }
    fieldsets: Fieldsets = [("조사", ["surveyed_on", "has_school_children"])]
    for number, (domain, title) in enumerate(DOMAINS.items(), start=1):
        names: list[str] = []
        for item in (item for item in SURVEY_ITEMS if item.domain == domain):
            fields[item.code] = _answer_field(f"[{item.section}] {item.question}", item.scale)
            names.append(item.code)
            if item.asks_illness:
                fields[f"{item.code}_illness"] = StringField(
                    "질환명", validators=[Optional(), Length(max=100, message="100자 이내로 적어 주세요.")]
                )
                names.append(f"{item.code}_illness")
        if domain == "family":
            fields["other_requests"] = _text("기타 요청사항 (자녀교육)", required=False, limit=1000)
            names.append("other_requests")
        if domain == "social":
            for code, (label, counts) in SUPPORT_PEOPLE.items():
                fields[f"support_{code}"] = SelectField(
                    f"도움을 받을 수 있는 {label}",
                    choices=pairs((count, count) for count in counts),
                    default="없다",
                )
                names.append(f"support_{code}")
                for kind, kind_label in SUPPORT_KINDS.items():
                    fields[f"support_{code}_{kind}"] = BooleanField(f"{label}: {kind_label}")
                    names.append(f"support_{code}_{kind}")
        fieldsets.append((f"{number}. {title}", names))
    fields["fieldsets"] = fieldsets
    return type("NeedsSurveyForm", (CaseForm,), fields)


def survey_answers(form: Any) -> dict[str, int]:
    """Return the answered questions' scores (a blank choice is left out, for the service to name)."""
    return {
        item.code: int(form[item.code].data)
        for item in SURVEY_ITEMS
        if form[item.code].data not in (None, "")
    }


def survey_support(form: Any) -> dict[str, SupportRow]:
    """Return the support grid as the form filled it."""
    return {
        code: SupportRow(
            form[f"support_{code}"].data,
            tuple(kind for kind in SUPPORT_KINDS if form[f"support_{code}_{kind}"].data),
        )
        for code in SUPPORT_PEOPLE
    }


def satisfaction_form_class(kind: SatisfactionKind) -> type[CaseForm]:
    """Build one 만족도 평가지: a 1–4 choice per statement, who answered, and the participant's words."""
    choices = pairs(
        [("", "고르세요"), *((str(score), f"{score}점 {text}") for score, text in SATISFACTION_SCALE)]
    )
    fields: dict[str, Any] = {
        "answered_on": _date("응답일"),
        "answered_by_family": BooleanField("참여자가 응답할 수 없어 가족이 대신 응답함"),
        "comment": _text("기타 의견", required=False, limit=2000),
    }
    names = []
    for number, statement in enumerate(STATEMENTS[kind], start=1):
        # Optional at the form: the service names a missing answer beside its statement.
        fields[f"q{number}"] = SelectField(f"{number}. {statement}", choices=choices, validators=[Optional()])
        names.append(f"q{number}")
    fields["fieldsets"] = [
        ("응답", ["answered_on", "answered_by_family"]),
        (kind.label, names),
        ("의견", ["comment"]),
    ]
    return type("SatisfactionForm", (CaseForm,), fields)


def satisfaction_answers(form: Any, kind: SatisfactionKind) -> dict[int, int | None]:
    """Return statement number → score as the form was filled (blank as None)."""
    return {
        number: int(form[f"q{number}"].data) if form[f"q{number}"].data not in (None, "") else None
        for number in range(1, len(STATEMENTS[kind]) + 1)
    }


def _select(label: str, choices: dict[str, str], *, blank: str = "선택 안 함") -> SelectField:
    return SelectField(label, choices=pairs([("", blank), *choices.items()]), validators=[Optional()])


def _amount(label: str) -> IntegerField:
    return IntegerField(f"{label} (만원)", validators=[Optional()])


def self_assessment_form_class() -> type[CaseForm]:
    """Build the 자활사정지 form (필수서식3): header, 근로여건/욕구, 재무현황, 의견, 욕구영역과 자활경로."""
    fields: dict[str, Any] = {
        "counselled_on": _date("상담일자"),
        "duration": _select("소요시간", sheet.DURATIONS, blank="고르세요"),
        "method": _select("상담방법", sheet.METHODS, blank="고르세요"),
        "main_complaint": _text("참여자 주요 호소내용 (참여자의 말 그대로)"),
        "transport": _select("이동가능 수단", sheet.TRANSPORT),
        "transport_other": StringField("이동가능 수단: 기타", validators=[Optional()]),
        "max_commute_minutes": IntegerField("최대 이동가능 거리 (10~180분)", validators=[Optional()]),
        "desired_monthly_pay": _amount("희망 임금: 세전 월 ( )만원 이상"),
        "employment_type": _select("고용형태", sheet.EMPLOYMENT_TYPES),
        "part_time_days_per_month": IntegerField("파트타임: 월 ( )일", validators=[Optional()]),
        "part_time_hours_per_week": IntegerField("파트타임: 주 ( )시간", validators=[Optional()]),
        "housing_type": _select("주거형태", sheet.HOUSING_TYPES),
        "housing_type_other": StringField("주거형태: 기타", validators=[Optional()]),
        "housing_stability": _select("주거 안정도", sheet.HOUSING_STABILITY),
        "housing_stability_other": StringField("주거 안정도: 기타", validators=[Optional()]),
        "tenure": _select("주거소유", sheet.TENURES),
        "tenure_other": StringField("주거소유: 기타", validators=[Optional()]),
        "deposit": _amount("보증금"),
        "monthly_rent": _amount("월세"),
        "maintenance_fee": _amount("관리비"),
        **{name: _amount(f"수입: {label}") for name, label in sheet.INCOME_LINES.items()},
        "monthly_spending": _amount("월평균 지출"),
        "debt_total": _amount("부채금액"),
        "debt_cause": _text("부채사유", required=False),
        "credit_status": _select("신용상태", sheet.CREDIT),
        "credit_status_other": StringField("신용상태: 기타", validators=[Optional()]),
        "participation_opinion": _text("사례관리사 종합의견: 자활사업 참여여부 결정", required=False),
        "other_notes": _text("기타 특이사항", required=False),
        "agreed_path": _select("합의된 자활경로", sheet.PATHS),
        "agreed_path_other": StringField("합의된 자활경로: 기타", validators=[Optional()]),
    }
    for rank in (1, 2, 3):
        fields[f"industry_{rank}"] = StringField(f"근로욕구 희망업종 {rank}순위", validators=[Optional()])
        fields[f"spending_{rank}"] = StringField(f"주요지출내역 {rank}순위", validators=[Optional()])
    ranks = [f"domain_{rank}" for rank in range(1, len(sheet.NEED_DOMAINS) + 1)]
    for rank, name in enumerate(ranks, start=1):
        fields[name] = _select(f"욕구영역 {rank}순위", sheet.NEED_DOMAINS)
    work = ["industry_1", "industry_2", "industry_3", "transport", "transport_other", "max_commute_minutes"]
    work += ["desired_monthly_pay", "employment_type", "part_time_days_per_month", "part_time_hours_per_week"]
    money = ["housing_type", "housing_type_other", "housing_stability", "housing_stability_other", "tenure"]
    money += ["tenure_other", "deposit", "monthly_rent", "maintenance_fee", *sheet.INCOME_LINES]
    money += ["monthly_spending", "spending_1", "spending_2", "spending_3", "debt_total", "debt_cause"]
    money += ["credit_status", "credit_status_other"]
    fields["fieldsets"] = [
        ("상담", ["counselled_on", "duration", "method", "main_complaint"]),
        ("근로여건/욕구", work),
        ("재무현황", money),
        ("사례관리사 종합의견", ["participation_opinion", "other_notes"]),
        ("욕구영역 및 자활경로 합의사항 (급한 순서대로)", [*ranks, "agreed_path", "agreed_path_other"]),
    ]
    return type("SelfAssessmentForm", (CaseForm,), fields)
