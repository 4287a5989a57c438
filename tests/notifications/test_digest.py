"""The weekly "needs update" digest: per agency, to members who opted in, once per ISO week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from conference.models import ActionItem, AgendaItem, Conference, ConferenceKind
from hamkke.schedule import beat_schedule
from notifications import services as notification_services
from notifications.delivery import deliver
from notifications.digest import iso_week, send_weekly_digests
from notifications.models import OutboxMessage
from notifications.tasks import weekly_digest
from referrals import services
from referrals.models import Referral
from tests.fixtures.mail import SmtpSink
from tests.fixtures.referrals import ReferralNetwork

# Monday 2026-11-30, 09:00 in Seoul; the referral below was sent the Tuesday before (due Friday).
MONDAY_9 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
SENT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def _digests(db: Any, network: ReferralNetwork) -> list[OutboxMessage]:
    keys = (f"digest:{network.welfare_centre.id}:", f"digest:{network.dong_centre.id}:")
    return [
        message
        for message in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        if message.idempotency_key.startswith(keys)
    ]


def _overdue_action(db: Any, network: ReferralNetwork, due: date) -> ActionItem:
    conference = Conference(
        district_id=network.district.id,
        kind=ConferenceKind.regional,
        title="1권역 정기 통합사례회의",
        starts_at=SENT,
        host_agency_id=network.dong_centre.id,
    )
    db.session.add(conference)
    db.session.flush()
    item = AgendaItem(conference_id=conference.id, title="사례 점검")
    db.session.add(item)
    db.session.flush()
    action = ActionItem(
        conference_id=conference.id,
        item_id=item.id,
        text="김하나 님 주거 상담 연결",
        owner_agency_id=network.welfare_centre.id,
        due_on=due,
    )
    db.session.add(action)
    db.session.flush()
    return action


@pytest.mark.embedded
def test_digest_goes_once_per_iso_week_to_opted_in_members_in_korean(
    db: Any, network: ReferralNetwork, make_referral: Any, mailbox: SmtpSink
) -> None:
    with time_machine.travel(SENT, tick=False):
        sent = services.send_referral(make_referral(), actor=network.sender)
        unanswered_elsewhere = services.send_referral(
            make_referral(receiving_agency=network.other_centre, service=network.other_service),
            actor=network.sender,
        )
    action = _overdue_action(db, network, date(2026, 11, 27))
    # Opt-in: only people who turned the digest on get it (the colleague did not).
    for person in (network.receiver, network.sender):
        notification_services.set_email_preference(person, "digest.weekly", True, actor=person)
    db.session.commit()

    with time_machine.travel(MONDAY_9 - timedelta(hours=2), tick=False):  # Monday 07:00 in Seoul
        assert send_weekly_digests() == 0
    with time_machine.travel(MONDAY_9, tick=False):
        queued = send_weekly_digests()
        db.session.commit()
        assert send_weekly_digests() == 0  # re-running the hourly job sends nothing twice
    with time_machine.travel(MONDAY_9 + timedelta(days=4), tick=False):
        assert send_weekly_digests() == 0  # later the same ISO week
    digests = _digests(db, network)
    assert queued >= 2
    assert sorted(m.recipient for m in digests) == sorted([network.receiver.email, network.sender.email])
    week = iso_week(date(2026, 11, 30))
    assert week == "2026-W49"
    assert {m.idempotency_key for m in digests} == {
        f"digest:{network.welfare_centre.id}:{week}:p{network.receiver.id}",
        f"digest:{network.dong_centre.id}:{week}:p{network.sender.id}",
    }

    for message in digests:
        assert deliver(message.id) == "sent"
    [received] = mailbox.to(network.receiver.email)
    assert "한빛종합사회복지관 주간 확인 필요 목록 (2026-W49)" in str(received["Subject"])
    text = received.get_body(("plain",)).get_content()
    assert f"의뢰 {sent.request_document_number} 솔내동 주민센터" in text
    assert f"#{sent.id}" not in text
    assert "(기한 지남)" in text
    conference_title = db.session.get(Conference, action.conference_id).title
    assert f"{conference_title} · 기한 2026-11-27" in text
    assert "김하나" not in text  # no client data in e-mail: names stay behind the gate
    html = received.get_body(("html",)).get_content()
    assert f"/referrals/{sent.id}" in html
    [sender_mail] = mailbox.to(network.sender.email)
    sender_text = sender_mail.get_body(("plain",)).get_content()
    assert "보냈으나 아직 답이 없는 의뢰: 2건" in sender_text
    assert f"의뢰 {unanswered_elsewhere.request_document_number} → 한빛노인복지관" in sender_text
    assert mailbox.to(network.receiver_colleague.email) == []

    # Next ISO week: a new digest; an answered referral drops out of it.
    services.accept(db.session.get(Referral, sent.id), actor=network.receiver)
    db.session.commit()
    with time_machine.travel(MONDAY_9 + timedelta(days=7), tick=False):
        assert weekly_digest() >= 2
        assert weekly_digest() == 0
    later = [m for m in _digests(db, network) if ":2026-W50:" in m.idempotency_key]
    assert len(later) == 2
    receiver_later = next(m for m in later if m.recipient == network.receiver.email)
    assert "(기한 지남)" not in receiver_later.payload["text"]  # accepted: waiting for the result only


def test_nothing_to_report_sends_no_digest_and_the_default_is_off(db: Any, network: ReferralNetwork) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        send_weekly_digests()
    assert _digests(db, network) == []
    assert not notification_services.wants_email(network.receiver, "digest.weekly")
    assert notification_services.wants_email(network.receiver, "referral.received")


def test_the_digest_is_in_the_beat_schedule() -> None:
    entry = beat_schedule()["notifications-weekly-digest"]
    assert entry["task"] == "notifications.weekly_digest"
