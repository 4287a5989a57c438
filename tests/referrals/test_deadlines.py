"""Response deadlines in working days and the reminders around them, under frozen and advanced clocks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from hamkke.time import SEOUL
from notifications.models import Notification, OutboxMessage
from referrals import services
from referrals.deadlines import add_working_days, is_working_day, response_due_on, working_days_between
from referrals.models import Referral
from tests.fixtures.referrals import ReferralNetwork


def test_weekends_and_korean_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert not is_working_day(date(2027, 2, 8))  # 설날 2027 (lunar)
    assert not is_working_day(date(2027, 2, 9))  # 설날 대체공휴일
    assert is_working_day(date(2027, 2, 10))
    # Friday before 설날: Mon 8 and Tue 9 are holidays, so three working days end on Friday the 12th.
    assert add_working_days(date(2027, 2, 5), 3) == date(2027, 2, 12)
    # Thursday + 3 working days crosses a weekend.
    assert add_working_days(date(2026, 11, 19), 3) == date(2026, 11, 24)
    assert working_days_between(date(2027, 2, 5), date(2027, 2, 10)) == 1
    assert working_days_between(date(2027, 2, 12), date(2027, 2, 12)) == 0


def test_district_settings_change_the_deadline() -> None:
    assert response_due_on(date(2026, 11, 23), {}) == date(2026, 11, 26)
    assert response_due_on(date(2026, 11, 23), {"referral_response_working_days": 5}) == date(2026, 11, 30)
    assert response_due_on(date(2026, 11, 23), {"referral_response_working_days": "x"}) == date(2026, 11, 26)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SEOUL)


def _notes(db: Any, person_id: int, kind: str) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.person_id == person_id, Notification.kind == kind)
        )
    )


@pytest.mark.embedded
def test_every_reminder_fires_exactly_once_across_a_holiday(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    with time_machine.travel(_at(date(2027, 2, 5)), tick=False):  # Friday before 설날
        referral = services.send_referral(make_referral(), actor=network.sender)
        db.session.commit()
    assert referral.response_due_on == date(2027, 2, 12)
    receivers = (network.receiver.id, network.receiver_colleague.id)

    def run_on(day: date, times: int = 2) -> int:
        sent = 0
        with time_machine.travel(_at(day), tick=False):
            for _ in range(times):  # the beat job may run many times a day: the second run sends nothing
                sent += services.run_deadline_reminders()
                db.session.commit()
        return sent

    assert run_on(date(2027, 2, 8)) == 0  # 설날: nothing is due yet
    assert run_on(date(2027, 2, 10)) == 0
    assert run_on(date(2027, 2, 11)) == 2  # the working day before the deadline: both receivers
    assert run_on(date(2027, 2, 12)) == 0  # the deadline itself: already reminded
    assert run_on(date(2027, 2, 13)) == 0  # Saturday after: not a working day, not overdue yet
    assert run_on(date(2027, 2, 15)) == 2  # first working day after: overdue once
    assert referral.overdue_reminders == 1
    assert referral.escalated_at is None
    assert run_on(date(2027, 2, 16)) == 3  # overdue twice: receivers again + the coordinator
    assert run_on(date(2027, 2, 17)) == 0
    assert run_on(date(2027, 2, 24)) == 0

    for person_id in receivers:
        assert len(_notes(db, person_id, "referral.due_soon")) == 1
        assert len(_notes(db, person_id, "referral.overdue")) == 2
    [escalation] = _notes(db, network.coordinator.id, "referral.escalated")
    assert escalation.link == f"/referrals/{referral.id}"
    assert referral.overdue_reminders == 2
    assert referral.escalated_at is not None
    # The outbox holds one e-mail per notification; a re-run added none.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification)
    )
    notes = [event.note for event in referral.events]
    assert "회신 기한 경과 알림 1회" in notes
    assert "회신 기한 경과 알림 2회" in notes


def test_an_answered_referral_gets_no_more_reminders(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    with time_machine.travel(_at(date(2026, 11, 23)), tick=False):  # Monday → due Thursday 26th
        referral = services.send_referral(make_referral(), actor=network.sender)
    with time_machine.travel(_at(date(2026, 11, 24)), tick=False):
        services.accept(referral, actor=network.receiver)
    with time_machine.travel(_at(date(2026, 12, 1)), tick=False):
        assert services.run_deadline_reminders() == 0
    assert _notes(db, network.coordinator.id, "referral.escalated") == []
