"""The forms of 필수서식 1 기본면접기록지 (seed 000) and seed 001's 초기상담기록지, repeated rows as lists.

Choice values are the Korean words the paper form prints (they are stored as they are and printed back).
Each repeated group (가족사항, 취·창업 경험, 자격증, 직업훈련, 상위학력) offers a few blank rows; a row left
empty is not a record, a row partly filled must name its key field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from cases.forms import CHOOSE, DATE, REQUIRED, CaseForm, Fieldsets, IntakeForm, pairs

MONTH = "년월을 YYYY-MM 형식으로 입력해 주세요."

METHODS = ("방문", "내방", "전화", "기타")
PARTICIPATION = ("신규참여", "재참여")
ROUTES = ("본인요청", "지자체 의뢰", "기관내의뢰", "타기관의뢰", "대상자발굴", "기타")
EDUCATION = (
    "무학",
    "초중퇴",
    "초졸",
    "중중퇴",
    "중졸",
    "고중퇴",
    "고졸",
    "초대중퇴",
    "초대졸",
    "대중퇴",
    "대졸",
    "기타",
)
VISIT_TRIGGERS = ("지인소개", "주민센터(동사무소)", "광고(인터넷, 신문)", "기타")
MARITAL = ("미혼", "기혼", "별거", "사별", "이혼", "사실혼관계(동거)", "기타")
COMPOSITIONS = (
    "독신가구",
    "부부",
    "부부+자녀",
    "한부모+자녀",
    "3세대가구",
    "형제자매",
    "조부모+손자녀",
    "비혈연",
    "기타",
)
TRAITS = (
    "부부중심가구",
    "다문화가구",
    "노인부부가구",
    "새터민가구",
    "공동체가구",
    "한부모가구",
    "미혼모부가구",
    "조손가구",
    "1인가구",
    "독거노인",
    "장애인가구",
    "기타",
)
PHYSICAL_RATINGS = ("양호", "보통", "허약")
MENTAL_RATINGS = ("양호", "보통", "상담 및 치료필요")
DISABILITY_TYPES = (
    "지체장애",
    "뇌병변장애",
    "시각장애",
    "청각장애",
    "안면장애",
    "신장장애",
    "심장장애",
    "간장장애",
    "호흡기장애",
    "장루·요루장애",
    "간질장애",
)
MENTAL_DISABILITY_TYPES = ("지적장애", "자폐성장애", "정신장애")
DRINK_KINDS = ("소주", "맥주", "막걸리", "양주", "기타")
COVERAGE = ("일반수급자", "조건부수급자(생계급여)", "자활특례", "개별급여")
INDIVIDUAL_BENEFITS = ("의료", "교육", "주거")
MEDICAL_TYPES = ("의료급여1종", "의료급여2종", "건강보험", "지역보험", "기타")
PAST_KINDS = ("생계급여", "주거급여", "의료급여", "교육급여", "해산급여", "장제급여", "자활급여")
RELATIONS = (
    "본인",
    "부모",
    "남편",
    "아내",
    "자",
    "매",
    "형",
    "할아버지",
    "할머니",
    "백부",
    "백모",
    "숙부",
    "숙모",
    "삼촌",
    "고모부",
    "외할아버지",
    "외할머니",
    "외삼촌",
    "외숙모",
    "이모",
    "기타",
)
OCCUPATIONS = ("회사원", "가정주부", "학생", "무직")
CAREER_KINDS = ("취업", "창업", "정부일자리", "자활")
EMPLOYMENT_TYPES = (
    "정규직근로자",
    "단시간근로자",
    "기간제근로자",
    "기간제근로자가 아닌 한시적근로자",
    "일일근로자",
    "용역근로자",
    "특수형태근로자",
)
LICENCE_TYPES = ("전문자격증", "민간자격증", "기타")
SCHOOL_LEVELS = ("고등학교졸업", "대학교졸업", "대학원졸업")
#: the most 가구특성 the form lets a worker tick
MAX_TRAITS = 4


def _select(label: str, values: tuple[str, ...], *, required: bool = False) -> SelectField:
    choices = pairs([("", "선택 안 함"), *((v, v) for v in values)])
    return SelectField(
        label, choices=choices, validators=[InputRequired(message=CHOOSE) if required else Optional()]
    )


def _ticks(label: str, values: tuple[str, ...]) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        choices=pairs((v, v) for v in values),
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


def _line(label: str, limit: int = 100) -> StringField:
    return StringField(
        label, validators=[Optional(), Length(max=limit, message=f"{limit}자 이내로 적어 주세요.")]
    )


def _number(label: str, low: int, high: int) -> IntegerField:
    message = f"{low}에서 {high} 사이의 숫자로 입력해 주세요."
    return IntegerField(label, validators=[Optional(), NumberRange(min=low, max=high, message=message)])


def _month(label: str) -> DateField:
    return DateField(label, validators=[Optional()], format="%Y-%m", render_kw={"placeholder": "YYYY-MM"})


def _day(label: str) -> DateField:
    return DateField(
        label, validators=[Optional()], format="%Y-%m-%d", render_kw={"placeholder": "YYYY-MM-DD"}
    )


def filled(row: Form) -> bool:
    """Tell whether a repeated row has any value (an empty row is no record)."""
    return any(field.data not in (None, "", [], False) for field in row)


class _Row(Form):
    """A repeated row: its key field is required once anything else is filled."""

    key: ClassVar[str] = ""
    #: further fields a filled row must name (the record cannot exist without them)
    also: ClassVar[tuple[str, ...]] = ()

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate a filled row (an empty one passes): its key field named, its dates in order."""
        if not filled(self):
            return True
        ok = super().validate(extra_validators)
        for name in (self.key, *self.also):
            needed = self._fields[name]
            if not needed.data:
                needed.errors = [*needed.errors, REQUIRED]
                ok = False
        started, ended = self._fields.get("started_on"), self._fields.get("ended_on")
        in_order = started is None or ended is None or not started.data or not ended.data
        if not in_order and ended.data < started.data:
            ended.errors = [*ended.errors, "종료일은 시작일보다 빠를 수 없습니다."]
            ok = False
        return ok


class FamilyRow(_Row):
    """가족사항 한 줄."""

    key = "name"
    also = ("relation",)
    relation = _select("관계", RELATIONS)
    name = _line("이름")
    age = _number("연령", 0, 130)
    sex = _select("성별", ("남", "여"))
    lives_together = _select("동거여부", ("동거", "비동거"))
    occupation = _line("직업", 40)
    education = _line("학력", 40)
    marital_status = _select("혼인관계", ("기혼", "미혼"))
    physical_disability = _line("신체적 장애", 60)
    mental_disability = _line("정신적 장애", 60)
    monthly_income = _number("소득(만원/월)", 0, 100000)


class CareerRow(_Row):
    """취·창업 경험 한 줄 (구분: 취업, 창업, 정부일자리, 자활)."""

    key = "kind"
    kind = _select("구분", CAREER_KINDS)
    started_on = _month("시작년월")
    ended_on = _month("종료년월")
    sector = _line("업종·소관부처")
    organisation = _line("직장명·업체명·사업명")
    duties = _line("담당내용·사업내용", 300)
    employment_type = _select("고용형태", EMPLOYMENT_TYPES)
    monthly_amount = _number("월급여·매출액(만원)", 0, 1000000)
    end_reason = _line("퇴직·폐업·종결사유", 300)


class LicenceRow(_Row):
    """보유 자격증 한 줄."""

    key = "name"
    also = ("licence_type",)
    licence_type = _select("유형", LICENCE_TYPES)
    name = _line("자격증명")
    issuer = _line("발급기관")
    acquired_on = _day("취득일자")


class TrainingRow(_Row):
    """최근5년 직업훈련 한 줄."""

    key = "institution"
    started_on = _day("교육시작일")
    ended_on = _day("교육종료일")
    institution = _line("훈련기관명")
    content = _line("훈련내용", 300)
    completed = _select("이수여부", ("이수", "미이수"))
    hours = _number("이수시간", 1, 99)
    dropout_reason = _line("중단사유", 300)

    def validate(self, extra_validators: Any = None) -> bool:
        """A training not completed says why it stopped; one with a start date."""
        ok = super().validate(extra_validators)
        form = self  # what the worker typed, not a stored record
        if filled(form) and not form.started_on.data and not form.started_on.errors:
            form.started_on.errors = [*form.started_on.errors, DATE]
            ok = False
        if filled(form) and form.completed.data == "미이수" and not form.dropout_reason.data:
            form.dropout_reason.errors = [*form.dropout_reason.errors, "미이수이면 중단사유를 적어 주세요."]
            ok = False
        return ok


class SchoolingRow(_Row):
    """자활근로 참여이후 상위학력 한 줄."""

    key = "school"
    also = ("degree",)
    degree = _select("구분", SCHOOL_LEVELS)
    school = _line("학교명")
    graduated_on = _day("졸업(예정)일자")


def _rows(row: type[Form], count: int) -> FieldList:
    return FieldList(FormField(row), min_entries=count, max_entries=count + 10)


#: the interview's own columns (``BasicInterview``), filled from the form's fields of the same name
INTERVIEW_FIELDS = (
    "counselled_on",
    "method",
    "method_other",
    "participation",
    "intake_route",
    "intake_route_other",
    "has_home_phone",
    "has_mobile_phone",
    "emergency_name",
    "emergency_relation",
    "emergency_phone",
    "education",
    "education_major",
    "email",
    "centre_reason",
    "visit_trigger",
    "visit_trigger_other",
    "visit_reason",
    "remarks",
    "marital_status",
    "marital_other",
)
ACCOUNT_FIELDS = ("bank_name", "holder_name", "account_number")
HEALTH_FIELDS = (
    "physical_rating",
    "disease_1",
    "disease_2",
    "medication",
    "disability_type",
    "disability_grade",
    "surgery_year",
    "surgery_detail",
    "mental_rating",
    "mental_illness_symptoms",
    "mental_illness_treated",
    "mental_illness_clinic",
    "mental_illness_medication",
    "distress_symptoms",
    "distress_counselled",
    "distress_agency",
    "distress_medication",
    "mental_disability_type",
    "mental_disability_grade",
    "drinks",
    "drink_kinds",
    "drinks_per_week",
    "bottles_per_session",
    "drinking_difficulty",
    "drinking_treated",
    "drinking_treatment_agency",
    "smokes",
    "packs_per_week",
    "smoking_difficulty",
    "smoking_treated",
    "smoking_treatment_agency",
)
BENEFIT_FIELDS = (
    "is_recipient",
    "first_received_on",
    "individual_benefits",
    "medical_type",
    "medical_type_other",
    "past_recipient",
    "past_years",
    "past_months",
    "past_kinds",
)
#: yes/no questions the form asks with two words; the model keeps a bool (None: not asked)
YES_NO_SELECTS = {
    "mental_illness_treated": ("치료하고있음", "치료하지않고있음"),
    "distress_counselled": ("상담하고있음", "상담하지않고있음"),
}
DRINK_DETAILS = ("drink_kinds", "drinks_per_week", "bottles_per_session", "drinking_difficulty")
SMOKE_DETAILS = ("packs_per_week", "smoking_difficulty")
PAST_DETAILS = ("past_years", "past_months", "past_kinds")


class BasicInterviewForm(CaseForm):
    """필수서식 1 기본면접기록지, all four pages."""

    # 사례관리사 작성용
    counselled_on = DateField("상담일", validators=[InputRequired(message=DATE)], format="%Y-%m-%d")
    method = _select("상담유형", METHODS, required=True)
    method_other = _line("상담유형 (기타)", 60)
    participation = _select("자활사업 참여형태", PARTICIPATION, required=True)
    intake_route = _select("접수경로", ROUTES, required=True)
    intake_route_other = _line("접수경로 (기타)", 60)
    # 대상자정보
    has_home_phone = BooleanField("연락처-집 있음")
    has_mobile_phone = BooleanField("연락처-핸드폰 있음")
    emergency_name = _line("비상연락처-성명")
    emergency_relation = _line("비상연락처-관계", 30)
    emergency_phone = _line("비상연락처-전화번호", 40)
    education = _select("최종학력", EDUCATION)
    education_major = _line("전공·기타 학력")
    email = StringField(
        "e-mail",
        validators=[
            Optional(),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="e-mail 주소 형식으로 입력해 주세요."),
            Length(max=200),
        ],
    )
    bank_name = _line("은행명", 60)
    holder_name = _line("예금주명")
    account_number = StringField(
        "계좌번호",
        validators=[Optional(), Length(max=40, message="40자 이내로 적어 주세요.")],
    )
    centre_reason = TextAreaField("자활센터 선택이유", validators=[Optional(), Length(max=2000)])
    visit_trigger = _select("방문하게 된 계기", VISIT_TRIGGERS)
    visit_trigger_other = _line("방문하게 된 계기 (기타)")
    visit_reason = TextAreaField("방문한 주된 이유", validators=[Optional(), Length(max=2000)])
    remarks = TextAreaField("비고", validators=[Optional(), Length(max=2000)])
    # 건강상태: 신체적
    physical_rating = _select("참여자가 생각하는 신체적 건강정도", PHYSICAL_RATINGS)
    disease_1 = _line("질병명1")
    disease_2 = _line("질병명2")
    medication = _line("복용약", 200)
    disability_type = _select("장애유형", DISABILITY_TYPES)
    disability_grade = _number("장애등급", 1, 6)
    surgery_year = _number("수술년도", 1900, 2100)
    surgery_detail = _line("수술내용", 200)
    # 건강상태: 정신적
    mental_rating = _select("참여자가 생각하는 정신적 건강정도", MENTAL_RATINGS)
    mental_illness_symptoms = _line("정신질환 주요증상", 200)
    mental_illness_treated = _select("정신질환 치료여부", YES_NO_SELECTS["mental_illness_treated"])
    mental_illness_clinic = _line("치료기관")
    mental_illness_medication = _line("정신질환 복용약", 200)
    distress_symptoms = _line("심리적 어려움 주요증상", 200)
    distress_counselled = _select("상담여부", YES_NO_SELECTS["distress_counselled"])
    distress_agency = _line("상담기관")
    distress_medication = _line("심리적 어려움 복용약", 200)
    mental_disability_type = _select("정신장애 유형", MENTAL_DISABILITY_TYPES)
    mental_disability_grade = _number("정신장애 등급", 1, 6)
    # 음주·흡연
    drinks = BooleanField("평소 음주 있음")
    drink_kinds = _ticks("주로 마시는 술 종류", DRINK_KINDS)
    drinks_per_week = _number("음주횟수 (주 몇 회, 1~7)", 1, 7)
    bottles_per_session = _number("1회당 주량 (병, 1~10; 1병=7잔)", 1, 10)
    drinking_difficulty = _line("현재 음주 관련 힘든 내용", 300)
    drinking_treated = BooleanField("음주로 인한 상담 및 치료경험 있음")
    drinking_treatment_agency = _line("음주 상담 및 치료기관")
    smokes = BooleanField("평소 흡연 있음")
    packs_per_week = _number("흡연양 (주 몇 갑, 1~21; 1갑=20개피)", 1, 21)
    smoking_difficulty = _line("현재 흡연 관련 힘든 내용", 300)
    smoking_treated = BooleanField("흡연으로 인한 상담 및 치료경험 있음")
    smoking_treatment_agency = _line("흡연 상담 및 치료기관")
    # 기초정보
    marital_status = _select("혼인관계", MARITAL)
    marital_other = _line("혼인관계 (기타)", 60)
    composition = _select("세대유형", COMPOSITIONS)
    composition_other = _line("세대유형 (기타)", 30)
    traits = _ticks("가구특성 (최대 4개)", TRAITS)
    # 기초생활수급사항
    is_recipient = BooleanField("수급자 (참여시점)")
    first_received_on = _month("최초수급시기")
    coverage = _select("보장구분", COVERAGE)
    individual_benefits = _ticks("개별급여", INDIVIDUAL_BENEFITS)
    medical_type = _select("의료급여유형", MEDICAL_TYPES)
    medical_type_other = _line("의료급여유형 (기타)", 60)
    past_recipient = BooleanField("(과거) 수급경험 있음")
    past_years = _number("수급기간 (년)", 0, 99)
    past_months = _number("수급기간 (개월)", 0, 11)
    past_kinds = _ticks("(과거) 수급유형", PAST_KINDS)
    # 반복되는 표
    family = _rows(FamilyRow, 6)
    careers = _rows(CareerRow, 5)
    licences = _rows(LicenceRow, 3)
    trainings = _rows(TrainingRow, 3)
    schooling = _rows(SchoolingRow, 2)

    fieldsets: ClassVar[Fieldsets] = [
        (
            "사례관리사 작성용",
            [
                "counselled_on",
                "method",
                "method_other",
                "participation",
                "intake_route",
                "intake_route_other",
            ],
        ),
        (
            "대상자정보",
            [
                "has_home_phone",
                "has_mobile_phone",
                "emergency_name",
                "emergency_relation",
                "emergency_phone",
                "education",
                "education_major",
                "email",
                "centre_reason",
                "visit_trigger",
                "visit_trigger_other",
                "visit_reason",
                "remarks",
            ],
        ),
        ("계좌 (민감정보: 별도 동의)", list(ACCOUNT_FIELDS)),
        (
            "건강상태 — 신체적",
            [
                "physical_rating",
                "disease_1",
                "disease_2",
                "medication",
                "disability_type",
                "disability_grade",
                "surgery_year",
                "surgery_detail",
            ],
        ),
        (
            "건강상태 — 정신적",
            [
                "mental_rating",
                "mental_illness_symptoms",
                "mental_illness_treated",
                "mental_illness_clinic",
                "mental_illness_medication",
                "distress_symptoms",
                "distress_counselled",
                "distress_agency",
                "distress_medication",
                "mental_disability_type",
                "mental_disability_grade",
            ],
        ),
        (
            "음주·흡연",
            [
                "drinks",
                *DRINK_DETAILS,
                "drinking_treated",
                "drinking_treatment_agency",
                "smokes",
                *SMOKE_DETAILS,
                "smoking_treated",
                "smoking_treatment_agency",
            ],
        ),
        ("기초정보", ["marital_status", "marital_other", "composition", "composition_other", "traits"]),
        (
            "기초생활수급사항",
            [
                "is_recipient",
                "first_received_on",
                "coverage",
                "individual_benefits",
                "medical_type",
                "medical_type_other",
                "past_recipient",
                *PAST_DETAILS,
            ],
        ),
    ]
    #: the repeated tables, in the form's order: (legend, field name)
    tables: ClassVar[list[tuple[str, str]]] = [
        ("가족사항 (실제 동거현황 기준, 본인 포함)", "family"),
        ("취·창업 경험 (취업, 창업, 정부일자리, 자활사업)", "careers"),
        ("보유 자격증", "licences"),
        ("최근5년 직업훈련이력", "trainings"),
        ("자활근로 참여이후 상위학력 취득", "schooling"),
    ]

    def validate(self, extra_validators: Any = None) -> bool:
        """Check what one field cannot: at most four 가구특성, an account whole, answers consistent."""
        ok = super().validate(extra_validators)
        form = self  # what the worker typed, not a stored record
        checks: list[tuple[bool, Field, str]] = [
            (
                len(form.traits.data or []) > MAX_TRAITS,
                form.traits,
                "가구특성은 최대 4개까지 고를 수 있습니다.",
            ),
            (
                form.method.data == "기타" and not form.method_other.data,
                form.method_other,
                "상담유형이 기타이면 내용을 적어 주세요.",
            ),
            (
                any(form[name].data for name in ACCOUNT_FIELDS)
                and not all(form[name].data for name in ACCOUNT_FIELDS),
                form.account_number,
                "은행명, 예금주명, 계좌번호를 모두 적거나 모두 비워 주세요.",
            ),
            (
                not form.drinks.data and any(form[name].data for name in DRINK_DETAILS),
                form.drinks,
                "음주 내용을 적었다면 '평소 음주 있음'을 표시해 주세요.",
            ),
            (
                not form.smokes.data and any(form[name].data for name in SMOKE_DETAILS),
                form.smokes,
                "흡연 내용을 적었다면 '평소 흡연 있음'을 표시해 주세요.",
            ),
            (
                bool(form.coverage.data) and not form.is_recipient.data,
                form.is_recipient,
                "보장구분을 고르면 수급자로 표시해 주세요.",
            ),
            (
                bool(form.individual_benefits.data) and form.coverage.data != "개별급여",
                form.individual_benefits,
                "개별급여 종류는 보장구분이 개별급여일 때만 고릅니다.",
            ),
            (
                not form.past_recipient.data and any(form[name].data for name in PAST_DETAILS),
                form.past_recipient,
                "과거 수급 내용을 적었다면 '수급경험 있음'을 표시해 주세요.",
            ),
            (
                form.disability_grade.data is not None and not form.disability_type.data,
                form.disability_type,
                "장애등급을 적었다면 장애유형을 골라 주세요.",
            ),
            (
                form.mental_disability_grade.data is not None and not form.mental_disability_type.data,
                form.mental_disability_type,
                "정신장애 등급을 적었다면 유형을 골라 주세요.",
            ),
        ]
        for failed, field, message in checks:
            if failed:
                field.errors = [*field.errors, message]
                ok = False
        return ok


REFERRER_TYPES = ("본인", "이웃", "가족", "전문가", "공공기관", "타 복지기관", "기타")
#: 초기상담기록지 columns of ``IntakeRecord`` beyond the 초기상담 기록's own
INTAKE_DETAIL_FIELDS = (
    "referrer_type",
    "referrer_name",
    "referrer_contact",
    "referral_motive",
    "referrer_services",
    "prior_approaches",
    "informal_support",
    "desired_change",
    "special_notes",
    "assigned_department",
    "assigned_worker",
)


def _long(label: str) -> TextAreaField:
    return TextAreaField(
        label, validators=[Optional(), Length(max=4000, message="4000자 이내로 적어 주세요.")]
    )


class PriorServiceRow(_Row):
    """서비스 이력 한 줄: 종류, 제공기관, 지속기간, 중단사유, 결과."""

    key = "service"
    service = _line("서비스 종류", 200)
    provider = _line("제공기관")
    period = _line("지속기간", 60)
    stop_reason = _line("중단사유", 300)
    result = _line("서비스 결과", 300)


class IntakeRecordForm(IntakeForm):
    """초기상담기록지 (seed 001): the 초기상담 기록 with the referrer, what was tried, the service history."""

    referrer_type = _select("의뢰인 유형", REFERRER_TYPES)
    referrer_name = _line("의뢰인(기관)")
    referrer_contact = _line("의뢰인 연락처")
    referral_motive = _long("의뢰동기")
    referrer_services = _long("의뢰기관에서 지원받은 서비스")
    prior_approaches = _long("이전 접근방법과 결과 (클라이언트의 반응)")
    informal_support = _long("비공식적 지지체계 (가족, 이웃, 종교기관 등)")
    desired_change = _long("원하는 변화 (목표와 기대)")
    special_notes = _long("특이사항")
    assigned_department = _line("담당부서")
    assigned_worker = _line("담당자")
    prior_services = _rows(PriorServiceRow, 3)

    fieldsets: ClassVar[Fieldsets] = [
        ("처리 근거", ["collection_basis", "statutory_basis"]),
        (
            "의뢰",
            [
                "referrer_type",
                "referrer_name",
                "referrer_contact",
                "referral_motive",
                "referrer_services",
                "prior_approaches",
            ],
        ),
        (
            "초기상담",
            [
                "counselled_on",
                "method",
                "main_complaint",
                "facts",
                "informal_support",
                "desired_change",
                "special_notes",
                "worker_opinion",
                "is_urgent",
            ],
        ),
        ("서비스 이력", ["prior_services"]),
        ("담당", ["assigned_department", "assigned_worker"]),
    ]
