"""Forms of the district's reference records: low-income households per dong, 민관 교육."""

from __future__ import annotations

from typing import ClassVar

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from agencies.district_records import TrainingAudience
from agencies.forms import MultiCheckboxField

REQUIRED = "꼭 입력해 주세요."
CHOOSE = "목록에서 골라 주세요."
WHOLE = "정수로 입력해 주세요."
DATE = "날짜를 YYYY-MM-DD 형식으로 입력해 주세요."


class LowIncomeForm(FlaskForm):
    """A dong's 기초생활수급 and 차상위 households in one year (the 발굴률 denominator)."""

    dong_id = SelectField("동", choices=[], validate_choice=False, validators=[DataRequired(message=CHOOSE)])
    year = IntegerField("기준 연도", validators=[InputRequired(message=WHOLE)])
    basic_livelihood_households = IntegerField(
        "기초생활수급 가구 수", validators=[InputRequired(message=WHOLE)]
    )
    near_poverty_households = IntegerField("차상위 가구 수", validators=[InputRequired(message=WHOLE)])

    field_names: ClassVar[list[str]] = [
        "dong_id",
        "year",
        "basic_livelihood_households",
        "near_poverty_households",
    ]


class TrainingForm(FlaskForm):
    """One 민관 교육: course, day, organiser, audience, hours, participants of the network, outsiders."""

    course_name = StringField("교육명", validators=[DataRequired(message=REQUIRED), Length(max=200)])
    held_on = DateField("교육일자", format="%Y-%m-%d", validators=[InputRequired(message=DATE)])
    organiser = StringField("주관 기관", validators=[DataRequired(message=REQUIRED), Length(max=200)])
    audience = SelectField(
        "교육대상",
        choices=[SelectChoice(member.value, member.label) for member in TrainingAudience],
        validate_choice=False,
        validators=[AnyOf([member.value for member in TrainingAudience], message=CHOOSE)],
    )
    hours = DecimalField("교육 시간 (시간)", places=1, validators=[InputRequired(message=REQUIRED)])
    outsider_count = IntegerField("외부 참여자 수 (네트워크 밖, 인원만)", default=0, validators=[Optional()])
    participant_ids = MultiCheckboxField(
        "참여자 (네트워크 구성원)", choices=[], coerce=int, validate_choice=False
    )

    field_names: ClassVar[list[str]] = [
        "course_name",
        "held_on",
        "organiser",
        "audience",
        "hours",
        "outsider_count",
    ]
