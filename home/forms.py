"""The header's language switch, posted from every page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from hamkke.i18n import SUPPORTED_LOCALES

#: each language's name in its own language, as the header's select shows it
NAMES = {"ko": "한국어", "en": "English"}


class LanguageForm(FlaskForm):
    """Choose the UI language; ``next`` is where the person was (checked to stay on this site)."""

    lang = SelectField(
        "언어",
        choices=[SelectChoice(code, NAMES[code]) for code in SUPPORTED_LOCALES],
        validators=[InputRequired(message="목록에서 골라 주세요.")],
    )
    # Not the person's input: an address off this site falls back to the start page (safe_next_url).
    next = HiddenField()
