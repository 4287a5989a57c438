"""The delivery status page of an agency: its e-mails and webhooks, filterable, paged, members only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from notifications import views
from notifications.delivery import deliver
from notifications.models import DeliveryStatus, OutboxMessage
from notifications.queries import count_deliveries_for_agency, delivery_state, list_deliveries_for_agency
from notifications.services import queue_email
from notifications.webhooks import create_endpoint, queue_webhook
from tests.fixtures.mail import SmtpSink
from tests.fixtures.referrals import ReferralNetwork


def _email(agency_id: int, n: int) -> OutboxMessage:
    return queue_email(
        to=f"staff{n}@hanbit.example",
        subject=f"알림 {n}",
        text="본문",
        idempotency_key=f"test-delivery:{agency_id}:{n}",
        agency_id=agency_id,
    )


def _rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r'data-delivery="(\d+)" data-state="(\w+)"', page)


@pytest.fixture
def deliveries(db: Any, network: ReferralNetwork, mailbox: SmtpSink) -> dict[str, OutboxMessage]:
    """One delivery of each state for the welfare centre, and one of another agency."""
    agency = network.welfare_centre.id
    sent, retrying, failed, pending = (_email(agency, n) for n in range(4))
    endpoint = create_endpoint(
        agency_id=agency, url="http://127.0.0.1:9/hook", secret="s" * 32, events=["referral.*"]
    )
    hook = queue_webhook(
        endpoint, event="referral.received", body={"referral_id": 1}, idempotency_key="hook:1"
    )
    others = _email(network.dong_centre.id, 9)
    db.session.commit()
    assert deliver(sent.id) == "sent"
    mailbox.refuse_next = 1
    assert deliver(retrying.id) == "retry"
    failed.max_attempts = 1
    db.session.commit()
    mailbox.refuse_next = 1
    assert deliver(failed.id) == "failed"
    hook.max_attempts = 1
    db.session.commit()
    assert deliver(hook.id) == "failed"  # nothing listens on port 9
    return {
        "sent": sent,
        "retrying": retrying,
        "failed": failed,
        "pending": pending,
        "hook": hook,
        "other": others,
    }


def test_states_filters_and_paging_of_the_query(
    db: Any, network: ReferralNetwork, deliveries: dict[str, OutboxMessage]
) -> None:
    agency = network.welfare_centre.id
    assert delivery_state(deliveries["retrying"]) == "retrying"
    assert delivery_state(deliveries["pending"]) == "pending"
    assert delivery_state(deliveries["failed"]) == "failed"
    assert count_deliveries_for_agency(agency) == 5
    assert [m.id for m in list_deliveries_for_agency(agency, status="failed")] == sorted(
        [deliveries["failed"].id, deliveries["hook"].id], reverse=True
    )
    assert [m.id for m in list_deliveries_for_agency(agency, status="failed", channel="webhook")] == [  # type: ignore[arg-type]
        deliveries["hook"].id
    ]
    assert [m.id for m in list_deliveries_for_agency(agency, status="retrying")] == [
        deliveries["retrying"].id
    ]
    assert [m.id for m in list_deliveries_for_agency(agency, status="pending")] == [deliveries["pending"].id]
    first = list_deliveries_for_agency(agency, limit=2)
    second = list_deliveries_for_agency(agency, limit=2, offset=2)
    third = list_deliveries_for_agency(agency, limit=2, offset=4)
    assert [len(first), len(second), len(third)] == [2, 2, 1]
    assert len({m.id for m in first + second + third}) == 5


@pytest.mark.embedded
def test_members_see_their_agency_page_with_attempts_and_errors(
    db: Any,
    client: FlaskClient,
    login_as: Any,
    network: ReferralNetwork,
    deliveries: dict[str, OutboxMessage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login_as(network.receiver, agency_id=network.welfare_centre.id)
    base = f"/notifications/agencies/{network.welfare_centre.id}/deliveries"
    page = client.get(base)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "발송 현황" in html
    assert "<caption>" in html
    assert 'scope="col"' in html
    assert len(_rows(html)) == 5
    assert str(deliveries["other"].id) not in {row for row, _ in _rows(html)}
    assert "smtp: SMTPDataError" in html or "451" in html  # the last error is shown
    assert "1 / 1" in html  # attempts of the failed one

    failed = client.get(f"{base}?status=failed&channel=webhook").get_data(as_text=True)
    assert _rows(failed) == [(str(deliveries["hook"].id), "failed")]
    retrying = client.get(f"{base}?status=retrying").get_data(as_text=True)
    assert _rows(retrying) == [(str(deliveries["retrying"].id), "retrying")]
    assert "다음 시도" in retrying
    # Unknown filters are ignored rather than failing.
    assert len(_rows(client.get(f"{base}?status=bogus&channel=fax").get_data(as_text=True))) == 5

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = client.get(base).get_data(as_text=True)
    assert len(_rows(first)) == 2
    assert "page=2" in first
    last = client.get(f"{base}?page=3").get_data(as_text=True)
    assert len(_rows(last)) == 1
    assert "page=4" not in last


def test_other_agencies_get_404(
    db: Any,
    client: FlaskClient,
    login_as: Any,
    network: ReferralNetwork,
    deliveries: dict[str, OutboxMessage],
) -> None:
    login_as(network.sender, agency_id=network.dong_centre.id)
    assert client.get(f"/notifications/agencies/{network.welfare_centre.id}/deliveries").status_code == 404
    assert client.get("/notifications/agencies/999999/deliveries").status_code == 404
    own = client.get(f"/notifications/agencies/{network.dong_centre.id}/deliveries").get_data(as_text=True)
    assert _rows(own) == [(str(deliveries["other"].id), "pending")]
    assert deliveries["other"].status == DeliveryStatus.pending
