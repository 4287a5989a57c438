"""Forms of the plans: the ISP rows of both manuals, the IAP, 실행점검, proposals and 활용서식9."""

from __future__ import annotations

from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from cases.forms import CHOOSE, REQUIRED, CaseForm, Fieldsets, _choices, _date, _text, pairs
from cases.models import NeedDomain
from cases.models.selfplans import ExecutionPhase, PlanKind, SupportDomain, TargetPath
from cases.services.planning import HORIZONS

#: goal rows the ISP form offers: three per domain fit, a fourth in one domain is refused
GOAL_ROWS = 8
#: the fields of one goal row, in order (the form names them ``g<row>_<name>``)
ROW_FIELDS = (
    "domain",
    "term",
    "participant_words",
    "statement",
    "target_on",
    "service",
    "provider",
    "provider_name",
    "quantity",
    "starts_on",
    "ends_on",
    "intensity",
)
#: the service's field names (``goals-<i>-x`` / ``services-<i>-x``) → the row's field
SERVICE_ERROR_FIELDS = {
    "domain": "domain",
    "target_on": "target_on",
    "statement": "statement",
    "participant_words": "participant_words",
    "provider": "provider",
    "name": "service",
    "quantity": "quantity",
    "intensity": "intensity",
    "ends_on": "ends_on",
    "duration_months": "ends_on",
}


def _horizon_label(months: int) -> str:
    return f"{months // 12}년" if months % 12 == 0 else f"{months}개월"


def isp_form_class(kind: PlanKind) -> type[CaseForm]:
    """Build the ISP form: goal rows (domain, the participant's words, goal, one service with its period)."""
    jahwal = kind == PlanKind.jahwal
    fields: dict[str, Any] = {
        "horizon_months": SelectField(
            "계획 기간",
            choices=pairs((str(m), _horizon_label(m)) for m in HORIZONS[kind]),
            validators=[InputRequired(message=CHOOSE)],
        ),
        "client_role": _text("참여자(대상자)의 역할"),
        "family_role": _text("가족의 역할", required=False),
        "agreed_on": _date("서면 합의일 (대면 확인 후 서명한 날)", required=False),
        "revision_reason": _text("변경 사유 (두 번째 판부터)", required=False),
    }
    fieldsets: Fieldsets = [("기간", ["horizon_months"])]
    domains = _choices(SupportDomain, blank="") if jahwal else _choices(NeedDomain, blank="")
    for row in range(1, GOAL_ROWS + 1):
        prefix = f"g{row}_"
        fields[prefix + "domain"] = SelectField(
            f"{row}. {'구분' if jahwal else '욕구영역'}", choices=domains, validators=[Optional()]
        )
        fields[prefix + "term"] = SelectField(
            f"{row}. 장단기",
            choices=pairs([("long", "장기목표"), ("short", "단기목표")]),
            validators=[Optional()],
        )
        fields[prefix + "participant_words"] = _text(
            f"{row}. 참여자의 제시된 욕구(애로사항) — 참여자의 말 그대로", required=False, limit=2000
        )
        fields[prefix + "statement"] = _text(f"{row}. 합의된 목표 (비우면 이 줄은 없음)", required=False)
        fields[prefix + "target_on"] = _date(f"{row}. 목표일", required=False)
        fields[prefix + "service"] = StringField(
            f"{row}. 제공서비스", validators=[Optional(), Length(max=200)]
        )
        fields[prefix + "provider"] = SelectField(f"{row}. 제공기관", choices=[], validators=[Optional()])
        fields[prefix + "provider_name"] = StringField(
            f"{row}. 제공기관 (목록에 없을 때)", validators=[Optional(), Length(max=200)]
        )
        fields[prefix + "quantity"] = StringField(
            f"{row}. 양 (예: 주 1회)", validators=[Optional(), Length(max=100)]
        )
        fields[prefix + "starts_on"] = _date(f"{row}. 실행기간 시작일", required=False)
        fields[prefix + "ends_on"] = _date(f"{row}. 실행기간 종료일", required=False)
        fields[prefix + "intensity"] = StringField(
            f"{row}. 강도 (예: 집중, 보통)", validators=[Optional(), Length(max=40)]
        )
        names = [prefix + name for name in ROW_FIELDS if not (jahwal and name == "term")]
        if jahwal:
            del fields[prefix + "term"]
        fieldsets.append((f"목표 {row}", names))
    fieldsets.append(("역할과 합의", ["client_role", "family_role", "agreed_on", "revision_reason"]))
    fields["fieldsets"] = fieldsets
    return type("IspForm", (CaseForm,), fields)


class ActionPlanForm(CaseForm):
    """개인별 자립 계획 (IAP, 필수서식4), as the participant writes it."""

    counselled_on = _date("상담일자")
    security_type = StringField("보장구분 (예: 조건부수급자)", validators=[Optional(), Length(max=60)])
    work_team = StringField("사업단명", validators=[Optional(), Length(max=100)])
    weaknesses = _text("단점 (문제점, 취업 장애요인 등)")
    strengths = _text("장점 (잘하는 것, 하고 싶은 것 등)")
    short_term_goal = _text("단기목표 (1년 이내)")
    short_term_target_on = _date("단기목표 목표일")
    long_term_goal = _text("장기목표 (5년 이내)")
    long_term_target_on = _date("장기목표 목표일")
    target_path = SelectField(
        "목표경로", choices=_choices(TargetPath), validators=[InputRequired(message=CHOOSE)]
    )
    target_path_other = StringField("기타 목표경로", validators=[Optional(), Length(max=200)])
    help_wanted = _text("도움을 받고 싶은 것 (필요한 것) — 사업단 근로·취창업에 관한 것", required=False)
    written_by_participant = BooleanField("참여자가 직접 기록함", default=True)
    proxy_reason = StringField(
        "대리 기록 사유 (참여자가 문맹이고 동의한 경우)", validators=[Optional(), Length(max=200)]
    )
    agreed_on = _date("참여자 서명일", required=False)
    revision_reason = _text("변경 사유 (두 번째 판부터)", required=False)

    fieldsets: ClassVar[Fieldsets] = [
        ("IAP(자립경로)", ["counselled_on", "security_type", "work_team"]),
        ("자가진단", ["weaknesses", "strengths"]),
        (
            "자신의 자활계획",
            ["short_term_goal", "short_term_target_on", "long_term_goal", "long_term_target_on"],
        ),
        ("합의된 자활경로 및 요청사항", ["target_path", "target_path_other", "help_wanted"]),
        ("기록과 서명", ["written_by_participant", "proxy_reason", "agreed_on", "revision_reason"]),
    ]


class ExecutionCheckForm(CaseForm):
    """실행점검: the planned service is being delivered."""

    checked_on = _date("점검일")
    phase = SelectField(
        "실행 단계", choices=_choices(ExecutionPhase, blank="해당 없음"), validators=[Optional()]
    )
    note = _text("점검 메모", required=False)

    fieldsets: ClassVar[Fieldsets] = [("실행점검", ["checked_on", "phase", "note"])]


class AgreementForm(CaseForm):
    """서면 합의: the participant signed this version face to face."""

    agreed_on = _date("서면 합의일 (대면 확인 후 서명한 날)")

    fieldsets: ClassVar[Fieldsets] = [("서면 합의", ["agreed_on"])]


class AcceptProposalForm(FlaskForm):
    """Accept a conference's ISP item into the current plan, under one of its goals."""

    goal_id = SelectField("넣을 목표", choices=[], validators=[InputRequired(message=CHOOSE)])
    starts_on = _date("실행기간 시작일", required=False)
    ends_on = _date("실행기간 종료일", required=False)


class DeclineProposalForm(FlaskForm):
    """Decline a conference's ISP item with the reason."""

    reason = StringField("반영하지 않는 사유", validators=[DataRequired(message=REQUIRED), Length(max=2000)])


_TEN = pairs((str(value), str(value)) for value in range(10, -1, -1))
#: the rows of 활용서식9: section key → label (Ⅰ IAP 단기·장기, Ⅱ ISP 근로 지원 1–3, Ⅲ 복지서비스 지원 1–3)
EVALUATION_ROWS: dict[str, str] = {
    "iap_short": "IAP 단기",
    "iap_long": "IAP 장기",
    **{f"work{n}": f"ISP 근로 지원 {n}" for n in range(1, 4)},
    **{f"welfare{n}": f"ISP 복지서비스 지원 {n}" for n in range(1, 4)},
}
EVALUATION_SCORES = ("participant", "worker", "external", "achievement")


def evaluation_form_class() -> type[CaseForm]:
    """Build the 사례관리 평가서 (활용서식9): IAP 2 rows, ISP 3 + 3 rows, efforts and achievement /10."""
    fields: dict[str, Any] = {
        "evaluated_on": _date("평가일"),
        "affiliation": StringField("참여자 소속", validators=[Optional(), Length(max=100)]),
        "worker_opinion": _text("사례관리사 의견", required=False),
    }
    fieldsets: Fieldsets = [("평가", ["evaluated_on", "affiliation"])]
    labels = ("참여자 노력 (자가 평가)", "사례관리사 노력", "외부 기관 노력", "달성도")
    for key, title in EVALUATION_ROWS.items():
        names = [f"goal_{key}", *(f"{score}_{key}" for score in EVALUATION_SCORES)]
        fields[names[0]] = StringField(
            f"{title}: 합의된 목표 (비우면 이 줄은 평가하지 않음)", validators=[Optional(), Length(max=300)]
        )
        for name, label in zip(names[1:], labels, strict=True):
            fields[name] = SelectField(f"{title}: {label} /10", choices=_TEN)
        fieldsets.append((title, names))
    fieldsets.append(("의견", ["worker_opinion"]))
    fields["fieldsets"] = fieldsets
    return type("EvaluationForm", (CaseForm,), fields)
