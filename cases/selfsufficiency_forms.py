"""Forms of the 자활 track (seed 000): the track's steps, 사업단 배치 and the forms 필수6, 활용3–5, 11.

Labels are the manual's own; each form lists its fieldsets for `templates/cases/selfsufficiency/form.html`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from cases.forms import CHOOSE, DATE, REQUIRED, Fieldsets, pairs
from cases.models.selfsufficiency import BenefitType, BudgetCategory, DropoutReason, GatewayOutcome, TeamKind

TIME = "시각을 HH:MM 형식으로 입력해 주세요."
SCORE = (("4", "4"), ("3", "3"), ("2", "2"), ("1", "1"))


def _date(label: str, *, required: bool = True) -> DateField:
    return DateField(
        label, validators=[InputRequired(message=DATE)] if required else [Optional()], format="%Y-%m-%d"
    )


def _line(label: str, *, required: bool = False, limit: int = 200) -> StringField:
    validators: list[Any] = [DataRequired(message=REQUIRED)] if required else [Optional()]
    return StringField(
        label, validators=[*validators, Length(max=limit, message=f"{limit}자 이내로 적어 주세요.")]
    )


def _text(label: str, *, required: bool = True) -> TextAreaField:
    validators: list[Any] = [DataRequired(message=REQUIRED)] if required else [Optional()]
    return TextAreaField(
        label, validators=[*validators, Length(max=4000, message="4000자 이내로 적어 주세요.")]
    )


def _count(label: str, *, low: int = 0, high: int = 99, required: bool = True) -> IntegerField:
    message = f"{low}에서 {high} 사이의 숫자를 적어 주세요."
    first: Any = InputRequired(message=message) if required else Optional()
    return IntegerField(label, validators=[first, NumberRange(min=low, max=high, message=message)])


def _enum_choices(enum_class: Any) -> list[Any]:
    return pairs((member.value, member.label) for member in enum_class)


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes of one question (e.g. 수급유형)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TrackForm(FlaskForm):
    """Base: forms name their fieldsets so one template renders them all."""

    fieldsets: ClassVar[Fieldsets] = []

    def values(self) -> dict[str, Any]:
        """Return the model's values from the form: every field but the token, blank text as None."""
        data = {name: self._fields[name].data for name in self._fields if name != "csrf_token"}
        return {
            name: (value.strip() or None) if isinstance(value, str) else value for name, value in data.items()
        }


class StartTrackForm(TrackForm):
    """자활 과정 시작: the 지자체 referral date starts the 3-day intake clock."""

    referred_on = _date("지자체 의뢰일")


class MoveForm(TrackForm):
    """One step of the track: the day it took effect and the worker's reason."""

    action = HiddenField(validators=[DataRequired(message=CHOOSE)])
    effective_on = _date("일자")
    reason = TextAreaField("사유", validators=[Optional(), Length(max=4000)])


class PlacementForm(TrackForm):
    """사업단 배치 (or a move to another 사업단)."""

    team_name = _line("사업단명", required=True)
    team_kind = SelectField(
        "유형", choices=_enum_choices(TeamKind), validators=[InputRequired(message=CHOOSE)]
    )
    started_on = _date("참여 시작일")

    fieldsets: ClassVar[Fieldsets] = [("사업단 배치", ["team_name", "team_kind", "started_on"])]


class GatewayClosureForm(TrackForm):
    """필수서식6 게이트웨이 종결보고서."""

    written_on = _date("작성일")
    author_name = _line("작성자", required=True, limit=100)
    benefit_types = MultiCheckboxField(
        "수급유형", choices=_enum_choices(BenefitType), validators=[Optional()]
    )
    benefit_other = _line("기타 수급유형")
    field_team_name = _line("소속사업단명")
    field_started_on = _date("참여시작일", required=False)
    field_ended_on = _date("참여종료일", required=False)
    iap_written = RadioField(
        "자립 계획 수립여부",
        choices=pairs([("yes", "수립"), ("no", "미수립")]),
        validators=[InputRequired(message=CHOOSE)],
    )
    closure_outcome = RadioField(
        "종결여부", choices=_enum_choices(GatewayOutcome), validators=[InputRequired(message=CHOOSE)]
    )
    dropout_reason = SelectField(
        "중도탈락사유",
        choices=pairs([("", "해당 없음"), *((m.value, m.label) for m in DropoutReason)]),
        default="",
    )
    dropout_other = _line("기타 중도탈락사유")
    company_name = _line("업체명")
    industry = _line("업종")
    job_type = _line("업무유형")
    work_conditions = _line("근로조건", limit=400)
    startup_on = _date("창업개시일자", required=False)
    owner_name = _line("대표자명", limit=100)
    startup_industry = _line("창업업종")
    trade_name = _line("상호명")
    outcome_team_name = _line("사업단명")
    team_type = _line("유형", limit=100)
    participant_opinion = _text("참여자 종결의견")
    worker_opinion = _text("사례관리사 종결의견")

    fieldsets: ClassVar[Fieldsets] = [
        ("작성", ["written_on", "author_name"]),
        ("수급유형", ["benefit_types", "benefit_other"]),
        ("현장학습 참여현황", ["field_team_name", "field_started_on", "field_ended_on"]),
        ("종결", ["iap_written", "closure_outcome", "dropout_reason", "dropout_other"]),
        ("세부종결결과: 취업·자활기업", ["company_name", "industry", "job_type", "work_conditions"]),
        ("세부종결결과: 창업", ["startup_on", "owner_name", "startup_industry", "trade_name"]),
        ("세부종결결과: 자활근로사업단·시범사업단", ["outcome_team_name", "team_type"]),
        ("종결의견", ["participant_opinion", "worker_opinion"]),
    ]

    def values(self) -> dict[str, Any]:
        """Return the model's values from the form."""
        data = {name: self._fields[name].data for name in self._fields if name != "csrf_token"}
        data["iap_written"] = data["iap_written"] == "yes"
        for name, value in list(data.items()):
            if isinstance(value, str):
                data[name] = value.strip() or None
        data["benefit_types"] = list(data["benefit_types"] or [])
        return data


FIELD_LEARNING_LABELS = {
    "fitness": "1. 기초 체력이 갖춰져 있는가?",
    "understanding": "2. 작업내용을 정확히 이해하는가?",
    "initiative": "3. 예측하지 못한 업무 발생 시 능동적으로 수행하는가?",
    "punctuality": "4. 출·퇴근시간을 준수하는가?",
    "kindness": "5. 친절한 태도로 서비스를 제공하는가?",
    "diligence": "6. 성실히 작업에 임하는가?",
    "cooperation": "7. 다른 동료들과 협력하여 일하는가?",
    "listening": "8. 다른 동료들의 말에 귀 기울이는가?",
    "positivity": "9. 긍정적으로 대화/표현 하는가?",
}
BREACH_LABELS = {
    "breach_hygiene": "비위생·비청결",
    "breach_rough": "거친행동·거친언어",
    "breach_drinking": "근무 중 음주",
    "breach_absence": "작업장 무단이탈",
    "breach_property": "재물손실",
    "breach_theft": "도난, 파손, 분실, 절도 등",
    "breach_conflict": "동료갈등유발",
    "breach_complaint": "소비자민원발생",
}


def _score(label: str) -> RadioField:
    return RadioField(
        label, choices=pairs(SCORE), validators=[InputRequired(message="1점에서 4점 중에 골라 주세요.")]
    )


class FieldLearningForm(TrackForm):
    """활용서식5 자활사업단 현장학습 평가서."""

    week_no = _count("차수 (주차)", low=1, high=52)
    period_start = _date("평가기간 시작일")
    period_end = _date("평가기간 종료일")
    host_name = _line("대상기관 (사업단/기업)", required=True)
    evaluator_name = _line("평가자 (사업단담당)", required=True, limit=100)
    content = _text("현장학습내용")
    fitness = _score(FIELD_LEARNING_LABELS["fitness"])
    understanding = _score(FIELD_LEARNING_LABELS["understanding"])
    initiative = _score(FIELD_LEARNING_LABELS["initiative"])
    punctuality = _score(FIELD_LEARNING_LABELS["punctuality"])
    kindness = _score(FIELD_LEARNING_LABELS["kindness"])
    diligence = _score(FIELD_LEARNING_LABELS["diligence"])
    cooperation = _score(FIELD_LEARNING_LABELS["cooperation"])
    listening = _score(FIELD_LEARNING_LABELS["listening"])
    positivity = _score(FIELD_LEARNING_LABELS["positivity"])
    breach_hygiene = _count(BREACH_LABELS["breach_hygiene"] + " (회)")
    breach_rough = _count(BREACH_LABELS["breach_rough"] + " (회)")
    breach_drinking = _count(BREACH_LABELS["breach_drinking"] + " (회)")
    breach_absence = _count(BREACH_LABELS["breach_absence"] + " (회)")
    breach_property = _count(BREACH_LABELS["breach_property"] + " (회)")
    breach_theft = _count(BREACH_LABELS["breach_theft"] + " (회)")
    breach_conflict = _count(BREACH_LABELS["breach_conflict"] + " (회)")
    breach_complaint = _count(BREACH_LABELS["breach_complaint"] + " (회)")
    overall = _text("총평")

    fieldsets: ClassVar[Fieldsets] = [
        ("현장학습", ["week_no", "period_start", "period_end", "host_name", "evaluator_name", "content"]),
        ("업무수행능력", ["fitness", "understanding", "initiative"]),
        ("업무수행태도", ["punctuality", "kindness", "diligence", "cooperation"]),
        ("의사소통능력", ["listening", "positivity"]),
        ("규정준수", list(BREACH_LABELS)),
        ("총평", ["overall"]),
    ]

    def values(self) -> dict[str, Any]:
        """Return the model's values from the form (scores as numbers)."""
        data = {name: self._fields[name].data for name in self._fields if name != "csrf_token"}
        for name in FIELD_LEARNING_LABELS:
            data[name] = int(data[name])
        return data


class EmploymentForm(TrackForm):
    """활용서식11 취업확인서 (성명·성별·연령·주소 come from the participant's record)."""

    employer_name = _line("취업처명", required=True)
    industry = _line("업종", required=True)
    business_number = _line("사업자등록번호", limit=20)
    representative = _line("대표자 성명", limit=100)
    site_address = _line("사업장 주소", limit=300)
    site_phone = _line("사업장 전화번호", limit=40)
    staff_count = _count("업체규모(근무자 수)", high=100000, required=False)
    monthly_pay = _count("월급여 (만원)", high=10000)
    employed_on = _date("취업일자")
    left_on = _date("퇴직일자", required=False)
    weekly_hours = _count("주당근무시간 (시간)", low=1, high=80)
    total_hours = _count("총 근무시간 (시간)", low=1, high=100000, required=False)
    health_insurance = BooleanField("건강보험(노인장기요양보험 포함)")
    national_pension = BooleanField("국민연금")
    employment_insurance = BooleanField("고용보험")
    employment_insurance_number = _line("고용보험 사업장관리번호", limit=40)
    accident_insurance = BooleanField("산재보험")
    confirmer_name = _line("확인자 성명", required=True, limit=100)
    confirmer_phone = _line("확인자 연락처", required=True, limit=40)
    confirmed_on = _date("확인일")

    fieldsets: ClassVar[Fieldsets] = [
        ("취업처", ["employer_name", "industry"]),
        ("업체주소", ["business_number", "representative", "site_address", "site_phone", "staff_count"]),
        ("근무", ["monthly_pay", "employed_on", "left_on", "weekly_hours", "total_hours"]),
        (
            "4대보험 가입여부",
            [
                "health_insurance",
                "national_pension",
                "employment_insurance",
                "employment_insurance_number",
                "accident_insurance",
            ],
        ),
        ("확인", ["confirmer_name", "confirmer_phone", "confirmed_on"]),
    ]


class BudgetRowForm(Form):
    """One row of 교육예산: 목, 세목, 세세목, 계, 산출근거, 신청금액, 자부담 (결과: 자부담 재원)."""

    category = SelectField(
        "구분", choices=pairs([("", "없음"), *((m.value, m.label) for m in BudgetCategory)]), default=""
    )
    item = _line("목", limit=100)
    sub_item = _line("세목", limit=100)
    sub_sub_item = _line("세세목", limit=100)
    amount = _count("계 (원)", high=1_000_000_000, required=False)
    basis = _line("산출근거", limit=300)
    requested = _count("신청금액 (원)", high=1_000_000_000, required=False)
    own_share = _count("자부담 (원)", high=1_000_000_000, required=False)
    own_source = _line("자부담 재원")


class SessionRowForm(Form):
    """One row of 교육내용."""

    starts_at = TimeField("시작", validators=[Optional()], format="%H:%M")
    ends_at = TimeField("끝", validators=[Optional()], format="%H:%M")
    content = _line("내 용", limit=300)
    person = _line("담당자", limit=100)
    note = _line("비 고")


class CoursePlanForm(TrackForm):
    """활용서식3 교육계획서."""

    title = _line("교육명", required=True)
    held_on = _date("교육일")
    starts_at = TimeField("시작 시각", validators=[InputRequired(message=TIME)], format="%H:%M")
    ends_at = TimeField("끝나는 시각", validators=[InputRequired(message=TIME)], format="%H:%M")
    place = _line("교육장소", required=True)
    audience = _line("교육대상", required=True)
    purpose = _text("교육목적")
    expected_effects = _text("기대효과")
    budget = FieldList(FormField(BudgetRowForm), min_entries=3, max_entries=12)
    sessions = FieldList(FormField(SessionRowForm), min_entries=6, max_entries=20)

    fieldsets: ClassVar[Fieldsets] = [
        ("교육", ["title", "held_on", "starts_at", "ends_at", "place", "audience", "purpose"]),
        ("기대효과", ["expected_effects"]),
    ]


class CourseResultForm(TrackForm):
    """활용서식4 교육 결과 보고서."""

    reported_on = _date("결과보고일")
    satisfaction = _text("만족도 평가 결과")
    photos = _text("활동사진", required=False)
    usage_plan = _text("교육 결과 활용 방안")
    worker_opinion = _text("담당자 의견")
    supervision = _text("슈퍼비전", required=False)
    next_title = _line("차기 교육명")
    next_when = _line("차기 교육일시")
    next_place = _line("차기 교육장소")
    next_audience = _line("차기 교육대상")
    next_purpose = _text("차기 교육목적", required=False)
    budget = FieldList(FormField(BudgetRowForm), min_entries=3, max_entries=12)
    sessions = FieldList(FormField(SessionRowForm), min_entries=6, max_entries=20)

    fieldsets: ClassVar[Fieldsets] = [
        ("결과", ["reported_on", "satisfaction", "photos", "usage_plan", "worker_opinion", "supervision"]),
        ("차기 교육 계획(안)", ["next_title", "next_when", "next_place", "next_audience", "next_purpose"]),
    ]
