"""Meeting cadences as RRULEs (issue 17 point 2): each rhythm's dates against a calendar, and the rules
no meeting series can have, refused with the field they are about."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from conference.cadence import Cadence, build_rrule, check, describe, occurrences
from hamkke.errors import ValidationFailed

pytestmark = pytest.mark.embedded

TEN = 10 * 60


def _days(text: str, since: date, until: date, starts_on: date = date(2026, 1, 1)) -> list[date]:
    return [start.date() for start in occurrences(text, starts_on, None, TEN, since=since, until=until)]


def test_quarterly_supervision_falls_on_the_third_wednesday_of_march_june_september_and_december() -> None:
    rule = build_rrule(Cadence.quarterly, weekday=2, weeks=[3])

    # Hand-counted on the 2026 calendar: 3월 18일, 6월 17일, 9월 16일, 12월 16일 are third Wednesdays.
    assert _days(rule, date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 3, 18),
        date(2026, 6, 17),
        date(2026, 9, 16),
        date(2026, 12, 16),
    ]
    assert describe(rule) == "3·6·9·12월 셋째 주 수요일"


def test_quarterly_last_friday_uses_the_last_week_of_the_quarter_month() -> None:
    rule = build_rrule(Cadence.quarterly, weekday=4, weeks=[-1])

    assert _days(rule, date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 3, 27),
        date(2026, 6, 26),
        date(2026, 9, 25),
        date(2026, 12, 25),
    ]


def test_twice_monthly_high_risk_review_in_december_2026_is_on_the_second_and_fourth_thursday() -> None:
    rule = build_rrule(Cadence.twice_monthly, weekday=3, weeks=[4, 2])

    starts = occurrences(rule, date(2026, 1, 1), None, TEN, since=date(2026, 12, 1), until=date(2026, 12, 31))

    assert starts == [datetime(2026, 12, 10, 10, 0), datetime(2026, 12, 24, 10, 0)]


def test_weekly_dong_meeting_lists_every_tuesday_and_stops_at_the_series_end() -> None:
    rule = build_rrule(Cadence.weekly, weekday=1)

    assert _days(rule, date(2026, 12, 1), date(2026, 12, 31)) == [
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 15),
        date(2026, 12, 22),
        date(2026, 12, 29),
    ]
    ended = occurrences(
        rule, date(2026, 1, 1), date(2026, 12, 16), TEN, since=date(2026, 12, 1), until=date(2026, 12, 31)
    )
    assert [start.day for start in ended] == [1, 8, 15]


def test_fortnightly_rule_counts_from_the_series_start() -> None:
    rule = build_rrule(Cadence.weekly, weekday=0, interval=2)

    assert _days(rule, date(2026, 12, 1), date(2026, 12, 31), starts_on=date(2026, 11, 30)) == [
        date(2026, 12, 14),
        date(2026, 12, 28),
    ]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("FREQ=WEEKLY;INTERVAL=0;BYDAY=MO", "interval"),
        ("FREQ=WEEKLY;BYDAY=XX", "rrule"),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31", "rrule"),
        ("FREQ=MONTHLY;BYDAY=+6MO", "rrule"),
        ("FREQ=DAILY", "rrule"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=0", "rrule"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=WEEKLY", "rrule"),
        ("아무 말", "rrule"),
    ],
)
def test_impossible_rules_are_refused_with_their_field(text: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check(text, date(2026, 1, 1), None, TEN)

    assert refused.value.field == field
    assert refused.value.message  # Korean first


def test_a_series_ending_before_it_starts_is_refused() -> None:
    rule = build_rrule(Cadence.quarterly, weekday=2, weeks=[3])

    with pytest.raises(ValidationFailed) as refused:
        check(rule, date(2026, 5, 1), date(2026, 4, 30), TEN)

    assert refused.value.field == "ends_on"


def test_a_quarterly_series_of_april_and_may_has_no_meeting() -> None:
    rule = build_rrule(Cadence.quarterly, weekday=2, weeks=[3])

    with pytest.raises(ValidationFailed) as refused:
        check(rule, date(2026, 4, 1), date(2026, 5, 31), TEN)

    assert "회의가 없습니다" in refused.value.message


@pytest.mark.parametrize(
    ("cadence", "weekday", "weeks", "interval", "field"),
    [
        (Cadence.weekly, 7, [], 1, "weekday"),
        (Cadence.weekly, -1, [], 1, "weekday"),
        (Cadence.weekly, 1, [], 0, "interval"),
        (Cadence.twice_monthly, 3, [2], 1, "weeks"),
        (Cadence.twice_monthly, 3, [2, 2], 1, "weeks"),
        (Cadence.quarterly, 2, [5], 1, "weeks"),
        (Cadence.monthly, 2, [], 1, "weeks"),
    ],
)
def test_the_page_fields_refuse_a_weekday_week_or_interval_that_cannot_be(
    cadence: Cadence, weekday: int, weeks: list[int], interval: int, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        build_rrule(cadence, weekday=weekday, weeks=weeks, interval=interval)

    assert refused.value.field == field
