"""Forms of the case fund: budgets, the cap, a spend request, a 결재 decision, the spend, the settlement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from funds.models import FundPurpose, PayeeKind
from hamkke.paging import ListQueryForm


def pairs(items: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms choices."""
    return [SelectChoice(value, label) for value, label in items]


REQUIRED = "꼭 입력해 주세요."
CHOOSE = "목록에서 골라 주세요."
WHOLE_WON = "금액은 원 단위 숫자로 적어 주세요 (예: 120000 또는 120,000)."
DATE = "날짜를 YYYY-MM-DD 형식으로 입력해 주세요."
#: how many item lines the request form offers (empty lines are ignored)
ITEM_ROWS = 5


class WonField(IntegerField):
    """A whole-won amount; "120,000", "120,000원" and "₩120,000" read as 120000, decimals are refused."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Drop the thousands separators and the currency marks people type, then read an integer."""
        if valuelist:
            text = str(valuelist[0]).replace(",", "").replace("원", "").replace("₩", "").strip()
            valuelist = [text]
        if valuelist and valuelist[0] == "":
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(WHOLE_WON) from error
        if self.data is None and valuelist and valuelist[0]:
            raise ValueError(WHOLE_WON)


def _won(label: str, *, required: bool = True) -> WonField:
    validators: list[Any] = [InputRequired(message=REQUIRED)] if required else [Optional()]
    validators.append(NumberRange(min=0, max=100_000_000, message="0원에서 1억 원 사이로 적어 주세요."))
    return WonField(label, validators=validators)


def _share(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(message=REQUIRED),
            NumberRange(min=0, max=100, message="0에서 100 사이의 정수로 적어 주세요."),
        ],
    )


class BudgetForm(FlaskForm):
    """A dong's (or the district's own) budget of a fiscal year."""

    dong = SelectField("동", choices=[], validators=[Optional()])
    fiscal_year = IntegerField(
        "회계연도", validators=[InputRequired(message=REQUIRED), NumberRange(min=2000, max=2100)]
    )
    operating_amount = _won("운영비 (원)")
    project_amount = _won("사례사업비 (원)")
    national_share = _share("국비 비율 (%)")
    city_share = _share("시비 비율 (%)")
    district_share = _share("구비 비율 (%)")


class CapForm(FlaskForm):
    """The district's per-household yearly cap."""

    cap = _won("가구당 연간 최대 지원액 (원)")


class ItemForm(Form):
    """One line of a request (a sub-form: the request form carries the CSRF token)."""

    description = StringField("내용", validators=[Optional(), Length(max=200)])
    amount = _won("금액 (원)", required=False)


class RequestForm(FlaskForm):
    """A spend request for a case's household."""

    purpose = SelectField(
        "지원 용도",
        choices=pairs((member.value, member.label) for member in FundPurpose),
        validators=[InputRequired(message=CHOOSE), AnyOf([m.value for m in FundPurpose], message=CHOOSE)],
    )
    payee_kind = RadioField(
        "지급 방법",
        choices=pairs((member.value, member.label) for member in PayeeKind),
        validators=[InputRequired(message=CHOOSE)],
    )
    plan_goal = SelectField("관련 서비스제공계획 목표", choices=[], validators=[Optional()])
    items = FieldList(FormField(ItemForm), label="지원 항목", min_entries=ITEM_ROWS, max_entries=ITEM_ROWS)
    evidence = FileField("증빙 파일 (견적서·영수증 등)")


class DecisionForm(FlaskForm):
    """A 결재: approve, or return with a reason."""

    decision = RadioField(
        "결재",
        choices=pairs([("approve", "승인"), ("return", "반려")]),
        validators=[InputRequired(message=CHOOSE)],
    )
    reason = TextAreaField("반려 사유", validators=[Optional(), Length(max=2000)])


class SpendForm(FlaskForm):
    """The spend: the day it was paid and the amount."""

    spent_on = DateField("집행일", validators=[InputRequired(message=DATE)], format="%Y-%m-%d")
    amount = _won("집행액 (원)")


class FundListForm(ListQueryForm):
    """Filter of the request list (GET)."""

    status = SelectField(
        "상태",
        choices=pairs(
            [
                ("", "모든 상태"),
                ("pending", "결재 대기"),
                ("approved", "승인 (집행 대기)"),
                ("spent", "집행 완료"),
                ("returned", "반려"),
            ]
        ),
        validators=[Optional()],
    )


class SettlementForm(ListQueryForm):
    """Which quarter's settlement, and of which dong (GET)."""

    year = IntegerField("회계연도", validators=[Optional(), NumberRange(min=2000, max=2100)])
    quarter = SelectField(
        "분기",
        choices=pairs([("1", "1분기"), ("2", "2분기"), ("3", "3분기"), ("4", "4분기")]),
        validators=[Optional()],
    )
    dong = SelectField("동", choices=[], validators=[Optional()])
