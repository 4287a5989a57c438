"""The issue's "done when", in one flow: a dong worker's referral reaches the receiving agency by e-mail
(real SMTP) and in-app, is accepted and completed with a result report, and every reminder along the
way fires exactly once while the clock moves forward day by day (the jobs run several times a day)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from notifications.models import DeliveryStatus, Notification, OutboxMessage
from notifications.tasks import sweep_outbox
from referrals import services, tasks
from referrals.models import LetterKind, Referral, ReferralLetter, ReferralStatus
from tests.fixtures.mail import SmtpSink
from tests.fixtures.referrals import ReferralNetwork

# Monday 2026-11-30 10:00 in Seoul. Three working days later the answer is due: Thursday 12-03.
START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def _at(day: date, hour: int) -> datetime:
    """Return ``hour`` o'clock in Seoul on ``day`` as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=9)


def _run_jobs(db: Any) -> None:
    """What beat runs: deadline reminders (committed), the letter sweeper and the outbox sweeper."""
    tasks.deadline_reminders()
    tasks.sweep_letters()
    sweep_outbox()
    db.session.rollback()


def _notifications(db: Any, person_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Notification.kind).where(Notification.person_id == person_id).order_by(Notification.id)
        )
    )


@pytest.mark.embedded
def test_referral_reaches_the_agency_by_email_and_in_app_and_closes_with_reminders_once(
    db: Any,
    network: ReferralNetwork,
    make_referral: Any,
    mailbox: SmtpSink,
    emitted: list[tuple[str, dict[str, Any], str]],
) -> None:
    db.session.commit()
    with time_machine.travel(START, tick=False):
        referral = services.send_referral(make_referral(), actor=network.sender)
        db.session.commit()
        assert referral.response_due_on == date(2026, 12, 3)
        _run_jobs(db)

    # In-app (inbox row and live push to the person's room) and by e-mail, to both receiving workers.
    for person in (network.receiver, network.receiver_colleague):
        assert _notifications(db, person.id) == ["referral.received"]
        assert ("notification", f"person:{person.id}") in {(event, room) for event, _, room in emitted}
        [email] = mailbox.to(person.email)
        assert "서비스 의뢰가 도착했습니다" in str(email["Subject"])
        assert f"/referrals/{referral.id}" in email.get_body(("plain",)).get_content()
    assert ("referral.updated", f"agency:{network.welfare_centre.id}") in {(e, r) for e, _, r in emitted}
    [request_letter] = db.session.scalars(
        sa.select(ReferralLetter).where(ReferralLetter.referral_id == referral.id)
    ).all()
    assert request_letter.kind == LetterKind.request

    # The clock moves on; the jobs run in the morning, at noon and in the evening of every day.
    day = date(2026, 11, 30)
    accepted = completed = False
    while day <= date(2026, 12, 11):
        for hour in (8, 12, 18):
            with time_machine.travel(_at(day, hour), tick=False):
                _run_jobs(db)
                current = db.session.get(Referral, referral.id)
                assert current is not None
                if day == date(2026, 12, 4) and hour == 12 and not accepted:
                    services.accept(current, actor=network.receiver, note="다음 주부터 배달")
                    db.session.commit()
                    accepted = True
                if day == date(2026, 12, 9) and hour == 12 and not completed:
                    services.complete(
                        current,
                        actor=network.receiver,
                        outcome="주 2회 밑반찬 배달 시작",
                        result_report="12월 7일부터 월·목 배달, 대상자 만족",
                    )
                    db.session.commit()
                    completed = True
        day += timedelta(days=1)

    referral = db.session.get(Referral, referral.id)
    assert referral is not None
    assert referral.status == ReferralStatus.completed
    assert referral.result_report == "12월 7일부터 월·목 배달, 대상자 만족"
    assert [e.to_status for e in referral.events if e.from_status != e.to_status] == [
        "draft",
        "requested",
        "accepted",
        "completed",
    ]
    # Due-soon on Wednesday (the working day before the deadline), overdue once on Friday, then the
    # answer: no second overdue reminder, no escalation, and nothing after the answer.
    assert referral.overdue_reminders == 1
    assert referral.escalated_at is None
    for person in (network.receiver, network.receiver_colleague):
        assert _notifications(db, person.id) == ["referral.received", "referral.due_soon", "referral.overdue"]
    assert _notifications(db, network.sender.id) == ["referral.accepted", "referral.completed"]
    assert _notifications(db, network.coordinator.id) == []

    # Every e-mail went out exactly once (a stable Message-ID per outbox row), and all were sent.
    assert all(m.status == DeliveryStatus.sent for m in db.session.scalars(sa.select(OutboxMessage)))
    ids = Counter(str(m["Message-ID"]) for m in mailbox.messages)
    assert max(ids.values()) == 1
    assert len(mailbox.to(network.receiver.email)) == 3
    assert len(mailbox.to(network.receiver_colleague.email)) == 3
    assert len(mailbox.to(network.sender.email)) == 2
    completed_mail = mailbox.to(network.sender.email)[-1]
    assert "완료·회신" in str(completed_mail["Subject"])
    # The 회신서 was rendered by the letter job, once.
    kinds = sorted(
        letter.kind.value
        for letter in db.session.scalars(
            sa.select(ReferralLetter).where(ReferralLetter.referral_id == referral.id)
        )
    )
    assert kinds == ["reply", "request"]
