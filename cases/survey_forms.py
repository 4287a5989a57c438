"""The survey forms (욕구조사지, 만족도 평가지), built from their questions so form and sheet cannot drift."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

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
