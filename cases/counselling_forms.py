"""Forms of 상담일지 (필수서식7: the full page and the quick entry on the case page) and 위기도 with items."""

from __future__ import annotations

from typing import Any, ClassVar

from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from cases.forms import CHOOSE, REQUIRED, CaseForm, Fieldsets, _choices, _date, _text, pairs
from cases.models import (
    CRISIS_SCORE_LABELS,
    CounsellingArea,
    CounsellingMethod,
    CounsellingType,
    CrisisItem,
    MonitoringChannel,
    MonitoringFinding,
)

MINUTES_RANGE = "상담시간은 10분부터 180분까지입니다."
SCORE_RANGE = "위기도 점수는 0부터 4까지입니다."


def _select(label: str, enum_class: Any) -> SelectField:
    return SelectField(
        label, choices=_choices(enum_class, blank="고르세요"), validators=[InputRequired(message=CHOOSE)]
    )


def _line(label: str, *, limit: int, required: bool = False) -> StringField:
    validators: list[Any] = [InputRequired(message=REQUIRED)] if required else [Optional()]
    return StringField(
        label, validators=[*validators, Length(max=limit, message=f"{limit}자 이내로 적어 주세요.")]
    )


class LogForm(CaseForm):
    """상담일지 (필수서식7): every field of the seed's form, plus time, place and a group's cases."""

    contacted_on = _date("상담일자")
    starts_at = TimeField("상담 시작 시각", validators=[Optional()], format="%H:%M")
    method = _select("상담방법", CounsellingMethod)
    area = _select("상담영역", CounsellingArea)
    counselling_type = _select("상담유형", CounsellingType)
    minutes = IntegerField(
        "상담시간 (분, 10~180)",
        validators=[InputRequired(message=REQUIRED), NumberRange(min=10, max=180, message=MINUTES_RANGE)],
    )
    place = _line("상담장소", limit=200)
    participant_names = _line("참여자", limit=300)
    group_case_ids = SelectMultipleField(
        "함께 참여한 사례 (집단상담: 한 번으로 셉니다)", choices=[], coerce=int
    )
    channel = _select("점검 경로", MonitoringChannel)
    purpose = _text("상담목적", required=False)
    content = _text("상담내용 (제공 서비스와 대상자의 변화)")
    worker_opinion = _text("상담자 의견1 (사실과 구분)", required=False)
    worker_opinion_2 = _text("상담자 의견2", required=False)
    worker_opinion_3 = _text("상담자 의견3", required=False)
    result = _text("상담결과", required=False)
    remarks = _text("비고", required=False)
    finding = _select("점검 결과", MonitoringFinding)

    fieldsets: ClassVar[Fieldsets] = [
        (
            "상담",
            [
                "contacted_on",
                "starts_at",
                "minutes",
                "method",
                "area",
                "counselling_type",
                "place",
                "participant_names",
                "group_case_ids",
            ],
        ),
        ("내용", ["purpose", "content", "result"]),
        ("상담자 의견", ["worker_opinion", "worker_opinion_2", "worker_opinion_3", "remarks"]),
        ("점검", ["channel", "finding"]),
    ]


class QuickLogForm(LogForm):
    """상담일지 quick entry on the case page: one-line texts so Enter submits; choices from the last entry."""

    purpose = _line("상담목적", limit=4000)
    content = _line("상담내용 (제공 서비스와 대상자의 변화)", limit=4000, required=True)
    result = _line("상담결과", limit=4000)

    #: tab order of the compact form: what is typed each time first, the remembered choices after
    quick_order: ClassVar[tuple[str, ...]] = (
        "content",
        "purpose",
        "result",
        "minutes",
        "contacted_on",
        "starts_at",
        "method",
        "area",
        "counselling_type",
        "place",
        "participant_names",
        "channel",
        "finding",
        "group_case_ids",
    )


def crisis_field(item: CrisisItem) -> str:
    """Return the form field name of a 위기도 item."""
    return f"item_{item.value}"


def crisis_form_class() -> type[CaseForm]:
    """Build the 위기도 form: one 0–4 score per item, the life-safety flag and a note."""
    scores = pairs([("", "고르세요"), *((str(k), v) for k, v in CRISIS_SCORE_LABELS.items())])
    allowed = [str(score) for score in CRISIS_SCORE_LABELS]
    attrs: dict[str, Any] = {
        "rated_on": _date("조사일"),
        "life_safety": BooleanField("생명·안전 문제 있음 (종결 시 슈퍼바이저 승인 필요)"),
        "notes": _text("메모", required=False),
    }
    for item in CrisisItem:
        # The choice is checked by AnyOf, so an out-of-range score gets the Korean reason beside it.
        attrs[crisis_field(item)] = SelectField(
            item.label,
            choices=scores,
            validate_choice=False,
            validators=[InputRequired(message=CHOOSE), AnyOf(allowed, message=SCORE_RANGE)],
        )
    attrs["fieldsets"] = [
        ("위기도", ["rated_on"]),
        ("위기도 항목 (0 위기 없음 ~ 4 매우 심각)", [crisis_field(item) for item in CrisisItem]),
        ("판단", ["life_safety", "notes"]),
    ]
    return type("CrisisForm", (CaseForm,), attrs)
