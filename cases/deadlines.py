"""Deadline clocks and monitoring cadence, computed from dates (ready for the reminders issue).

How days count: periods are **calendar days** (weekends and holidays count), starting the day
after the start date. When the last day falls on a Saturday or Sunday, the deadline moves to the
following Monday, as 민법 제161조 does for periods ending on a holiday. Public holidays are not
modelled (no holiday calendar yet), so a deadline on a weekday holiday stays put.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from cases.models import Case, CaseIntensity

#: district practice cited in peer-systems.md: intake → assessment ~10 days, conference →
#: classification ~5 days, intake → plan 30 days
DEFAULT_PROFILE: dict[str, tuple[int, str]] = {
    "intake_to_assessment": (10, "days"),
    "conference_to_classification": (5, "days"),
    "intake_to_plan": (30, "days"),
}
#: seed 000 (자활사례관리): intake ≤ 3 days after the referral, assessment ≤ 2 months, plan ≤ 3 months
SELF_SUFFICIENCY_PROFILE: dict[str, tuple[int, str]] = {
    "referral_to_intake": (3, "days"),
    "intake_to_assessment": (2, "months"),
    "conference_to_classification": (5, "days"),
    "intake_to_plan": (3, "months"),
}
PROFILES = {"default": DEFAULT_PROFILE, "self_sufficiency": SELF_SUFFICIENCY_PROFILE}

CLOCK_LABELS = {
    "referral_to_intake": "의뢰 → 초기상담",
    "intake_to_assessment": "접수 → 사정 완료",
    "conference_to_classification": "사례회의 → 유형 분류",
    "intake_to_plan": "접수 → 계획 수립",
}

#: contact cadence per intensity (seed 004: 집중 weekly); 위기 twice a week
CADENCE_DAYS = {CaseIntensity.crisis: 3, CaseIntensity.intensive: 7, CaseIntensity.simple: 30}
#: 20 intensive cases per case manager (seed 000)
INTENSIVE_CASELOAD_LIMIT = 20


def add_period(start: date, amount: int, unit: str) -> date:
    """Return the last day of a period of ``amount`` days or months after ``start`` (no weekend shift)."""
    if unit == "days":
        return start + timedelta(days=amount)
    month_index = start.month - 1 + amount
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def roll_past_weekend(day: date) -> date:
    """Move a deadline that falls on Saturday or Sunday to the following Monday."""
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def due_date(start: date, amount: int, unit: str) -> date:
    """Return the deadline of a period: the period's last day, moved past a weekend."""
    return roll_past_weekend(add_period(start, amount, unit))


@dataclass(frozen=True)
class Clock:
    """One deadline clock of a case."""

    code: str
    label: str
    started_on: date
    due_on: date
    done_on: date | None
    state: Literal["met", "late", "running", "overdue"]
    #: days left (negative: days overdue); None once done
    days_left: int | None


def profile_for(settings: dict[str, Any] | None, *, self_sufficiency: bool) -> dict[str, tuple[int, str]]:
    """Return the deadline profile of a district (``settings["case_deadlines"]``) for an agency kind.

    Settings: ``{"profile": "default", "self_sufficiency_profile": "self_sufficiency",
    "overrides": {"intake_to_plan": [45, "days"]}}``; unknown names fall back to the defaults.
    """
    config = (settings or {}).get("case_deadlines", {}) or {}
    name = (
        config.get("self_sufficiency_profile", "self_sufficiency")
        if self_sufficiency
        else config.get("profile", "default")
    )
    profile = dict(PROFILES.get(str(name), DEFAULT_PROFILE))
    for code, value in (config.get("overrides") or {}).items():
        if code in CLOCK_LABELS and isinstance(value, list | tuple) and len(value) == 2:
            amount, unit = value
            if isinstance(amount, int) and amount > 0 and unit in {"days", "months"}:
                profile[code] = (amount, unit)
    return profile


def _clock(code: str, spec: tuple[int, str], start: date, done: date | None, today: date) -> Clock:
    due = due_date(start, *spec)
    if done is not None:
        return Clock(code, CLOCK_LABELS[code], start, due, done, "met" if done <= due else "late", None)
    left = (due - today).days
    return Clock(code, CLOCK_LABELS[code], start, due, None, "running" if left >= 0 else "overdue", left)


def case_clocks(case: Case, profile: dict[str, tuple[int, str]], today: date) -> list[Clock]:
    """Return the case's deadline clocks under ``profile`` as of ``today``."""
    clocks: list[Clock] = []
    if "referral_to_intake" in profile and case.referred_on is not None:
        clocks.append(
            _clock(
                "referral_to_intake",
                profile["referral_to_intake"],
                case.referred_on,
                case.counselling_started_on,
                today,
            )
        )
    clocks.append(
        _clock(
            "intake_to_assessment", profile["intake_to_assessment"], case.opened_on, case.assessed_on, today
        )
    )
    if case.conference_on is not None:
        classified = (
            case.classified_on if case.classified_on and case.classified_on >= case.conference_on else None
        )
        clocks.append(
            _clock(
                "conference_to_classification",
                profile["conference_to_classification"],
                case.conference_on,
                classified,
                today,
            )
        )
    clocks.append(
        _clock("intake_to_plan", profile["intake_to_plan"], case.opened_on, case.plan_agreed_on, today)
    )
    if not case.stage.is_open:
        # A closed or 미선정 case runs no clock any more: drop those that never finished.
        clocks = [clock for clock in clocks if clock.done_on is not None]
    return clocks


def is_overdue(clocks: list[Clock]) -> bool:
    """Tell whether any clock is past its deadline and not done."""
    return any(clock.state == "overdue" for clock in clocks)


def next_contact_due(intensity: CaseIntensity, last_contact: date | None, opened_on: date) -> date:
    """Return when the next monitoring contact is due: cadence days after the last contact (or opening)."""
    return (last_contact or opened_on) + timedelta(days=CADENCE_DAYS[intensity])
