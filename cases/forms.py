"""One form per stage, following the seed forms; each lists its fieldsets for the shared template."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from cases.consent_basis import STATUTE_EXAMPLE, CollectionBasis
from cases.models import (
    AttachmentKind,
    CaseIntensity,
    CaseStage,
    CaseType,
    ClosureType,
    ContactMethod,
    EscalationPlacement,
    EscalationUrgency,
    FollowUpMethod,
    FollowUpOutcome,
    HouseholdComposition,
    HouseholdProblemType,
    IntakeRoute,
    NeedDomain,
    RiskLevel,
    SelectionOutcome,
)
from cases.scores import CAPACITY_ITEMS, SELF_CHECK, WORKER_POINTS
from cases.services import MeetingDecisionInput
from hamkke.edge import attach_error
from hamkke.errors import DomainError
from hamkke.paging import ListQueryForm

REQUIRED = "꼭 입력해 주세요."
CHOOSE = "목록에서 골라 주세요."
ACHIEVEMENT = (
    ("1", "1 전혀 달성하지 못함"),
    ("2", "2 기대수준 이하"),
    ("3", "3 기대한 정도"),
    ("4", "4 기대 이상"),
)
DATE = "날짜를 YYYY-MM-DD 형식으로 입력해 주세요."
Fieldsets = list[tuple[str, list[str]]]


def pairs(items: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms choices."""
    return [SelectChoice(value, label) for value, label in items]


def _choices(enum_class: Any, *, blank: str | None = None) -> list[SelectChoice]:
    options = [(member.value, member.label) for member in enum_class]
    return pairs([("", blank), *options] if blank is not None else options)


def _date(label: str, *, required: bool = True) -> DateField:
    validators = [InputRequired(message=DATE)] if required else [Optional()]
    return DateField(label, validators=validators, format="%Y-%m-%d")


def _text(label: str, *, required: bool = True, limit: int = 4000) -> TextAreaField:
    validators: list[Any] = [DataRequired(message=REQUIRED)] if required else [Optional()]
    return TextAreaField(
        label, validators=[*validators, Length(max=limit, message=f"{limit}자 이내로 적어 주세요.")]
    )


class CaseForm(FlaskForm):
    """Base: forms name their fieldsets so one template renders them all accessibly."""

    fieldsets: ClassVar[Fieldsets] = []


class OpenCaseForm(CaseForm):
    """접수/발굴: the household's main client (필수서식1 대상자정보) and how the case came in."""

    name = StringField("이름", validators=[DataRequired(message=REQUIRED), Length(max=100)])
    sex = SelectField(
        "성별", choices=pairs([("", "선택 안 함"), ("남", "남"), ("여", "여")]), validators=[Optional()]
    )
    birth_date = _date("생년월일", required=False)
    phone = StringField("연락처", validators=[Optional(), Length(max=40)])
    address = StringField("주소", validators=[Optional(), Length(max=300)])
    rrn = StringField(
        "주민등록번호 (공공기관, 법적 근거가 있을 때만)", validators=[Optional(), Length(max=14)]
    )
    rrn_legal_basis = StringField("처리 근거 법령", validators=[Optional(), Length(max=200)])
    problem_type = SelectField(
        "가구유형: 주된 어려움",
        choices=_choices(HouseholdProblemType, blank="선택 안 함"),
        default="",
        validate_choice=False,
        validators=[AnyOf(["", *(o.value for o in HouseholdProblemType)], message=CHOOSE)],
    )
    composition_type = SelectField(
        "가구유형: 가구 구성",
        choices=_choices(HouseholdComposition, blank="선택 안 함"),
        default="",
        validate_choice=False,
        validators=[AnyOf(["", *(o.value for o in HouseholdComposition)], message=CHOOSE)],
    )
    opened_on = _date("접수일")
    intake_route = SelectField(
        "접수경로", choices=_choices(IntakeRoute), validators=[InputRequired(message=CHOOSE)]
    )
    referred_on = _date("의뢰일 (의뢰받은 경우)", required=False)
    referrer = StringField("의뢰자·발굴 경로 (이웃, 통장, 기관 등)", validators=[Optional(), Length(max=200)])

    fieldsets: ClassVar[Fieldsets] = [
        ("대상자 기본정보", ["name", "sex", "birth_date", "phone", "address"]),
        ("고유식별정보", ["rrn", "rrn_legal_basis"]),
        (
            "접수",
            ["problem_type", "composition_type", "opened_on", "intake_route", "referred_on", "referrer"],
        ),
    ]


class IntakeForm(CaseForm):
    """초기상담 기록 (seed 001 §2.2): facts and opinion apart (the page adds the rest: `IntakeRecordForm`)."""

    counselled_on = _date("상담일")
    method = SelectField(
        "상담유형", choices=_choices(ContactMethod), validators=[InputRequired(message=CHOOSE)]
    )
    main_complaint = _text("주 호소 (대상자의 말 그대로)")
    facts = _text("사실 기록 (객관적, 공유 가능한 내용)")
    worker_opinion = _text("상담자 의견 (사실과 구분)", required=False)
    is_urgent = BooleanField("긴급(위기) 지원대상자")
    collection_basis = SelectField(
        "개인정보 수집 근거",
        choices=[SelectChoice("", "골라 주세요"), *pairs((b.value, b.label) for b in CollectionBasis)],
        validators=[InputRequired(message=CHOOSE)],
    )
    statutory_basis = StringField(
        f"근거 법령과 조항 (법령상 근거일 때, 예: {STATUTE_EXAMPLE})",
        validators=[Optional(), Length(max=300, message="300자 이내로 적어 주세요.")],
    )

    fieldsets: ClassVar[Fieldsets] = [
        ("처리 근거", ["collection_basis", "statutory_basis"]),
        ("초기상담", ["counselled_on", "method", "main_complaint", "facts", "worker_opinion", "is_urgent"]),
    ]


class NeedForm(CaseForm):
    """욕구사정: domain, phenomenon, cause, risk, 요구 apart from 욕구."""

    domain = SelectField("욕구영역", choices=_choices(NeedDomain), validators=[InputRequired(message=CHOOSE)])
    phenomenon = _text("현상")
    cause = _text("원인·원인제공자", required=False)
    risk_level = SelectField(
        "위험도", choices=_choices(RiskLevel), validators=[InputRequired(message=CHOOSE)]
    )
    client_words = _text("요구 (대상자의 말 그대로)")
    need_statement = _text("욕구 (합의한 필요)")
    priority = IntegerField(
        "우선순위 (1이 가장 급함)",
        default=1,
        validators=[InputRequired(message=REQUIRED), NumberRange(1, 10, "1~10 사이로 적어 주세요.")],
    )

    fieldsets: ClassVar[Fieldsets] = [
        ("욕구", ["domain", "phenomenon", "cause", "risk_level", "priority"]),
        ("요구와 욕구", ["client_words", "need_statement"]),
    ]


class SelectionForm(CaseForm):
    """선정 결과; 미선정은 사유와 대체 서비스 안내를 함께."""

    decided_on = _date("결정일")
    outcome = SelectField(
        "선정 결과",
        choices=pairs((o.value, o.label) for o in SelectionOutcome if o != SelectionOutcome.escalate),
        validators=[InputRequired(message=CHOOSE)],
    )
    reason = _text("사유")
    alternative_services = _text("안내한 대체 서비스 (미선정 시 필수)", required=False)

    fieldsets: ClassVar[Fieldsets] = [("선정", ["decided_on", "outcome", "reason", "alternative_services"])]


class ClassifyForm(CaseForm):
    """사례 유형과 개입 강도."""

    case_type = SelectField(
        "사례 유형", choices=_choices(CaseType), validators=[InputRequired(message=CHOOSE)]
    )
    intensity = SelectField(
        "개입 강도", choices=_choices(CaseIntensity), validators=[InputRequired(message=CHOOSE)]
    )

    fieldsets: ClassVar[Fieldsets] = [("유형 분류", ["case_type", "intensity"])]


class ClosureReviewForm(CaseForm):
    """사례관리 종결 심사서 (활용서식10)."""

    reviewed_on = _date("종결 심사 일자")
    closure_type = SelectField(
        "종결 유형", choices=_choices(ClosureType), validators=[InputRequired(message=CHOOSE)]
    )
    short_term_achievement = SelectField(
        "단기 달성여부",
        choices=pairs(ACHIEVEMENT),
    )
    long_term_achievement = SelectField(
        "장기 달성여부",
        choices=pairs(ACHIEVEMENT),
    )
    supervisor_id = SelectField("참석 슈퍼바이저", choices=[], validators=[InputRequired(message=CHOOSE)])
    other_attendees = _text("기타 참석자 (제공기관, 대상자)", required=False)
    review_opinion = _text("종결 심사 의견")
    worker_opinion = _text("사례관리자 의견", required=False)
    notice_given_on = _date("종결 안내일 (약 한 달 전)", required=False)
    planned_closure_on = _date("종결 예정일")

    fieldsets: ClassVar[Fieldsets] = [
        (
            "심사",
            [
                "reviewed_on",
                "supervisor_id",
                "other_attendees",
                "closure_type",
                "short_term_achievement",
                "long_term_achievement",
            ],
        ),
        ("의견", ["review_opinion", "worker_opinion"]),
        ("안내", ["notice_given_on", "planned_closure_on"]),
    ]


class FollowUpPlanForm(CaseForm):
    """사후관리 계획서 (활용서식12)."""

    method = SelectField(
        "사후 관리 방법", choices=_choices(FollowUpMethod), validators=[InputRequired(message=CHOOSE)]
    )
    starts_on = _date("시작일")
    ends_on = _date("종료일")
    services_needed = _text("사후 관리 요구 서비스", required=False)
    history_summary = _text("주요 사례관리 이력", required=False)
    current_situation = _text("현상황 요약", required=False)
    main_services = _text("주요 서비스 내용", required=False)
    worker_opinion = _text("사례관리사 의견", required=False)

    fieldsets: ClassVar[Fieldsets] = [
        ("사례관리 경과", ["history_summary", "current_situation"]),
        ("사후관리 계획", ["method", "starts_on", "ends_on", "services_needed", "main_services"]),
        ("의견", ["worker_opinion"]),
    ]


class FollowUpOutcomeForm(CaseForm):
    """사후관리 결과 (추후 계획)."""

    outcome = SelectField(
        "추후 계획", choices=_choices(FollowUpOutcome), validators=[InputRequired(message=CHOOSE)]
    )
    outcome_on = _date("결정일")
    referred_agency_id = SelectField("의뢰한 기관 (타기관 의뢰 시)", choices=[], validators=[Optional()])
    note = _text("내용")

    fieldsets: ClassVar[Fieldsets] = [
        ("사후관리 결과", ["outcome", "outcome_on", "referred_agency_id", "note"])
    ]


class TransitionForm(FlaskForm):
    """A step of the process, with the reason and (for 재개입) the stage to re-enter."""

    action = StringField("작업", validators=[DataRequired(message=CHOOSE)])
    reason = TextAreaField(
        "사유", validators=[Optional(), Length(max=4000, message="4000자 이내로 적어 주세요.")]
    )
    target = SelectField(
        "재개입할 단계",
        choices=pairs(
            [("", "해당 없음")]
            + [
                (s.value, s.label)
                for s in (
                    CaseStage.initial_counselling,
                    CaseStage.assessment,
                    CaseStage.planning,
                    CaseStage.delivery,
                )
            ]
        ),
        validators=[Optional()],
    )


class EscalationForm(CaseForm):
    """구청 의뢰 (고난도): reason, urgency, what was tried; the consent status is derived, never typed."""

    reason = _text("의뢰 사유")
    urgency = SelectField(
        "긴급도", choices=_choices(EscalationUrgency), validators=[InputRequired(message=CHOOSE)]
    )
    tried = _text("지금까지 한 개입")

    fieldsets: ClassVar[Fieldsets] = [("구청 의뢰", ["reason", "urgency", "tried"])]


class AcceptEscalationForm(FlaskForm):
    """The coordinator accepts: regular agenda or urgent conference."""

    placement = SelectField(
        "배정", choices=_choices(EscalationPlacement), validators=[InputRequired(message=CHOOSE)]
    )
    note = TextAreaField("메모", validators=[Optional(), Length(max=4000)])


class ReturnEscalationForm(FlaskForm):
    """The coordinator returns it with guidance."""

    guidance = TextAreaField(
        "반려 사유와 안내", validators=[DataRequired(message=REQUIRED), Length(max=4000)]
    )


class MeetingDecisionForm(Form):
    """One household's row of the 내부판정회의 (``case_<id>-decision`` …); left undecided, it is ignored."""

    decision = SelectField(
        "판정",
        choices=pairs([("", "이번 회의에서 판정 안 함"), *((o.value, o.label) for o in SelectionOutcome)]),
        default="",
        # Checked by AnyOf so an unknown choice reads as the other forms' "목록에서 골라 주세요."
        validate_choice=False,
        validators=[AnyOf(["", *(o.value for o in SelectionOutcome)], message=CHOOSE)],
    )
    reason = _text("판정 사유", required=False)
    alternatives = _text("안내한 대체 서비스 (미선정 시)", required=False)
    tried = _text("지금까지 한 개입 (구청 의뢰 시)", required=False)
    urgency = SelectField(
        "긴급도 (구청 의뢰 시)",
        choices=_choices(EscalationUrgency),
        default=EscalationUrgency.normal.value,
        validate_choice=False,
        validators=[AnyOf([u.value for u in EscalationUrgency], message=CHOOSE)],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the row's fields, then what its decision needs: all of a row's errors at once."""
        valid = super().validate(extra_validators)
        complete = _decision_needs(self)
        return valid and complete


def _decision_needs(form: MeetingDecisionForm) -> bool:
    """Refuse a decided row without what its decision needs: a reason; what was tried; alternatives."""
    outcome = form.decision.data if not form.decision.errors else ""
    needs = [(form.reason, "판정 사유를 입력해 주세요.")] if outcome else []
    if outcome == SelectionOutcome.escalate.value:
        needs.append((form.tried, "지금까지 한 개입을 입력해 주세요."))
    if outcome == SelectionOutcome.not_selected.value:
        needs.append((form.alternatives, "미선정 시 안내한 대체 서비스를 적어 주세요."))
    complete = True
    for field, message in needs:
        if not (field.data or "").strip() and not field.errors:
            field.errors = [*field.errors, message]
            complete = False
    return complete


class DongMeetingForm(FlaskForm):
    """내부판정회의: date, attendees and one :class:`MeetingDecisionForm` row per household.

    Build it with :func:`dong_meeting_form_class` for the households awaiting judgment.
    """

    held_on = _date("회의일")
    attendees = _text("참석자")
    case_ids: ClassVar[list[int]] = []

    def row(self, case_id: int) -> MeetingDecisionForm:
        """Return the row of one household."""
        row: MeetingDecisionForm = self[f"case_{case_id}"].form
        return row

    def validate(self, extra_validators: Any = None) -> bool:
        """Check every field and every row, and that at least one household is decided."""
        valid = super().validate(extra_validators)
        rows = [self.row(case_id) for case_id in self.case_ids]
        if not any(row.decision.data for row in rows):
            self.form_errors.append("판정할 가구를 하나 이상 골라 주세요.")
            valid = False
        return valid

    def decisions(self) -> list[MeetingDecisionInput]:
        """Return the decided rows as the service's input, in page order (undecided rows left out)."""
        decided = []
        for case_id in self.case_ids:
            form = self.row(case_id)
            if form.decision.data:
                decided.append(
                    MeetingDecisionInput(
                        case_id,
                        SelectionOutcome(form.decision.data),
                        form.reason.data or "",
                        alternative_services=form.alternatives.data,
                        urgency=EscalationUrgency(form.urgency.data),
                        tried=form.tried.data,
                    )
                )
        return decided

    def attach_service_error(self, error: DomainError, decided: list[int]) -> None:
        """Show a refusal of ``hold_dong_meeting`` on its household's row (``decisions-<n>-<field>``).

        ``decided`` lists the case IDs in the order the decisions went to the service.
        """
        parts = (error.field or "").split("-")
        if parts[0] == "decisions" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(decided):
            row = self.row(decided[int(parts[1])])
            field = row._fields.get(parts[2] if len(parts) > 2 else "decision") or row.decision
            field.errors = [*field.errors, error.message]
        else:
            attach_error(self, error)


def dong_meeting_form_class(case_ids: Iterable[int]) -> type[DongMeetingForm]:
    """Build the 내부판정회의 form with a row per household awaiting judgment, named by case ID."""
    ids = list(case_ids)
    fields: dict[str, Any] = {f"case_{case_id}": FormField(MeetingDecisionForm) for case_id in ids}
    fields["case_ids"] = ids
    return type("DongMeetingForm", (DongMeetingForm,), fields)


class AttachmentForm(FlaskForm):
    """가계도, 생태도, 서식 스캔본 (PDF, PNG, JPEG, 5MB 이하)."""

    kind = SelectField("종류", choices=_choices(AttachmentKind), validators=[InputRequired(message=CHOOSE)])
    file = FileField("파일")


class CaseloadFilterForm(ListQueryForm):
    """Caseload filters (GET)."""

    stage = SelectField("단계", choices=_choices(CaseStage, blank="모든 단계"), validators=[Optional()])
    case_type = SelectField("유형", choices=_choices(CaseType, blank="모든 유형"), validators=[Optional()])
    intensity = SelectField(
        "강도", choices=_choices(CaseIntensity, blank="모든 강도"), validators=[Optional()]
    )
    dong = SelectField("동", choices=[], validators=[Optional()])
    agency = SelectField("기관", choices=[], validators=[Optional()])
    overdue = BooleanField("기한 지난 사례만")


class MemberForm(CaseForm):
    """가족사항: a household member (필수서식1), who may become a client of other agencies too."""

    name = StringField("이름", validators=[DataRequired(message=REQUIRED), Length(max=100)])
    sex = SelectField(
        "성별", choices=pairs([("", "선택 안 함"), ("남", "남"), ("여", "여")]), validators=[Optional()]
    )
    birth_date = _date("생년월일", required=False)
    relationship_to_head = StringField("관계 (예: 자녀, 배우자)", validators=[DataRequired(message=REQUIRED)])
    phone = StringField("연락처", validators=[Optional(), Length(max=40)])

    fieldsets: ClassVar[Fieldsets] = [
        ("가구원", ["name", "sex", "birth_date", "relationship_to_head", "phone"])
    ]


class MainClientForm(CaseForm):
    """주요 클라이언트 선정, with the strategic reason."""

    client_id = SelectField("주요 클라이언트", choices=[], validators=[InputRequired(message=CHOOSE)])
    reason = _text("선정 이유 (가구 전체의 변화를 이끌 사람)")

    fieldsets: ClassVar[Fieldsets] = [("주요 클라이언트", ["client_id", "reason"])]


_SCORE_1_4 = (("4", "4 충분"), ("3", "3 대체로 충분"), ("2", "2 부족"), ("1", "1 매우 부족"))


class ServiceCheckForm(CaseForm):
    """서비스 점검: 충분성, 적절성, 효율성."""

    service_id = SelectField("점검할 서비스", choices=[], validators=[InputRequired(message=CHOOSE)])
    checked_on = _date("점검일")
    sufficiency = SelectField("충분성", choices=pairs(_SCORE_1_4), validators=[InputRequired(message=CHOOSE)])
    appropriateness = SelectField(
        "적절성", choices=pairs(_SCORE_1_4), validators=[InputRequired(message=CHOOSE)]
    )
    efficiency = SelectField("효율성", choices=pairs(_SCORE_1_4), validators=[InputRequired(message=CHOOSE)])
    note = _text("메모", required=False)

    fieldsets: ClassVar[Fieldsets] = [
        ("서비스 점검", ["service_id", "checked_on", "sufficiency", "appropriateness", "efficiency", "note"])
    ]


class ServiceResultForm(CaseForm):
    """계획한 개입의 결과 (기록 전에는 "결과 대기")."""

    service_id = SelectField("서비스", choices=[], validators=[InputRequired(message=CHOOSE)])
    result_on = _date("결과 기록일")
    result = _text("결과")

    fieldsets: ClassVar[Fieldsets] = [("개입 결과", ["service_id", "result_on", "result"])]


def capacity_form_class() -> type[CaseForm]:
    """Build the 자활역량평가표 form from the scorecard's items (one choice per item)."""
    fields: dict[str, Any] = {"assessed_on": _date("사정 일시")}
    for code, (label, maximum, criteria) in CAPACITY_ITEMS.items():
        fields[code] = SelectField(
            f"{label} ({maximum}점)",
            choices=pairs(
                [
                    ("", "고르세요"),
                    *((key, f"{text} — {points}점") for key, (text, points) in criteria.items()),
                ]
            ),
            validators=[InputRequired(message=CHOOSE)],
        )
    points = pairs((str(value), f"{value}점") for value in WORKER_POINTS)
    fields["worker_will"] = SelectField("참여자의 자립의지 및 태도", choices=points)
    fields["worker_employability"] = SelectField("취업 가능성", choices=points)
    fields["supervisor_adjustment"] = IntegerField(
        "슈퍼바이저 평가점수 (-5~+5, 슈퍼바이저만)", default=0, validators=[InputRequired(message=REQUIRED)]
    )
    fields["fieldsets"] = [
        (
            "개인적 상황 (55점)",
            [
                "assessed_on",
                "age",
                "work_will",
                "education",
                "work_capacity",
                "illness",
                "career_gap",
                "licences",
            ],
        ),
        ("환경적 상황 (25점)", ["public_assistance", "family", "credit"]),
        ("담당자 의견 (20점)", ["worker_will", "worker_employability", "supervisor_adjustment"]),
    ]
    for section, (title, statements) in SELF_CHECK.items():
        names = [f"{section}_{number}" for number in range(1, len(statements) + 1)]
        for name, statement in zip(names, statements, strict=True):
            fields[name] = BooleanField(statement)
        fields["fieldsets"].append((f"참여자 자가 평가: {title} (해당하는 것 모두)", names))
    return type("CapacityForm", (CaseForm,), fields)


class ClosureReportForm(CaseForm):
    """종결보고서 (필수서식10): name, dates and contacts are printed from the record, not typed again."""

    written_on = _date("작성일자")
    current_status = _text("현재상태 (취업, 창업, 타 기관 이용 등)")
    closure_reason = _text("종결사유")
    benefit_category_at_closure = StringField(
        "보장구분(종결시점)", validators=[Optional(), Length(max=60, message="60자 이내로 적어 주세요.")]
    )
    follow_up_plan_note = _text("사후관리 계획", required=False)
    participant_opinion = _text("참여자의견", required=False)
    worker_opinion = _text("사례관리사의견", required=False)
    notes = _text("비고", required=False)

    fieldsets: ClassVar[Fieldsets] = [
        ("종결등록", ["written_on", "current_status", "closure_reason", "benefit_category_at_closure"]),
        ("사후관리", ["follow_up_plan_note"]),
        ("의견", ["participant_opinion", "worker_opinion", "notes"]),
    ]
