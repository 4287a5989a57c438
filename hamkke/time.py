"""The only clock of the product: UTC in storage, Asia/Seoul on screen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime (tests freeze this with time-machine)."""
    return datetime.now(UTC)


def to_local(value: datetime, zone: ZoneInfo = SEOUL) -> datetime:
    """Convert an aware (or UTC-naive) datetime to the display time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


def today_local(zone: ZoneInfo = SEOUL) -> date:
    """Return today's date in the display time zone (deadlines are counted in local days)."""
    return now_utc().astimezone(zone).date()
