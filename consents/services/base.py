"""Small helpers the consent services share: the refusal of a field, and JSON-safe values for audit rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from hamkke.errors import ValidationFailed


def fail(message: str, field_name: str, english: str) -> ValidationFailed:
    """Build the refusal of one form field, in Korean and English."""
    return ValidationFailed(message, field=field_name, english=english)


def json_safe(value: Any) -> Any:
    """Return a date or datetime as ISO text (audit rows and exports are JSON), anything else as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
