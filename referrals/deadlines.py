"""Response deadlines in working days (weekends and Korean public holidays, lunar ones included)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays

#: working days the receiving agency has to answer unless the district sets otherwise
DEFAULT_RESPONSE_WORKING_DAYS = 3
#: the district settings key that overrides it
SETTINGS_KEY = "referral_response_working_days"


@lru_cache(maxsize=32)
def _korean_holidays(year: int) -> frozenset[date]:
    # The package computes 설날 and 추석 from the lunar calendar and adds 대체공휴일.
    return frozenset(holidays.country_holidays("KR", years=year))


def is_working_day(day: date) -> bool:
    """Tell whether ``day`` is a weekday that is not a Korean public holiday."""
    return day.weekday() < 5 and day not in _korean_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """Return the working day ``days`` working days after ``start`` (``start`` itself never counts)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Count working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def previous_working_day(day: date) -> date:
    """Return the last working day before ``day``."""
    current = day - timedelta(days=1)
    while not is_working_day(current):
        current -= timedelta(days=1)
    return current


def response_working_days(settings: dict[str, Any] | None) -> int:
    """Return the district's response deadline in working days (default 3, at least 1)."""
    value = (settings or {}).get(SETTINGS_KEY, DEFAULT_RESPONSE_WORKING_DAYS)
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return DEFAULT_RESPONSE_WORKING_DAYS


def response_due_on(sent_on: date, settings: dict[str, Any] | None) -> date:
    """Return the last local day by which the receiving agency answers a referral sent on ``sent_on``."""
    return add_working_days(sent_on, response_working_days(settings))
