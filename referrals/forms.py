"""Forms of the referral pages; labels and messages in Korean, errors shown next to their fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from cases.fields import FIELD_GROUPS, column_label
from hamkke.paging import ListQueryForm
from referrals.models import REFERRAL_STATUS_LABELS, REJECTION_REASON_LABELS
from referrals.services import TEXT_LIMIT


def _long_text(label: str, *, required: bool = False, message: str = "") -> TextAreaField:
    validators = [DataRequired(message=message)] if required else [Optional()]
    validators.append(Length(max=TEXT_LIMIT, message=f"{TEXT_LIMIT}자 이내로 적어 주세요."))
    return TextAreaField(label, validators=validators)


class CheckboxListField(SelectMultipleField):
    """Several checkboxes (a fieldset) instead of a multi-select box."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ReferralForm(FlaskForm):
    """활용서식6 서비스 의뢰서: the service, the content and the field groups to share."""

    service = SelectField(
        "의뢰할 서비스", choices=[], validators=[DataRequired(message="서비스를 골라 주세요.")]
    )
    reason = _long_text(column_label("reason"), required=True, message="의뢰사유를 적어 주세요.")
    requested_services = _long_text(
        column_label("requested_services"), required=True, message="대상자 요구 서비스를 적어 주세요."
    )
    main_problem = _long_text(column_label("main_problem"))
    service_history = _long_text(column_label("service_history"))
    notes = _long_text(column_label("notes"))
    field_groups = CheckboxListField(
        "함께 보낼 대상자 정보",
        choices=[SelectChoice(code, group.label) for code, group in FIELD_GROUPS.items()],
        validators=[Optional()],
    )
    eligibility_override_reason = _long_text("이용요건 경고에도 의뢰하는 사유")
    action = StringField()  # the button pressed: "send" sends at once, anything else keeps a draft


class OutsideReferralForm(FlaskForm):
    """활용서식6 to an organisation outside the network: its name and e-mail instead of a service."""

    external_name = StringField(
        "받는 기관 이름",
        validators=[
            DataRequired(message="받는 기관 이름을 적어 주세요."),
            Length(max=200, message="200자 이내로 적어 주세요."),
        ],
    )
    # Checked by the service (one rule for every channel); the field only offers the e-mail keyboard.
    external_email = EmailField(
        "받는 기관 이메일", validators=[DataRequired(message="이메일 주소를 적어 주세요.")]
    )
    reason = _long_text(column_label("reason"), required=True, message="의뢰사유를 적어 주세요.")
    requested_services = _long_text(
        column_label("requested_services"), required=True, message="대상자 요구 서비스를 적어 주세요."
    )
    main_problem = _long_text(column_label("main_problem"))
    service_history = _long_text(column_label("service_history"))
    notes = _long_text(column_label("notes"))
    field_groups = CheckboxListField(
        "함께 보낼 대상자 정보",
        choices=[SelectChoice(code, group.label) for code, group in FIELD_GROUPS.items()],
        validators=[Optional()],
    )
    action = StringField()  # the button pressed: "send" sends at once, anything else keeps a draft


class ReissueForm(FlaskForm):
    """Re-issuing a letter as a new version, with the reason printed on it."""

    kind = HiddenField(validators=[AnyOf(["request", "reply"], message="공문 종류가 올바르지 않습니다.")])
    reason = StringField(
        "재발급 사유",
        validators=[
            DataRequired(message="재발급 사유를 적어 주세요."),
            Length(max=500, message="500자 이내로 적어 주세요."),
        ],
    )


class DirectorySearchForm(ListQueryForm):
    """Search of the resource directory (GET, so no CSRF token)."""

    q = StringField(
        "검색어", validators=[Optional(), Length(max=100, message="검색어는 100자 이내로 적어 주세요.")]
    )
    category = SelectField("분야", choices=[], validators=[Optional()])


class RejectForm(FlaskForm):
    """Declining a referral with a structured reason."""

    rejection_reason = RadioField(
        "거절 사유",
        choices=[SelectChoice(reason.value, label) for reason, label in REJECTION_REASON_LABELS.items()],
        validators=[DataRequired(message="거절 사유를 골라 주세요.")],
    )
    rejection_note = _long_text("설명")


class CompleteForm(FlaskForm):
    """The 회신서 / 결과보고서."""

    outcome = _long_text("서비스 결과", required=True, message="서비스 결과를 적어 주세요.")
    result_report = _long_text("결과보고(제공 내용, 기간, 향후 계획)")


class NoteForm(FlaskForm):
    """Cancelling or revoking, with a note."""

    closing_note = _long_text("사유")


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ReferralListForm(ListQueryForm):
    """Which referrals the list shows and in which order (GET: links must work when shared)."""

    box = SelectField(
        _l("목록"),
        choices=[SelectChoice("received", _l("받은 의뢰")), SelectChoice("sent", _l("보낸 의뢰"))],
        default="received",
    )
    order = SelectField(
        _l("정렬"),
        choices=[
            SelectChoice("action", _l("처리 필요 먼저")),
            SelectChoice("due", _l("회신 기한 순")),
            SelectChoice("newest", _l("최근 순")),
            SelectChoice("oldest", _l("오래된 순")),
        ],
        default="action",
    )
    status = SelectField(
        _l("상태"),
        choices=[SelectChoice("", _l("모든 상태"))]
        + [SelectChoice(status.value, label) for status, label in REFERRAL_STATUS_LABELS.items()],
        default="",
        validators=[Optional()],
    )
