"""Meeting cadences as RFC 5545 recurrence rules: build them from the page's fields, check them, list dates.

Pure functions over python-dateutil's ``rrule``: no database. A rule is kept as its RRULE text without
DTSTART; the series' first day and start time supply it, in Asia/Seoul.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from dateutil import rrule as rr
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from hamkke.errors import ValidationFailed

#: RRULE weekday codes, Monday first (Python's ``date.weekday()`` order)
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: the quarters' months of seed 004's 분기별 supervision and 자문단 (3·6·9·12월)
QUARTER_MONTHS = (3, 6, 9, 12)
#: frequencies a meeting series may have: finer ones would flood the calendar
ALLOWED_FREQUENCIES = frozenset({"WEEKLY", "MONTHLY", "YEARLY"})
#: how far the check looks for a first meeting when the series has no end
SEARCH_YEARS = 2
MAX_RRULE = 300


class Cadence(enum.StrEnum):
    """The rhythms the series page offers; ``custom`` takes an RRULE as typed."""

    quarterly = "quarterly"
    monthly = "monthly"
    twice_monthly = "twice_monthly"
    weekly = "weekly"
    custom = "custom"

    @property
    def label(self) -> str:
        """Name of the rhythm in the page's language (Korean first)."""
        return str(CADENCE_LABELS[self])


CADENCE_LABELS: dict[Cadence, LazyString] = {
    Cadence.quarterly: _l("분기별 (3·6·9·12월)"),
    Cadence.monthly: _l("매월"),
    Cadence.twice_monthly: _l("월 2회"),
    Cadence.weekly: _l("매주 (또는 몇 주마다)"),
    Cadence.custom: _l("직접 입력 (RRULE)"),
}


def _parts(text: str) -> dict[str, str]:
    """Split RRULE text into its NAME=value parts (upper case)."""
    return dict(part.split("=", 1) for part in text.upper().split(";") if "=" in part)


def _refuse(korean: str, english: str, field: str) -> ValidationFailed:
    return ValidationFailed(korean, field=field, english=english)


def build_rrule(
    cadence: Cadence,
    *,
    weekday: int | None,
    weeks: Sequence[int] = (),
    interval: int = 1,
    custom: str | None = None,
) -> str:
    """Return the RRULE of a rhythm chosen on the page; refuse a weekday, week or interval that cannot be."""
    if cadence == Cadence.custom:
        text = (custom or "").strip().upper().removeprefix("RRULE:")
        if not text:
            raise _refuse("반복 규칙(RRULE)을 입력하세요.", "Enter the RRULE.", "rrule")
        return text
    if weekday is None or not 0 <= weekday <= 6:
        raise _refuse("요일을 월요일부터 일요일 중에서 고르세요.", "Choose a weekday.", "weekday")
    code = WEEKDAY_CODES[weekday]
    if cadence == Cadence.weekly:
        if interval < 1:
            raise _refuse(
                "반복 간격은 1주 이상이어야 합니다.", "The interval must be at least 1.", "interval"
            )
        return f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={code}"
    wanted = 2 if cadence == Cadence.twice_monthly else 1
    chosen = sorted(set(weeks))
    if len(chosen) != wanted or any(week not in (1, 2, 3, 4, -1) for week in chosen):
        raise _refuse(
            "월 2회는 서로 다른 두 주를, 그 밖에는 한 주를 고르세요(첫째~넷째 주 또는 마지막 주)."
            if wanted == 2
            else "몇째 주인지 하나 고르세요(첫째~넷째 주 또는 마지막 주).",
            "Choose two different weeks." if wanted == 2 else "Choose one week of the month.",
            "weeks",
        )
    byday = ",".join(f"{week:+d}{code}" for week in chosen)
    months = ";BYMONTH=" + ",".join(map(str, QUARTER_MONTHS)) if cadence == Cadence.quarterly else ""
    return f"FREQ=MONTHLY{months};BYDAY={byday}"


def parse(text: str, starts_on: date, start_minute: int = 0) -> rr.rrule:
    """Parse an RRULE for a series starting on ``starts_on``; refuse text dateutil or a meeting cannot use."""
    if len(text) > MAX_RRULE:
        raise _refuse(f"반복 규칙은 {MAX_RRULE}자 이내로 적으세요.", "The RRULE is too long.", "rrule")
    if "DTSTART" in text or "\n" in text:
        raise _refuse(
            "반복 규칙에는 시작일(DTSTART)을 넣지 않습니다. 시작일 칸을 쓰세요.",
            "Leave DTSTART out of the rule; use the start date field.",
            "rrule",
        )
    parts = _parts(text)
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise _refuse(
            "회의는 매주, 매월 또는 매년 단위로만 반복할 수 있습니다(FREQ=WEEKLY, MONTHLY, YEARLY).",
            "Meetings repeat weekly, monthly or yearly only.",
            "rrule",
        )
    # dateutil takes INTERVAL=0 and then never finds a next date: refuse it before it is parsed.
    if not parts.get("INTERVAL", "1").isdigit() or int(parts.get("INTERVAL", "1")) < 1:
        raise _refuse("반복 간격은 1 이상이어야 합니다.", "The interval must be at least 1.", "interval")
    start = datetime.combine(starts_on, time(start_minute // 60, start_minute % 60))
    try:
        rule = rr.rrulestr(text, dtstart=start)
    except (ValueError, TypeError, KeyError, IndexError):
        raise _refuse(
            "반복 규칙을 읽을 수 없습니다. 요일(MO~SU)과 숫자를 확인하세요.",
            "The RRULE cannot be read; check the weekdays (MO-SU) and numbers.",
            "rrule",
        ) from None
    if not isinstance(rule, rr.rrule):
        raise _refuse("반복 규칙은 하나만 적으세요.", "Give a single rule.", "rrule")
    return rule


def check(text: str, starts_on: date, ends_on: date | None, start_minute: int) -> date:
    """Refuse a series that ends before it starts or never meets; return its first meeting day."""
    if ends_on is not None and ends_on < starts_on:
        raise _refuse("끝나는 날이 시작일보다 앞섭니다.", "The series ends before it starts.", "ends_on")
    if not 0 <= start_minute < 24 * 60:
        raise _refuse("시작 시각을 바르게 입력하세요.", "Enter a valid start time.", "start_time")
    rule = parse(text, starts_on, start_minute)
    last = ends_on or starts_on + timedelta(days=366 * SEARCH_YEARS)
    first = rule.after(datetime.combine(starts_on, time.min), inc=True)
    if first is None or first.date() > last:
        raise _refuse(
            "이 규칙으로는 기간 안에 열리는 회의가 없습니다. 요일·주·달을 확인하세요.",
            "The rule gives no meeting in the period; check the weekday, week and months.",
            "rrule",
        )
    return first.date()


def occurrences(
    text: str, starts_on: date, ends_on: date | None, start_minute: int, *, since: date, until: date
) -> list[datetime]:
    """Return the meeting starts (naive, Asia/Seoul wall time) from ``since`` to ``until`` inclusive."""
    rule = parse(text, starts_on, start_minute)
    last = min(until, ends_on) if ends_on is not None else until
    low = datetime.combine(max(since, starts_on), time.min)
    high = datetime.combine(last, time.max)
    if high < low:
        return []
    return list(rule.between(low, high, inc=True))


def describe(text: str) -> str:
    """Return the rule in Korean words for the series list (e.g. ``분기(3·6·9·12월) 셋째 주 수요일``)."""
    parts = _parts(text)
    days = parts.get("BYDAY", "")
    names = {"MO": "월", "TU": "화", "WE": "수", "TH": "목", "FR": "금", "SA": "토", "SU": "일"}
    ordinals = {"1": "첫째", "2": "둘째", "3": "셋째", "4": "넷째", "5": "다섯째", "-1": "마지막"}
    spoken: list[str] = []
    for entry in filter(None, days.split(",")):
        code, number = entry[-2:], entry[:-2].lstrip("+")
        day = names.get(code, code) + "요일"
        spoken.append(f"{ordinals.get(number, number)} 주 {day}" if number else day)
    when = "·".join(spoken)
    freq, interval = parts.get("FREQ", ""), parts.get("INTERVAL", "1")
    if freq == "WEEKLY":
        return f"{'매주' if interval == '1' else interval + '주마다'} {when}".strip()
    if freq == "MONTHLY" and "BYMONTH" in parts:
        months = "·".join(parts["BYMONTH"].split(","))
        return f"{months}월 {when}".strip()
    if freq == "MONTHLY":
        return f"{'매월' if interval == '1' else interval + '개월마다'} {when}".strip()
    return text
