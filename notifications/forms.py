"""The notification preferences form: which kinds of notification also come by e-mail."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice, ValidationError

from agencies.forms import MultiCheckboxField
from notifications.queries import NOTIFICATION_KINDS


class PreferencesForm(FlaskForm):
    """Tick the kinds of notification to receive by e-mail too (in-app ones always arrive)."""

    # Choices are checked below, with a message that names the problem in plain Korean.
    email = MultiCheckboxField("전자우편으로 받기", choices=[], validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels are translated per request: the kinds are declared once, in Korean, in queries.
        self.email.choices = [SelectChoice(kind, _(label)) for kind, label in NOTIFICATION_KINDS.items()]

    def validate_email(self, field: Field) -> None:
        """Refuse a kind of notification the page does not offer."""
        unknown = [value for value in field.data or () if value not in NOTIFICATION_KINDS]
        if unknown:
            raise ValidationError(_("목록에 없는 알림 종류는 고를 수 없습니다. 목록에서 골라 주세요."))
